package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/lab"
)

// TestLabCommands runs connect, verify URL and scan against every lab
// fault. connect and verify end in bounded time with tlstrace URL's exit
// code and cause line (but where the fault lies in what they do not do:
// HTTP, ALPN, a client certificate), and a hint; scan exits 0 and, where
// a rule covers the fault, reports it as that finding.
func TestLabCommands(t *testing.T) {
	servers, ca := startLab(t, append([]string{"index"}, lab.Names...)...)
	// The faults connect and verify do not meet: huge-headers is in the
	// HTTP response, alpn-mismatch in ALPN, which neither offers, and
	// mtls-required asks for a client certificate after verify has the
	// server's chain.
	connectExit := map[string]int{"huge-headers": 0, "alpn-mismatch": 0}
	verifyExit := map[string]int{"huge-headers": 0, "alpn-mismatch": 0, "mtls-required": 0}
	// The finding each fault is reported as, where a rule covers it.
	scanRule := map[string]string{
		"dhe-1024": "dh-small", "tls10-only": "tls10", "tls11-only": "tls11", "no-common-suite": "rc4", "sslv2": "ssl2", "cbc-only": "cbc-only",
		"revoked": "revoked", "long-validity": "chain-warning",
	}
	defer func() { stdin = os.Stdin }()
	for _, s := range servers {
		t.Run(s.Name, func(t *testing.T) {
			f := mustLab(t).Fault(s.Name)
			if f.Kind == lab.KindCert && f.Exit == lab.ExitCert && s.Name != "revoked" {
				// (revoked is its own rule.)
				scanRule[s.Name] = "untrusted-chain"
			}
			hostport := strings.TrimSuffix(strings.TrimPrefix(s.URL, "https://"), "/")
			_, _, urlErr := runCode(s.URL, "--cacert", ca, "-m", "3s")
			urlCause, _, _ := strings.Cut(urlErr, "\n")
			run := func(name string, want int, args ...string) {
				t.Helper()
				stdin = strings.NewReader("")
				start := time.Now()
				code, _, stderr := runCode(args...)
				if d := time.Since(start); d > 15*time.Second {
					t.Errorf("%s took %v", name, d)
				}
				if code != want {
					t.Errorf("%s: exit %d, want %d\n%s", name, code, want, stderr)
					return
				}
				// (connect's trace goes to stderr too.)
				var lines []string
				for _, l := range strings.Split(stderr, "\n") {
					if strings.HasPrefix(l, "tlstrace: ") {
						lines = append(lines, l)
					}
				}
				switch {
				case want == 0 && s.Name == "long-validity":
					if len(lines) != 2 || lines[0] != urlCause || !strings.HasPrefix(lines[1], "tlstrace: hint: ") {
						t.Errorf("%s: want tlstrace URL's warning %q and a hint, got:\n%s", name, urlCause, stderr)
					}
				case want == 0:
				case len(lines) != 2 || !strings.HasPrefix(lines[1], "tlstrace: hint: "):
					t.Errorf("%s: want a cause line and a hint line, got:\n%s", name, stderr)
				case s.Name == "silent" || s.Name == "slow":
					// tlstrace URL's -m bounds the whole run, and says so.
					if !strings.HasPrefix(lines[0], "tlstrace: error: the TLS handshake timed out") {
						t.Errorf("%s: cause %s", name, lines[0])
					}
				case want == s.Exit && lines[0] != urlCause:
					t.Errorf("%s: cause\n%s\nwant tlstrace URL's\n%s", name, lines[0], urlCause)
				}
			}
			exit := func(over map[string]int) int {
				if e, ok := over[s.Name]; ok {
					return e
				}
				return s.Exit
			}
			timeout := "3s"
			run("connect", exit(connectExit), "connect", hostport, "--cacert", ca, "--timeout", timeout)
			run("verify", exit(verifyExit), "verify", s.URL, "--cacert", ca, "-m", timeout)

			// scan checks the chains of an address target against the
			// address, as tlstrace URL does: the same cause.
			args := []string{"scan", hostport, "--cacert", ca, "--timeout", "1s", "--json"}
			start := time.Now()
			code, out, stderr := runCode(args...)
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("scan took %v", d)
			}
			if s.Name == "garbage" || s.Name == "plain-http" {
				// Nothing there speaks TLS: an error that says so.
				if code != exitFailure || !strings.Contains(stderr, "does not speak TLS: it answered every hello with bytes that are not a TLS record") {
					t.Errorf("scan: exit %d, want 1 and the bytes that are not TLS\n%s", code, stderr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("scan: exit %d\n%s", code, stderr)
			}
			if s.Name == "sni-required" {
				// No handshake completes without a name: no grade, and
				// the summary says why.
				var sum struct {
					Fields struct{ Grade, Ungraded string }
				}
				for _, l := range strings.Split(out, "\n") {
					if strings.Contains(l, `"type":"summary"`) {
						_ = json.Unmarshal([]byte(l), &sum)
					}
				}
				if sum.Fields.Grade != "" || !strings.Contains(sum.Fields.Ungraded, "unrecognized_name alert, and none named the server (SNI)") {
					t.Errorf("scan: summary %+v, want no grade and the server name it wants", sum.Fields)
				}
			}
			rule, ok := scanRule[s.Name]
			if !ok {
				return
			}
			for _, l := range strings.Split(out, "\n") {
				var ev struct {
					Type   string
					Fields struct{ Rule, Cause string }
				}
				if json.Unmarshal([]byte(l), &ev) != nil || ev.Type != "finding" || ev.Fields.Rule != rule {
					continue
				}
				if rule == "untrusted-chain" && "tlstrace: error: "+ev.Fields.Cause != urlCause {
					t.Errorf("scan: finding %q, want tlstrace URL's cause %q", ev.Fields.Cause, urlCause)
				}
				return
			}
			t.Errorf("scan: no %s finding in\n%s", rule, out)
		})
	}
}
