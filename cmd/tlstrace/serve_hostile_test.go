package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestServeIdleSocketsPastMaxConns: with --max-conns 2 and six sockets
// that say nothing, `tlstrace URL` is still served within a second (the
// idle sockets that held the places are closed for it), and serve's trace
// says why each idle socket was closed.
func TestServeIdleSocketsPastMaxConns(t *testing.T) {
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--self-signed", "--mode", "http", "--max-conns", "2", "--timeout", "10s")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range 6 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	code, _, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "-k", "-m", "5s")
	if d := time.Since(start); code != 0 || d > time.Second {
		t.Errorf("exit %d after %v: %s", code, d, stderr)
	}
	for _, c := range idle {
		c.Close()
	}
	stop()
	closed := 0
	for _, ev := range parseEvents(t, out.String()) {
		if ev.Type != "handshake_failed" {
			continue
		}
		var h failedHandshake
		if err := json.Unmarshal(ev.Fields, &h); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.Cause, "was closed to make room for a new connection: all 2 connections the server allows were taken") && h.Fix != "" {
			closed++
		}
	}
	if closed == 0 {
		t.Errorf("no idle socket was said to be closed to make room:\n%s", out.String())
	}
}
