package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestCloseDelimitedBody: a response body without a length ends where the
// server closes; without close_notify, a cut cannot be told from the end,
// and the run warns of it. With close_notify, or with a Content-Length,
// it does not.
func TestCloseDelimitedBody(t *testing.T) {
	cert := httptest.NewTLSServer(http.NotFoundHandler())
	cfg := cert.TLS.Clone()
	cert.Close()
	for _, c := range []struct {
		name, head string
		notify     bool
		warn       bool
	}{
		{"no length, no close_notify", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", false, true},
		{"no length, close_notify", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", true, false},
		{"length, no close_notify", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				raw, err := ln.Accept()
				if err != nil {
					return
				}
				defer raw.Close()
				tc := tls.Server(raw, cfg)
				if _, err := http.ReadRequest(bufio.NewReader(tc)); err != nil {
					return
				}
				io.WriteString(tc, c.head+"hello")
				if c.notify {
					tc.Close() // close_notify, then the TCP close
				}
			}()
			tr := source.NewTracer(time.Now(), func(*trace.Event) {})
			res, err := Get(context.Background(), tr, &Request{URL: "https://" + ln.Addr().String() + "/", UserAgent: "test", MaxTime: 10 * time.Second,
				Output: io.Discard, HTTP: "1.1", TLS: TLSOptions{Insecure: true}})
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, w := range res.Warnings {
				warned = warned || strings.Contains(w.Cause, "without a close_notify alert, so a body cut short on the path cannot be told from a whole one")
			}
			if warned != c.warn {
				t.Errorf("warned %v, want %v: %+v", warned, c.warn, res.Warnings)
			}
		})
	}
}
