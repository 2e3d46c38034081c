package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// startServer runs a traced www server on 127.0.0.1 and returns its
// address and the events it emitted so far.
func startServer(t *testing.T, cfg Config) (string, func() []*trace.Event) {
	t.Helper()
	var mu sync.Mutex
	var events []*trace.Event
	addr := serveWWW(t, cfg, func(ev *trace.Event) {
		mu.Lock()
		events = append(events, ev.Clone())
		mu.Unlock()
	})
	return addr, func() []*trace.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]*trace.Event(nil), events...)
	}
}

// serveWWW runs a traced www server with a localhost certificate on
// 127.0.0.1 until the test ends, gives its events to emit, and returns its
// address.
func serveWWW(t *testing.T, cfg Config, emit func(*trace.Event)) string {
	t.Helper()
	_, cert, err := certgen.Localhost(certgen.DemoCA, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	cfg.Mode, cfg.Trace = "www", true
	s, err := New(cfg, emit)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// TestSilentClientsHoldNoSlot: with --max-conns 2 and two clients that
// never send a byte, a third real client is still served, within the
// first-byte timeout and well before the handshake timeout.
func TestSilentClientsHoldNoSlot(t *testing.T) {
	addr, events := startServer(t, Config{MaxConns: 2, Timeout: 30 * time.Second, FirstByteTimeout: time.Second})
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // both accepted, both slots taken
	start := time.Now()
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := cl.Get("https://" + addr + "/")
	if err != nil {
		t.Fatalf("third client: %v", err)
	}
	resp.Body.Close()
	cl.CloseIdleConnections()
	if d := time.Since(start); resp.StatusCode != 200 || d > 5*time.Second {
		t.Errorf("third client: status %d after %v", resp.StatusCode, d)
	}
	// The third client's place came from one silent client, closed to
	// make room; the other one is closed at its first-byte timeout.
	says := func(cause string) bool {
		for _, ev := range events() {
			if h, ok := ev.Payload.(*trace.Handshake); ok && h.Failed && strings.Contains(h.Cause, cause) {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(5 * time.Second); !says("first-byte timeout (1s)") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !says("first-byte timeout (1s)") {
		t.Error("no handshake failure says the client sent nothing within the first-byte timeout")
	}
	if !says("and was closed to make room for a new connection: all 2 connections the server allows were taken") {
		t.Error("no handshake failure says a silent client was closed to make room")
	}
}

// TestPlainHTTPOnTLSPort: a plain HTTP request on the TLS port gets a 400
// that says so, as nginx answers it.
func TestPlainHTTPOnTLSPort(t *testing.T) {
	addr, _ := startServer(t, Config{})
	check := func(status int, body string) {
		t.Helper()
		if status != 400 || !strings.Contains(body, "plain HTTP request was sent to HTTPS port") {
			t.Errorf("status %d, body %q", status, body)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	check(resp.StatusCode, string(b))

	tlstest.RequirePeer(t, "curl")
	out, err := exec.Command("curl", "-sS", "-m", "10", "-w", "\n%{http_code}", "http://"+addr+"/").Output()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	i := strings.LastIndexByte(string(out), '\n')
	code := 0
	fmt.Sscan(string(out[i+1:]), &code)
	check(code, string(out[:i]))
}
