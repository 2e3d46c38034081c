package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestConnectServerReset: an OpenSSL s_server killed with bytes of the
// client unread resets the connection (a TCP RST). The session says so
// (ResetError, from ECONNRESET), and the trace shows no close_notify of
// the client after it: the kernel refuses to send one on a reset
// connection, and a capture holds none.
func TestConnectServerReset(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	for _, version := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(version, func(t *testing.T) {
			var server *exec.Cmd
			stdin, hold, err := os.Pipe() // the server's standard input stays open
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stdin.Close(); hold.Close() })
			addr := tlstest.OpenSSLServer(t, time.Minute, func(c *exec.Cmd) { server, c.Stdin = c, stdin },
				"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, version, "-naccept", "1")
			var (
				mu     sync.Mutex
				events []*trace.Event
			)
			done := make(chan struct{})
			var once sync.Once
			tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
				mu.Lock()
				events = append(events, ev.Clone())
				mu.Unlock()
				if ev.Type == trace.TypeHandshakeComplete {
					once.Do(func() { close(done) })
				}
			})
			in, feed := io.Pipe()
			defer feed.Close()
			errc := make(chan error, 1)
			go func() {
				host, port, _ := strings.Cut(addr, ":")
				errc <- Connect(context.Background(), tr, &Session{Host: host, Port: port, TLS: TLSOptions{Insecure: true}, Timeout: 10 * time.Second, Idle: 10 * time.Second}, in, io.Discard)
			}()
			select {
			case <-done:
			case err := <-errc:
				t.Fatalf("connect ended before its handshake was done: %v", err)
			}
			time.Sleep(200 * time.Millisecond) // the server's tickets
			// Stopped, the server reads nothing more; killed then, it
			// leaves the client's bytes unread, and its kernel resets.
			server.Process.Signal(syscall.SIGSTOP)
			feed.Write([]byte("unread\n"))
			time.Sleep(300 * time.Millisecond)
			server.Process.Kill()
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				t.Fatal("connect did not end after the server reset the connection")
			}
			var re *ResetError
			if !errors.As(err, &re) || !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("connect ended with %v; want a ResetError", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, ev := range events {
				if a, ok := ev.Payload.(*trace.Alert); ok && ev.From == trace.Client {
					t.Errorf("the trace shows the client sending %s after the server reset the connection; no byte left", a.Description.Name)
				}
				if ev.Type == trace.TypeSessionClosed {
					t.Errorf("a reset is said as a close: %+v", ev.Payload)
				}
			}
		})
	}
}

// TestConnectIdleAfterInput: once standard input has ended, a server that
// still sends (an OpenSSL s_server whose own input has a line every
// 300 ms) is read until it has been quiet for Idle, not cut off Idle after
// the input ended.
func TestConnectIdleAfterInput(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	stdin, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); feed.Close() })
	addr := tlstest.OpenSSLServer(t, time.Minute, func(c *exec.Cmd) { c.Stdin = stdin },
		"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-tls1_3", "-naccept", "1")
	const lines = 8
	var once sync.Once
	tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
		if ev.Type == trace.TypeHandshakeComplete {
			once.Do(func() {
				go func() {
					for i := range lines {
						time.Sleep(300 * time.Millisecond)
						fmt.Fprintf(feed, "line %d\n", i+1)
					}
				}()
			})
		}
	})
	host, port, _ := strings.Cut(addr, ":")
	var out tlstest.Buffer
	err = Connect(context.Background(), tr, &Session{Host: host, Port: port, TLS: TLSOptions{Insecure: true}, Timeout: 10 * time.Second, Idle: time.Second},
		strings.NewReader("hi\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, fmt.Sprintf("line %d\n", lines)) {
		t.Errorf("the server's output was cut off while it was still sending (a line every 300 ms, Idle 1 s):\n%s", got)
	}
}

// TestConnectServerDropsAtOnce: an OpenSSL s_server whose standard input
// is empty closes each connection as soon as it accepts it, before the
// ClientHello comes (its FIN comes first; the ClientHello then meets a
// RST). The failure says that the server never saw the ClientHello,
// not that it found nothing in common with it.
func TestConnectServerDropsAtOnce(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	// s_server may, at times, read the ClientHello before its empty
	// input: the test asks for one connection of three it closed first.
	var errs []error
	for range 3 {
		addr := tlstest.OpenSSLServer(t, time.Minute, nil,
			"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-naccept", "1")
		host, port, _ := strings.Cut(addr, ":")
		tr := source.NewTracer(time.Now(), func(*trace.Event) {})
		err := Connect(context.Background(), tr, &Session{Host: host, Port: port, TLS: TLSOptions{Insecure: true}, Timeout: 10 * time.Second}, strings.NewReader(""), io.Discard)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("connect ended with %v; want the server's close", err)
		}
		if strings.Contains(e.Error(), "the server closed the connection before the client sent its ClientHello") {
			if strings.Contains(e.Hint, "nothing in common") {
				t.Errorf("the hint blames the ClientHello the server never saw: %s", e.Hint)
			}
			return
		}
		errs = append(errs, err)
	}
	t.Errorf("no failure says that the server closed the connection before the ClientHello: %v", errs)
}

// zeros is an endless standard input.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestConnectInterruptWhileBlocked: an interrupt ends the session while
// its write is held up by a server that reads nothing (an OpenSSL
// s_server stopped with SIGSTOP), and no close_notify is shown, which
// could not go out.
func TestConnectInterruptWhileBlocked(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	stdin, hold, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); hold.Close() })
	var server *exec.Cmd
	addr := tlstest.OpenSSLServer(t, time.Minute, func(c *exec.Cmd) { server, c.Stdin = c, stdin },
		"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-naccept", "1")
	var (
		mu     sync.Mutex
		events []*trace.Event
		once   sync.Once
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
		mu.Lock()
		events = append(events, ev.Clone())
		mu.Unlock()
		if ev.Type == trace.TypeHandshakeComplete {
			once.Do(func() {
				server.Process.Signal(syscall.SIGSTOP)
				time.AfterFunc(time.Second, cancel) // the interrupt
			})
		}
	})
	host, port, _ := strings.Cut(addr, ":")
	errc := make(chan error, 1)
	go func() {
		errc <- Connect(ctx, tr, &Session{Host: host, Port: port, TLS: TLSOptions{Insecure: true}, Timeout: 10 * time.Second}, zeros{}, io.Discard)
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("interrupted, connect ended with %v", err)
		}
	case <-time.After(6 * time.Second):
		server.Process.Kill() // the reset ends the write
		<-errc
		t.Fatal("connect did not end at the interrupt while its write was held up")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range events {
		if a, ok := ev.Payload.(*trace.Alert); ok && ev.From == trace.Client {
			t.Errorf("the trace shows the client sending %s, which could not go out", a.Description.Name)
		}
	}
}
