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

// FuzzParse feeds arbitrary bytes to the certificate reader (PEM, DER,
// PKCS#7, PKCS#12): errors, never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, "")
	}
	f.Add([]byte("-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n"), "")
	f.Fuzz(func(t *testing.T, b []byte, pass string) {
		Parse(b, pass)
	})
}

// FuzzPKCS8 feeds arbitrary DER to the private key reader (Ed448
// included).
func FuzzPKCS8(f *testing.F) {
	_, k, _ := ed448.GenerateKey(nil)
	der, _ := MarshalPKCS8(k)
	f.Add(der)
	f.Fuzz(func(t *testing.T, b []byte) {
		if key, err := ParsePKCS8(b); err == nil {
			if _, err := MarshalPKCS8(key); err != nil {
				t.Fatalf("a key read could not be written: %v", err)
			}
		}
	})
}
