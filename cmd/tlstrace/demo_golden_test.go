package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/golden"
)

// scrubs replace what changes from one live run to the next (times,
// durations, ports, dates, certificate hashes) with placeholders.
var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^(#\d+) +\d+\.\d{6}  `), "$1  T  "},
	{regexp.MustCompile(`(?m)^( +)(DNS lookup|TCP connect|TLS handshake|server wait|transfer) .*$`), "$1$2 N ms BAR"},
	{regexp.MustCompile(`\d+\.\d ms`), "N ms"},
	{regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`), "$1:PORT"},
	{regexp.MustCompile(`port \d+ \(#`), "port PORT (#"},
	{regexp.MustCompile(`[0-9a-f]{64}`), "HASH"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "DATE"},
	{regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`), "HTTP-DATE"},
	{regexp.MustCompile(`[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT`), "CURL-DATE"},
}

// scrubLive makes the output of a live run comparable: the placeholders
// above, then the lines after the handshake (marked by the first line
// containing done) sorted, because what the client and the server's
// goroutines emit after it (HTTP events, alerts, HTTP/2 header order)
// interleaves differently from run to run. The handshake itself is
// compared in order. Run 50 times in a row (go test -count=50 -run
// GoldenDemo), the scrubbed output did not change.
func scrubLive(out, done string) string {
	for _, s := range scrubs {
		out = s.re.ReplaceAllString(out, s.with)
	}
	lines := strings.SplitAfter(out, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, done) })
	if i < 0 {
		return out
	}
	// Whether the server's close_notify is read before the connection is
	// torn down is a race too: those lines are left out.
	rest := slices.DeleteFunc(lines[i+1:], func(l string) bool {
		return strings.Contains(l, "close_notify") || strings.Contains(l, "close notify")
	})
	slices.Sort(rest)
	return strings.Join(lines[:i+1], "") + "--- the lines after the handshake, sorted ---\n" + strings.Join(rest, "")
}

// TestGoldenDemo pins tlstrace demo, which runs the live client against an
// in-process server: the events of every live producer (DNS, TCP, the
// tapped handshake, verification, HTTP, timing), scrubbed of what varies.
func TestGoldenDemo(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		done string
	}{
		{"demo-TLSv13-http1.1.txt", []string{"demo", "--http1.1"}, "HandshakeComplete"},
		{"demo-TLSv13-http1.1-curl.txt", []string{"demo", "--http1.1", "--format", "curl"}, "* ALPN: server"},
		{"demo-TLSv13-h2-curl.txt", []string{"demo", "--format", "curl"}, "* ALPN: server"},
		{"demo-TLSv12-http1.1-curl.txt", []string{"demo", "--tls12", "--http1.1", "--format", "curl"}, "* ALPN: server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(append(tc.args, "--color", "never"), &out, &errb); code != exitOK {
				t.Fatalf("tlstrace %s: exit %d\n%s", strings.Join(tc.args, " "), code, errb.String())
			}
			golden.Check(t, filepath.Join(goldenDir, tc.name), []byte(scrubLive(out.String(), tc.done)))
		})
	}
}
