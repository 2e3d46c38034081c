package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// startTLSPeer is a server a test started (a mail, directory, chat or
// database daemon) that speaks proto on port.
type startTLSPeer struct {
	// proto is the --starttls name; port the server's port on 127.0.0.1.
	proto string
	port  int
	// cacert is the root that signed the server's certificate, for the
	// name localhost.
	cacert string
	// decodeAs is tshark's dissector for the port ("smtp", "imap",
	// "pop", "ftp", "ldap", "xmpp", "pgsql", "mysql", …).
	decodeAs string
	// sclient is the -starttls value of openssl s_client when it differs
	// from proto.
	sclient string
}

// checkStartTLSPeer checks tlstrace connect --starttls against a real
// server: it exits 0 with a verified session; openssl s_client
// -starttls gets a session of the same version from the same server; and
// tshark, reading a capture of tlstrace's session with tlstrace's key log,
// lists the same handshake messages in the same order. It returns
// tlstrace's JSON events.
func checkStartTLSPeer(t *testing.T, p startTLSPeer) []jsonEvent {
	t.Helper()
	tlstest.RequirePeer(t, "openssl", "dumpcap", "tshark")
	dir := t.TempDir()
	keylog := filepath.Join(dir, "keys.log")
	pcap := filepath.Join(dir, "session.pcapng")
	t.Setenv("SSLKEYLOGFILE", keylog)
	stop := startCapture(t, fmt.Sprintf("tcp port %d", p.port), pcap)
	addr := fmt.Sprintf("localhost:%d", p.port)
	code, out, stderr := runCode("connect", addr, "--starttls", p.proto, "--cacert", p.cacert, "--json", "--idle", "500ms", "--timeout", "20s")
	stop()
	if code != 0 {
		t.Fatalf("tlstrace connect %s --starttls %s: exit %d\n%s%s", addr, p.proto, code, stderr, out)
	}
	evs := events(t, stderr)
	var version string
	var got []int
	for _, ev := range evs {
		if ev.Layer == "info" && ev.Type == "handshake_complete" {
			var f struct{ Version string }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			version = f.Version
		}
		if ev.Layer == "tls" {
			if c, ok := handshakeCode(ev.Type); ok {
				got = append(got, c)
			}
		}
	}
	if version == "" {
		t.Fatalf("no handshake_complete event:\n%s", stderr)
	}

	// tshark's handshake messages of the session, decrypted with the key
	// log tlstrace wrote.
	var want []int
	for _, msgs := range tsharkHandshakes(t, pcap, fmt.Sprintf("tcp.port==%d,%s", p.port, p.decodeAs), keylog) {
		if want != nil {
			t.Fatalf("tshark sees more than one TCP stream in %s", pcap)
		}
		for _, m := range msgs {
			c, err := strconv.Atoi(m[strings.IndexByte(m, ':')+1:])
			if err != nil {
				t.Fatalf("tshark handshake %q: %v", m, err)
			}
			want = append(want, c)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("handshake messages: tlstrace %v, tshark %v", got, want)
	}
	// tlstrace read, on the capture, follows the same dialog and finds
	// the same handshake messages. (The capture may begin with the end
	// of the connection that saw the server ready: the session is the
	// connection with a ClientHello.)
	var read []int
	readLines := map[int][]string{}
	notTLS := map[int]string{}
	session := 0
	for _, ev := range runJSON(t, "read", pcap, "--keylog", keylog, "--json") {
		if ev.Type == "not_tls" {
			notTLS[ev.Conn] = ev.Error
		}
		if ev.Type == "starttls" {
			var f struct{ Line string }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			readLines[ev.Conn] = append(readLines[ev.Conn], ev.From+": "+f.Line)
		}
		if ev.Type == "client_hello" {
			session = ev.Conn
		}
		if c, ok := handshakeCode(ev.Type); ok && ev.Layer == "tls" {
			read = append(read, c)
		}
	}
	if !slices.Equal(read, want) {
		t.Errorf("read: handshake messages %v, tshark %v (dialog %q, not TLS: %v)", read, want, readLines[session], notTLS)
	}
	if why, ok := notTLS[session]; ok {
		t.Errorf("read: the session is not TLS: %s", why)
	}
	var live []string
	for _, l := range dialogLines(t, evs) {
		live = append(live, map[string]string{"C": "client", "S": "server"}[l[:1]]+l[1:])
	}
	if !slices.Equal(readLines[session], live) {
		t.Errorf("read: the dialog\n%s\nwant what connect showed\n%s", strings.Join(readLines[session], "\n"), strings.Join(live, "\n"))
	}

	// openssl s_client on the same server.
	sp := p.sclient
	if sp == "" {
		sp = p.proto
	}
	cmd := exec.Command("openssl", "s_client", "-brief", "-starttls", sp, "-connect", fmt.Sprintf("127.0.0.1:%d", p.port),
		"-servername", "localhost", "-verify_hostname", "localhost", "-CAfile", p.cacert, "-verify_return_error")
	cmd.Stdin = bytes.NewReader(nil)
	var sout, serr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &sout, &serr
	if err := runTimeout(cmd, 20*time.Second); err != nil {
		t.Fatalf("openssl s_client -starttls %s: %v\n%s", sp, err, serr.String())
	}
	m := regexp.MustCompile(`Protocol version: TLSv([0-9.]+)`).FindStringSubmatch(serr.String())
	if m == nil {
		t.Fatalf("openssl s_client -starttls %s gave no protocol version:\n%s", sp, serr.String())
	}
	if want := "TLS " + m[1]; version != want {
		t.Errorf("tlstrace got %s, openssl s_client %s", version, want)
	}
	return evs
}

// dialogLines returns the starttls events' lines, each prefixed with "C: "
// or "S: " for who sent it.
func dialogLines(t *testing.T, events []jsonEvent) []string {
	t.Helper()
	var lines []string
	for _, ev := range events {
		if ev.Type != "starttls" {
			continue
		}
		var f struct{ Line string }
		if err := json.Unmarshal(ev.Fields, &f); err != nil {
			t.Fatal(err)
		}
		mark := "S: "
		if ev.From == "client" {
			mark = "C: "
		}
		lines = append(lines, mark+f.Line)
	}
	return lines
}

// writeFile writes a test's configuration file.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// daemon says how a test runs a daemon: as the user cred (nil: as the
// test), and when it is ready: its log holds ready (when not ""), and
// each of ports on 127.0.0.1 accepts connections.
type daemon struct {
	cred  *syscall.Credential
	ready string
	ports []int
}

// startDaemon starts a daemon that stays in the foreground, in a process
// group of its own, and waits up to 15 s until it is ready. The test's
// cleanup ends it with SIGTERM (SIGKILL to its group after 10 s) and logs
// what it wrote when the test failed.
func startDaemon(t *testing.T, d daemon, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: d.cred}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Errorf("%s did not stop in 10 s", name)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	wait := func(what string, ok func() bool) {
		for !ok() {
			select {
			case <-done:
				t.Fatalf("%s ended:\n%s", name, log.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s not ready in 15 s:\n%s", name, what, log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if d.ready != "" {
		wait(fmt.Sprintf("no %q in its log", d.ready), func() bool { return strings.Contains(log.String(), d.ready) })
	}
	for _, port := range d.ports {
		wait(fmt.Sprintf("port %d", port), func() bool {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
}
