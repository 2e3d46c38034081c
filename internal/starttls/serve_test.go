package starttls

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// serveScript runs the server's side of proto against a client that sends
// client, and returns the lines shown and the error.
func serveScript(t *testing.T, proto, client string) ([]string, string, error) {
	t.Helper()
	p, err := Lookup(proto)
	if err != nil {
		t.Fatal(err)
	}
	s := &script{in: strings.NewReader(client)}
	var shown []string
	err = ServeUpgrade(s, p, "mx.test", func(from trace.Side, line string) {
		shown = append(shown, from.String()[:1]+": "+line)
	})
	return shown, s.sent.String(), err
}

// TestServeAgainstClient runs each protocol's client side against its
// server side: both reach TLS.
func TestServeAgainstClient(t *testing.T) {
	for _, name := range Served() {
		t.Run(name, func(t *testing.T) {
			p, _ := Lookup(name)
			c, s := net.Pipe()
			defer c.Close()
			defer s.Close()
			deadline := time.Now().Add(5 * time.Second)
			c.SetDeadline(deadline)
			s.SetDeadline(deadline)
			errc := make(chan error, 1)
			var served []string
			go func() {
				errc <- ServeUpgrade(s, p, "mx.test", func(from trace.Side, line string) {
					served = append(served, from.String()[:1]+": "+line)
				})
			}()
			var shown []string
			if err := Upgrade(c, p, "mx.test", func(from trace.Side, line string) {
				shown = append(shown, from.String()[:1]+": "+line)
			}); err != nil {
				t.Fatalf("client: %v\n%s", err, strings.Join(shown, "\n"))
			}
			if err := <-errc; err != nil {
				t.Fatalf("server: %v", err)
			}
			if strings.Join(shown, "\n") != strings.Join(served, "\n") {
				t.Errorf("the client saw\n%s\nthe server\n%s", strings.Join(shown, "\n"), strings.Join(served, "\n"))
			}
		})
	}
	if got := strings.Join(Served(), " "); got != "imap pop3 smtp" {
		t.Errorf("Served() = %s", got)
	}
}

func TestServeDialogs(t *testing.T) {
	for _, tc := range []struct {
		proto, client, sent string
	}{
		{"smtp", "EHLO client.test\r\nMAIL FROM:<a@b>\r\nNOOP\r\nSTARTTLS now\r\nSTARTTLS\r\n",
			"220 mx.test ESMTP tlstrace serve\r\n250-mx.test greets client.test\r\n250 STARTTLS\r\n530 5.7.0 Must issue a STARTTLS command first\r\n" +
				"250 2.0.0 OK\r\n501 5.5.4 STARTTLS takes no parameter\r\n220 2.0.0 Ready to start TLS\r\n"},
		{"imap", "a CAPABILITY\r\nb LOGIN x y\r\nnotag\r\nc starttls\r\n",
			"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] mx.test tlstrace serve ready\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na OK CAPABILITY completed\r\n" +
				"b NO [PRIVACYREQUIRED] Log in after STARTTLS\r\n* BAD Missing tag\r\nc OK Begin TLS negotiation now\r\n"},
		{"pop3", "CAPA\r\nUSER x\r\nSTLS\r\n",
			"+OK mx.test tlstrace serve ready\r\n+OK Capability list follows\r\nSTLS\r\n.\r\n-ERR Log in after STLS\r\n+OK Begin TLS negotiation\r\n"},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			shown, sent, err := serveScript(t, tc.proto, tc.client)
			if err != nil {
				t.Fatalf("%v\n%s", err, strings.Join(shown, "\n"))
			}
			if sent != tc.sent {
				t.Errorf("sent\n%q\nwant\n%q", sent, tc.sent)
			}
		})
	}
}

// TestServeHostile: clients that quit, close, send endless lines, never
// ask for TLS, or pipeline commands after STARTTLS (CVE-2011-0411).
func TestServeHostile(t *testing.T) {
	var closed *ClosedError
	var injection *InjectionError
	var protocol *ProtocolError
	for _, tc := range []struct {
		name, proto, client string
		target              any
		last                string // the server's last reply
	}{
		{"quit", "smtp", "EHLO x\r\nQUIT\r\n", &closed, "221 2.0.0 Bye"},
		{"logout", "imap", "a LOGOUT\r\n", &closed, "a OK LOGOUT completed"},
		{"silent", "pop3", "", &closed, "+OK mx.test tlstrace serve ready"},
		{"cut", "smtp", "EHLO", &closed, "220 mx.test ESMTP tlstrace serve"},
		{"line too long", "smtp", strings.Repeat("A", maxLine+10), &protocol, "500 5.5.2 Line too long"},
		{"no STARTTLS", "pop3", strings.Repeat("NOOP\r\n", maxCommands+5), &protocol, "-ERR Too many commands without STLS"},
		{"pipelined smtp", "smtp", "EHLO x\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x>\r\n", &injection,
			"554 5.5.0 Commands sent after STARTTLS in the same breath are refused"},
		{"pipelined imap", "imap", "t1 STARTTLS\r\nt2 LOGIN a b\r\n", &injection,
			"t1 BAD Commands sent after STARTTLS in the same breath are refused"},
		{"pipelined pop3", "pop3", "STLS\r\nUSER x\r\n", &injection,
			"-ERR Commands sent after STLS in the same breath are refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, sent, err := serveScript(t, tc.proto, tc.client)
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("error %v (%T), want a %T", err, err, tc.target)
			}
			lines := strings.Split(strings.TrimSuffix(sent, "\r\n"), "\r\n")
			if got := lines[len(lines)-1]; got != tc.last {
				t.Errorf("last reply %q, want %q", got, tc.last)
			}
			if errors.As(err, &injection) && (!injection.Client || injection.Bytes == 0) {
				t.Errorf("injection %+v", injection)
			}
		})
	}
	if _, _, err := serveScript(t, "smtp", "QUIT\r\n"); !errors.Is(err, ErrQuit) {
		t.Errorf("QUIT: %v, want ErrQuit", err)
	}
	var notServed *NotServedError
	if _, _, err := serveScript(t, "postgres", ""); !errors.As(err, &notServed) {
		t.Errorf("postgres: %v, want a NotServedError", err)
	}
}

// FuzzServe feeds every served protocol's server side whatever a client
// may send: it ends, never panics, answers every line, and agrees to TLS
// only right after a command that asks for it, with nothing of the client
// read beyond that line.
func FuzzServe(f *testing.F) {
	f.Add("EHLO x\r\nSTARTTLS\r\n")
	f.Add("a STARTTLS\r\n")
	f.Add("STLS\r\n")
	f.Add("EHLO x\r\nSTARTTLS\r\nRSET\r\n")
	f.Add("a CAPABILITY\r\na STARTTLS\r\nb LOGIN x y\r\n")
	f.Add("CAPA\r\nSTLS\r\nQUIT\r\n")
	f.Add(strings.Repeat("NOOP\r\n", 120))
	f.Add(strings.Repeat("x", 5000))
	f.Fuzz(func(t *testing.T, client string) {
		for _, n := range Served() {
			p := registry[n]
			s := &script{in: strings.NewReader(client)}
			var lines []string
			err := ServeUpgrade(s, p, "mx.test", func(from trace.Side, line string) {
				if from == trace.Client {
					lines = append(lines, line)
				}
			})
			if len(lines) > maxCommands+1 {
				t.Fatalf("%s: %d client lines read", n, len(lines))
			}
			if err != nil {
				continue
			}
			read := client[:len(client)-s.in.(*strings.Reader).Len()]
			if !strings.HasSuffix(read, "\n") || len(lines) == 0 {
				t.Fatalf("%s: agreed to TLS having read %q", n, read)
			}
			last := strings.ToUpper(strings.TrimSpace(lines[len(lines)-1]))
			if last != "STARTTLS" && last != "STLS" && !strings.HasSuffix(last, " STARTTLS") {
				t.Fatalf("%s: agreed to TLS after %q", n, lines[len(lines)-1])
			}
		}
	})
}
