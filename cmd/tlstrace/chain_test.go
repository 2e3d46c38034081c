package main

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// chainLink is an x509 link event's fields, as docs/json.md gives them.
type chainLink struct {
	Depth       int    `json:"depth"`
	Role        string `json:"role"`
	Subject     string `json:"subject"`
	TrustedRoot bool   `json:"trusted_root"`
	Checks      []struct {
		Check  string `json:"check"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

// chainLinks reads the x509 link events of JSON Lines output.
func chainLinks(t *testing.T, out string) []chainLink {
	t.Helper()
	var links []chainLink
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ev jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if ev.Layer != "x509" || ev.Type != "link" {
			continue
		}
		var l chainLink
		if err := json.Unmarshal(ev.Fields, &l); err != nil {
			t.Fatal(err)
		}
		links = append(links, l)
	}
	return links
}

// TestChainExplained checks, against openssl s_server, that a chain that
// fails is explained the same way on a live request, by verify on the
// same certificates and by verify on the server's URL: the same cause, exit 7, every link of the chain shown
// up to its root, and the ✗ on the link and check that failed, every other
// check passing.
func TestChainExplained(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	other := newTestCA(t, dir, "other-root", nil)
	otherInter := newTestCA(t, dir, "other-intermediate", other)
	now := time.Now()
	cases := []struct {
		name  string
		cert  func() (string, string)
		srv   []string // extra s_server arguments
		roles []string // the links shown, leaf first
		depth int      // the link that fails
		check string   // and its check
		cause string
	}{
		{"expired", func() (string, string) {
			return inter.leaf(t, dir, "expired", func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-72*time.Hour), now.Add(-24*time.Hour) }, inter)
		}, nil, []string{"leaf", "intermediate", "root"}, 0, "validity", `the certificate of "CN=localhost" expired on`},
		{"not-yet-valid", func() (string, string) {
			return inter.leaf(t, dir, "future", func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(24*time.Hour), now.Add(72*time.Hour) }, inter)
		}, nil, []string{"leaf", "intermediate", "root"}, 0, "validity", `the certificate of "CN=localhost" is not valid before`},
		{"wrong-host", func() (string, string) {
			return inter.leaf(t, dir, "wronghost", func(c *x509.Certificate) { c.DNSNames, c.IPAddresses = []string{"www.example.org"}, nil }, inter)
		}, nil, []string{"leaf", "intermediate", "root"}, 0, "host_name", "not valid for localhost: it lists only www.example.org"},
		{"sha1", func() (string, string) {
			return inter.leaf(t, dir, "sha1", func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 }, inter)
			// (OpenSSL's default security level refuses to serve it.)
		}, []string{"-cipher", "DEFAULT:@SECLEVEL=0"}, []string{"leaf", "intermediate", "root"}, 0, "signature", `the certificate "CN=localhost" is signed with ECDSA-SHA1, which is no longer accepted`},
		{"self-signed", func() (string, string) { return (*testCA)(nil).leaf(t, dir, "self", nil) }, nil,
			[]string{"leaf"}, 0, "trust", `the certificate "CN=localhost" is self-signed and not trusted`},
		{"untrusted-root", func() (string, string) { return otherInter.leaf(t, dir, "untrusted", nil, otherInter, other) }, nil,
			[]string{"leaf", "intermediate", "root"}, 2, "trust", `the chain ends at "CN=other-root", which is not a trusted CA`},
		{"untrusted-root-not-sent", func() (string, string) { return otherInter.leaf(t, dir, "unsent", nil, otherInter) }, nil,
			[]string{"leaf", "intermediate"}, 1, "signature", `no trusted root found: the chain ends at "CN=other-intermediate", issued by "CN=other-root", which was not sent`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cert, key := c.cert()
			// Two connections: the request, then verify URL.
			port := sServer(t, cert, key, append([]string{"-naccept", "2"}, c.srv...)...)
			url := fmt.Sprintf("https://localhost:%d/", port)
			live := []string{url, "--cacert", root.file, "-m", "10s", "--json"}
			verifyURL := []string{"verify", "--cacert", root.file, "-m", "10s", "--json", url}
			verify := []string{"verify", "--cacert", root.file, "--name", "localhost", "--json", cert}
			if _, err := os.Stat(chainOf(cert)); err == nil {
				verify = append(verify, "--untrusted", chainOf(cert))
			}
			var causes []string
			for _, args := range [][]string{live, verify, verifyURL} {
				code, out, stderr := runCode(args...)
				what := strings.Join(args, " ")
				if code != exitVerify {
					t.Errorf("%s: exit %d, want %d\n%s", what, code, exitVerify, stderr)
				}
				cause, _, _ := strings.Cut(stderr, "\n")
				if !strings.Contains(cause, c.cause) {
					t.Errorf("%s: cause %q lacks %q", what, cause, c.cause)
				}
				causes = append(causes, cause)
				links := chainLinks(t, out)
				var roles []string
				for _, l := range links {
					roles = append(roles, l.Role)
				}
				if strings.Join(roles, " ") != strings.Join(c.roles, " ") {
					t.Errorf("%s: links %v, want %v", what, roles, c.roles)
				}
				for _, l := range links {
					for _, ch := range l.Checks {
						failing := l.Depth == c.depth && ch.Check == c.check
						if ch.OK == failing {
							t.Errorf("%s: link %d (%s) check %s ok=%v: %s", what, l.Depth, l.Role, ch.Check, ch.OK, ch.Detail)
						}
					}
					if l.Depth == c.depth && !hasCheck(l, c.check) {
						t.Errorf("%s: link %d (%s) has no %s check", what, l.Depth, l.Role, c.check)
					}
					// A root from --cacert is shown as trusted.
					if want := l.Role == "root" && c.check != "trust"; l.TrustedRoot != want {
						t.Errorf("%s: link %d (%s) trusted_root=%v", what, l.Depth, l.Role, l.TrustedRoot)
					}
				}
			}
			for _, cause := range causes[1:] {
				if cause != causes[0] {
					t.Errorf("live and verify differ:\n%s\n%s", causes[0], cause)
				}
			}
		})
	}
}

func hasCheck(l chainLink, name string) bool {
	for _, ch := range l.Checks {
		if ch.Check == name {
			return true
		}
	}
	return false
}
