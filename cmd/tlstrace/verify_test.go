package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// osl runs openssl and fails the test when it fails.
func osl(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return string(b)
}

// oslCert makes a key and a certificate with openssl: self-signed when ca
// is "", else signed by ca (its .pem and .key). ext holds extension lines;
// digest is the signature hash (sha256 by default).
func oslCert(t *testing.T, dir, name, cn, ca, ext, digest string) string {
	t.Helper()
	if digest == "" {
		digest = "sha256"
	}
	extFile := filepath.Join(dir, name+".ext")
	os.WriteFile(extFile, []byte(ext), 0o644)
	if ca == "" {
		osl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name+".key",
			"-out", name+".pem", "-subj", "/CN="+cn, "-days", "30", "-"+digest, "-extensions", "v3", "-config", writeReqConfig(t, dir, name, ext))
		return filepath.Join(dir, name+".pem")
	}
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name+".key", "-out", name+".csr", "-subj", "/CN="+cn)
	osl(t, dir, "x509", "-req", "-in", name+".csr", "-CA", ca+".pem", "-CAkey", ca+".key", "-set_serial", strconv.FormatInt(time.Now().UnixNano(), 10),
		"-days", "30", "-"+digest, "-extfile", extFile, "-out", name+".pem")
	return filepath.Join(dir, name+".pem")
}

func writeReqConfig(t *testing.T, dir, name, ext string) string {
	f := filepath.Join(dir, name+".cnf")
	os.WriteFile(f, []byte("[req]\ndistinguished_name=dn\n[dn]\n[v3]\n"+ext), 0o644)
	return f
}

const (
	extCA   = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
	extLeaf = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n"
)

// TestVerifyAgainstOpenSSL makes faulty chains with openssl and checks that
// tlstrace verify agrees with openssl verify on each and names the cause.
func TestVerifyAgainstOpenSSL(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := oslCert(t, dir, "root", "Test Root", "", extCA, "")
	oslCert(t, dir, "other", "Other Root", "", extCA, "")
	inter := oslCert(t, dir, "inter", "Test Intermediate", "root", extCA, "")
	good := oslCert(t, dir, "good", "localhost", "inter", extLeaf, "")
	notCA := oslCert(t, dir, "notca", "Not A CA", "root", "basicConstraints=CA:FALSE\nkeyUsage=critical,keyCertSign,digitalSignature\n", "")
	underNotCA := oslCert(t, dir, "undernotca", "localhost", "notca", extLeaf, "")
	path0 := oslCert(t, dir, "path0", "Pathlen Zero", "root", strings.Replace(extCA, "CA:TRUE", "CA:TRUE,pathlen:0", 1), "")
	sub := oslCert(t, dir, "sub", "Sub CA", "path0", extCA, "")
	underSub := oslCert(t, dir, "undersub", "localhost", "sub", extLeaf, "")
	clientOnly := oslCert(t, dir, "clientonly", "localhost", "inter", strings.Replace(extLeaf, "serverAuth", "clientAuth", 1), "")
	constrained := oslCert(t, dir, "constrained", "Constrained CA", "root", extCA+"nameConstraints=critical,permitted;DNS:allowed.test\n", "")
	outside := oslCert(t, dir, "outside", "localhost", "constrained", extLeaf, "")
	self := oslCert(t, dir, "self", "localhost", "", extLeaf, "")
	unknown := oslCert(t, dir, "unknown", "localhost", "other", extLeaf, "")
	sha1 := oslCert(t, dir, "sha1", "localhost", "inter", extLeaf, "sha1")

	future := time.Now().Add(60 * 24 * time.Hour)
	past := time.Now().Add(-48 * time.Hour)
	for _, c := range []struct {
		name      string
		leaf      string
		untrusted []string
		host      string
		at        time.Time
		purpose   string
		valid     bool
		cause     string
		// hint, when given, is in the fix; nohint is not.
		hint, nohint string
	}{
		{"good", good, []string{inter}, "localhost", time.Time{}, "", true, "", "", ""},
		// The time is the one given, not this machine's clock.
		{"expired", good, []string{inter}, "localhost", future, "", false, "expired on",
			"hint: the time given (--at " + future.UTC().Format(time.RFC3339) + ") is after the certificate's validity", "clock"},
		{"not-yet-valid", good, []string{inter}, "localhost", past, "", false, "is not valid before",
			"hint: the time given (--at " + past.UTC().Format(time.RFC3339) + ") is before the certificate's validity", "clock"},
		{"wrong-host", good, []string{inter}, "www.example.org", time.Time{}, "", false, "not valid for www.example.org", "", ""},
		{"self-signed", self, nil, "localhost", time.Time{}, "", false, "self-signed", "", ""},
		{"unknown-root", unknown, []string{filepath.Join(dir, "other.pem")}, "localhost", time.Time{}, "", false, "not a trusted CA", "", ""},
		{"missing-intermediate", good, nil, "localhost", time.Time{}, "", false, `issued by "CN=Test Intermediate", which was not sent`, "add it to the chain file after the certificate it signed", ""},
		{"sha1", sha1, []string{inter}, "localhost", time.Time{}, "", false, "SHA1", "", ""},
		{"intermediate-ca-false", underNotCA, []string{notCA}, "localhost", time.Time{}, "", false, "not a CA", "", ""},
		{"path-length", underSub, []string{path0, sub}, "localhost", time.Time{}, "", false, "path length", "", ""},
		{"client-only-eku", clientOnly, []string{inter}, "localhost", time.Time{}, "", false, "extended key usage", "", ""},
		{"client-only-eku-as-client", clientOnly, []string{inter}, "", time.Time{}, "client", true, "", "", ""},
		{"name-constraints", outside, []string{constrained}, "localhost", time.Time{}, "", false, "name constraints", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"verify", "--cacert", root}
			oargs := []string{"verify", "-CAfile", root}
			for _, u := range c.untrusted {
				args = append(args, "--untrusted", u)
				oargs = append(oargs, "-untrusted", u)
			}
			if c.host != "" {
				args = append(args, "--name", c.host)
				oargs = append(oargs, "-verify_hostname", c.host)
			}
			if !c.at.IsZero() {
				args = append(args, "--at", c.at.UTC().Format(time.RFC3339))
				oargs = append(oargs, "-attime", strconv.FormatInt(c.at.Unix(), 10))
			}
			if c.purpose == "client" {
				args = append(args, "--purpose", "client")
				oargs = append(oargs, "-purpose", "sslclient")
			} else {
				oargs = append(oargs, "-purpose", "sslserver")
			}
			args = append(args, c.leaf)
			oargs = append(oargs, c.leaf)
			code, out, stderr := runCode(args...)
			cmd := exec.Command("openssl", oargs...)
			ob, oerr := cmd.CombinedOutput()
			opensslValid := oerr == nil
			if (code == 0) != c.valid {
				t.Errorf("tlstrace verify: exit %d, want valid=%v\n%s%s", code, c.valid, out, stderr)
			}
			if opensslValid != c.valid {
				if c.name == "sha1" {
					// OpenSSL 3.0 still accepts SHA-1 certificate signatures
					// at security level 1; crypto/x509 does not, and its
					// verdict is the one tlstrace gives.
					t.Logf("openssl verify accepts the SHA-1 chain: %s", strings.TrimSpace(string(ob)))
				} else {
					t.Errorf("openssl verify: valid=%v, want %v: %s", opensslValid, c.valid, ob)
				}
			}
			if !c.valid && !strings.Contains(stderr, c.cause) {
				t.Errorf("cause lacks %q:\n%s", c.cause, stderr)
			}
			if _, hint, _ := strings.Cut(stderr, "hint: "); !strings.Contains(stderr, c.hint) || c.nohint != "" && strings.Contains(hint, c.nohint) {
				t.Errorf("the fix lacks %q or says %q:\n%s", c.hint, c.nohint, stderr)
			}
			if c.valid && !strings.Contains(out, "✓ signature") {
				t.Errorf("no verified signature shown:\n%s", out)
			}
		})
	}
	_ = fmt.Sprint
}
