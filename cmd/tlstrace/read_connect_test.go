package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// startConnectProxy starts an HTTP proxy on a loopback port that answers
// CONNECT requests (RFC 9110, Section 9.3.6) with a tunnel to 127.0.0.1
// on the port asked, and returns its port. It serves until the test ends.
func startConnectProxy(t *testing.T) int {
	t.Helper()
	addr := tlstest.Listen(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		f := strings.Fields(line)
		if err != nil || len(f) != 3 || f[0] != "CONNECT" {
			io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
			return
		}
		for {
			h, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if h == "\r\n" || h == "\n" {
				break
			}
		}
		_, port, err := net.SplitHostPort(f[1])
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		defer up.Close()
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		done := make(chan struct{})
		go func() {
			io.Copy(up, br)
			up.(*net.TCPConn).CloseWrite()
			close(done)
		}()
		io.Copy(c, up)
		c.(*net.TCPConn).CloseWrite()
		<-done
	})
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return p
}

// tunnelSteps reads the events of a capture of a tunnel through a proxy:
// the lines of the proxy's dialog, each of the protocol and none after a
// handshake message, and the handshake messages as "frame:type", all and
// those of clear records. A stream taken for one that is not TLS fails
// the test.
func tunnelSteps(t *testing.T, events []jsonEvent, protocol string) (lines, all, clear []string) {
	t.Helper()
	for _, ev := range events {
		switch {
		case ev.Type == "not_tls":
			t.Errorf("frame %d: not_tls: %s", ev.Frame, ev.Error)
		case ev.Layer == "info" && ev.Type == "starttls":
			var f struct{ Protocol, Line string }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			if f.Protocol != protocol {
				t.Errorf("frame %d: protocol %q, want %s", ev.Frame, f.Protocol, protocol)
			}
			if len(all) > 0 {
				t.Errorf("frame %d: a line of the proxy dialog after a handshake message", ev.Frame)
			}
			lines = append(lines, ev.From+": "+f.Line)
		case ev.Layer == "tls":
			if c, ok := handshakeCode(ev.Type); ok {
				step := strconv.Itoa(ev.Frame) + ":" + strconv.Itoa(c)
				all = append(all, step)
				if ev.Record != nil && !ev.Record.Encrypted {
					clear = append(clear, step)
				}
			}
		}
	}
	return lines, all, clear
}

// TestReadConnectTunnel captures curl fetching a page from openssl
// s_server through an HTTP proxy (curl --proxy: a CONNECT request, the
// proxy's 200 response, then TLS in the tunnel), on the proxy's port: read
// shows the request and the response line by line and decodes the TLS
// session after them, each handshake message in the frame tshark's HTTP
// dissector hands the tunnel to TLS in; none of it is taken for a stream
// that is not TLS.
func TestReadConnectTunnel(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	writeTestCerts(t, dir)
	keylog := filepath.Join(dir, "keys.txt")
	sport := tlstest.FreePort(t)
	stopServer := startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", sport), "-naccept", "1", "-www",
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"), "-keylogfile", keylog)
	defer stopServer()
	pport := startConnectProxy(t)
	pcap := filepath.Join(dir, "proxy.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", pport), pcap)
	cmd := exec.Command("curl", "-sS", "--http1.1", "--proxy", fmt.Sprintf("http://127.0.0.1:%d", pport),
		"--cacert", filepath.Join(dir, "ca.pem"), fmt.Sprintf("https://localhost:%d/", sport))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runTimeout(cmd, 20*time.Second); err != nil {
		t.Fatalf("curl --proxy: %v\n%s", err, out.String())
	}
	time.Sleep(100 * time.Millisecond)
	stop()

	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	lines, got, _ := tunnelSteps(t, events, "http_connect")
	want := []string{fmt.Sprintf("client: CONNECT localhost:%d HTTP/1.1", sport), "server: HTTP/1.1 200 Connection established", "server: "}
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("no line %q in the dialog:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	// tshark's HTTP dissector on the proxy's port hands the tunnel to the
	// dissector of the port asked, told to be TLS.
	oracle := tsharkHandshakes(t, pcap, fmt.Sprintf("tcp.port==%d,http", pport), keylog)
	if tt := oracle[0]; len(tt) < 6 || !slices.Equal(got, tt) {
		t.Errorf("handshake messages (frame:type)\n%v\ntshark\n%v", got, tt)
	}
	if !slices.ContainsFunc(events, func(ev jsonEvent) bool { return ev.Layer == "http" && ev.Type == "request" }) {
		t.Error("no HTTP request read from the decrypted tunnel")
	}
}
