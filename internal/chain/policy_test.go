package chain

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestPolicyConstraints: an intermediate that requires an explicit policy
// (requireExplicitPolicy:0) above a leaf with none fails as openssl
// verify -policy_check -policy anyPolicy fails it ("no explicit policy"), and the
// explanation names the CA, its constraint and the leaf's policies (the
// failure was "x509: no valid chains built" with no certificate named);
// a leaf with the CA's policy is valid for both.
func TestPolicyConstraints(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	run, must := opensslIn(t, dir)
	write := func(name, text string) { os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644) }
	key := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"}
	must(append(append([]string{"req", "-x509"}, key...), "-keyout", "root.key", "-out", "root.pem", "-days", "3", "-subj", "/CN=Policy Root",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")...)
	must(append(append([]string{"req", "-new"}, key...), "-keyout", "inter.key", "-out", "inter.csr", "-subj", "/CN=Policy Intermediate")...)
	write("inter.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\npolicyConstraints=critical,requireExplicitPolicy:0\ncertificatePolicies=1.2.3.4\n")
	must("x509", "-req", "-in", "inter.csr", "-CA", "root.pem", "-CAkey", "root.key", "-days", "2", "-extfile", "inter.ext", "-out", "inter.pem")
	must(append(append([]string{"req", "-new"}, key...), "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=policy.test")...)
	write("none.ext", "subjectAltName=DNS:policy.test\n")
	write("with.ext", "subjectAltName=DNS:policy.test\ncertificatePolicies=1.2.3.4\n")
	for _, name := range []string{"none", "with"} {
		must("x509", "-req", "-in", "leaf.csr", "-CA", "inter.pem", "-CAkey", "inter.key", "-days", "1", "-extfile", name+".ext", "-out", name+".pem")
	}
	read := func(name string) *x509.Certificate { return certsIn(t, dir, name)[0] }
	for _, c := range []struct {
		leaf  string
		valid bool
	}{{"none.pem", false}, {"with.pem", true}} {
		// -policy anyPolicy: RFC 5280's default initial policy set
		// (openssl 3.0 takes none for an empty one).
		out, err := run("verify", "-policy_check", "-policy", "2.5.29.32.0", "-CAfile", "root.pem", "-untrusted", "inter.pem", c.leaf)
		if (err == nil) != c.valid || !c.valid && !strings.Contains(out, "no explicit policy") {
			t.Fatalf("openssl verify -policy_check %s: %v\n%s", c.leaf, err, out)
		}
		r := Verify(read(c.leaf), Options{Roots: []*x509.Certificate{read("root.pem")}, Intermediates: []*x509.Certificate{read("inter.pem")}, Name: "policy.test", At: time.Now()})
		if r.Valid != c.valid {
			t.Fatalf("%s: valid %v (%v); want %v", c.leaf, r.Valid, r.Err, c.valid)
		}
		if c.valid {
			continue
		}
		for _, want := range []string{`"CN=Policy Intermediate"`, "requireExplicitPolicy:0", "1.2.3.4", `"CN=policy.test": none`} {
			if !strings.Contains(r.Cause, want) {
				t.Errorf("cause %q does not say %s", r.Cause, want)
			}
		}
		if !strings.Contains(r.Fix, "certificatePolicies=1.2.3.4") {
			t.Errorf("fix %q", r.Fix)
		}
		failed := ""
		for _, l := range r.Links {
			for _, ch := range l.Checks {
				if !ch.OK {
					failed += dn.Subject(l.Cert) + ":" + ch.Name + " "
				}
			}
		}
		if failed != "CN=Policy Intermediate:policy " {
			t.Errorf("failed checks %q; want the intermediate's policy check only", failed)
		}
	}
}
