package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestServeStartTLS runs openssl s_client -starttls and tlstrace connect
// --starttls against tlstrace serve --starttls for each protocol it
// serves: each gets a verified session, the serve trace shows the dialog
// line for line as the client saw it, and tlstrace scan --starttls scans
// it.
func TestServeStartTLS(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "mail", nil)
	for _, proto := range []string{"smtp", "imap", "pop3"} {
		t.Run(proto, func(t *testing.T) {
			port := tlstest.FreePort(t)
			out, stop := startServe(t, port, "--cert", cert, "--key", key, "--starttls", proto)

			// openssl s_client first: connection 1.
			cmd := exec.Command("openssl", "s_client", "-brief", "-starttls", proto, "-connect", fmt.Sprintf("127.0.0.1:%d", port),
				"-servername", "localhost", "-verify_hostname", "localhost", "-CAfile", root.file, "-verify_return_error")
			cmd.Stdin = bytes.NewReader(nil)
			var serr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &serr, &serr
			if err := runTimeout(cmd, 20*time.Second); err != nil {
				t.Fatalf("openssl s_client -starttls %s: %v\n%s", proto, err, serr.String())
			}
			if !regexp.MustCompile(`(?m)^Verification: OK$`).MatchString(serr.String()) {
				t.Errorf("openssl s_client -starttls %s did not verify:\n%s", proto, serr.String())
			}

			// tlstrace connect: connection 2.
			addr := fmt.Sprintf("localhost:%d", port)
			code, _, stderr := runCode("connect", addr, "--starttls", proto, "--cacert", root.file, "--json", "--idle", "200ms", "--timeout", "10s")
			if code != 0 {
				t.Fatalf("tlstrace connect --starttls %s: exit %d\n%s", proto, code, stderr)
			}
			cevs := events(t, stderr)
			version := handshakeVersion(t, cevs)
			p := startTLSPeer{proto: proto, port: port, cacert: root.file}
			checkStartTLSScan(t, p, version)
			stop()

			byConn := map[int][]jsonEvent{}
			for _, ev := range parseEvents(t, out.String()) {
				byConn[ev.Conn] = append(byConn[ev.Conn], ev)
			}
			for conn := 1; conn <= 2; conn++ {
				if v := handshakeVersion(t, byConn[conn]); v != version {
					t.Errorf("serve's connection %d: %s, want %s", conn, v, version)
				}
			}
			served, client := dialogLines(t, byConn[2]), dialogLines(t, cevs)
			if strings.Join(served, "\n") != strings.Join(client, "\n") || len(client) < 3 {
				t.Errorf("serve's dialog\n%s\nconnect's\n%s", strings.Join(served, "\n"), strings.Join(client, "\n"))
			}
		})
	}
}

// TestServeStartTLSPipelined: a client that sends commands after STARTTLS
// in the same write (CVE-2011-0411) is refused, and the connection ends
// without TLS.
func TestServeStartTLSPipelined(t *testing.T) {
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--self-signed", "--starttls", "smtp")
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting %q", line)
	}
	if _, err := c.Write([]byte("EHLO x\r\nSTARTTLS\r\nMAIL FROM:<evil@example.com>\r\n")); err != nil {
		t.Fatal(err)
	}
	var replies []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		replies = append(replies, strings.TrimSpace(line))
	}
	if len(replies) == 0 || !strings.HasPrefix(replies[len(replies)-1], "554 ") {
		t.Errorf("replies %q, want a 554 last, then the end", replies)
	}
	stop()
	var said bool
	for _, ev := range parseEvents(t, out.String()) {
		if ev.Type == "starttls" && ev.From == "local" && ev.Error != "" {
			said = true
		}
		if ev.Type == "client_hello" {
			t.Errorf("a TLS handshake after a refused STARTTLS")
		}
	}
	if !said {
		t.Errorf("serve's trace does not say why the dialog ended:\n%s", out.String())
	}
}
