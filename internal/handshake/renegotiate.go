package handshake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Renegotiation is how a server answered a client-initiated
// renegotiation (Conn.Renegotiate).
type Renegotiation struct {
	// Accepted reports that the server answered the new ClientHello with
	// a ServerHello: it goes on with the new handshake.
	Accepted bool
	// Secure reports, when Accepted, that the ServerHello's
	// renegotiation_info holds the verify_data of both Finished messages
	// of the connection, as RFC 5746, Section 3.5 requires.
	Secure bool
	// Alert is the alert the server answered with, when HasAlert; Fatal
	// says its level.
	Alert    wire.AlertDescription
	HasAlert bool
	Fatal    bool
	// Completed reports that the new handshake ran to the server's
	// Finished: the connection goes on under its keys.
	Completed bool
	// Closed reports that the server closed the connection without an
	// alert; Reset that it did so with a TCP RST (Closed is then set
	// too); TimedOut that it sent nothing before the context's end.
	Closed, Reset, TimedOut bool
}

// maxRenegotiationRecords bounds the records read for the answer to a
// renegotiation (application data, empty records) before one is seen.
const maxRenegotiationRecords = 16

// Renegotiate asks the server of an established TLS 1.0-1.2 connection
// for a new handshake (client-initiated renegotiation, RFC 5246, Section
// 7.4.1.2) and runs it: a ClientHello under the connection's keys, with
// renegotiation_info carrying the client's verify_data (RFC 5746,
// Section 3.5), then, when the server answers with a ServerHello, the
// handshake to its Finished, after which the connection goes on under the
// new keys (Completed). An error after the ServerHello comes with the
// answer (Accepted); the connection is then unusable, as it is when the
// server refused.
func (c *Conn) Renegotiate(ctx context.Context) (*Renegotiation, error) {
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	c.hsMu.Lock()
	defer c.hsMu.Unlock()
	c.inMu.Lock()
	defer c.inMu.Unlock()
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if !c.isClient || c.state.Version == VersionTLS13 || c.clientVerify == nil {
		return nil, errors.New("tls: renegotiation needs a TLS 1.0-1.2 client connection")
	}
	if c.closeSent || c.readErr != nil {
		return nil, errClosed
	}
	stop := c.watch(ctx)
	defer stop()
	c.handshaking = true
	defer func() { c.handshaking = false }()
	r, err := c.renegotiate(ctx)
	if err != nil || !r.Completed {
		// The connection ends here for its user.
		c.readErr, c.closeSent = errClosed, true
	}
	c.transcript = transcript{}
	return r, err
}

// renegotiate runs Renegotiate's handshake; the caller holds the
// connection.
func (c *Conn) renegotiate(ctx context.Context) (*Renegotiation, error) {
	c.transcript = transcript{}
	hs, err := c.makeClientHello()
	if err != nil {
		return nil, err
	}
	if err := c.writeHandshake(hs.helloRaw); err != nil {
		return nil, err
	}
	for range maxRenegotiationRecords {
		raw, ok, err := c.nextBufferedMessage()
		if err != nil {
			return nil, err
		}
		if ok {
			m, err := c.decodeServerHello(raw)
			if err != nil {
				return nil, err
			}
			r := &Renegotiation{Accepted: true}
			got, found := findExtension(m.ServerHello.Extensions, wire.ExtRenegotiationInfo)
			s := cryptobyte.String(got)
			var inner cryptobyte.String
			r.Secure = found && s.ReadUint8LengthPrefixed(&inner) && s.Empty() &&
				bytes.Equal(inner, append(bytes.Clone(c.clientVerify), c.serverVerify...))
			if err := c.continueBelow13(ctx, hs, raw, m); err != nil {
				return r, err
			}
			r.Completed = true
			return r, nil
		}
		typ, data, err := c.readOneRecord()
		var ne interface{ Timeout() bool }
		switch {
		case err == nil:
		case errors.Is(err, syscall.ECONNRESET):
			return &Renegotiation{Closed: true, Reset: true}, nil
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return &Renegotiation{Closed: true}, nil
		case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			return &Renegotiation{TimedOut: true}, nil
		default:
			return nil, err
		}
		switch typ {
		case recordAlert:
			if len(data) != 2 {
				return nil, fmt.Errorf("tls: an alert of %d bytes", len(data))
			}
			return &Renegotiation{Alert: wire.AlertDescription(data[1]), HasAlert: true, Fatal: wire.AlertLevel(data[0]) != wire.AlertWarning}, nil
		case recordHandshake:
			c.in.hsBuf = append(c.in.hsBuf, data...)
		}
	}
	return nil, fmt.Errorf("tls: no answer to the renegotiation's ClientHello in %d records", maxRenegotiationRecords)
}
