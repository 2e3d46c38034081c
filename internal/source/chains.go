package source

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Chains says how the certificate chains of a capture are verified, at the
// time of the packet that completed their Certificate message: a server's
// as the live client verifies it (chain.Peer), for the host name of the
// ClientHello's SNI; a client's as serve does, for clientAuth. Each
// distinct chain is verified once for a name and a second of capture time
// (the precision of the explanation), so a capture of many connections to
// one server costs one verification per second, whatever the number of
// connections.
type Chains struct {
	// Roots are the trusted CAs; nil means the system's.
	Roots []*x509.Certificate
	// TrustWith words how the user trusts a CA (chain.Options.TrustWith).
	TrustWith string

	mu    sync.Mutex
	cache map[[sha256.Size]byte]*verified
	// verifications counts the chains verified (not found in the cache).
	verifications int
}

// verified is a chain's verification: the events every connection that
// sent it shows, as templates.
type verified struct {
	events []*trace.Event
}

// maxVerified bounds the verifications kept (all are dropped when it is
// reached: a capture's connections come in time order, so the ones that
// matter are those of the last seconds).
const maxVerified = 256

// chainState is what a connection told so far about its chain.
type chainState struct {
	hello, hasSNI bool
	sni           string
	// tls13 is set when the server chose TLS 1.3 with a certificate
	// (no PSK): its chain is encrypted.
	tls13 bool
	// seen is set once the server's Certificate came, said once the
	// connection was told its chain could not be read, gap when bytes of
	// the server's were missing before its Certificate, gapFrags when
	// some of those were in IP fragments that could not be reassembled.
	seen, said, gap, gapFrags bool
	// client is set once the client's certificate came, until the
	// server's next CertificateRequest.
	client bool
}

// chainEvents is the decoder's hook: it follows each connection's
// ClientHello and ServerHello and returns the explanation of the server's
// chain after its Certificate message, or, for a TLS 1.3 chain the
// secrets do not decrypt, says once that it could not be verified.
func (d *decoder) chainEvents(ev *trace.Event) []*trace.Event {
	if (ev.Layer != trace.LayerTLS && ev.Layer != trace.LayerTCP) || ev.From == trace.Local {
		return nil
	}
	st := d.chainStates[ev.Conn]
	if st == nil {
		st = &chainState{}
		d.chainStates[ev.Conn] = st
	}
	if ev.Layer == trace.LayerTCP {
		if ev.Type == trace.TypeGap && ev.From == trace.Server && !st.seen {
			st.gap = true
			if p, ok := ev.Payload.(*trace.TCPSegment); ok && p.Unreassembled.Datagrams > 0 {
				st.gapFrags = true
			}
		}
		return nil
	}
	switch p := ev.Payload.(type) {
	case *trace.Message:
		switch {
		case p.ClientHello != nil && ev.From == trace.Client:
			// A new handshake (or a renegotiation): a new chain.
			*st = chainState{hello: true, hasSNI: p.ClientHello.HasServerName, sni: p.ClientHello.ServerName}
		case p.ServerHello != nil && !p.ServerHello.HelloRetry && ev.From == trace.Server:
			v := p.ServerHello.Version()
			st.tls13 = v != nil && v.Value == tls.VersionTLS13 && !p.ServerHello.SelectedPSK
		case p.Certificate != nil && ev.From == trace.Server && !st.seen:
			st.seen = true
			return d.opts.Chains.events(ev, st, p.Certificate.DER, false)
		case ev.Type == typeCompressedCertificate && ev.From == trace.Server && !st.seen:
			st.seen = true
			return []*trace.Event{notVerified(ev, st, "the server sent its certificate chain compressed (RFC 8879), which tlstrace does not decompress: it could not be verified", "")}
		case p.CertificateRequest != nil && ev.From == trace.Server:
			// Each request has its own answer: a TLS 1.3 server may ask
			// again after the handshake (RFC 8446, Section 4.6.2), and
			// the client may then send another chain.
			st.client = false
		case p.Certificate != nil && ev.From == trace.Client && len(p.Certificate.DER) > 0 && !st.client:
			// A client certificate: checked as the server (serve) checks
			// one, for clientAuth, with no name.
			st.client = true
			return d.opts.Chains.events(ev, st, p.Certificate.DER, true)
		}
	case *trace.Data:
		if ev.Type == trace.TypeEncryptedRecord && ev.From == trace.Server && st.tls13 && !st.seen && !st.said {
			st.said = true
			if st.gap {
				missing := "are missing from the capture"
				if st.gapFrags {
					missing = "were in IP fragments that could not be reassembled"
				}
				return []*trace.Event{notVerified(ev, st, "the server's certificate chain is encrypted (TLS 1.3), and bytes of the server's handshake "+missing+": it could not be verified",
					"capture the connection again, whole")}
			}
			return []*trace.Event{notVerified(ev, st, "the server's certificate chain is encrypted (TLS 1.3) and the secrets given do not decrypt it: it could not be verified",
				"read the capture with this connection's secrets (the key log its client or server wrote, as SSLKEYLOGFILE names it)")}
		}
	}
	return nil
}

// typeCompressedCertificate is the event type of a CompressedCertificate
// message (RFC 8879), as in the JSON contract.
const typeCompressedCertificate = "compressed_certificate"

// notVerified is the verify event of a server's chain that could not be
// read, at the time and frame of ev, saying why and what to do.
func notVerified(ev *trace.Event, st *chainState, why, fix string) *trace.Event {
	out := trace.NewEvent(ev.Conn, trace.Local, &trace.Verify{Host: st.sni, Verdict: "not verified", At: ev.Time, Fix: fix})
	out.Time, out.Frame = ev.Time, ev.Frame
	out.Error = why
	return out
}

// events explains the chain der that the Certificate message ev carried:
// a server's, or with client set a client's.
func (c *Chains) events(ev *trace.Event, st *chainState, der [][]byte, client bool) []*trace.Event {
	at := ev.Time
	name := st.sni
	if client {
		name = ""
	}
	// The key: the chain's bytes, the name and the second, hashed.
	h := sha256.New()
	var b [8]byte
	for _, d := range der {
		h.Write(binary.BigEndian.AppendUint32(b[:0], uint32(len(d))))
		h.Write(d)
	}
	h.Write(binary.BigEndian.AppendUint32(b[:0], uint32(len(name))))
	h.Write([]byte(name))
	h.Write(binary.BigEndian.AppendUint64(b[:0], uint64(at.Unix())))
	// Certificates' times are whole seconds: every time of a second after
	// its start gives the same verdict and the same words.
	if at.Nanosecond() != 0 {
		h.Write([]byte{1})
	}
	switch {
	case client:
		h.Write([]byte{2})
	case !st.hello:
		// No name for want of a ClientHello, not of SNI: another note.
		h.Write([]byte{3})
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	v := c.cache[key]
	c.mu.Unlock()
	if v == nil {
		if client {
			v = c.verifyClient(at, der)
		} else {
			v = c.verify(at, st, der)
		}
		c.mu.Lock()
		if c.cache == nil || len(c.cache) >= maxVerified {
			c.cache = map[[sha256.Size]byte]*verified{}
		}
		c.cache[key] = v
		c.verifications++
		c.mu.Unlock()
	}
	out := make([]*trace.Event, len(v.events))
	for i, t := range v.events {
		// The payloads and fields are shared: no one modifies an
		// emitted event's.
		e := *t
		e.Conn, e.Time, e.Frame = ev.Conn, ev.Time, ev.Frame
		// Its own time; the words (to the second) are the same.
		switch p := e.Payload.(type) {
		case *trace.Verify:
			vp := *p
			vp.At = at
			e.Payload = &vp
		case *trace.Verdict:
			vp := *p
			vp.At = at
			e.Payload = &vp
		}
		out[i] = &e
	}
	return out
}

// verify verifies a chain at a time, for the name of st, and returns its
// events.
func (c *Chains) verify(at time.Time, st *chainState, der [][]byte) *verified {
	var notes []string
	switch {
	case !st.hello:
		notes = append(notes, "no host name was checked: the capture holds no ClientHello of this connection")
	case !st.hasSNI:
		notes = append(notes, "no host name was checked: the ClientHello sent no server_name (SNI)")
	}
	certs, err := parse(der)
	if err != nil {
		p := &trace.Verify{Host: st.sni, Chain: []trace.CertSummary{}, Verdict: "not trusted", At: at, Notes: notes}
		for _, c := range certs {
			p.Chain = append(p.Chain, chain.Summary(c))
		}
		ev := trace.NewEvent(0, trace.Local, p)
		ev.Error = err.Error()
		return &verified{events: []*trace.Event{ev}}
	}
	r, links, p := chain.Peer(0, certs, chain.Options{Name: st.sni, Roots: c.Roots, At: at, TrustWith: c.TrustWith,
		Clock: clock})
	p.At, p.Notes = at, notes
	var errText string
	switch {
	case r == nil:
		p.Verdict = "not trusted"
		errText = "the server sent no certificate"
	case r.Valid:
		p.Verdict, p.Trusted = "trusted", true
	default:
		p.Verdict, p.Fix = "not trusted", r.Fix
		errText = r.Cause
	}
	ev := trace.NewEvent(0, trace.Local, p)
	ev.Error = errText
	return &verified{events: append(links, ev)}
}

// verifyClient verifies a client's chain at a time, as serve does (links
// and a verdict), and returns its events.
func (c *Chains) verifyClient(at time.Time, der [][]byte) *verified {
	certs, err := parse(der)
	if err != nil {
		ev := trace.NewEvent(0, trace.Local, &trace.Verdict{At: at, Cause: err.Error()})
		ev.Error = err.Error()
		return &verified{events: []*trace.Event{ev}}
	}
	r := chain.Verify(certs[0], chain.Options{Roots: c.Roots, Intermediates: certs[1:], At: at, TrustWith: c.TrustWith,
		Purpose: x509.ExtKeyUsageClientAuth, Clock: clock})
	return &verified{events: r.Events(0)}
}

// clock is the clock a capture's times come from, for the fixes that say
// to check it.
const clock = "the clock of the machine that made the capture"

// parse parses the certificates of a chain, up to the first that does
// not parse (the error says which).
func parse(der [][]byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for i, b := range der {
		// Parsed from a copy: the message's bytes are lent, and a
		// certificate keeps slices of what it was parsed from.
		cert, err := x509.ParseCertificate(append([]byte(nil), b...))
		if err != nil {
			return certs, fmt.Errorf("%s of the chain does not parse: %w", wire.CertificatePlace(i), err)
		}
		certs = append(certs, cert)
	}
	return certs, nil
}
