package scan

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Resumption is tried, not inferred from extensions: a full handshake,
// then a second connection offering what the first got (RFC 5246,
// Section 7.3; RFC 5077; RFC 8446, Section 2.2), on the own engine.

// minScanDHBits is the smallest DHE group the engine's handshakes of a
// scan accept: the scan reports small groups (dh-small), it does not
// refuse them.
const minScanDHBits = 512

// minTicketWait is the least time a TLS 1.3 handshake waits for the
// server's tickets after its end (see prober.handshake).
const minTicketWait = 250 * time.Millisecond

// engineSuite12 reports whether the engine's TLS 1.0-1.2 client completes
// suite s: RSA, ECDHE_RSA, ECDHE_ECDSA and DHE_RSA key exchanges with a
// protection tlscrypt has.
func engineSuite12(s uint16) bool {
	if cs, ok := tlscrypt.SuiteByID(s); !ok || cs.TLS13 {
		return false
	}
	n := wire.CipherSuiteName(s)
	for _, prefix := range []string{"TLS_RSA_WITH_", "TLS_ECDHE_RSA_", "TLS_ECDHE_ECDSA_", "TLS_DHE_RSA_"} {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// scanResumption tries session ID and ticket resumption in the highest
// version from TLS 1.0 to 1.2 the server speaks (with the suites it
// accepted there that the engine completes), and PSK resumption in TLS
// 1.3.
func scanResumption(ctx context.Context, r *Result, p *prober, o *Options) []Feature {
	var v uint16
	var suites []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10 && vr.Version <= wire.VersionTLS12 {
			v = vr.Version
			suites = slices.DeleteFunc(slices.Clone(vr.Suites), func(s uint16) bool { return !engineSuite12(s) })
		}
	}
	var out [4]*Feature
	var wg sync.WaitGroup
	if v != 0 {
		cfg := handshake.Config{ServerName: o.ServerName, MinVersion: v, MaxVersion: v, CipherSuites: suites, MinDHBits: minScanDHBits}
		wg.Add(2)
		go func() {
			defer wg.Done()
			out[0] = resumeSessionID(ctx, p, cfg, len(suites) == 0)
		}()
		go func() {
			defer wg.Done()
			out[1] = resumeTicket(ctx, p, cfg, len(suites) == 0)
		}()
	}
	if vr := r.Version(wire.VersionTLS13); vr != nil && vr.Outcome == Accepted {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[2], out[3] = resumePSK(ctx, p, *tls13Config(r, o.ServerName))
		}()
	}
	wg.Wait()
	var fs []Feature
	for _, f := range out {
		if f != nil {
			fs = append(fs, *f)
		}
	}
	return fs
}

// short shows the first bytes of an identifier, and its length.
func short(b []byte) string {
	if len(b) > 8 {
		return fmt.Sprintf("%x… (%d bytes)", b[:8], len(b))
	}
	return fmt.Sprintf("%x (%d bytes)", b, len(b))
}

// fullFailed says why the first, full handshake of a resumption test
// gave nothing to resume.
func fullFailed(f *Feature, fr fullResult) *Feature {
	f.Detail = "the full handshake did not complete: " + reason(answer{outcome: fr.outcome, err: fr.err})
	if !fr.ours && slices.ContainsFunc(serverMessages(fr.received), func(m *wire.Message) bool { return m.Type == wire.TypeCertificateRequest }) {
		// TLS 1.0-1.2: the request is in the clear (RFC 5246, Section
		// 7.4.4), and the scan has no certificate to send.
		f.Detail += ", after the server asked for a client certificate (CertificateRequest), which the scan has none to send"
	}
	return f
}

// serverHelloOf returns the ServerHello among a server's first messages
// (not a HelloRetryRequest).
func serverHelloOf(ms []*wire.Message) *wire.ServerHello {
	for _, m := range ms {
		if m.ServerHello != nil && !m.ServerHello.HelloRetry {
			return m.ServerHello
		}
	}
	return nil
}

// resumeSessionID makes a full handshake offering no session_ticket, so
// that the server can resume only by session ID, then a second one
// offering the session ID the first got.
func resumeSessionID(ctx context.Context, p *prober, cfg handshake.Config, noSuite bool) *Feature {
	f := &Feature{Name: "session_id_resumption", Version: cfg.MaxVersion}
	if noSuite {
		f.Detail = "no suite the server accepted in " + wire.VersionName(cfg.MaxVersion) + " is one tlstrace's engine completes"
		return f
	}
	cfg.Sessions, cfg.NoSessionTickets = handshake.NewSessionCache(1), true
	first := p.handshake(ctx, &cfg, false)
	if first.outcome != Accepted {
		return fullFailed(f, first)
	}
	sh := serverHelloOf(serverMessages(first.received))
	if sh == nil {
		f.Detail = "the ServerHello of the full handshake was not read"
		return f
	}
	f.Known = true
	if len(sh.SessionID) == 0 {
		f.Detail = "the ServerHello of a full handshake has an empty session ID: the server keeps no session to resume by ID"
		return f
	}
	second := p.handshake(ctx, &cfg, false)
	ch, sh2 := clientHello(second.sent), serverHelloOf(serverMessages(second.received))
	switch {
	case ch == nil || !bytes.Equal(ch.SessionID, sh.SessionID):
		f.Known = false
		f.Detail = "the second connection did not offer the session ID " + short(sh.SessionID)
	case second.state.DidResume:
		f.Supported = true
		f.Detail = "a second connection offering the session ID " + short(sh.SessionID) + " was resumed: the server echoed it and sent no certificate"
	case second.outcome == Accepted && sh2 != nil:
		f.Detail = "a second connection offering the session ID " + short(sh.SessionID) + " got a full handshake, with the session ID " + short(sh2.SessionID)
	default:
		f.Known = false
		f.Detail = "the second handshake did not complete: " + reason(answer{outcome: second.outcome, err: second.err})
	}
	return f
}

// resumeTicket makes a full handshake offering an empty session_ticket,
// then a second one offering the ticket the server sent (RFC 5077,
// Section 3.1).
func resumeTicket(ctx context.Context, p *prober, cfg handshake.Config, noSuite bool) *Feature {
	f := &Feature{Name: "ticket_resumption", Version: cfg.MaxVersion}
	if noSuite {
		f.Detail = "no suite the server accepted in " + wire.VersionName(cfg.MaxVersion) + " is one tlstrace's engine completes"
		return f
	}
	cfg.Sessions = handshake.NewSessionCache(1)
	first := p.handshake(ctx, &cfg, false)
	if first.outcome != Accepted {
		return fullFailed(f, first)
	}
	var ticket *wire.NewSessionTicket
	for _, m := range serverMessages(first.received) {
		if m.Ticket != nil {
			ticket = m.Ticket
		}
	}
	f.Known = true
	if ticket == nil || len(ticket.Ticket) == 0 {
		f.Detail = "the server sent no ticket after a full handshake whose hello offered session_ticket"
		return f
	}
	what := "the ticket " + short(ticket.Ticket)
	if ticket.HasLifetime && ticket.Lifetime > 0 {
		what += fmt.Sprintf(", lifetime hint %d s,", ticket.Lifetime)
	}
	second := p.handshake(ctx, &cfg, false)
	switch {
	case second.state.DidResume:
		f.Supported = true
		f.Detail = "a second connection offering " + what + " was resumed: the server sent no certificate"
	case second.outcome == Accepted:
		f.Detail = "a second connection offering " + what + " got a full handshake"
	default:
		f.Known = false
		f.Detail = "the second handshake did not complete: " + reason(answer{outcome: second.outcome, err: second.err})
	}
	return f
}

// resumePSK makes a full TLS 1.3 handshake and reads the tickets the
// server sends after it (RFC 8446, Section 4.6.1), then makes a second
// handshake offering one in pre_shared_key (psk_dhe_ke). The ticket also
// says whether the server takes 0-RTT data (early_data, nil without a
// ticket); none is sent.
func resumePSK(ctx context.Context, p *prober, cfg handshake.Config) (f, early *Feature) {
	f = &Feature{Name: "psk_resumption", Version: wire.VersionTLS13}
	if len(cfg.TLS13Suites) == 0 {
		f.Detail = "not tried: " + noEngineSuite13
		return f, nil
	}
	cfg.Sessions = handshake.NewSessionCache(1)
	first := p.handshake(ctx, &cfg, true)
	if first.outcome != Accepted {
		return fullFailed(f, first), nil
	}
	ticket := ""
	if held := cfg.Sessions.Sessions(); len(held) == 1 && held[0].Version == wire.VersionTLS13 {
		ticket = fmt.Sprintf(" (lifetime %d s)", held[0].Lifetime)
		early = &Feature{Name: "early_data", Version: wire.VersionTLS13, Known: true, Supported: held[0].MaxEarlyData > 0}
		if early.Supported {
			early.Detail = fmt.Sprintf("the server's ticket allows %d bytes of 0-RTT data (max_early_data_size, RFC 8446, Section 4.2.10), which an attacker can replay (Section 8)", held[0].MaxEarlyData)
		} else {
			early.Detail = "the server's ticket has no early_data: it takes no 0-RTT data"
		}
	}
	second := p.handshake(ctx, &cfg, false)
	ch := clientHello(second.sent)
	if ch == nil {
		f.Detail = "the second handshake sent no ClientHello: " + reason(answer{outcome: second.outcome, err: second.err})
		return f, early
	}
	f.Known = true
	sh := serverHelloOf(serverMessages(second.received))
	switch {
	case ch.PSKIdentities == 0 && first.afterAlert != nil:
		f.Known = false
		f.Detail = "the server sent no ticket: after the full handshake it sent alert " + wire.AlertDescription(first.afterAlert.Alert).String()
	case ch.PSKIdentities == 0:
		f.Detail = fmt.Sprintf("the server sent no ticket within %d ms after a full handshake", first.ticketWait.Milliseconds())
	case second.state.DidResume && sh != nil && sh.SelectedPSK:
		f.Supported = true
		f.Detail = "a second handshake offering a ticket of the first" + ticket + " was resumed: the ServerHello selected the pre_shared_key, and no certificate followed"
	case second.outcome == Accepted:
		f.Detail = "a second handshake offering a ticket of the first" + ticket + " got a full handshake: the server did not select the pre_shared_key"
	default:
		f.Known = false
		f.Detail = "the second handshake, offering a ticket, did not complete: " + reason(answer{outcome: second.outcome, err: second.err})
	}
	return f, early
}
