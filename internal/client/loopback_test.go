package client

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestLoopbackNames checks the addresses of localhost names (RFC 6761,
// Section 6.3) for each family, and none for other names.
func TestLoopbackNames(t *testing.T) {
	for _, c := range []struct {
		family, host string
		want         []string
	}{
		{"tcp6", "localhost", []string{"::1"}},
		{"tcp4", "LocalHost.", []string{"127.0.0.1"}},
		{"tcp", "app.localhost", []string{"127.0.0.1", "::1"}},
		{"tcp6", "localhost.example", nil},
		{"tcp6", "notlocalhost", nil},
	} {
		if got := loopback(c.family, c.host); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %q, want %q", c.family, c.host, got, c.want)
		}
	}
}

// TestIPv6Localhost requests http://localhost/ over IPv6 from a server on
// ::1 only: as curl -6 does, localhost is ::1 even where the hosts file
// gives it only 127.0.0.1.
func TestIPv6Localhost(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	var events []*trace.Event
	tr := source.NewTracer(time.Now(), func(ev *trace.Event) { events = append(events, ev.Clone()) })
	if _, err := Get(context.Background(), tr, &Request{URL: "http://localhost:" + port + "/", UserAgent: "test", Network: Network{Family: "tcp6"},
		MaxTime: 10 * time.Second, Output: io.Discard}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if p, ok := ev.Payload.(*trace.DNSLookup); ok && !slices.Contains(p.Addresses, "::1") {
			t.Errorf("the lookup gave %q", p.Addresses)
		}
	}
}
