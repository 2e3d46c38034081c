package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// end or a time-out, and in its own words otherwise.
func endWords(err error) string {
	if ce := connEnd(err); ce != nil {
		return ce.Error()
	}
	if timedOut(err) {
		return "no answer in time"
	}
	return err.Error()
}
