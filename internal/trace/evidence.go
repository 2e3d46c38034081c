package trace

import (
	"errors"
	"fmt"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Evidence is what the decoder of one connection saw go wrong on the wire:
// what a failed connection's cause is read from. Arrays are indexed by the
// Side that sent the bytes.
type Evidence struct {
	// Alert is the first fatal alert each side sent, or else the last
	// alert it sent; only well-formed alerts (both fields set).
	Alert [2]*Alert
	// Framing is the first bytes of each side that could not be framed as
	// a record: a *wire.RecordHeaderError holding them as they were.
	Framing [2]error
	// Truncated is set when a side's bytes ended inside a record or a
	// handshake message.
	Truncated [2]*TruncatedError
	// Length is the first handshake message of each side whose header
	// claims more bytes than a message of its type can hold.
	Length [2]*LengthError
	// Certificates is how many certificates the last Certificate message
	// of each side held (see Sent for whether it sent one).
	Certificates [2]int
	// BadCertificate is the first certificate of each side that does not
	// parse.
	BadCertificate [2]*CertificateError
	// Offered is the versions the client's first ClientHello offered: its
	// supported_versions, or else its legacy_version.
	Offered []uint16
	// ServerName is the host name the client's first ClientHello gave in
	// its server_name extension (SNI), "" when it gave none.
	ServerName string
	// ALPN is the application protocols the client's first ClientHello
	// offered (nil without the extension).
	ALPN []string
	// Chosen is the version the ServerHello chose (0 before one).
	Chosen uint16
	// Data counts the bytes of application data each side sent that were
	// decrypted (or sent in the clear).
	Data [2]int64
	// Warnings counts the warning alerts each side sent, close_notify
	// and user_canceled not counted.
	Warnings [2]int
	// NoRenegotiation reports that a side sent a no_renegotiation alert:
	// it declined the other's request for a new handshake, a HelloRequest
	// or a ClientHello on an established connection (RFC 5746, Sections
	// 4.2 and 4.4; RFC 5246, Section 7.2.2).
	NoRenegotiation [2]bool
	// Received is how each side's bytes arrived: how many, in how many
	// pieces (a live end's reads, a capture's segments), when the first
	// and the last came.
	Received [2]Arrival
	// Ended is when the connection was seen to end, live (Conn.EndedAt);
	// zero before.
	Ended time.Time
	// EndedFirst is, live, how a side had ended the TCP connection
	// before the other side sent its first byte, as the other side's
	// kernel held it then: "" when it had not, "closed" (its FIN had
	// come) or "reset" (its RST had come).
	EndedFirst [2]string
	// messages is the set of handshake message types each side sent.
	messages [2][4]uint64
}

// Arrival is how one side's bytes arrived.
type Arrival struct {
	// Bytes is how many arrived, in Pieces pieces.
	Bytes  int64
	Pieces int
	// First and Last are when the first and the last piece came.
	First, Last time.Time
}

func (a *Arrival) add(at time.Time, n int) {
	if n == 0 {
		return
	}
	if a.Pieces == 0 {
		a.First = at
	}
	a.Bytes += int64(n)
	a.Pieces++
	a.Last = at
}

// Sent reports whether side sent a handshake message of type t.
func (e *Evidence) Sent(side Side, t wire.HandshakeType) bool {
	return side <= Server && e.messages[side][t/64]&(1<<(t%64)) != 0
}

func (e *Evidence) message(side Side, m *wire.Message) {
	e.messages[side][m.Type/64] |= 1 << (m.Type % 64)
	switch {
	case m.Type == wire.TypeClientHello && m.ClientHello != nil && e.Offered == nil:
		if v := m.ClientHello.SupportedVersions; v != nil {
			e.Offered = v
		} else {
			e.Offered = []uint16{m.ClientHello.Version}
		}
		e.ServerName = m.ClientHello.ServerName
		e.ALPN = m.ClientHello.ALPN
	case m.Type == wire.TypeServerHello && m.ServerHello != nil:
		e.Chosen = m.ServerHello.NegotiatedVersion()
	}
	if m.Type == wire.TypeCertificate && m.Certificate != nil {
		e.Certificates[side] = len(m.Certificate.Certs)
		for i, err := range m.Certificate.Errs {
			if err != nil && e.BadCertificate[side] == nil {
				e.BadCertificate[side] = &CertificateError{Side: side, Index: i, Err: err}
			}
		}
	}
}

func (e *Evidence) alert(side Side, a *Alert) {
	if a.Level != nil && a.Description != nil && !a.Fatal() && side <= Server {
		switch wire.AlertDescription(a.Description.Value) {
		case wire.AlertCloseNotify, wire.AlertUserCanceled:
		default:
			e.Warnings[side]++
		}
	}
	if a.Description != nil && wire.AlertDescription(a.Description.Value) == wire.AlertNoRenegotiation && side <= Server {
		e.NoRenegotiation[side] = true
	}
	if old := e.Alert[side]; old == nil || !old.Fatal() {
		e.Alert[side] = a
	}
}

func (e *Evidence) framing(side Side, err error) {
	if e.Framing[side] == nil {
		e.Framing[side] = err
	}
}

// Evidence returns what the decoder has seen go wrong so far.
func (c *Conn) Evidence() Evidence { return c.evidence }

// TruncatedError says that one side's bytes ended inside a record or a
// handshake message.
type TruncatedError struct {
	Side Side
	// Handshake is set when the bytes ended inside a handshake message;
	// otherwise they ended inside a record.
	Handshake bool
	// Seen is how many bytes of it arrived, its header included; Length
	// is its whole length, its header included (the header's length field
	// plus the header), 0 when the header itself was cut.
	Seen, Length int
}

// What is "a record" or "a handshake message".
func (e *TruncatedError) What() string {
	if e.Handshake {
		return "a handshake message"
	}
	return "a record"
}

// Amount says how much of it arrived, counting the bytes its header
// announces apart from the header: "35 of the 65 bytes its header
// announces", or "3 of the 5 bytes of its header" when the header was cut.
func (e *TruncatedError) Amount() string {
	header := wire.RecordHeaderLen
	if e.Handshake {
		header = wire.HandshakeHeaderLen
	}
	return amount(e.Seen, e.Length, header)
}

// amount is TruncatedError.Amount for seen of length bytes (both with a
// header of header bytes; length 0: the header was cut).
func amount(seen, length, header int) string {
	switch {
	case seen < header:
		return fmt.Sprintf("%d of the %d bytes of its header", seen, header)
	case length == 0:
		// A header that gives no length: not one of a record.
		return fmt.Sprintf("%d bytes", seen)
	}
	return fmt.Sprintf("%d of the %d bytes its header announces", seen-header, length-header)
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("the %s's bytes ended inside %s (%s)", e.Side, e.What(), e.Amount())
}

// LengthError says that a handshake message's header claims more bytes
// than a message of its type can hold (wire.MaxBodyLen): its length lies.
// The decoder drops it, with the rest of its record, and reads the next
// record as the start of a new message.
type LengthError struct {
	Side Side
	Type wire.HandshakeType
	// Claimed is the length in the message's header, Max the most its
	// type can hold; Held is how many bytes of its body had come when
	// the header was read.
	Claimed, Max, Held int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("the %s message's header claims %d bytes, more than a %s can hold (%d): its length lies (%d bytes of it came)",
		e.Type, e.Claimed, e.Type, e.Max, e.Held)
}

// CertificateError says that a certificate a side sent does not parse.
type CertificateError struct {
	Side Side
	// Index is the certificate's place in its Certificate message (0 is
	// the leaf).
	Index int
	// Err is why it does not parse (crypto/x509's error).
	Err error
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("the %s's %s does not parse: %v", e.Side, wire.CertificatePlace(e.Index), e.Err)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// truncated describes what is left of direction d when its bytes end.
func (d *direction) truncated() *TruncatedError {
	if b := d.framer.buf; len(b) > 0 {
		t := &TruncatedError{Side: d.side, Seen: len(b)}
		if h, err := wire.ParseRecordHeader(b); err == nil {
			t.Length = wire.RecordHeaderLen + h.Length
		}
		return t
	}
	if _, n, ok := d.hs.held(); ok {
		return &TruncatedError{Side: d.side, Handshake: true, Seen: len(d.hs.buf), Length: n}
	}
	return nil
}

// notTLSError describes the first bytes of a side that no TLS stream starts
// with.
func notTLSError(b []byte) error {
	_, err := wire.ParseRecordHeader(b)
	var he *wire.RecordHeaderError
	if errors.As(err, &he) && he.Problem != wire.HeaderShort {
		return he
	}
	return wire.NewRecordHeaderError(b, wire.HeaderImplausible)
}
