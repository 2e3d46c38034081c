package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
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

// TestConnectStartTLS runs the SMTP upgrade against a small SMTP server
// whose TLS side is crypto/tls.
func TestConnectStartTLS(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	certFile, keyFile := root.leaf(t, dir, "smtp", nil)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		fmt.Fprintf(c, "220-smtp.test ESMTP\r\n220 ready\r\n")
		r.ReadString('\n') // EHLO
		fmt.Fprintf(c, "250-smtp.test\r\n250 STARTTLS\r\n")
		r.ReadString('\n') // STARTTLS
		fmt.Fprintf(c, "220 go ahead\r\n")
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		line, _ := bufio.NewReader(tc).ReadString('\n')
		fmt.Fprintf(tc, "221 bye (%s)\r\n", strings.TrimSpace(line))
		tc.Close()
	}()
	stdin = strings.NewReader("QUIT\r\n")
	defer func() { stdin = os.Stdin }()
	code, out, stderr := runCode("connect", ln.Addr().String(), "--starttls", "smtp", "--servername", "localhost", "--cacert", root.file, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "221 bye (QUIT)\r\n" {
		t.Errorf("stdout %q", out)
	}
	for _, w := range []string{`"line":"220 ready"`, `"line":"STARTTLS"`, `"line":"220 go ahead"`, `"type":"client_hello"`, `"type":"finished"`} {
		if !strings.Contains(stderr, w) {
			t.Errorf("trace lacks %s", w)
		}
	}
}
