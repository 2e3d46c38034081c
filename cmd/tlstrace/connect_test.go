package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestConnect pipes standard input through a TLS session to openssl
// s_server -rev, which sends each line back reversed.
func TestConnect(t *testing.T) {
	requirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := freePort(t)
	startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-rev", "-naccept", "1")
	stdin = strings.NewReader("hello tlstrace\n")
	defer func() { stdin = os.Stdin }()
	code, out, stderr := runCode("connect", fmt.Sprintf("localhost:%d", port), "--cacert", root.file, "--idle", "500ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "ecartslt olleh\n" {
		t.Errorf("stdout %q, want the reversed line", out)
	}
	for _, w := range []string{"ClientHello", "Finished  [decrypted]", "ApplicationData  15 bytes, \"hello tlstrace\\n\"", "Verify  trusted"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("trace lacks %q:\n%s", w, stderr)
		}
	}
}

// TestConnectStartTLS runs each plaintext upgrade (SMTP, IMAP, POP3, FTP)
// against a small server speaking that dialog, whose TLS side is
// crypto/tls.
func TestConnectStartTLS(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	certFile, keyFile := root.leaf(t, dir, "mail", nil)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	// Each dialog: what the server says, and the command it then reads,
	// up to the line after which TLS starts.
	for _, c := range []struct {
		proto  string
		dialog []string // server line, client line expected, …, last server line
	}{
		{"smtp", []string{"220-smtp.test ESMTP\r\n220 ready\r\n", "EHLO", "250-smtp.test\r\n250 STARTTLS\r\n", "STARTTLS", "220 go ahead\r\n"}},
		{"imap", []string{"* OK IMAP4rev1 ready\r\n", "a001 STARTTLS", "a001 OK begin TLS\r\n"}},
		{"pop3", []string{"+OK POP3 ready\r\n", "STLS", "+OK begin TLS\r\n"}},
		{"ftp", []string{"220 FTP ready\r\n", "AUTH TLS", "234 AUTH TLS ok\r\n"}},
	} {
		t.Run(c.proto, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			errc := make(chan error, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					errc <- err
					return
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(conn)
				for i, step := range c.dialog {
					if i%2 == 0 {
						io.WriteString(conn, step)
						continue
					}
					line, _ := r.ReadString('\n')
					if !strings.HasPrefix(line, step) {
						errc <- fmt.Errorf("read %q, want %q", line, step)
						return
					}
				}
				tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
				line, _ := bufio.NewReader(tc).ReadString('\n')
				fmt.Fprintf(tc, "bye (%s)\r\n", strings.TrimSpace(line))
				tc.Close()
				errc <- nil
			}()
			stdin = strings.NewReader("QUIT\r\n")
			defer func() { stdin = os.Stdin }()
			code, out, stderr := runCode("connect", ln.Addr().String(), "--starttls", c.proto, "--servername", "localhost", "--cacert", root.file, "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if out != "bye (QUIT)\r\n" {
				t.Errorf("stdout %q", out)
			}
			for _, w := range []string{`"type":"starttls"`, `"type":"client_hello"`, `"type":"finished"`} {
				if !strings.Contains(stderr, w) {
					t.Errorf("trace lacks %s", w)
				}
			}
		})
	}
}
