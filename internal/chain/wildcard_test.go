package chain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestSingleLabelWildcard: a name that matches only through a wildcard over
// one label (*.test) is valid for crypto/x509 and refused by openssl
// verify -verify_hostname (the oracle): valid, with a warning. A wildcard
// over two labels, or the name itself listed, gives none.
func TestSingleLabelWildcard(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	run, must := opensslIn(t, dir)
	must("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
		"-subj", "/CN=Wildcard Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	for _, c := range []struct {
		sans, name string
		warn       bool
	}{
		{"DNS:*.test", "leaf.test", true},
		{"DNS:*.example.test", "leaf.example.test", false},
		{"DNS:*.test,DNS:leaf.test", "leaf.test", false},
	} {
		os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("subjectAltName="+c.sans+"\n"), 0o644)
		must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=wild")
		must("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "1", "-extfile", "leaf.ext", "-out", "leaf.pem")
		out, err := run("verify", "-CAfile", "ca.pem", "-verify_hostname", c.name, "leaf.pem")
		if (err != nil) != c.warn {
			t.Fatalf("%s for %s: openssl verify: %v\n%s", c.sans, c.name, err, out)
		}
		r := Verify(certsIn(t, dir, "leaf.pem")[0], Options{Roots: certsIn(t, dir, "ca.pem"), Name: c.name, At: time.Now()})
		if !r.Valid {
			t.Fatalf("%s for %s: not valid (%v); crypto/x509 takes the wildcard", c.sans, c.name, r.Err)
		}
		warned := false
		for _, w := range r.Warnings {
			if strings.Contains(w.Cause, "only through the wildcard") {
				warned = true
				if !strings.Contains(w.Cause, `"*.test"`) || !strings.Contains(w.Fix, "*.example.test") {
					t.Errorf("%s: warning %+v", c.sans, w)
				}
			}
		}
		if warned != c.warn {
			t.Errorf("%s for %s: warned %v, want %v (%+v)", c.sans, c.name, warned, c.warn, r.Warnings)
		}
	}
}
