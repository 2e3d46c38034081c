package render

import (
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// timingStep is one step of a connection's time, as the waterfalls and
// the summary lines show it.
type timingStep struct {
	name, short string
	d           time.Duration
}

// timingSteps returns the steps of p in order: the DNS lookup, the TCP
// connect, the STARTTLS dialog and the TLS handshake when there were
// (a clear-text http:// request has no handshake: its TLS time is 0, which
// no handshake takes), the server's wait for the first byte and the
// transfer.
func timingSteps(p *trace.Timing) []timingStep {
	steps := []timingStep{{"DNS lookup", "DNS", p.DNS}, {"TCP connect", "TCP", p.Connect}}
	if p.StartTLS > 0 {
		steps = append(steps, timingStep{"STARTTLS", "STARTTLS", p.StartTLS})
	}
	if p.TLS > 0 {
		steps = append(steps, timingStep{"TLS handshake", "TLS", p.TLS})
	}
	at := p.DNS + p.Connect + p.StartTLS + p.TLS
	wait := max(0, p.TTFB-at)
	return append(steps, timingStep{"server wait", "", wait}, timingStep{"transfer", "", max(0, p.Total-at-wait)})
}

// timingLine is the one-line summary of p: each step before the first
// byte, then the time to the first byte and in total.
func timingLine(p *trace.Timing) string {
	var parts []string
	for _, s := range timingSteps(p) {
		if s.short != "" {
			parts = append(parts, s.short+" "+ms(s.d))
		}
	}
	return strings.Join(append(parts, "first byte "+ms(p.TTFB), "total "+ms(p.Total)), ", ")
}
