package scan

import (
	"sync"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// alpnProtocols are the ALPN protocols probed, each offered alone.
var alpnProtocols = []string{"h2", "http/1.1", "http/1.0", "h3", "acme-tls/1", "imap", "pop3", "smtp", "ftp", "xmpp-client"}

// scanALPN offers each protocol alone in the highest version the server
// speaks (TLS 1.2 at most, where the ServerHello carries the choice in
// the clear) and keeps those the server chose, and those it refused with
// a no_application_protocol alert (RFC 7301, Section 3.2).
func scanALPN(r *Result, probe func(*hello) answer) (chosen, refused []string) {
	var v uint16
	var suites []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10 && vr.Version <= wire.VersionTLS12 {
			v, suites = vr.Version, vr.Suites
		}
	}
	if v == 0 {
		return nil, nil
	}
	answers := make([]answer, len(alpnProtocols))
	var wg sync.WaitGroup
	for i, proto := range alpnProtocols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ext, err := wire.ALPNExtension([]string{proto})
			if err != nil {
				return
			}
			answers[i] = probe(&hello{version: v, suites: suites, groups: ecGroups, extra: []wire.Extension{ext}})
		}()
	}
	wg.Wait()
	for i, a := range answers {
		proto := alpnProtocols[i]
		switch {
		case a.outcome == Accepted && len(a.hello.ALPN) == 1 && a.hello.ALPN[0] == proto:
			chosen = append(chosen, proto)
		case a.outcome == Refused && a.hasAlert && a.alert == wire.AlertNoApplicationProtocol:
			refused = append(refused, proto)
		}
	}
	return chosen, refused
}
