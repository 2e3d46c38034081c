package chain

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestSameNameNotSelfSigned: a certificate that bears its issuer's name
// but was issued by another key is not taken as self-signed: without its
// issuer the chain has no trusted root (openssl verify: "unable to get
// local issuer certificate"; it was "self-signed and not trusted"), with
// it the chain verifies through it; a SHA-1 root, whose signature
// crypto/x509 no longer checks, is still self-signed.
func TestSameNameNotSelfSigned(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	run, must := opensslIn(t, dir)
	root := func(name, subj string, opts ...string) {
		must(append([]string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key", "-out", name + ".pem",
			"-days", "2", "-subj", subj, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"}, opts...)...)
	}
	root("same", "/CN=Same Name")
	root("other", "/CN=Other Root")
	root("sha1", "/CN=SHA-1 Root", "-sha1")
	must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=Same Name")
	// With the authority key identifier a CA writes (openssl x509 -req
	// writes none unless asked; without it, openssl too takes the leaf
	// for self-signed, by name and key type alone).
	if err := os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("authorityKeyIdentifier=keyid:always\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must("x509", "-req", "-in", "leaf.csr", "-CA", "same.pem", "-CAkey", "same.key", "-days", "1", "-extfile", "leaf.ext", "-out", "leaf.pem")
	read := func(name string) *x509.Certificate { return certsIn(t, dir, name)[0] }
	leaf := read("leaf.pem")

	out, err := run("verify", "-CAfile", "other.pem", "leaf.pem")
	if err == nil || !strings.Contains(out, "unable to get local issuer certificate") {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	r := Verify(leaf, Options{Roots: []*x509.Certificate{read("other.pem")}, At: time.Now()})
	if r.Valid || strings.Contains(r.Cause, "self-signed") || !strings.Contains(r.Cause, "no trusted root found") {
		t.Errorf("without its issuer: valid %v, cause %q; want no trusted root found", r.Valid, r.Cause)
	}
	must("verify", "-CAfile", "same.pem", "leaf.pem")
	r = Verify(leaf, Options{Roots: []*x509.Certificate{read("same.pem")}, At: time.Now()})
	if !r.Valid || len(r.Links) != 2 || r.Links[0].Role != "leaf" || r.Links[1].Role != "root" {
		t.Errorf("with its issuer: valid %v (%v), %d links", r.Valid, r.Err, len(r.Links))
	}
	if selfSigned(leaf) || !selfSigned(read("same.pem")) || !selfSigned(read("sha1.pem")) {
		t.Errorf("self-signed: leaf %v, root %v, SHA-1 root %v; want false, true, true", selfSigned(leaf), selfSigned(read("same.pem")), selfSigned(read("sha1.pem")))
	}
}
