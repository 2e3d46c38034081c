package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

// TestBodyIdle: a server that sends the response headers and part of the
// body, then nothing, ends the run after BodyIdle without a byte, over
// HTTP/1.1 and HTTP/2; a body that keeps coming, however slowly, is read
// to its end; with MaxTime, that limit alone applies.
func TestBodyIdle(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "part")
		w.(http.Flusher).Flush()
		if r.URL.Path == "/slow" {
			// A byte every 200 ms, for longer than the idle limit.
			for range 96 / 8 {
				time.Sleep(200 * time.Millisecond)
				io.WriteString(w, "slow....")
				w.(http.Flusher).Flush()
			}
			return
		}
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	for _, proto := range []string{"1.1", "2"} {
		for _, c := range []struct {
			path    string
			maxTime time.Duration
			stalled bool
		}{{"/", 0, true}, {"/slow", 0, false}, {"/", 1500 * time.Millisecond, false}} {
			t.Run(proto+c.path+fmt.Sprint(c.maxTime), func(t *testing.T) {
				tr := source.NewTracer(time.Now(), func(*trace.Event) {})
				start := time.Now()
				res, err := Get(t.Context(), tr, &Request{URL: srv.URL + c.path, HTTP: proto, UserAgent: "test",
					TLS: TLSOptions{Roots: roots}, BodyIdle: time.Second, MaxTime: c.maxTime, Output: io.Discard})
				d := time.Since(start)
				var ie *BodyIdleError
				var ce *Error
				switch {
				case c.stalled:
					if !errors.As(err, &ie) || !errors.As(err, &ce) || ce.Step != StepHTTP || ce.Advice != AdviseBodyIdle || ie.Received != 4 {
						t.Fatalf("got %v; want a BodyIdleError after 4 bytes", err)
					}
					if !strings.Contains(err.Error(), "reading the response body: no byte of it came for 1.0 s (4 bytes had come)") {
						t.Errorf("error %q", err)
					}
					if d > 5*time.Second {
						t.Errorf("took %v", d)
					}
				case c.maxTime > 0:
					// -m's own words, not the idle limit's.
					if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "timed out") || d < c.maxTime {
						t.Errorf("after %v: %v; want -m's time-out", d, err)
					}
				default:
					if err != nil || res.BodySize != 100 {
						t.Errorf("got %v, %v; want the whole body", res, err)
					}
				}
			})
		}
	}
}
