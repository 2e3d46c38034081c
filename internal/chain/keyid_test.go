package chain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestKeyIDMismatch: a leaf whose authority key identifier is not the
// subject key identifier of the root it verifies with (the root's
// certificate made again with the same name and key but another
// identifier) is valid, as crypto/x509 finds the issuer by name and
// signature, with a warning that openssl verify refuses it; openssl
// verify does, with the error the warning names. With the root that
// issued it, no warning.
func TestKeyIDMismatch(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	run, must := opensslIn(t, dir)
	ca := []string{"-days", "2", "-subj", "/CN=KeyID Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"}
	must(append([]string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"}, ca...)...)
	must(append([]string{"req", "-x509", "-key", "ca.key", "-out", "other-id.pem", "-addext", "subjectKeyIdentifier=0102030405"}, ca...)...)
	os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("subjectAltName=DNS:keyid.test\nauthorityKeyIdentifier=keyid:always\n"), 0o644)
	must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=keyid.test")
	must("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "1", "-extfile", "leaf.ext", "-out", "leaf.pem")

	leaf := certsIn(t, dir, "leaf.pem")[0]
	for _, c := range []struct {
		root string
		warn bool
	}{{"ca.pem", false}, {"other-id.pem", true}} {
		out, err := run("verify", "-CAfile", c.root, "leaf.pem")
		if (err != nil) != c.warn || c.warn && !strings.Contains(out, "unable to get local issuer certificate") {
			t.Fatalf("openssl verify with %s: %v\n%s", c.root, err, out)
		}
		r := Verify(leaf, Options{Roots: certsIn(t, dir, c.root), Name: "keyid.test", At: time.Now()})
		if !r.Valid {
			t.Fatalf("%s: not valid (%v); crypto/x509 finds the issuer by name and signature", c.root, r.Err)
		}
		warned := false
		for _, w := range r.Warnings {
			if strings.Contains(w.Cause, "authority key identifier") {
				warned = true
				if !strings.Contains(w.Cause, "01:02:03:04:05") || !strings.Contains(w.Cause, "unable to get local issuer certificate") || w.Fix == "" {
					t.Errorf("%s: warning %+v", c.root, w)
				}
			}
		}
		if warned != c.warn {
			t.Errorf("%s: warnings %+v; want the key identifier said: %v", c.root, r.Warnings, c.warn)
		}
	}
}
