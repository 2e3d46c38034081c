package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestMailURLs checks how the command line words the problems of the URLs
// of the protocols of package starttls (client.TestConversationURL checks
// how each scheme is routed): a clear-text scheme needs --ssl-reqd, and
// what would log in or send more than the greeting, capabilities and quit
// is refused, each with its fix in flags.
func TestMailURLs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"imap://localhost:1/"}, []string{"IMAP session with localhost:1 would stay in clear text", "--ssl-reqd", "imaps://", "993"}},
		{[]string{"smtp://localhost:1/"}, []string{"SMTP session", "clear text", "smtps://"}},
		{[]string{"imaps://user:secret@localhost:1/"}, []string{"names a user", "-u USER:PASSWORD"}},
		{[]string{"imaps://localhost:1/", "-u", "user"}, []string{"-u wants USER:PASSWORD"}},
		{[]string{"imaps://localhost:1/", "-u", "user:a\r\nb"}, []string{"CR, LF or NUL"}},
		{[]string{"ldaps://localhost:1/", "-u", "cn=admin,dc=example:"}, []string{"-u: an LDAP simple bind without a password logs no one in"}},
		{[]string{"https://localhost:1/", "--user", "user"}, []string{"-u wants USER:PASSWORD", "does not ask for the password"}},
		{[]string{"http://localhost:1/", "--user", "user:secret"}, []string{"-u with http://localhost:1/ would send the password in clear text"}},
		{[]string{"imaps://localhost:1/", "-u", "user:secret", "--pcap", "x.pcapng"}, []string{"--pcap with -u", "drop --pcap"}},
		{[]string{"smtp://localhost:1/", "--ssl-reqd", "-d", "hello"}, []string{"--data applies to HTTP only"}},
		{[]string{"pop3s://localhost:1/", "-X", "DELE 1"}, []string{"--request applies to HTTP only"}},
		{[]string{"imap:///", "--ssl-reqd"}, []string{`"imap:///" names no host`, "imap://HOST[:PORT]/"}},
		{[]string{"gopher://localhost/"}, []string{"not an http:// or https:// URL"}},
	} {
		code, out, stderr := runCode(tc.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%q: exit %d, want %d, nothing on stdout (%q)\n%s", tc.args, code, exitUsage, out, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args, w, stderr)
			}
		}
	}

	// With --ssl-reqd, the URL is let through to the connection (a port
	// where nothing listens).
	port := tlstest.FreePort(t)
	code, _, stderr := runCode(fmt.Sprintf("pop3://127.0.0.1:%d/", port), "--ssl-reqd")
	if code != exitConnect {
		t.Errorf("pop3:// --ssl-reqd to a closed port: exit %d, want %d\n%s", code, exitConnect, stderr)
	}
}

// TestMailURLDialog runs implicit TLS URLs against small servers written
// here: a whole POP3 dialog (a server without CAPA goes on to QUIT), and
// dialogs that fail inside a verified TLS session, which exit with the
// application exchange's code and say the session itself worked.
func TestMailURLDialog(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert := root.keyPair(t, dir, "mail")
	for _, tc := range []struct {
		scheme string
		// dialog alternates what the server sends and the whole line it
		// then reads; the server closes after it.
		dialog []string
		code   int
		want   []string
	}{
		{"pop3s", []string{"+OK ready\r\n", "CAPA\r\n", "-ERR unknown command\r\n", "QUIT\r\n", "+OK bye\r\n"}, 0,
			[]string{`"line":"CAPA","in_tls":true`, `"line":"-ERR unknown command","in_tls":true`, `"line":"+OK bye","in_tls":true`}},
		{"imaps", []string{"* OK ready\r\n", "a002 CAPABILITY\r\n", "a002 BAD no\r\n"}, exitHTTP,
			[]string{`imap CAPABILITY: the server answered "a002 BAD no", not "a002 OK"`, "the TLS session works"}},
		{"smtps", []string{"220 ready\r\n"}, exitHTTP,
			[]string{"smtp: the server closed the connection during the dialog", "the TLS session was established"}},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			addr, errc := serveOnce(t, func(conn net.Conn) error {
				tc2 := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
				if err := playDialog(tc2, tc.dialog); err != nil {
					return err
				}
				tc2.Close()
				return nil
			})
			_, port, _ := net.SplitHostPort(addr)
			url := fmt.Sprintf("%s://localhost:%s/", tc.scheme, port)
			code, out, stderr := runCode(url, "--cacert", root.file, "--json", "-m", "10s")
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, stderr, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+stderr, w) {
					t.Errorf("output lacks %s:\n%s%s", w, out, stderr)
				}
			}
			if !strings.Contains(out, `"type":"handshake_complete"`) || !strings.Contains(out, `"type":"timing"`) {
				t.Errorf("no handshake_complete or timing event:\n%s", out)
			}
		})
	}
}

// TestConverseAdvice checks that the usage errors client.Converse finds
// itself (for a front end that did not check the URL first) are said
// with the flags, as conversationURL says them: a protocol traced only up
// to the handshake points to connect --starttls, credentials for a
// protocol without login to -u.
func TestConverseAdvice(t *testing.T) {
	checked := 0
	for _, n := range starttls.Names() {
		p, _ := starttls.Lookup(n)
		conv := &client.Conversation{Host: "localhost", Port: "1", Protocol: n}
		want := "use tlstrace connect HOST:PORT --starttls " + n
		switch {
		case p.After == nil:
		case !p.Login:
			conv.Credentials = &starttls.Credentials{User: "user", Password: "secret"}
			want = "drop -u"
		default:
			continue
		}
		checked++
		err := clientError(client.Converse(t.Context(), source.NewTracer(time.Now(), func(*trace.Event) {}), conv))
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage || ee.hint != want {
			t.Errorf("%s: %v (%+v); want a usage error with the hint %q", n, err, ee, want)
		}
	}
	if checked < 2 {
		t.Errorf("%d protocols checked, want one without dialog inside TLS and one without login at least", checked)
	}
}
