package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestConnect pipes standard input through a TLS session to openssl
// s_server -rev, which sends each line back reversed.
func TestConnect(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := tlstest.FreePort(t)
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

// TestConnectRunFailed has connect fail against openssl s_server, whose
// CA it is not given: with --json the trace (on stderr, as connect
// writes it) ends with the run's failure, which says what the error and
// hint lines say; the HTML report, which shows them at its head, has no
// step of it.
func TestConnectRunFailed(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := tlstest.FreePort(t)
	startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-rev", "-naccept", "1")
	stdin = strings.NewReader("")
	defer func() { stdin = os.Stdin }()
	report := dir + "/report.html"
	code, _, stderr := runCode("connect", fmt.Sprintf("localhost:%d", port), "--json", "--html", report)
	if code != exitVerify {
		t.Fatalf("exit %d, want %d: %s", code, exitVerify, stderr)
	}
	var lines, said []string
	for l := range strings.Lines(stderr) {
		if strings.HasPrefix(l, "{") {
			lines = append(lines, l)
		} else {
			said = append(said, l)
		}
	}
	checkRunFailed(t, strings.Join(lines, ""), strings.Join(said, ""), code)
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "run_failed") || strings.Contains(string(html), "RunFailed") {
		t.Errorf("the HTML report shows the run_failed event")
	}
}

// TestConnectStartTLS runs each plaintext upgrade (SMTP, IMAP, POP3, FTP)
// against a small server speaking that dialog, whose TLS side is
// crypto/tls.
func TestConnectStartTLS(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert := root.keyPair(t, dir, "mail")
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
			addr, errc := serveOnce(t, func(conn net.Conn) error {
				if err := playDialog(conn, c.dialog); err != nil {
					return err
				}
				tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
				line, _ := bufio.NewReader(tc).ReadString('\n')
				fmt.Fprintf(tc, "bye (%s)\r\n", strings.TrimSpace(line))
				tc.Close()
				return nil
			})
			stdin = strings.NewReader("QUIT\r\n")
			defer func() { stdin = os.Stdin }()
			code, out, stderr := runCode("connect", addr, "--starttls", c.proto, "--servername", "localhost", "--cacert", root.file, "--json")
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

// connectAsync runs tlstrace connect with standard input read from in, and
// returns its exit code and outputs on the channel.
func connectAsync(in io.Reader, args ...string) <-chan [3]any {
	stdin = in
	res := make(chan [3]any, 1)
	go func() {
		code, out, errs := runCode(append([]string{"connect"}, args...)...)
		res <- [3]any{code, out, errs}
	}()
	return res
}

// TestConnectServerCloses checks that once openssl s_server -www has
// answered and closed with close_notify, connect says so and exits 0 at
// once, although its standard input (a terminal, here a pipe) is still
// open, and sends nothing it reads after that.
func TestConnectServerCloses(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := sServer(t, cert, key)
	pr, pw := io.Pipe()
	defer func() { stdin = os.Stdin }()
	defer pw.Close()
	res := connectAsync(pr, fmt.Sprintf("localhost:%d", port), "--cacert", root.file, "--idle", "30s")
	if _, err := io.WriteString(pw, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// A line typed after the server closed: connect may have stopped
	// reading, so it is written on the side.
	time.AfterFunc(500*time.Millisecond, func() { io.WriteString(pw, "after the close\n") })
	var r [3]any
	select {
	case r = <-res:
	case <-time.After(10 * time.Second):
		pw.Close()
		r = <-res
		t.Errorf("connect did not exit when the server closed:\n%s", r[2])
	}
	code, out, stderr := r[0].(int), r[1].(string), r[2].(string)
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, stderr)
	}
	if !strings.HasPrefix(out, "HTTP/1.0 200 ok\r\n") {
		t.Errorf("stdout %.40q…, want s_server's page", out)
	}
	const closed = "INFO SessionClosed  the server closed the session with close_notify; nothing more of standard input is sent"
	i := strings.Index(stderr, closed)
	if i < 0 {
		t.Fatalf("trace lacks %q:\n%s", closed, stderr)
	}
	if j := strings.Index(stderr, "server → client  TLS  Alert  warning close_notify"); j < 0 || j > i {
		t.Errorf("the server's close_notify is not shown before %q:\n%s", closed, stderr)
	}
	if strings.Contains(stderr[i:], "client → server  TLS  ApplicationData") || strings.Contains(stderr, "after the close") {
		t.Errorf("data sent after the server closed:\n%s", stderr)
	}
}

// TestConnectServerFIN checks a server that closes the TCP connection
// without close_notify: the trace says so, the exit is 0 at once.
func TestConnectServerFIN(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert := root.keyPair(t, dir, "server")
	addr, _ := serveOnce(t, func(conn net.Conn) error {
		// serveOnce closes conn: a FIN, no close_notify.
		tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
		line, _ := bufio.NewReader(tc).ReadString('\n')
		fmt.Fprintf(tc, "bye (%s)\n", strings.TrimSpace(line))
		return nil
	})
	pr, pw := io.Pipe()
	defer func() { stdin = os.Stdin }()
	defer pw.Close()
	res := connectAsync(pr, addr, "--servername", "localhost", "--cacert", root.file, "--idle", "30s", "--json")
	if _, err := io.WriteString(pw, "QUIT\n"); err != nil {
		t.Fatal(err)
	}
	var r [3]any
	select {
	case r = <-res:
	case <-time.After(10 * time.Second):
		pw.Close()
		r = <-res
		t.Errorf("connect did not exit when the server closed")
	}
	code, out, stderr := r[0].(int), r[1].(string), r[2].(string)
	if code != 0 || out != "bye (QUIT)\n" {
		t.Errorf("exit %d, stdout %q:\n%s", code, out, stderr)
	}
	want := `"from":"server","layer":"info","type":"session_closed","fields":{"close_notify":false}`
	if !strings.Contains(stderr, want) {
		t.Errorf("trace lacks %s:\n%s", want, stderr)
	}
}

// TestConnectCRLF checks --crlf on what openssl s_server receives (with
// -quiet it writes the data it reads, and nothing else, to its output): a
// bare line feed becomes CR LF, a CR LF stays one.
func TestConnectCRLF(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--crlf"}, "EHLO a\r\nNOOP\r\nQUIT\r\n"},
		{nil, "EHLO a\nNOOP\r\nQUIT\n"},
	} {
		port := tlstest.FreePort(t)
		srv := exec.Command("openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-quiet")
		// s_server ends the session when its standard input ends: keep
		// it open until the end.
		srvIn, err := srv.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var got syncBuffer
		srv.Stdout = &got
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Wait() }()
		waitPort(t, port) // s_server drops this connection and goes on
		stdin = strings.NewReader("EHLO a\nNOOP\r\nQUIT\n")
		code, _, stderr := runCode(append([]string{"connect", fmt.Sprintf("localhost:%d", port), "--cacert", root.file, "--idle", "300ms"}, c.flags...)...)
		stdin = os.Stdin
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr)
		}
		for deadline := time.Now().Add(5 * time.Second); got.String() != c.want && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		srvIn.Close()
		srv.Process.Kill()
		<-done
		if got.String() != c.want {
			t.Errorf("%v: s_server received %q, want %q", c.flags, got.String(), c.want)
		}
	}
}

// waitPort waits until something listens on 127.0.0.1:port.
func waitPort(t *testing.T, port int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on port %d", port)
}

// TestTLSv1Flag: -1, curl's --tlsv1, offers TLS 1.0 and later on every
// command that connects, as --tlsv1.0 does.
func TestTLSv1Flag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Read each ClientHello and close: the trace has it.
	acceptEach(ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 4096))
		c.Close()
	})
	addr := ln.Addr().String()
	stdin = strings.NewReader("")
	defer func() { stdin = os.Stdin }()
	// The versions of the supported_versions extension (the record
	// layer's is TLS 1.0 whatever is offered).
	tls10 := regexp.MustCompile(`"versions":\[[^\]]*"TLS 1\.0"`)
	for _, args := range [][]string{
		{"connect", addr, "--json", "--timeout", "5s"},
		{"https://" + addr + "/", "--json", "-m", "5s"},
	} {
		for _, flag := range []string{"-1", "--tlsv1", "--tlsv1.0"} {
			_, out, stderr := runCode(append(args, flag)...)
			if !strings.Contains(out+stderr, `"type":"client_hello"`) || !tls10.MatchString(out+stderr) {
				t.Errorf("%q %s: the ClientHello does not offer TLS 1.0:\n%s%s", args[0], flag, out, stderr)
			}
		}
		if _, out, stderr := runCode(args...); tls10.MatchString(out+stderr) || !strings.Contains(out+stderr, `"type":"client_hello"`) {
			t.Errorf("%q: no ClientHello, or one that offers TLS 1.0 by default:\n%s%s", args[0], out, stderr)
		}
	}
}
