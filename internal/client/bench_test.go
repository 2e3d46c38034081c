package client

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// The two benchmarks make the same HTTPS request (a new connection and a
// full handshake each time) to an in-process server: through tlstrace's tap
// and decoder, with events rendered as JSON, and with plain crypto/tls and
// net/http. bench/client.sh prints their ratio.

func newBenchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkTracedRequest(b *testing.B) {
	srv := newBenchServer(b)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	out := render.NewJSON(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		tr := source.NewTracer(time.Now(), func(ev *trace.Event) { out.Event(ev) })
		_, err := Get(context.Background(), tr, &Request{URL: srv.URL, UserAgent: "bench", TLS: TLSOptions{Roots: roots}, Output: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainRequest(b *testing.B) {
	srv := newBenchServer(b)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	b.ReportAllocs()
	for b.Loop() {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true, DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
	}
}
