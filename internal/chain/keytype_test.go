package chain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestLeafKeyTypes: leaves whose keys crypto/x509 reads but the
// description named by OID (DSA, X25519), made and verified by openssl,
// are named as openssl x509 -text names them, with a DSA key's size, and
// verify as openssl verifies them.
func TestLeafKeyTypes(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	_, run := opensslIn(t, dir)
	os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("subjectAltName=DNS:key.test\n"), 0o644)
	run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Key Root",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	run("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:2048", "-out", "dsa.params")
	run("genpkey", "-paramfile", "dsa.params", "-out", "dsa.key")
	run("req", "-new", "-key", "dsa.key", "-out", "dsa.csr", "-subj", "/CN=key.test")
	run("x509", "-req", "-in", "dsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "1", "-extfile", "leaf.ext", "-out", "dsa.pem")
	// An X25519 key cannot sign its request: openssl puts it in with
	// -force_pubkey.
	run("genpkey", "-algorithm", "X25519", "-out", "x25519.key")
	run("pkey", "-in", "x25519.key", "-pubout", "-out", "x25519.pub")
	run("x509", "-new", "-subj", "/CN=key.test", "-force_pubkey", "x25519.pub", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "1", "-extfile", "leaf.ext", "-out", "x25519.pem")

	root, err := certio.ReadFile(filepath.Join(dir, "ca.pem"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want, openssl string }{
		{"dsa.pem", "DSA 2048 bits", "Public-Key: (2048 bit)"},
		{"x25519.pem", "X25519", "X25519 Public-Key:"},
	} {
		text := run("x509", "-in", c.file, "-noout", "-text")
		if !strings.Contains(text, c.openssl) {
			t.Fatalf("%s: openssl x509 -text does not say %q:\n%s", c.file, c.openssl, text)
		}
		run("verify", "-CAfile", "ca.pem", c.file)
		b, err := certio.ReadFile(filepath.Join(dir, c.file), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := KeyDescription(b.Certs[0]); got != c.want {
			t.Errorf("%s: key %q, want %q", c.file, got, c.want)
		}
		if r := Verify(b.Certs[0], Options{Roots: root.Certs, Name: "key.test", At: time.Now()}); !r.Valid {
			t.Errorf("%s: not valid (%v); openssl verify accepts it", c.file, r.Err)
		}
	}
}
