// Package failure reads the cause of a failed TLS handshake from what the
// decoder saw on the wire (trace.Evidence), for either end: the client
// (tlstrace URL, connect) and the server (tlstrace serve) each turn a
// Finding into their own advice.
package failure

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"syscall"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// AlertError is an alert seen on the wire that ended a handshake or a
// connection: From sent it.
type AlertError struct {
	From  trace.Side
	Alert *trace.Alert
}

func (e *AlertError) Error() string {
	return fmt.Sprintf("the %s sent a %s %s alert", e.From, e.Alert.Level.Name, e.Alert.Description.Name)
}

// Description is the alert's description, to compare with wire's constants.
func (e *AlertError) Description() wire.AlertDescription {
	return wire.AlertDescription(e.Alert.Description.Value)
}

// Name is the alert's description as RFC 8446 names it (unknown_ca).
func (e *AlertError) Name() string { return e.Alert.Description.Name }

// ErrorAlert returns the alert side sent that is an error (RFC 8446,
// Section 6.2: every alert but close_notify and user_canceled), or nil.
func ErrorAlert(ev *trace.Evidence, side trace.Side) *AlertError {
	a := ev.Alert[side]
	if a == nil || a.Level == nil || a.Description == nil {
		return nil
	}
	switch wire.AlertDescription(a.Description.Value) {
	case wire.AlertCloseNotify, wire.AlertUserCanceled:
		return nil
	}
	return &AlertError{From: side, Alert: a}
}

// cause is a failure explained in plain words. It keeps what it explains:
// the evidence seen on the wire (an *AlertError, a *wire.RecordHeaderError,
// a *trace.TruncatedError) and the TLS stack's error, for errors.As.
type cause struct {
	msg  string
	errs []error
}

func (c *cause) Error() string   { return c.msg }
func (c *cause) Unwrap() []error { return c.errs }

// Explained returns an error saying msg that wraps errs (nil ones left
// out).
func Explained(msg string, errs ...error) error {
	var kept []error
	for _, e := range errs {
		if e != nil {
			kept = append(kept, e)
		}
	}
	return &cause{msg: msg, errs: kept}
}

// Kind is what ended a handshake, as the wire shows it.
type Kind int

const (
	// Unknown: nothing on the wire explains the failure.
	Unknown Kind = iota
	// PeerAlert: the peer sent an error alert (Finding.Alert).
	PeerAlert
	// PlainHTTP: the peer's bytes are plain HTTP (Finding.Header).
	PlainHTTP
	// Oversized: the peer sent a record longer than TLS allows.
	Oversized
	// Corrupt: after its hello, the peer sent bytes that are not a record.
	Corrupt
	// SSLv2: the server answered with an SSL 2.0 SERVER-HELLO
	// (Finding.Header).
	SSLv2
	// NotTLS: the peer's first bytes are not TLS.
	NotTLS
	// Truncated: the peer closed the connection (or reset it) inside a
	// record or a handshake message (Finding.Truncated).
	Truncated
	// LocalAlert: the local end ended the handshake with an error alert
	// (Finding.Alert): it refused something the peer sent.
	LocalAlert
	// TimedOut: the handshake did not end in time.
	TimedOut
	// BadCertificate: a certificate the peer sent does not parse
	// (Finding.Certificate).
	BadCertificate
	// Reset: the peer reset the connection between records.
	Reset
	// Closed: the peer closed the connection between records.
	Closed
	// BadLength: a handshake message of the peer claims more bytes than
	// its type can hold (Finding.Length).
	BadLength
	// DeclinedRenegotiation: after a completed handshake the peer asked
	// for a new one, the local end declined it with a no_renegotiation
	// alert, and the session ended there: the peer ended it with an
	// error alert (Finding.Alert) or by closing the connection, or the
	// local end's TLS stack ended it itself (crypto/tls does once it
	// has declined).
	DeclinedRenegotiation
)

// Finding is the cause of a failed handshake read from the wire.
type Finding struct {
	Kind Kind
	// Local is the end that failed; the peer is Local.Other().
	Local trace.Side
	// Alert is the alert of PeerAlert and LocalAlert.
	Alert *AlertError
	// Header holds the peer's bytes of PlainHTTP, Oversized, Corrupt and
	// NotTLS.
	Header *wire.RecordHeaderError
	// Truncated says where the peer's bytes ended.
	Truncated *trace.TruncatedError
	// Certificate is the peer's certificate of BadCertificate.
	Certificate *trace.CertificateError
	// Length is the peer's handshake message of BadLength.
	Length *trace.LengthError
	// Trickle is set on TimedOut when the peer was still sending when
	// the time ran out, a few bytes at a time.
	Trickle *Trickle
	// Err is the TLS stack's error.
	Err error
}

// Trickle says that a side was still sending when the other end's time
// ran out: its bytes came in small pieces at a steady pace, the last of
// them no longer before the end than the pace explains. Such a peer does
// answer, too slowly: it neither went silent nor closed.
type Trickle struct {
	Side    trace.Side
	Arrival trace.Arrival
	// End is when the other end gave up.
	End time.Time
}

// NewTrickle returns the Trickle of side's bytes in ev, or nil when they
// do not show one: fewer than three pieces, or a pause since the last
// longer than twice the pace (and than a second): the side stopped.
func NewTrickle(side trace.Side, ev *trace.Evidence) *Trickle {
	if side > trace.Server || ev.Ended.IsZero() {
		return nil
	}
	a := ev.Received[side]
	if a.Pieces < 3 {
		return nil
	}
	t := &Trickle{Side: side, Arrival: a, End: ev.Ended}
	if quiet := t.End.Sub(a.Last); quiet > max(2*t.Interval(), time.Second) {
		return nil
	}
	return t
}

// Interval is the mean time between two pieces.
func (t *Trickle) Interval() time.Duration {
	return t.Arrival.Last.Sub(t.Arrival.First) / time.Duration(t.Arrival.Pieces-1)
}

func (t *Trickle) Error() string {
	a := t.Arrival
	per := int64(math.Round(float64(a.Bytes) / float64(a.Pieces)))
	what := "one byte"
	if per > 1 {
		what = fmt.Sprintf("about %d bytes", per)
	}
	every := "every " + seconds(t.Interval())
	if every == "every 1.0 s" {
		every = "every second"
	}
	return fmt.Sprintf("the %s is still sending, %s about %s (%d bytes in %s, the last %s before the limit)",
		t.Side, what, every, a.Bytes, seconds(a.Last.Sub(a.First)), seconds(t.End.Sub(a.Last)))
}

// seconds writes d in whole seconds ("30 s"), or in tenths under 10 s.
func seconds(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d s", (d+time.Second/2)/time.Second)
}

// Read reads the cause of a handshake that local failed with err from what
// the decoder saw on the wire (ev): the alert the peer sent, bytes of the
// peer that were not TLS records, where the peer's bytes ended, the alert
// local sent; then what err is (a time-out, a reset, an end of the stream,
// crypto/tls's typed record header error).
func Read(local trace.Side, err error, ev *trace.Evidence) Finding {
	peer := local.Other()
	f := Finding{Local: local, Err: err}
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	reset := errors.Is(err, syscall.ECONNRESET)
	if declinedRenegotiation(local, ev, closed || reset) {
		f.Kind, f.Alert = DeclinedRenegotiation, ErrorAlert(ev, peer)
		return f
	}
	if a := ErrorAlert(ev, peer); a != nil {
		f.Kind, f.Alert = PeerAlert, a
		return f
	}
	var he *wire.RecordHeaderError
	if errors.As(ev.Framing[peer], &he) {
		f.header(he, ev)
		if tr := ev.Truncated[peer]; f.Kind == Oversized && tr != nil && !tr.Handshake && tr.Length == 0 && tr.Seen >= wire.RecordHeaderLen {
			// The peer's bytes ended held behind the header refused:
			// a header of 5 bytes or more that gives no length.
			f.Truncated = tr
		}
		return f
	}
	// A length that lies explains what the local end did about it (an
	// alert, a wait for bytes that never come).
	if le := ev.Length[peer]; le != nil {
		f.Kind, f.Length = BadLength, le
		return f
	}
	// A certificate that does not parse explains what follows it:
	// crypto/tls reads the next message before it checks the
	// certificate, so the peer's close or silence comes first.
	if ce := ev.BadCertificate[peer]; ce != nil {
		f.Kind, f.Certificate = BadCertificate, ce
		return f
	}
	if tr := ev.Truncated[peer]; tr != nil && (closed || reset) {
		f.Kind, f.Truncated = Truncated, tr
		return f
	}
	if a := ErrorAlert(ev, local); a != nil && !timedOut {
		f.Kind, f.Alert = LocalAlert, a
		return f
	}
	var rh tls.RecordHeaderError
	switch {
	case timedOut:
		// Where the peer's bytes stopped, if inside a record, and
		// whether they were still coming.
		f.Kind, f.Truncated, f.Trickle = TimedOut, ev.Truncated[peer], NewTrickle(peer, ev)
	case reset:
		f.Kind = Reset
	case closed:
		f.Kind = Closed
	case errors.As(err, &rh):
		// Bytes crypto/tls refused that the decoder did not see.
		f.header(wire.NewRecordHeaderError(rh.RecordHeader[:], wire.HeaderImplausible), ev)
	}
	return f
}

// declinedRenegotiation reports whether the session ended because local
// declined to renegotiate: the handshake had completed (both Finished
// seen), local then sent a no_renegotiation alert, and what came next
// ended the session: the peer's error alert, its close (peerClosed), or
// the local end's own end of it, the no_renegotiation being the last error
// alert local sent.
func declinedRenegotiation(local trace.Side, ev *trace.Evidence, peerClosed bool) bool {
	if !ev.NoRenegotiation[local] || !ev.Sent(trace.Client, wire.TypeFinished) || !ev.Sent(trace.Server, wire.TypeFinished) {
		return false
	}
	if ErrorAlert(ev, local.Other()) != nil || peerClosed {
		return true
	}
	a := ErrorAlert(ev, local)
	return a != nil && a.Description() == wire.AlertNoRenegotiation
}

func (f *Finding) header(he *wire.RecordHeaderError, ev *trace.Evidence) {
	f.Header = he
	hello := wire.TypeServerHello
	if f.Local == trace.Server {
		hello = wire.TypeClientHello
	}
	switch {
	case isHTTP(he.Header):
		f.Kind = PlainHTTP
	case he.Problem == wire.HeaderOversized:
		f.Kind = Oversized
	case ev.Sent(f.Local.Other(), hello):
		f.Kind = Corrupt
	case f.Local == trace.Client && wire.IsSSLv2ServerHello(he.Header):
		f.Kind = SSLv2
	default:
		f.Kind = NotTLS
	}
}

// Cause is the finding in plain words, naming the peer, or "" for the
// kinds each end explains in its own terms (PeerAlert, LocalAlert,
// Unknown).
func (f *Finding) Cause() string {
	peer := f.Local.Other()
	switch f.Kind {
	case PlainHTTP:
		if peer == trace.Server {
			return "the server answered in plain HTTP, not TLS"
		}
		return "the client sent plain HTTP, not TLS"
	case Oversized:
		msg := fmt.Sprintf("the %s sent a record header that claims %d bytes, more than TLS allows (%s)", peer, f.Header.Length(), f.Header.LimitRule())
		if tr := f.Truncated; tr != nil {
			// What came of the record: its header, which gives no
			// length the decoder framed, and what followed it.
			msg += fmt.Sprintf(": %d bytes of the record came after its header", tr.Seen-wire.RecordHeaderLen)
		}
		return msg
	case Corrupt:
		return fmt.Sprintf("the %s sent bytes that are not a TLS record during the handshake (header %q)", peer, f.Header.Header)
	case SSLv2:
		return "the server answered in SSL 2.0 (a SERVER-HELLO), which no TLS client speaks"
	case NotTLS:
		if peer == trace.Server {
			return fmt.Sprintf("the server did not answer with TLS (first bytes %q)", f.Header.Header)
		}
		return fmt.Sprintf("the client did not speak TLS (first bytes %q)", f.Header.Header)
	case Truncated:
		return fmt.Sprintf("the %s closed the connection in the middle of %s (it sent %s)", peer, f.Truncated.What(), f.Truncated.Amount())
	case BadLength:
		le := f.Length
		return fmt.Sprintf("the %s's %s message claims %d bytes in its header, more than a %s can hold (%d): the length lies (%d bytes of it came)",
			peer, le.Type, le.Claimed, le.Type, le.Max, le.Held)
	case BadCertificate:
		return fmt.Sprintf("the %s sent a certificate that does not parse (%s of its Certificate message: %v)", peer, wire.CertificatePlace(f.Certificate.Index), f.Certificate.Err)
	case TimedOut:
		if f.Trickle != nil {
			return "the TLS handshake timed out: " + f.Trickle.Error()
		}
		if tr := f.Truncated; tr != nil {
			return fmt.Sprintf("the TLS handshake timed out: the %s sent only part of %s (%s), then nothing", peer, tr.What(), tr.Amount())
		}
		return "the TLS handshake timed out"
	case Reset:
		return fmt.Sprintf("the %s reset the connection during the handshake", peer)
	case Closed:
		return fmt.Sprintf("the %s closed the connection during the handshake", peer)
	case DeclinedRenegotiation:
		asked, section := "a HelloRequest", "4.2"
		if peer == trace.Client {
			asked, section = "a new ClientHello", "4.4"
		}
		msg := fmt.Sprintf("the %s asked to renegotiate (%s after the handshake had completed) and the %s declined with a no_renegotiation alert (RFC 5746, Section %s)", peer, asked, f.Local, section)
		switch {
		case f.Alert != nil:
			return fmt.Sprintf("%s; the %s then ended the session with a %s %s alert because the %s declined to renegotiate", msg, peer, f.Alert.Alert.Level.Name, f.Alert.Name(), f.Local)
		case errors.Is(f.Err, io.EOF) || errors.Is(f.Err, io.ErrUnexpectedEOF) || errors.Is(f.Err, syscall.ECONNRESET):
			return fmt.Sprintf("%s; the %s then closed the connection because the %s declined to renegotiate", msg, peer, f.Local)
		}
		return fmt.Sprintf("%s; the %s's TLS stack then ended the session itself", msg, f.Local)
	}
	return ""
}

// Error returns msg as an error that keeps the finding's evidence and the
// TLS stack's error.
func (f *Finding) Error(msg string) error {
	var evidence error
	switch {
	case f.Alert != nil:
		evidence = f.Alert
	case f.Header != nil:
		evidence = f.Header
	case f.Truncated != nil:
		evidence = f.Truncated
	case f.Certificate != nil:
		evidence = f.Certificate
	case f.Length != nil:
		evidence = f.Length
	}
	if f.Trickle != nil {
		return Explained(msg, evidence, f.Trickle, f.Err)
	}
	return Explained(msg, evidence, f.Err)
}

func isHTTP(b []byte) bool {
	for _, p := range []string{"HTTP", "<", "GET", "POS", "HEA", "PUT", "DEL", "OPT", "PAT", "CON"} {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}
