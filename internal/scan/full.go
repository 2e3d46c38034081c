package scan

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Full handshakes: what the first flight of the server does not show (in
// TLS 1.3 everything after the ServerHello is encrypted; resumption needs
// a session) is read from complete handshakes on the project's own engine
// (package handshake), over connections made like every probe's.

// fullResult is the outcome of one full handshake.
type fullResult struct {
	outcome Outcome
	// err says why the handshake did not complete; ours reports that
	// this side stopped it (a check the engine made failed, or it could
	// not go on), which says nothing of the server.
	err   error
	ours  bool
	state handshake.State
	// ticketWait is the longest the tickets were waited for;
	// afterAlert is the alert the server sent meanwhile, if it did.
	ticketWait time.Duration
	afterAlert *handshake.AlertError
	// sent and received are the bytes each way, the first maxRecorded of
	// each, for the evidence the plaintext records give.
	sent, received []byte
}

// maxRecorded bounds the bytes a full handshake keeps of each direction.
const maxRecorded = 1 << 16

// recorder keeps a copy of the first bytes read and written on a
// connection.
type recorder struct {
	net.Conn
	mu             sync.Mutex
	sent, received []byte
	// arrived, once set, is signalled (without blocking) when bytes are
	// read.
	arrived chan struct{}
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.mu.Lock()
	r.received = appendBounded(r.received, b[:n])
	if r.arrived != nil && n > 0 {
		select {
		case r.arrived <- struct{}{}:
		default:
		}
	}
	r.mu.Unlock()
	return n, err
}

// ticketGrace is how long the reading of tickets goes on once the
// server's first bytes after the handshake have come: the rest of the
// record, and a second ticket sent with it.
const ticketGrace = 20 * time.Millisecond

// readTickets reads what the server sends after a TLS 1.3 handshake (its
// NewSessionTickets, RFC 8446, Section 4.6.1, which the engine keeps in
// the session cache) for at most wait, stopping ticketGrace after the
// first bytes come.
func readTickets(hc *handshake.Conn, rec *recorder, wait time.Duration) (alert *handshake.AlertError) {
	rec.mu.Lock()
	rec.arrived = make(chan struct{}, 1)
	rec.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [512]byte
		for {
			_, err := hc.Read(buf[:])
			if err != nil {
				if a, ok := errors.AsType[*handshake.AlertError](err); ok && !a.Sent {
					alert = a
				}
				return
			}
		}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-rec.arrived:
		select {
		case <-time.After(ticketGrace):
		case <-done:
		}
	case <-timer.C:
	case <-done:
	}
	_ = hc.SetReadDeadline(time.Now())
	<-done
	return alert
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.Conn.Write(b)
	r.mu.Lock()
	r.sent = appendBounded(r.sent, b[:n])
	r.mu.Unlock()
	return n, err
}

func appendBounded(dst, b []byte) []byte {
	if room := maxRecorded - len(dst); room < len(b) {
		b = b[:max(room, 0)]
	}
	return append(dst, b...)
}

// handshake runs the engine's client with cfg over a new connection;
// with tickets, it then reads the server's TLS 1.3 tickets (readTickets),
// waiting at most three times the handshake's time (minTicketWait at
// least, the probe's time at most).
func (p *prober) handshake(ctx context.Context, cfg *handshake.Config, tickets bool) fullResult {
	var res fullResult
	a := p.with(ctx, func(conn net.Conn) answer {
		rec := &recorder{Conn: conn}
		hc := handshake.Client(rec, cfg)
		hctx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		start := time.Now()
		err := hc.HandshakeContext(hctx)
		if err == nil {
			res.state = hc.State()
			if tickets {
				res.ticketWait = min(max(3*time.Since(start), minTicketWait), p.timeout)
				res.afterAlert = readTickets(hc, rec, res.ticketWait)
			}
		}
		_ = hc.Close()
		rec.mu.Lock()
		res.sent, res.received = rec.sent, rec.received
		rec.mu.Unlock()
		if err == nil {
			return answer{outcome: Accepted}
		}
		a, ours := engineFailure(err, len(res.received))
		res.ours = ours
		return a
	})
	res.outcome, res.err = a.outcome, a.err
	return res
}

// serverMessages returns the handshake messages in the plaintext records
// at the start of a server's bytes, each decoded in the context its
// ServerHello set: up to its first change_cipher_spec or other record,
// except the change_cipher_spec that follows a HelloRetryRequest (RFC
// 8446, Appendix D.4), after which the ServerHello is still in the clear.
func serverMessages(b []byte) []*wire.Message {
	var out []*wire.Message
	var hs []byte
	ctx := wire.Context{FromServer: true}
	retry := false
	for len(b) >= wire.RecordHeaderLen {
		h, err := wire.ParseRecordHeader(b[:wire.RecordHeaderLen])
		if err != nil || len(b) < wire.RecordHeaderLen+int(h.Length) {
			break
		}
		body := b[wire.RecordHeaderLen : wire.RecordHeaderLen+int(h.Length)]
		b = b[wire.RecordHeaderLen+int(h.Length):]
		if h.Type == wire.ContentChangeCipherSpec && retry {
			retry = false
			continue
		}
		if h.Type != wire.ContentHandshake {
			break
		}
		hs = append(hs, body...)
		for len(hs) >= wire.HandshakeHeaderLen {
			n := wire.HandshakeHeaderLen + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
			if len(hs) < n {
				break
			}
			m := wire.ParseHandshake(ctx, hs[:n])
			hs = hs[n:]
			if m.ServerHello != nil {
				ctx.Version, ctx.CipherSuite = m.ServerHello.NegotiatedVersion(), m.ServerHello.CipherSuite
				retry = m.ServerHello.HelloRetry
			}
			out = append(out, m)
		}
	}
	return out
}

// clientHello returns the ClientHello at the start of a client's bytes,
// nil if they do not hold one.
func clientHello(b []byte) *wire.ClientHello {
	if len(b) < wire.RecordHeaderLen {
		return nil
	}
	h, err := wire.ParseRecordHeader(b[:wire.RecordHeaderLen])
	if err != nil || h.Type != wire.ContentHandshake || len(b) < wire.RecordHeaderLen+int(h.Length) {
		return nil
	}
	return wire.ParseHandshake(wire.Context{}, b[wire.RecordHeaderLen:wire.RecordHeaderLen+int(h.Length)]).ClientHello
}
