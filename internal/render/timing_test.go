package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestTimingSteps: a connection without TLS (TLS time 0) shows no TLS
// handshake, in the summary, the waterfall, curl's line and the report;
// one with TLS and STARTTLS shows both, and the steps add up to the
// total.
func TestTimingSteps(t *testing.T) {
	ms := time.Millisecond
	plain := &trace.Timing{DNS: 1 * ms, Connect: 2 * ms, TTFB: 10 * ms, Total: 12 * ms}
	tls := &trace.Timing{DNS: 1 * ms, Connect: 2 * ms, StartTLS: 3 * ms, TLS: 4 * ms, TTFB: 15 * ms, Total: 20 * ms}
	for _, c := range []struct {
		name  string
		p     *trace.Timing
		steps []string
		line  string
	}{
		{"plain", plain, []string{"DNS lookup 1ms", "TCP connect 2ms", "server wait 7ms", "transfer 2ms"},
			"DNS 1.0 ms, TCP 2.0 ms, first byte 10.0 ms, total 12.0 ms"},
		{"starttls", tls, []string{"DNS lookup 1ms", "TCP connect 2ms", "STARTTLS 3ms", "TLS handshake 4ms", "server wait 5ms", "transfer 5ms"},
			"DNS 1.0 ms, TCP 2.0 ms, STARTTLS 3.0 ms, TLS 4.0 ms, first byte 15.0 ms, total 20.0 ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, s := range timingSteps(c.p) {
				got = append(got, s.name+" "+s.d.String())
			}
			if strings.Join(got, ", ") != strings.Join(c.steps, ", ") {
				t.Errorf("steps %q, want %q", got, c.steps)
			}
			if l := timingLine(c.p); l != c.line {
				t.Errorf("line %q, want %q", l, c.line)
			}
			if bars := waterfall(c.p); len(bars) != len(c.steps) {
				t.Errorf("%d bars in the report, want %d", len(bars), len(c.steps))
			}
			var b bytes.Buffer
			tx := NewText(&b)
			tx.Event(trace.NewEvent(1, trace.Local, c.p))
			tx.Flush()
			if strings.Contains(b.String(), "TLS handshake") != (c.p.TLS > 0) {
				t.Errorf("text view:\n%s", b.String())
			}
		})
	}
}
