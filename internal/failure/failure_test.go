package failure

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

func alert(level wire.AlertLevel, d wire.AlertDescription, name string) *trace.Alert {
	return &trace.Alert{Level: &trace.Enum{Name: "fatal", Value: uint64(level)}, Description: &trace.Enum{Name: name, Value: uint64(d)}}
}

// TestRead checks the order in which the evidence is read, and the words
// of each kind from either end.
func TestRead(t *testing.T) {
	unknownCA := alert(wire.AlertFatal, wire.AlertUnknownCA, "unknown_ca")
	closeNotify := alert(wire.AlertWarning, wire.AlertCloseNotify, "close_notify")
	httpHeader := wire.NewRecordHeaderError([]byte("GET / HTTP/1.1"), wire.HeaderImplausible)
	cut := &trace.TruncatedError{Seen: 41, Length: 517}
	wrapped := fmt.Errorf("reading: %w", io.ErrUnexpectedEOF)
	cases := []struct {
		name  string
		local trace.Side
		err   error
		ev    trace.Evidence
		kind  Kind
		cause string
	}{
		{"peer-alert-first", trace.Server, io.EOF, trace.Evidence{Alert: [2]*trace.Alert{unknownCA, unknownCA}, Framing: [2]error{httpHeader}}, PeerAlert, ""},
		{"close-notify-is-no-error", trace.Server, io.EOF, trace.Evidence{Alert: [2]*trace.Alert{closeNotify}}, Closed,
			"the client closed the connection during the handshake"},
		{"local-alert", trace.Client, errors.New("refused"), trace.Evidence{Alert: [2]*trace.Alert{unknownCA}}, LocalAlert, ""},
		{"plain-http-from-the-client", trace.Server, errors.New("x"), trace.Evidence{Framing: [2]error{httpHeader}}, PlainHTTP,
			"the client sent plain HTTP, not TLS"},
		{"plain-http-from-the-server", trace.Client, errors.New("x"), trace.Evidence{Framing: [2]error{nil, httpHeader}}, PlainHTTP,
			"the server answered in plain HTTP, not TLS"},
		{"own-bytes-are-not-the-peer's", trace.Client, errors.New("x"), trace.Evidence{Framing: [2]error{httpHeader}}, Unknown, ""},
		{"not-tls", trace.Server, errors.New("x"), trace.Evidence{Framing: [2]error{wire.NewRecordHeaderError([]byte("SSH-2.0"), wire.HeaderImplausible)}}, NotTLS,
			`the client did not speak TLS (first bytes "SSH-2")`},
		{"sslv2-server-hello", trace.Client, errors.New("x"), trace.Evidence{Framing: [2]error{nil, wire.NewRecordHeaderError([]byte{0x80, 0x0e, 4, 0, 1}, wire.HeaderImplausible)}}, SSLv2,
			"the server answered in SSL 2.0 (a SERVER-HELLO), which no TLS client speaks"},
		{"oversized", trace.Client, errors.New("x"), trace.Evidence{Framing: [2]error{nil, wire.NewRecordHeaderError([]byte{22, 3, 3, 0x4e, 0x20}, wire.HeaderOversized)}}, Oversized,
			"the server sent a record header that claims 20000 bytes, more than TLS allows (at most 18432 bytes in any record, RFC 5246, Section 6.2.3)"},
		{"truncated", trace.Server, wrapped, trace.Evidence{Truncated: [2]*trace.TruncatedError{cut}}, Truncated,
			"the client closed the connection in the middle of a record (it sent 36 of the 512 bytes its header announces)"},
		{"truncated-needs-an-end", trace.Server, context.DeadlineExceeded, trace.Evidence{Truncated: [2]*trace.TruncatedError{cut}}, TimedOut,
			"the TLS handshake timed out: the client sent only part of a record (36 of the 512 bytes its header announces), then nothing"},
		{"timed-out-in-a-message", trace.Client, context.DeadlineExceeded, trace.Evidence{Truncated: [2]*trace.TruncatedError{nil, {Side: trace.Server, Handshake: true, Seen: 20, Length: 122}}}, TimedOut,
			"the TLS handshake timed out: the server sent only part of a handshake message (16 of the 118 bytes its header announces), then nothing"},
		{"time-out-before-own-alert", trace.Server, context.DeadlineExceeded, trace.Evidence{Alert: [2]*trace.Alert{nil, unknownCA}}, TimedOut,
			"the TLS handshake timed out"},
		{"reset", trace.Client, syscall.ECONNRESET, trace.Evidence{}, Reset, "the server reset the connection during the handshake"},
		{"tls-record-header", trace.Server, tls.RecordHeaderError{RecordHeader: [5]byte{'P', 'O', 'S', 'T', ' '}}, trace.Evidence{}, PlainHTTP,
			"the client sent plain HTTP, not TLS"},
		{"nothing", trace.Server, errors.New("x"), trace.Evidence{}, Unknown, ""},
		{"length-lies-before-own-alert", trace.Client, errors.New("x"), trace.Evidence{Alert: [2]*trace.Alert{unknownCA},
			Length: [2]*trace.LengthError{nil, {Side: trace.Server, Type: wire.TypeServerHello, Claimed: 131072, Max: 65607, Held: 38}}}, BadLength,
			"the server's server_hello message claims 131072 bytes in its header, more than a server_hello can hold (65607): the length lies (38 bytes of it came)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Read(c.local, c.err, &c.ev)
			if f.Kind != c.kind || f.Cause() != c.cause {
				t.Fatalf("kind %d, cause %q; want %d, %q", f.Kind, f.Cause(), c.kind, c.cause)
			}
			err := f.Error("explained")
			if !errors.Is(err, c.err) {
				t.Errorf("the explanation does not keep the TLS stack's error")
			}
			var ae *AlertError
			var he *wire.RecordHeaderError
			var te *trace.TruncatedError
			switch c.kind {
			case PeerAlert, LocalAlert:
				from := c.local
				if c.kind == PeerAlert {
					from = c.local.Other()
				}
				if !errors.As(err, &ae) || ae.From != from || ae.Description() != wire.AlertUnknownCA {
					t.Errorf("alert %+v, want unknown_ca from the %s", ae, from)
				}
			case PlainHTTP, NotTLS, Oversized, SSLv2:
				if !errors.As(err, &he) {
					t.Errorf("the explanation does not keep the header")
				}
			case Truncated:
				if !errors.As(err, &te) || te != cut {
					t.Errorf("the explanation does not keep where the bytes ended")
				}
			}
		})
	}
}

// TestTrickle checks when a side's bytes read as still coming at the end:
// three pieces or more, the last no longer before the end than twice their
// pace (or a second).
func TestTrickle(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ev := func(pieces int, every, quiet time.Duration) *trace.Evidence {
		a := trace.Arrival{Bytes: int64(pieces), Pieces: pieces, First: t0, Last: t0.Add(time.Duration(pieces-1) * every)}
		e := &trace.Evidence{Ended: a.Last.Add(quiet)}
		e.Received[trace.Server] = a
		return e
	}
	if tk := NewTrickle(trace.Server, ev(30, time.Second, 900*time.Millisecond)); tk == nil {
		t.Error("one byte a second, the last 0.9 s before the end: no trickle")
	} else if got, want := tk.Error(), "the server is still sending, one byte about every second (30 bytes in 29 s, the last 0.9 s before the limit)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if NewTrickle(trace.Server, ev(30, time.Second, 5*time.Second)) != nil {
		t.Error("5 s of silence after the last byte read as a trickle")
	}
	if NewTrickle(trace.Server, ev(2, time.Second, 0)) != nil {
		t.Error("two pieces read as a trickle")
	}
	if NewTrickle(trace.Server, &trace.Evidence{}) != nil {
		t.Error("no bytes read as a trickle")
	}
	f := Read(trace.Client, context.DeadlineExceeded, ev(10, time.Second, 0))
	if f.Kind != TimedOut || f.Trickle == nil {
		t.Errorf("Read: kind %v, trickle %v", f.Kind, f.Trickle)
	}
}
