package starttls

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// script is a server side that answers from a fixed text and records what
// the client sends.
type script struct {
	in   io.Reader
	sent bytes.Buffer
}

func (s *script) Read(b []byte) (int, error)  { return s.in.Read(b) }
func (s *script) Write(b []byte) (int, error) { return s.sent.Write(b) }

// upgrade runs proto's Upgrade against a server that sends server, and
// returns the lines shown and the error.
func upgrade(t *testing.T, proto, server string) ([]string, string, error) {
	t.Helper()
	p, err := Lookup(proto)
	if err != nil {
		t.Fatal(err)
	}
	s := &script{in: strings.NewReader(server)}
	var shown []string
	err = Upgrade(s, p, "mail.example", func(from trace.Side, line string) {
		mark := "S: "
		if from == trace.Client {
			mark = "C: "
		}
		shown = append(shown, mark+line)
	})
	return shown, s.sent.String(), err
}

func TestUpgradeDialogs(t *testing.T) {
	for _, tc := range []struct {
		proto, server string
		sent          string
		shown         int
	}{
		{"smtp", "220-mail.example ESMTP\r\n220 ready\r\n250-mail.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 2.0.0 go ahead\r\n",
			"EHLO tlstrace.invalid\r\nSTARTTLS\r\n", 8},
		{"imap", "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n* CAPABILITY IMAP4rev1\r\na001 OK Begin TLS\r\n",
			"a001 STARTTLS\r\n", 4},
		{"pop3", "+OK POP3 ready\r\n+OK Begin TLS\r\n", "STLS\r\n", 3},
		{"ftp", "220-Welcome\r\n220 FTP ready\r\n234 AUTH TLS OK\r\n", "AUTH TLS\r\n", 4},
		{"lmtp", "220 mail.example LMTP ready\r\n250-mail.example\r\n250-STARTTLS\r\n250 PIPELINING\r\n220 2.0.0 Begin TLS.\r\n",
			"LHLO tlstrace.invalid\r\nSTARTTLS\r\n", 7},
		{"sieve", "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"STARTTLS\"\r\nOK \"Dovecot ready.\"\r\nOK \"Begin TLS negotiation now.\"\r\n",
			"STARTTLS\r\n", 5},
		{"nntp", "200 news.example ready\r\n101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n382 Continue with TLS negotiation\r\n",
			"CAPABILITIES\r\nSTARTTLS\r\n", 9},
		// A server without CAPABILITIES is asked all the same, as openssl does.
		{"nntp", "201 read only\r\n500 What?\r\n382 go ahead\r\n", "CAPABILITIES\r\nSTARTTLS\r\n", 5},
		{"irc", ":irc.example NOTICE * :*** Looking up your hostname...\r\nNOTICE AUTH :*** Checking ident\r\n:irc.example 670 * :STARTTLS successful, go ahead with TLS handshake\r\n",
			"STARTTLS\r\n", 4},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			shown, sent, err := upgrade(t, tc.proto, tc.server)
			if err != nil {
				t.Fatalf("%v (shown %q)", err, shown)
			}
			if sent != tc.sent {
				t.Errorf("sent %q, want %q", sent, tc.sent)
			}
			if len(shown) != tc.shown {
				t.Errorf("shown %d lines, want %d: %q", len(shown), tc.shown, shown)
			}
		})
	}
}

func TestUpgradeFailures(t *testing.T) {
	var refused *RefusedError
	var closed *ClosedError
	var injection *InjectionError
	var protocol *ProtocolError
	for _, tc := range []struct {
		name, proto, server string
		target              any
	}{
		{"no STARTTLS", "smtp", "220 ready\r\n250 mail.example\r\n454 4.7.0 TLS not available\r\n", &refused},
		{"not the protocol", "imap", "+OK POP3 ready\r\n", &refused},
		{"closed", "pop3", "+OK ready\r\n", &closed},
		{"silent", "ftp", "", &closed},
		{"injection", "smtp", "220 ready\r\n250 ok\r\n220 go ahead\r\n250 injected\r\n", &injection},
		{"line too long", "smtp", strings.Repeat("2", maxLine+10) + "\r\n", &protocol},
		{"sieve refused", "sieve", "\"STARTTLS\"\r\nOK\r\nNO \"TLS unavailable\"\r\n", &refused},
		{"sieve bye", "sieve", "BYE \"too many connections\"\r\n", &refused},
		{"lmtp no LHLO", "lmtp", "220 ready\r\n500 5.5.1 unknown command\r\n", &refused},
		{"endless reply", "ftp", strings.Repeat("220-more\r\n", maxLines+1), &protocol},
		{"nntp greeting refused", "nntp", "502 service permanently unavailable\r\n", &refused},
		{"nntp no TLS", "nntp", "200 ready\r\n500 What?\r\n580 can not initiate TLS negotiation\r\n", &refused},
		{"nntp injection", "nntp", "200 ready\r\n500 What?\r\n382 go\r\n200 injected\r\n", &injection},
		{"irc ERR_STARTTLS", "irc", ":irc.example 691 * :STARTTLS failure\r\n", &refused},
		{"irc unknown command", "irc", ":irc.example 421 * STARTTLS :Unknown command\r\n", &refused},
		{"irc error", "irc", "ERROR :Closing link: (unknown@127.0.0.1) [Registration timeout]\r\n", &refused},
		{"irc silent", "irc", "", &closed},
		{"irc endless notices", "irc", strings.Repeat(":irc.example NOTICE * :hello\r\n", maxLines+1), &protocol},
		{"xmpp failure", "xmpp", xmppServerHeader + xmppTLSFeatures + "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>", &refused},
		{"xmpp no starttls", "xmpp", xmppServerHeader + xmppSASLFeatures, &refused},
		{"xmpp starttls of another namespace", "xmpp", xmppServerHeader + "<stream:features><starttls/></stream:features>", &refused},
		{"xmpp stream error", "xmpp", xmppServerHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>", &refused},
		{"xmpp no stream", "xmpp", "<html><body>hello</body></html>", &refused},
		{"xmpp closed", "xmpp", xmppServerHeader + "<stream:features>", &closed},
		{"xmpp silent", "xmpp", "", &closed},
		{"xmpp not XML", "xmpp", "220 smtp.example ESMTP\r\n", &protocol},
		{"xmpp stanza too long", "xmpp", xmppServerHeader + "<stream:features>" + strings.Repeat("<x/>", maxStanza/4) + "</stream:features>", &protocol},
		{"xmpp injection", "xmpp", xmppServerHeader + xmppTLSFeatures + xmppProceed + "<message/>", &injection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shown, _, err := upgrade(t, tc.proto, tc.server)
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("error %v (%T), want a %T (shown %q)", err, err, tc.target, shown)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	var unknown *UnknownError
	if _, err := Lookup("smtps"); !errors.As(err, &unknown) || !strings.Contains(err.Error(), "smtp") {
		t.Errorf("Lookup(smtps) = %v, want an UnknownError listing the names", err)
	}
	if p, implicit := ByScheme("IMAPS"); p == nil || p.Name != "imap" || !implicit {
		t.Errorf("ByScheme(IMAPS) = %v, %v", p, implicit)
	}
	if p, implicit := ByScheme("smtp"); p == nil || p.Name != "smtp" || implicit {
		t.Errorf("ByScheme(smtp) = %v, %v", p, implicit)
	}
	if p, _ := ByScheme("https"); p != nil {
		t.Errorf("ByScheme(https) = %v, want none", p.Name)
	}
	for _, n := range Names() {
		p := registry[n]
		if p.Upgrade == nil || p.Title == "" {
			t.Errorf("protocol %s lacks its Upgrade or Title", n)
		}
	}
}

// FuzzUpgrade feeds every protocol's dialog whatever a server may send:
// it ends, never panics, and succeeds only when nothing is left unread.
func FuzzUpgrade(f *testing.F) {
	f.Add("220 a\r\n250 b\r\n220 c\r\n")
	f.Add("* OK\r\na001 OK\r\n")
	f.Add("+OK\r\n+OK\r\n")
	f.Add("220-x\r\n220 y\r\n234 z\r\n")
	f.Add("220 a\r\n250 b\r\n220 c\r\nextra")
	// PostgreSQL's one-byte answers, and MySQL's greetings.
	f.Add("S")
	f.Add("N")
	f.Add("S\x16\x03\x01")
	f.Add(mysqlGreeting("11.8.3-MariaDB", 0x0020f7fe|mysqlSSL))
	f.Add(mysqlGreeting("8.0.36", 0xf7fe))
	f.Add("\x0b\x00\x00\x00\xff\x10\x04Too many")
	f.Add("\xff\xff\xff\x00")
	f.Add("\"STARTTLS\"\r\nOK\r\nOK\r\n")
	f.Add("\"SIEVE\" \"fileinto\"\r\nok x\r\nOK\r\nrest")
	f.Fuzz(func(t *testing.T, server string) {
		for _, n := range Names() {
			p := registry[n]
			s := &script{in: strings.NewReader(server)}
			lines := 0
			d := NewDialog(s, p, "mail.example", func(from trace.Side, line string) {
				if from == trace.Server {
					lines++
				}
			})
			err := p.Upgrade(d)
			if err == nil {
				err = d.CheckClear()
				if err == nil && s.in.(*strings.Reader).Len() > 0 {
					t.Fatalf("%s: upgrade succeeded with %d bytes unread", n, s.in.(*strings.Reader).Len())
				}
			}
			if lines > maxLines*4 {
				t.Fatalf("%s: %d server lines shown", n, lines)
			}
		}
	})
}

// FuzzAfter feeds every protocol's dialog inside TLS whatever a server may
// send, the session started in TLS or upgraded: it ends and never panics,
// and shows no more lines than the limits allow.
func FuzzAfter(f *testing.F) {
	f.Add("* OK ready\r\n* CAPABILITY IMAP4rev1\r\na002 OK\r\n* BYE\r\na003 OK\r\n")
	f.Add("+OK\r\n+OK\r\nUSER\r\n.\r\n+OK bye\r\n")
	f.Add("220 a\r\n250-b\r\n250 c\r\n221 bye\r\n")
	f.Add("\"SIEVE\" \"fileinto\"\r\nOK\r\nOK \"bye\"\r\n")
	f.Add("-ERR\r\n+OK\r\n")
	f.Add("211 x\r\n200 a\r\n200 b\r\n331 p\r\n230 in\r\n257 \"/\"\r\n221 bye\r\n")
	f.Add(ldapResult(2, ldapTagBindResponse, 0, "", nil) + ldapResult(3, ldapTagSearchResultDone, 0, "", nil))
	f.Fuzz(func(t *testing.T, server string) {
		for _, n := range Names() {
			p := registry[n]
			if p.After == nil {
				continue
			}
			for i := range 4 {
				implicit, login := i&1 == 1, i&2 == 2
				if login && !p.Login {
					continue
				}
				s := &script{in: strings.NewReader(server)}
				lines := 0
				d := NewDialog(s, p, "mail.example", func(from trace.Side, line string) {
					if from == trace.Server {
						lines++
					}
				})
				if login {
					d.Credentials = &Credentials{User: "cn=admin,dc=example", Password: "secret"}
				}
				p.After(d, implicit)
				// FTP's login reads the most replies: seven.
				if lines > maxLines*8 {
					t.Fatalf("%s: %d server lines shown", n, lines)
				}
			}
		}
	})
}
