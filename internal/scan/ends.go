package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// How a connection ended, in the words of the wire: the server closed it
// (a FIN: the end of the stream), reset it (a TCP RST), or said nothing
// more before the time ran out, with the bytes that had come. They are
// read from typed errors (io.EOF, syscall.ECONNRESET, a deadline), never
// from an error's text, so that a feature line or a version's reason says
// what the server did, not Go's words with the connection's ports.

// closedError is a connection the server ended without an alert.
type closedError struct {
	// reset: a TCP RST (ECONNRESET; EPIPE, written to after one), not
	// the end of the stream.
	reset bool
	err   error
}

func (e *closedError) Error() string {
	if e.reset {
		return "the server reset the connection"
	}
	return "the server closed the connection"
}

func (e *closedError) Unwrap() error { return e.err }

// connEnd returns err said as the server's end of the connection
// (closedError), nil when err is not one.
func connEnd(err error) *closedError {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &closedError{err: err}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return &closedError{reset: true, err: err}
	}
	return nil
}

// timedOut reports whether err is a deadline's: the connection's or the
// context's.
func timedOut(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// engineFailure classifies the error of a handshake on the engine
// (package handshake), received the bytes the server had sent: an alert
// the server sent, the server's end of the connection, or the time run
// out (with the bytes that came) are the server's answer; anything else
// stopped this side (ours: a check the engine made failed, or it could
// not go on), and keeps the engine's words.
func engineFailure(err error, received int) (a answer, ours bool) {
	var alert *handshake.AlertError
	switch {
	case timedOut(err):
		return answer{outcome: TimedOut, err: &timeoutError{err: err, bytes: received, handshake: true}}, false
	case errors.As(err, &alert) && !alert.Sent:
		d := wire.AlertDescription(alert.Alert)
		return answer{outcome: Refused, alert: d, hasAlert: true, err: fmt.Errorf("alert %s", d)}, false
	}
	if ce := connEnd(err); ce != nil {
		return answer{outcome: Refused, err: ce}, false
	}
	return answer{outcome: Refused, err: err}, true
}

// endWords says err as the wire showed it when it is the connection's
// end or a time-out, and as failedWords says it otherwise.
func endWords(err error) string {
	if ce := connEnd(err); ce != nil {
		return ce.Error()
	}
	if timedOut(err) {
		return "no answer in time"
	}
	return failedWords(err)
}

// failedWords says an error of the network that is neither the server's
// end of the connection nor a time-out: the system's word for it (a
// syscall.Errno: "no route to host", "connection refused"), without Go's
// account of the connection ("read tcp 127.0.0.1:…->…"); another error
// in its own words.
func failedWords(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// connectError is a TCP connection to the server that could not be made,
// said as the network answered the SYN, read from typed errors.
type connectError struct {
	err error
}

func (e *connectError) Error() string {
	var dns *net.DNSError
	switch {
	case errors.Is(e.err, syscall.ECONNREFUSED):
		return "the connection was refused: a TCP RST answered its SYN (nothing listens on the port, or a firewall rejects it)"
	case errors.Is(e.err, syscall.EHOSTUNREACH):
		return "the connection could not be made: the host is unreachable (no route to it)"
	case errors.Is(e.err, syscall.ENETUNREACH):
		return "the connection could not be made: the network is unreachable (no route to the address)"
	case errors.As(e.err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("the connection could not be made: the name %s has no address", dns.Name)
	case errors.As(e.err, &dns) && dns.IsTimeout:
		return fmt.Sprintf("the connection could not be made: the DNS lookup of %s got no answer in time", dns.Name)
	case errors.As(e.err, &dns):
		return fmt.Sprintf("the connection could not be made: the DNS lookup of %s failed (%s)", dns.Name, dns.Err)
	case timedOut(e.err):
		return "the connection could not be made in time: nothing answered its SYN"
	}
	return "the connection could not be made: " + failedWords(e.err)
}

func (e *connectError) Unwrap() error { return e.err }

// flightCut is the answer of a probe that read on to the ServerHelloDone
// and did not get it (a, accepted, not done): the server's end of the
// connection or the time run out before it, when either stopped the
// reading (a.end), else a flight that went on without one. Its error is a
// *cutError: the server had answered with a ServerHello.
func flightCut(a answer) answer {
	const before = "before the ServerHelloDone that ends its first flight"
	switch {
	case a.end == nil:
		return answer{outcome: Refused, err: &cutError{errors.New("the server's first flight did not end with a ServerHelloDone")}}
	case timedOut(a.end):
		return answer{outcome: TimedOut, err: &cutError{fmt.Errorf("the server said nothing more within the probe's time %s", before)}}
	}
	if ce := connEnd(a.end); ce != nil {
		return answer{outcome: Refused, err: &cutError{fmt.Errorf("%w %s", ce, before)}}
	}
	if ae := (*alertError)(nil); errors.As(a.end, &ae) {
		return answer{outcome: Refused, err: &cutError{fmt.Errorf("%w %s", ae, before)}}
	}
	return answer{outcome: Refused, err: &cutError{fmt.Errorf("the connection failed %s: %s", before, failedWords(a.end))}}
}

// cutError is a first flight the server began with a ServerHello and did
// not end with a ServerHelloDone (flightCut).
type cutError struct {
	err error
}

func (e *cutError) Error() string { return e.err.Error() }
func (e *cutError) Unwrap() error { return e.err }

// flightWords says why a probe in version v that reads on to the
// ServerHelloDone (heartbleed, ccs_injection) did not get it, from what
// happened: the server answered with a ServerHello and then ended its
// flight without one (flightCut), answered with an alert or with
// something that is not a ServerHello, or did not answer at all (it
// closed or reset the connection, or said nothing in time); or the
// connection could not be made, or the probe could not be sent.
func flightWords(v uint16, a answer) string {
	probe := "the probe in " + wire.VersionName(v)
	var cut *cutError
	var closed *closedError
	var conn *connectError
	switch {
	case errors.As(a.err, &cut):
		return probe + " was answered with a ServerHello, then " + cut.Error()
	case a.hasAlert:
		return probe + " was answered with the alert " + a.alert.String()
	case errors.As(a.err, &conn):
		return probe + " was not sent: " + conn.Error()
	case errors.As(a.err, &closed), a.outcome == TimedOut:
		return probe + " was not answered: " + reason(a)
	case a.outcome == Failed:
		return probe + " failed: " + reason(a)
	}
	return probe + " was not answered with a ServerHello: " + reason(a)
}

// alertError is an alert the server sent after its ServerHello, which
// ended the flight a probe read on in.
type alertError struct {
	desc wire.AlertDescription
}

func (e *alertError) Error() string { return "the server sent the alert " + e.desc.String() }
