package trace

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStartTLSDialog feeds plaintext dialogs to a decoder that follows
// STARTTLS: lines are events until the client's upgrade command; a refused
// upgrade, or one never asked, keeps the dialog in lines; too many lines
// make the stream one that is not TLS; without FollowStartTLS a greeting
// is not TLS at once.
func TestStartTLSDialog(t *testing.T) {
	run := func(follow bool, all []sent) []string {
		var events []string
		s := NewSession(time.Unix(0, 0), nil, func(ev *Event) {
			line := ev.From.String() + " " + ev.Type
			if p, ok := ev.Payload.(*StartTLS); ok {
				line += " " + p.Protocol + ": " + p.Line
			}
			events = append(events, line)
		})
		c := s.NewConn(1, false)
		if follow {
			c.FollowStartTLS()
		}
		for _, x := range all {
			c.Feed(x.from, Stamp{}, x.b)
		}
		c.Close()
		return events
	}
	hello := []byte{22, 3, 1, 0, 4, 1, 0, 0, 0}
	got := run(true, []sent{
		{Server, []byte("* OK ready\r\n")}, {Client, []byte("a1 CAPABILITY\r\n")},
		{Server, []byte("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n")},
		{Client, []byte("a2 STARTTLS\r\n")}, {Server, []byte("a2 OK go\r\n")}, {Client, hello},
	})
	want := []string{"server starttls imap: * OK ready", "client starttls imap: a1 CAPABILITY",
		"server starttls imap: * CAPABILITY IMAP4rev1 STARTTLS", "server starttls imap: a1 OK done",
		"client starttls imap: a2 STARTTLS", "server starttls imap: a2 OK go", "client client_hello"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("IMAP dialog:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// FTP: AUTH TLS names it; a refused upgrade stays in lines.
	got = run(true, []sent{
		{Server, []byte("220 FTP ready\r\n")}, {Client, []byte("AUTH TLS\r\n")},
		{Server, []byte("530 no\r\n")}, {Client, []byte("QUIT\r\n")},
	})
	want = []string{"server starttls smtp: 220 FTP ready", "client starttls ftp: AUTH TLS", "server starttls ftp: 530 no", "client starttls ftp: QUIT"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("refused FTP upgrade:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An HTTP CONNECT tunnel, its request cut into pieces that are not
	// yet "CONNECT ": the heads line by line, then TLS on both sides.
	shello := []byte{22, 3, 3, 0, 4, 2, 0, 0, 0}
	got = run(true, []sent{
		{Client, []byte("CONN")}, {Client, []byte("ECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")},
		{Server, []byte("HTTP/1.1 200 Connection established\r\n\r\n")}, {Client, hello}, {Server, shello},
	})
	want = []string{"client starttls http_connect: CONNECT example.com:443 HTTP/1.1", "client starttls http_connect: Host: example.com:443",
		"client starttls http_connect: ", "server starttls http_connect: HTTP/1.1 200 Connection established", "server starttls http_connect: ",
		"client client_hello", "server server_hello"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CONNECT tunnel:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A request that is not CONNECT is not TLS.
	if got := run(true, []sent{{Client, []byte("GET / HTTP/1.1\r\n\r\n")}}); len(got) != 1 || got[0] != "client not_tls" {
		t.Errorf("events %q, want one not_tls", got)
	}
	// Too many lines: not TLS.
	lines := []sent{{Server, []byte("+OK POP3\r\n")}}
	for i := range maxDialogLines + 5 {
		lines = append(lines, sent{Client, []byte(fmt.Sprintf("NOOP %d\r\n", i))})
	}
	got = run(true, lines)
	if len(got) != maxDialogLines+2 || !strings.HasPrefix(got[len(got)-1], "client not_tls") {
		t.Errorf("%d events ending %q, want %d lines then not_tls", len(got), got[len(got)-1], maxDialogLines+1)
	}
	// Not followed: the greeting is not TLS.
	if got := run(false, []sent{{Server, []byte("220 mail ESMTP\r\n")}}); len(got) != 1 || got[0] != "server not_tls" {
		t.Errorf("events %q, want one not_tls", got)
	}
}
