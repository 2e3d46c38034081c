package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Session is a raw TLS session (the openssl s_client of tlstrace connect).
type Session struct {
	Host, Port string
	// ServerName is the name sent in SNI and verified (default Host).
	ServerName string
	Network    Network
	TLS        TLSOptions
	// StartTLS is "" or the name of a protocol of package starttls.
	StartTLS string
	// Idle is how long the server may stay quiet once stdin has ended:
	// each byte of data it sends starts the wait again.
	Idle time.Duration
	// Timeout bounds the STARTTLS dialog and the handshake.
	Timeout time.Duration
	// CRLF sends each line feed of the input as CR LF (openssl s_client
	// -crlf); one already preceded by CR is left as it is.
	CRLF bool
	// Warn, when set, is given each weakness of the session (Weaknesses)
	// once its handshake is done, before any data.
	Warn func(Warning)
}

// ResetError is a live session that the server ended with a TCP RST,
// neither a close_notify alert nor the end of the stream (a FIN): the
// connection is gone, and the client sends nothing more, not even its
// close_notify.
type ResetError struct {
	Err error
}

func (e *ResetError) Error() string {
	return "the server reset the connection (a TCP RST), without a close_notify alert"
}

func (e *ResetError) Unwrap() error { return e.Err }

// CheckStartTLS checks a Session.StartTLS value: "" or the name of a
// protocol of package starttls.
func CheckStartTLS(proto string) error {
	if proto == "" {
		return nil
	}
	if _, err := starttls.Lookup(proto); err != nil {
		return setting.Errorf("StartTLS", proto, "want one of %s", strings.Join(starttls.Names(), ", "))
	}
	return nil
}

// Connect opens the session and copies in to the server and what the
// server sends to out until in ends and the server is quiet for Idle, or
// the server closes: then nothing more is read from in nor sent, and an
// info session_closed event says how the server closed.
func Connect(ctx context.Context, t *source.Tracer, s *Session, in io.Reader, out io.Writer) error {
	if err := CheckStartTLS(s.StartTLS); err != nil {
		return stepErr(StepUsage, err, "")
	}
	tm := &Timings{Start: time.Now()}
	conn, raw, tc, tap, err := openSession(ctx, t, s.Network, s.Host, s.Port, s.ServerName, s.StartTLS, &s.TLS, s.Timeout, tm)
	if raw != nil {
		defer raw.Close()
	}
	if err != nil {
		return err
	}
	defer tap.Wait(time.Second)
	defer tc.Close()
	raw.SetDeadline(time.Time{})
	if s.Warn != nil {
		for _, w := range Weaknesses(tc.State()) {
			s.Warn(w)
		}
	}

	// An interrupt ends a write that a server not reading holds up.
	defer context.AfterFunc(ctx, func() { raw.SetWriteDeadline(time.Now()) })()

	done := make(chan error, 1)
	last := &lastWrite{w: out}
	last.at.Store(time.Now().UnixNano())
	go func() {
		_, err := io.Copy(last, tc)
		done <- err
	}()
	// closed reports how the server ended the session (err from reading
	// it), with the session_closed event when it closed cleanly.
	closed := func(err error) error {
		if err != nil && !errors.Is(err, net.ErrClosed) {
			if ev := tap.Evidence(); endedByServer(&ev) {
				// A TLS 1.3 server checks the client's certificate
				// after the client's handshake is done; a server
				// may ask to renegotiate at any time.
				return explainHandshake(err, ev, &s.TLS)
			}
			if errors.Is(err, syscall.ECONNRESET) {
				return stepErr(StepTLS, &ResetError{Err: err}, "the server's log may say why: a server that aborts, or exits with bytes of the client unread, resets the connection")
			}
			return stepErr(StepTLS, fmt.Errorf("receiving: %w", err), "")
		}
		ev := tap.Evidence()
		t.Emit(trace.NewEvent(conn, trace.Server, &trace.SessionClosed{CloseNotify: closeNotified(&ev)}))
		return nil
	}

	// Standard input is read by its own goroutine (a terminal blocks),
	// and sent from here, so that nothing is sent once the server closed.
	stop := make(chan struct{})
	defer close(stop)
	chunks, inErr := readInput(in, s.CRLF, stop)
	for chunks != nil {
		select {
		case b := <-chunks:
			select {
			case err := <-done:
				return closed(err) // the server closed first: b is not sent
			default:
			}
			if _, err := tc.Write(b); err != nil {
				if ctx.Err() != nil {
					// Interrupted while the server did not read:
					// no close_notify could go out either.
					raw.Close()
					<-done
					return nil
				}
				return stepErr(StepTLS, fmt.Errorf("sending: %w", err), "")
			}
		case err := <-inErr:
			if !errors.Is(err, io.EOF) {
				return stepErr(StepUsage, fmt.Errorf("reading standard input: %w", err), "")
			}
			chunks = nil
		case err := <-done:
			return closed(err)
		case <-ctx.Done():
			tc.Close()
			<-done
			return nil
		}
	}
	// stdin ended: give the server Idle to answer, then close.
	idle := s.Idle
	if idle <= 0 {
		idle = time.Second
	}
	// The wait starts again with each byte the server sends: a server
	// still answering is not cut off.
	timer := time.NewTimer(idle)
	defer timer.Stop()
wait:
	for {
		select {
		case err := <-done:
			return closed(err)
		case <-timer.C:
			if quiet := time.Since(time.Unix(0, last.at.Load())); quiet < idle {
				timer.Reset(idle - quiet)
				continue
			}
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	tc.Close()
	<-done
	return nil
}

// lastWrite writes to w and keeps the time of the last write (Unix
// nanoseconds): when the server last sent data.
type lastWrite struct {
	w  io.Writer
	at atomic.Int64
}

func (l *lastWrite) Write(b []byte) (int, error) {
	n, err := l.w.Write(b)
	l.at.Store(time.Now().UnixNano())
	return n, err
}

// readInput reads in on a goroutine of its own, which it sends the chunks
// read on, then the error that ended it (io.EOF at the end); with crlf, a
// line feed not preceded by a carriage return becomes CR LF. It stops at
// the next chunk once stop is closed.
func readInput(in io.Reader, crlf bool, stop <-chan struct{}) (<-chan []byte, <-chan error) {
	chunks := make(chan []byte)
	errc := make(chan error, 1)
	go func() {
		cr := false // the previous chunk ended with CR
		for {
			buf := make([]byte, 16<<10)
			n, err := in.Read(buf)
			if n > 0 {
				b := buf[:n]
				if crlf {
					b, cr = toCRLF(b, cr)
				}
				select {
				case chunks <- b:
				case <-stop:
					return
				}
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	return chunks, errc
}

// toCRLF turns each line feed of b not preceded by a carriage return into
// CR LF; cr says whether the byte before b was a carriage return. It
// returns the new bytes and whether they end with a carriage return.
func toCRLF(b []byte, cr bool) ([]byte, bool) {
	out := make([]byte, 0, len(b)+bytes.Count(b, []byte{'\n'}))
	for _, c := range b {
		if c == '\n' && !cr {
			out = append(out, '\r')
		}
		out = append(out, c)
		cr = c == '\r'
	}
	return out, cr
}

// startTLS runs the clear-text upgrade dialog of proto on c, showing each
// line as a starttls event.
func startTLS(t *source.Tracer, conn int, c net.Conn, proto, host string) error {
	p, err := starttls.Lookup(proto)
	if err != nil {
		return stepErr(StepUsage, err, "")
	}
	show := func(from trace.Side, line string) {
		t.Emit(trace.NewEvent(conn, from, &trace.StartTLS{Protocol: proto, Title: p.Title, Line: line}))
	}
	return startTLSError(starttls.Upgrade(c, p, host, show))
}

// startTLSError says what a failed dialog means and what to do.
func startTLSError(err error) error {
	var (
		refused   *starttls.RefusedError
		closed    *starttls.ClosedError
		injection *starttls.InjectionError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return stepErr(StepTLS, err, "the server may not offer TLS on this port, or not before a login")
	case errors.As(err, &closed):
		return advise(StepTLS, err, AdviseStartTLS)
	case errors.As(err, &injection):
		return stepErr(StepTLS, err, "the server (or something between) answers ahead of the client: a client that took these bytes as TLS would accept injected commands; fix the server or look for a middlebox")
	}
	return advise(StepTLS, err, AdviseStartTLS)
}

// openSession dials host:port, runs the clear-text upgrade of proto
// first when proto is not "", and runs the TLS handshake for serverName
// (host when ""), with the own engine's retry: the one way connect and
// Converse open a session. The connection's deadline is ctx's, else
// timeout from each dial when it is positive. The upgrade's time goes
// in tm.StartTLS.
func openSession(ctx context.Context, t *source.Tracer, n Network, host, port, serverName, proto string, opts *TLSOptions, timeout time.Duration, tm *Timings) (int, net.Conn, TLSConn, *source.Tap, error) {
	if serverName == "" {
		serverName = host
	}
	return connectTLS(t, t.NextConn(), opts, func(conn int, o *TLSOptions) (net.Conn, TLSConn, *source.Tap, error) {
		raw, err := dial(ctx, t, conn, n, host, port, tm)
		if err != nil {
			return nil, nil, nil, err
		}
		hctx := ctx
		if dl, ok := ctx.Deadline(); ok {
			raw.SetDeadline(dl)
		} else if timeout > 0 {
			// The handshake has the same limit (longer than its
			// default, it gives the handshake more time).
			dl := time.Now().Add(timeout)
			raw.SetDeadline(dl)
			var cancel context.CancelFunc
			hctx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
		if proto != "" {
			start := time.Now()
			err := startTLS(t, conn, raw, proto, host)
			tm.StartTLS = time.Since(start)
			if err != nil {
				return raw, nil, nil, err
			}
		}
		tc, tap, err := Handshake(hctx, t, conn, raw, serverName, o, tm)
		return raw, tc, tap, err
	})
}
