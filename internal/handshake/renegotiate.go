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
	// Closed reports that the server closed the connection without an
	// alert; TimedOut that it sent nothing before the context's end.
	Closed, TimedOut bool
}

// maxRenegotiationRecords bounds the records read for the answer to a
// renegotiation (application data, empty records) before one is seen.
const maxRenegotiationRecords = 16

// Renegotiate asks the server of an established TLS 1.0-1.2 connection
// for a new handshake (client-initiated renegotiation, RFC 5246, Section
// 7.4.1.2): it sends a ClientHello under the connection's keys, offering
// the connection's suite with renegotiation_info carrying the client's
// verify_data (RFC 5746, Section 3.5), and reads the server's answer. It
// goes no further than the ServerHello: the new handshake is not
// completed, and the connection is not usable afterwards (close it).
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
	random := make([]byte, 32)
	if _, err := io.ReadFull(c.rand(), random); err != nil {
		return nil, fmt.Errorf("tls: making the client random: %w", err)
	}
	ri, err := wire.RenegotiationInfoExtension(c.clientVerify)
	if err != nil {
		return nil, err
	}
	exts := []wire.Extension{ri}
	if name := sniName(c.cfg.ServerName); name != "" {
		e, err := wire.ServerNameExtension(name)
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
	if g, err := wire.SupportedGroupsExtension(c.groups()); err == nil {
		exts = append(exts, g, wire.ECPointFormatsExtension())
	}
	if c.state.Version == VersionTLS12 {
		e, err := wire.SignatureAlgorithmsExtension(uint16(wire.ExtSignatureAlgorithms), c.signatureSchemes())
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
	if c.state.ExtendedMasterSecret {
		exts = append(exts, wire.EmptyExtension(wire.ExtExtendedMasterSecret))
	}
	msg, err := (&wire.ClientHello{Version: c.state.Version, Random: random, CipherSuites: []uint16{c.state.CipherSuite}, Extensions: exts}).Marshal()
	if err != nil {
		return nil, err
	}
	stop := c.watch(ctx)
	defer stop()
	// The connection ends here for its user, whatever the answer.
	c.readErr, c.closeSent = errClosed, true
	if err := c.writeRecord(recordHandshake, msg); err != nil {
		return nil, err
	}
	var hs []byte
	for range maxRenegotiationRecords {
		typ, data, err := c.readOneRecord()
		var ne interface{ Timeout() bool }
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
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
			hs = append(hs, data...)
			if len(hs) < wire.HandshakeHeaderLen {
				continue
			}
			n := wire.HandshakeHeaderLen + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
			if len(hs) < n {
				continue
			}
			m := wire.ParseHandshake(wire.Context{FromServer: true}, hs[:n])
			if m.Type != wire.TypeServerHello || m.ServerHello == nil {
				return nil, fmt.Errorf("tls: the server answered the renegotiation's ClientHello with %s", m.Type)
			}
			want := append(bytes.Clone(c.clientVerify), c.serverVerify...)
			got, ok := findExtension(m.ServerHello.Extensions, wire.ExtRenegotiationInfo)
			s := cryptobyte.String(got)
			var inner cryptobyte.String
			secure := ok && s.ReadUint8LengthPrefixed(&inner) && s.Empty() && bytes.Equal(inner, want)
			return &Renegotiation{Accepted: true, Secure: secure}, nil
		}
	}
	return nil, fmt.Errorf("tls: no answer to the renegotiation's ClientHello in %d records", maxRenegotiationRecords)
}
