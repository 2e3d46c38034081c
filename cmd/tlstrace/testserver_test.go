package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The small servers the tests of get, connect and verify talk to.

// keyPair issues a localhost leaf as leaf does and loads it for a
// crypto/tls server.
func (ca *testCA) keyPair(t *testing.T, dir, name string) tls.Certificate {
	t.Helper()
	certFile, keyFile := ca.leaf(t, dir, name, nil)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// acceptEach hands each connection ln accepts to handle, one after the
// other, until ln is closed.
func acceptEach(ln net.Listener, handle func(net.Conn)) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
		}
	}()
}

// serveOnce listens on 127.0.0.1 until the test ends, hands the first
// connection to serve (closed after it, with a 10 s deadline) and returns
// the address and, on the channel, serve's error or Accept's.
func serveOnce(t *testing.T, serve func(net.Conn) error) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	errc := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		errc <- serve(conn)
	}()
	return ln.Addr().String(), errc
}

// playDialog plays a server's side of a line dialog on rw: dialog
// alternates what the server writes and the start of the line it then
// reads.
func playDialog(rw io.ReadWriter, dialog []string) error {
	r := bufio.NewReader(rw)
	for i, step := range dialog {
		if i%2 == 0 {
			if _, err := io.WriteString(rw, step); err != nil {
				return err
			}
			continue
		}
		line, _ := r.ReadString('\n')
		if !strings.HasPrefix(line, step) {
			return fmt.Errorf("read %q, want %q", line, step)
		}
	}
	return nil
}
