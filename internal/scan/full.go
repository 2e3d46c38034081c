package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

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
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.mu.Lock()
	r.received = appendBounded(r.received, b[:n])
	r.mu.Unlock()
	return n, err
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
// after, when set, runs once the handshake has succeeded (to read
// tickets).
func (p *prober) handshake(ctx context.Context, cfg *handshake.Config, after func(*handshake.Conn)) fullResult {
	var res fullResult
	a := p.with(ctx, func(conn net.Conn) answer {
		rec := &recorder{Conn: conn}
		hc := handshake.Client(rec, cfg)
		hctx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		err := hc.HandshakeContext(hctx)
		if err == nil {
			res.state = hc.State()
			if after != nil {
				after(hc)
			}
		}
		_ = hc.Close()
		rec.mu.Lock()
		res.sent, res.received = rec.sent, rec.received
		rec.mu.Unlock()
		var alert *handshake.AlertError
		switch {
		case err == nil:
			return answer{outcome: Accepted}
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
			return answer{outcome: TimedOut, err: fmt.Errorf("no answer in time: %w", err)}
		case errors.As(err, &alert) && !alert.Sent:
			d := wire.AlertDescription(alert.Alert)
			return answer{outcome: Refused, alert: d, hasAlert: true, err: fmt.Errorf("alert %s", d)}
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
			return answer{outcome: Refused, err: errors.New("the server closed the connection")}
		}
		res.ours = true
		return answer{outcome: Refused, err: err}
	})
	res.outcome, res.err = a.outcome, a.err
	return res
}
