package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLabSlowStillSending checks what a client says of the slow server,
// which sends one byte a second for as long as it is read: when the time
// runs out it is still sending, and neither the cause, the trace nor the
// hint says it went silent or closed the connection; the figures are the
// pace the bytes came at.
func TestLabSlowStillSending(t *testing.T) {
	servers, ca := startLab(t, "slow")
	code, out, stderr := runCode(servers[0].URL, "--cacert", ca, "-m", "5s")
	if code != exitTLS {
		t.Fatalf("exit %d, want %d\n%s", code, exitTLS, stderr)
	}
	m := regexp.MustCompile(`timed out after 5s: the server is still sending, one byte about every (second|[0-9.]+ s) \((\d+) bytes in ([0-9.]+) s, the last ([0-9.]+) s before the limit\)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("cause does not say the server is still sending:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[2])
	span, _ := strconv.ParseFloat(m[3], 64)
	last, _ := strconv.ParseFloat(m[4], 64)
	// One byte a second over 5 s: its first about 1 s in.
	if n < 3 || n > 6 || span < 2 || span > 5 || last > 1.5 {
		t.Errorf("figures %q do not fit one byte a second over 5 s", m[0])
	}
	for _, wrong := range []string{"then nothing", "check that the server answers", "the connection ended inside", "closed the connection in the middle"} {
		if strings.Contains(stderr+out, wrong) {
			t.Errorf("output says %q:\n%s%s", wrong, out, stderr)
		}
	}
	if !strings.Contains(out, "the rest of a record was not read: the client closed the connection first") {
		t.Errorf("the partial record does not say the client closed first:\n%s", out)
	}
	if !strings.Contains(stderr, "hint: the server answers, but too slowly: raise -m/--max-time") {
		t.Errorf("hint:\n%s", stderr)
	}
}
