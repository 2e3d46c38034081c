package certio

import (
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudflare/circl/sign/ed448"
)

// seeds returns certificates from the project's test data, PEM and DER.
func seeds(t testing.TB) [][]byte {
	files, _ := filepath.Glob("../../testdata/x509-limbo-online/*.limbo.json")
	var out [][]byte
	for _, f := range files[:min(3, len(files))] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Peer string `json:"peer_certificate"`
		}
		json.Unmarshal(b, &c)
		out = append(out, []byte(c.Peer))
		if blk, _ := pem.Decode([]byte(c.Peer)); blk != nil {
			out = append(out, blk.Bytes)
		}
	}
	return out
}

func TestParseForms(t *testing.T) {
	for _, s := range seeds(t) {
		b, err := Parse(s, "")
		if err != nil || len(b.Certs) != 1 {
			t.Fatalf("Parse: %v", err)
		}
	}
	if _, err := Parse([]byte("not a certificate"), ""); err == nil {
		t.Error("garbage parsed")
	}
}

func TestEd448PKCS8RoundTrip(t *testing.T) {
	_, k, err := ed448.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := MarshalPKCS8(k)
	if err != nil {
		t.Fatal(err)
	}
	if len(der) != 73 {
		t.Errorf("Ed448 PKCS#8 is %d bytes, RFC 8410 says 73", len(der))
	}
	back, err := ParsePKCS8(der)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(back) {
		t.Error("round trip changed the key")
	}
}
