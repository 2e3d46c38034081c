package client

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestHandshakeLimit: a handshake is bounded by DefaultHandshakeTimeout,
// or by the time its context has left, longer or shorter (curl's -m
// bounds the whole run, the handshake included).
func TestHandshakeLimit(t *testing.T) {
	_, cancel, limit := handshakeContext(context.Background())
	cancel()
	if limit != DefaultHandshakeTimeout {
		t.Errorf("no deadline: limit %v", limit)
	}
	ctx, cancelRun := context.WithTimeout(context.Background(), 2*DefaultHandshakeTimeout)
	defer cancelRun()
	hctx, cancel, limit := handshakeContext(ctx)
	defer cancel()
	dl, _ := hctx.Deadline()
	want, _ := ctx.Deadline()
	if !dl.Equal(want) || limit <= DefaultHandshakeTimeout {
		t.Errorf("a run of %v: the handshake's deadline %v (limit %v), want the run's %v", 2*DefaultHandshakeTimeout, dl, limit, want)
	}
}

// TestHandshakeTimeoutSaysLimit: a server that takes the ClientHello and
// answers nothing fails with the limit that applied.
func TestHandshakeTimeoutSaysLimit(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		readHello(c)
		io.Copy(io.Discard, c)
	})
	host, port, _ := net.SplitHostPort(addr)
	tr := source.NewTracer(time.Now(), func(*trace.Event) {})
	err := Connect(t.Context(), tr, &Session{Host: host, Port: port, Timeout: 1500 * time.Millisecond}, strings.NewReader(""), io.Discard)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *client.Error", err, err)
	}
	checkCause(t, ce, StepTLS, "the TLS handshake timed out: no answer to the ClientHello within 1.5 s", AdviseHandshakeTime)
}
