package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestResponseHeaderLimits: a response with one huge header line, or with
// a huge number of headers, is refused over HTTP/1.1 and HTTP/2 in bounded
// time, as curl refuses it; a normal response still passes.
func TestResponseHeaderLimits(t *testing.T) {
	cases := []struct {
		name    string
		headers func(http.Header)
		refused bool
	}{
		{"normal", func(h http.Header) { h.Set("X-Normal", strings.Repeat("a", 1000)) }, false},
		{"line150k", func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 150<<10)) }, true},
		{"line", func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 8<<20)) }, true},
		{"count", func(h http.Header) {
			for i := range 200000 {
				h[fmt.Sprintf("X-H%d", i)] = []string{"v"}
			}
		}, true},
	}
	for _, proto := range []string{"1.1", "2"} {
		for _, c := range cases {
			t.Run(proto+"/"+c.name, func(t *testing.T) {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c.headers(w.Header())
					io.WriteString(w, "ok")
				}))
				srv.EnableHTTP2 = true
				srv.Config.ErrorLog = nil
				srv.StartTLS()
				defer srv.Close()
				roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
				tr := source.NewTracer(time.Now(), func(*trace.Event) {})
				res, err := Get(context.Background(), tr, &Request{URL: srv.URL, HTTP: proto, UserAgent: "test",
					TLS: TLSOptions{Roots: roots}, MaxTime: 30 * time.Second, Output: io.Discard})
				if !c.refused {
					if err != nil || res.Status != 200 {
						t.Fatalf("got %v, %v; want 200", res, err)
					}
					return
				}
				var he *HeadersTooLargeError
				var ce *Error
				if proto == "2" && c.name != "line150k" {
					// HTTP/2 says only COMPRESSION_ERROR or PROTOCOL_ERROR.
					if !errors.As(err, &ce) || ce.Step != StepHTTP || !strings.Contains(ce.Hint, "curl refuses them too") {
						t.Fatalf("got %v (%#v), want a refusal at the HTTP step with a hint", err, ce)
					}
					return
				}
				if !errors.As(err, &he) || !errors.As(err, &ce) || ce.Step != StepHTTP {
					t.Fatalf("got %v (%T), want a HeadersTooLargeError at the HTTP step", err, err)
				}
				if !strings.Contains(ce.Hint, "curl refuses them too") {
					t.Errorf("hint %q", ce.Hint)
				}
			})
		}
	}
}
