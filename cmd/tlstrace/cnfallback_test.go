package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

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
