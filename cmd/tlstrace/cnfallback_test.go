package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestCNFallback checks a server certificate without subjectAltName (its
// host only in the common name, as openssl x509 -req makes it from a CSR):
// get, connect and verify (of a URL and of a file) refuse it by default
// with exit 7, a cause that says curl and OpenSSL accept it through the
// common-name fallback and a hint that says how to add a subjectAltName;
// with --cn-fallback they accept it.
func TestCNFallback(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "cn-only", func(c *x509.Certificate) {
		c.DNSNames, c.IPAddresses, c.ExtKeyUsage, c.KeyUsage = nil, nil, nil, 0
	})
	for _, c := range []struct {
		name string
		args func(port int) []string
	}{
		{"get", func(port int) []string {
			return []string{fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "-m", "10s"}
		}},
		{"connect", func(port int) []string {
			return []string{"connect", fmt.Sprintf("localhost:%d", port), "--cacert", root.file, "--idle", "100ms"}
		}},
		{"verify-url", func(port int) []string {
			return []string{"verify", fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "-m", "10s"}
		}},
		{"verify-file", func(int) []string {
			return []string{"verify", cert, "--cacert", root.file, "--name", "localhost"}
		}},
	} {
		for _, fallback := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/fallback=%v", c.name, fallback), func(t *testing.T) {
				port := 0
				if c.name != "verify-file" {
					port = sServer(t, cert, key)
				}
				args := c.args(port)
				if fallback {
					args = append(args, "--cn-fallback")
				}
				stdin = strings.NewReader("")
				defer func() { stdin = os.Stdin }()
				code, out, stderr := runCode(args...)
				if fallback {
					if code != 0 {
						t.Fatalf("exit %d with --cn-fallback:\n%s", code, stderr)
					}
					if c.name != "connect" && !strings.Contains(out+stderr, "matches the common name") {
						t.Errorf("the host name check does not say the common name was used:\n%s%s", out, stderr)
					}
					return
				}
				if code != exitVerify {
					t.Fatalf("exit %d, want %d:\n%s", code, exitVerify, stderr)
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				last := lines[len(lines)-2:]
				if !strings.HasPrefix(last[0], "tlstrace: error: ") || !strings.HasPrefix(last[1], "tlstrace: hint: ") {
					t.Fatalf("want a cause line and a hint line, got:\n%s", stderr)
				}
				for _, w := range []string{"not valid for localhost", "no subjectAltName", "curl and OpenSSL accept it through the common-name fallback"} {
					if !strings.Contains(last[0], w) {
						t.Errorf("cause lacks %q: %s", w, last[0])
					}
				}
				for _, w := range []string{"subjectAltName=DNS:localhost", "--cn-fallback"} {
					if !strings.Contains(last[1], w) {
						t.Errorf("hint lacks %q: %s", w, last[1])
					}
				}
			})
		}
	}
	// Reached by an address its common name does not match, it is refused
	// with or without the fallback, as curl refuses it, and nothing says
	// the fallback would help.
	t.Run("mismatch", func(t *testing.T) {
		tlstest.RequirePeer(t, "curl")
		url := fmt.Sprintf("https://127.0.0.1:%d/", sServer(t, cert, key))
		var ee *exec.ExitError
		if err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, url).Run(); !errors.As(err, &ee) || ee.ExitCode() != 60 {
			t.Fatalf("curl: %v, want exit 60 (the peer does not refuse the name)", err)
		}
		for _, extra := range [][]string{nil, {"--cn-fallback"}} {
			url := fmt.Sprintf("https://127.0.0.1:%d/", sServer(t, cert, key)) // one connection each
			stdin = strings.NewReader("")
			code, out, stderr := runCode(append([]string{url, "--cacert", root.file, "-m", "10s"}, extra...)...)
			stdin = os.Stdin
			if code != exitVerify {
				t.Fatalf("%v: exit %d, want %d:\n%s", extra, code, exitVerify, stderr)
			}
			if w := `its common name "localhost" does not match 127.0.0.1 either`; !strings.Contains(out, w) || !strings.Contains(stderr, w) {
				t.Errorf("%v: the check and the cause do not say %q:\n%s%s", extra, w, out, stderr)
			}
			if strings.Contains(out+stderr, "accept it through") || strings.Contains(out+stderr, "fall back to it)") {
				t.Errorf("%v: says the fallback would accept it:\n%s%s", extra, out, stderr)
			}
		}
	})
}

// TestCNFallbackNameConstraintsPeers: a leaf without subjectAltName under
// a CA whose name constraints permit allowed.test only is judged by its
// common name as curl and openssl s_client judge it. OpenSSL holds a
// common name to the DNS constraints only when it looks like a host name
// (with a dot): CN=localhost passes (curl exits 0), CN=bad.example is
// refused (curl: permitted subtree violation). tlstrace --cn-fallback
// refuses both: the host the common name stands for is held to the
// constraints (stricter than curl, said so); without the fallback its
// cause says what curl does.
func TestCNFallbackNameConstraintsPeers(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	tlstest.RequirePeer(t, "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	ncKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "constrained"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		PermittedDNSDomainsCritical: true, PermittedDNSDomains: []string{"allowed.test"},
	}, root.cert, ncKey.Public(), root.key)
	if err != nil {
		t.Fatal(err)
	}
	ncCert, _ := x509.ParseCertificate(der)
	nc := &testCA{cert: ncCert, key: ncKey, file: filepath.Join(dir, "constrained.pem")}
	writePEM(t, nc.file, "CERTIFICATE", der)
	for _, c := range []struct {
		cn    string
		valid bool
	}{{"localhost", true}, {"bad.example", false}} {
		t.Run(c.cn, func(t *testing.T) {
			cert, key := nc.leaf(t, dir, c.cn, func(l *x509.Certificate) {
				l.Subject.CommonName, l.DNSNames, l.IPAddresses = c.cn, nil, nil
			}, nc)
			// url starts a server for one connection.
			url := func() (u, resolve string, port int) {
				port = sServer(t, cert, key)
				return fmt.Sprintf("https://%s:%d/", c.cn, port), fmt.Sprintf("%s:%d:127.0.0.1", c.cn, port), port
			}
			u, resolve, _ := url()
			var ee *exec.ExitError
			switch err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, "--resolve", resolve, u).Run(); {
			case c.valid && err != nil:
				t.Fatalf("curl: %v, want exit 0", err)
			case !c.valid && (!errors.As(err, &ee) || ee.ExitCode() != 60):
				t.Fatalf("curl: %v, want exit 60", err)
			}
			_, _, port := url()
			sc := exec.Command("openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-servername", c.cn, "-CAfile", root.file,
				"-verify_hostname", c.cn, "-verify_return_error")
			sc.Stdin = strings.NewReader("")
			out, err := sc.CombinedOutput()
			if (err == nil) != c.valid {
				t.Fatalf("openssl s_client: %v, want valid %v:\n%s", err, c.valid, out)
			}
			for _, fallback := range []bool{true, false} {
				u, resolve, _ := url()
				args := []string{u, "--resolve", resolve, "--cacert", root.file, "-m", "10s"}
				if fallback {
					args = append(args, "--cn-fallback")
				}
				code, _, stderr := runCode(args...)
				switch {
				case fallback && c.valid && (code != exitVerify || !strings.Contains(stderr, `the host name localhost, for which the leaf's common name "localhost" stands (curl and OpenSSL hold no common name without a dot`)):
					// Stricter than curl and OpenSSL, which do not
					// hold a dotless common name to the constraints.
					t.Errorf("--cn-fallback: exit %d, want %d and the host name outside the constraints:\n%s", code, exitVerify, stderr)
				case fallback && !c.valid && (code != exitVerify || !strings.Contains(stderr, "the leaf's common name bad.example (a host name, which OpenSSL and curl check")):
					t.Errorf("--cn-fallback: exit %d, want %d and the common name named:\n%s", code, exitVerify, stderr)
				case !fallback && c.valid && (code != exitVerify || !strings.Contains(stderr, "curl and OpenSSL accept it through the common-name fallback, but tlstrace refuses it even so")):
					t.Errorf("exit %d, want %d and a cause saying curl accepts it:\n%s", code, exitVerify, stderr)
				case !fallback && !c.valid && (code != exitVerify || !strings.Contains(stderr, "curl and OpenSSL, which fall back to the common name, refuse it too: the name constraints")):
					t.Errorf("exit %d, want %d and a cause saying curl refuses it too:\n%s", code, exitVerify, stderr)
				}
			}
		})
	}
}
