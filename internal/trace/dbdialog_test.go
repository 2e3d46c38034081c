package trace

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
)

// TestBinaryDialogs feeds the upgrades of PostgreSQL, MySQL, LDAP, XMPP
// and IRC, each byte on its own (the decision must not depend on how the
// bytes were cut): accepted, the dialog then the ClientHello; refused,
// the refusal then one not_tls that says why.
func TestBinaryDialogs(t *testing.T) {
	hello := []byte{22, 3, 1, 0, 4, 1, 0, 0, 0}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A MySQL greeting (HandshakeV10 of MariaDB) with or without
	// CLIENT_SSL in its lower capabilities, and an SSLRequest.
	greeting := func(ssl bool) []byte {
		caps := "fef7"
		if ssl {
			caps = "feff"
		}
		p := unhex("0a" + hex.EncodeToString([]byte("10.11.6-MariaDB")) + "00" + "07000000" + "3132333435363738" + "00" + caps + "21" + "0200" + "ff81")
		return append([]byte{byte(len(p)), 0, 0, 0}, p...)
	}
	sslRequest := append([]byte{32, 0, 0, 1}, unhex("018a0000"+"00000001"+"21"+strings.Repeat("00", 23))...)
	// LDAP: the StartTLS request (message 1) and a response with a
	// result code.
	ldapReq := unhex("301d02010177188016" + hex.EncodeToString([]byte(ldapStartTLSOID)))
	ldapResp := func(code byte) []byte {
		return []byte{0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00}
	}
	for _, c := range []struct {
		name string
		sent []sent
		want []string
	}{
		{"postgres", []sent{{Client, unhex("0000000804d2162f")}, {Server, []byte("S")}, {Client, hello}},
			[]string{"client postgres: SSLRequest (8 bytes, code 80877103)", "server postgres: S (TLS accepted)", "client client_hello"}},
		{"postgres GSSAPI then TLS", []sent{{Client, unhex("0000000804d21630")}, {Server, []byte("N")}, {Client, unhex("0000000804d2162f")}, {Server, []byte("S")}, {Client, hello}},
			[]string{"client postgres: GSSENCRequest (8 bytes, code 80877104)", "server postgres: N (GSSAPI encryption refused)",
				"client postgres: SSLRequest (8 bytes, code 80877103)", "server postgres: S (TLS accepted)", "client client_hello"}},
		{"postgres refused", []sent{{Client, unhex("0000000804d2162f")}, {Server, []byte("N")}, {Client, []byte("startup")}},
			[]string{"client postgres: SSLRequest (8 bytes, code 80877103)", "server postgres: N (TLS refused)", "server not_tls: the PostgreSQL server refused TLS ('N')"}},
		{"mysql", []sent{{Server, greeting(true)}, {Client, sslRequest}, {Client, hello}},
			[]string{`server mysql: Handshake v10 (37 bytes, seq 0): server "10.11.6-MariaDB", connection 7, capabilities 0x81fffffe, SSL offered (CLIENT_SSL)`,
				"client mysql: SSLRequest (32 bytes, seq 1): capabilities 0x00008a01 with CLIENT_SSL, max packet 16777216, character set 33", "client client_hello"}},
		{"mysql without TLS", []sent{{Server, greeting(false)}},
			[]string{`server mysql: Handshake v10 (37 bytes, seq 0): server "10.11.6-MariaDB", connection 7, capabilities 0x81fff7fe, SSL not offered (no CLIENT_SSL)`,
				"server not_tls: the MySQL server does not offer TLS"}},
		{"ldap", []sent{{Client, ldapReq}, {Server, ldapResp(0)}, {Client, hello}},
			[]string{"client ldap: ExtendedRequest (message 1, 31 bytes): StartTLS 1.3.6.1.4.1.1466.20037",
				"server ldap: ExtendedResponse (message 1, 14 bytes): success (0)", "client client_hello"}},
		{"ldap refused", []sent{{Client, ldapReq}, {Server, ldapResp(2)}},
			[]string{"client ldap: ExtendedRequest (message 1, 31 bytes): StartTLS 1.3.6.1.4.1.1466.20037",
				"server ldap: ExtendedResponse (message 1, 14 bytes): protocolError (2)", "server not_tls: the LDAP server refused StartTLS (protocolError (2))"}},
		{"xmpp", []sent{{Client, []byte("<?xml version='1.0'?><stream:stream to='x' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")},
			{Server, []byte("<?xml version='1.0'?>\n<stream:stream id='1' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\n<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")},
			{Client, []byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")}, {Server, []byte("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")}, {Client, hello}},
			[]string{"client xmpp: <?xml version='1.0'?><stream:stream to='x' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
				"server xmpp: <?xml version='1.0'?> <stream:stream id='1' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
				"server xmpp: <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
				"client xmpp: <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "server xmpp: <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "client client_hello"}},
		{"xmpp refused", []sent{{Client, []byte("<stream:stream xmlns='jabber:client'>")}, {Client, []byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")},
			{Server, []byte("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")}},
			[]string{"client xmpp: <stream:stream xmlns='jabber:client'>", "client xmpp: <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
				"server xmpp: <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "server not_tls: the XMPP server refused STARTTLS"}},
		{"socks5", []sent{{Client, unhex("050100")}, {Server, unhex("0500")}, {Client, unhex("05010003" + "0a" + hex.EncodeToString([]byte("ip.example")) + "01bb")},
			{Server, unhex("050000017f0000011f90")}, {Client, hello}},
			[]string{"client socks5: greeting: methods no authentication (0x00)", "server socks5: method no authentication (0x00)",
				"client socks5: CONNECT ip.example:443", "server socks5: reply succeeded (0x00), bound 127.0.0.1:8080", "client client_hello"}},
		{"socks5 login refused", []sent{{Client, unhex("05020002")}, {Server, unhex("0502")}, {Client, unhex("0103757365027077")}, {Server, unhex("0101")}},
			[]string{"client socks5: greeting: methods no authentication (0x00), username/password (0x02)", "server socks5: method username/password (0x02)",
				`client socks5: username "use", password <password withheld>`, "server socks5: login refused (status 0x01)", "server not_tls: the SOCKS proxy refused the login"}},
		{"socks5 refused", []sent{{Client, unhex("050100")}, {Server, unhex("0500")}, {Client, unhex("05010004000000000000000000000000000000011f90")},
			{Server, unhex("05050001000000000000")}},
			[]string{"client socks5: greeting: methods no authentication (0x00)", "server socks5: method no authentication (0x00)",
				"client socks5: CONNECT [::1]:8080", "server socks5: reply connection refused (0x05), bound 0.0.0.0:0", "server not_tls: the SOCKS proxy did not connect"}},
		{"socks4a", []sent{{Client, append(unhex("040101bb000000016a6f6500"), "ip.example\x00"...)}, {Server, unhex("005a000000000000")}, {Client, hello}},
			[]string{`client socks4: CONNECT ip.example:443, user "joe"`, "server socks4: reply 90 (granted)", "client client_hello"}},
		{"irc", []sent{{Client, []byte("STARTTLS\r\n")}, {Server, []byte(":irc.local 670 * :STARTTLS successful, proceed with TLS handshake\r\n")}, {Client, hello}},
			[]string{"client irc: STARTTLS", "server irc: :irc.local 670 * :STARTTLS successful, proceed with TLS handshake", "client client_hello"}},
	} {
		var got []string
		s := NewSession(time.Unix(0, 0), nil, func(ev *Event) {
			line := ev.From.String() + " " + ev.Type
			if p, ok := ev.Payload.(*StartTLS); ok {
				line = ev.From.String() + " " + p.Protocol + ": " + p.Line
			}
			if ev.Type == TypeNotTLS {
				line += ": " + ev.Error
			}
			got = append(got, line)
		})
		conn := s.NewConn(1, false)
		conn.FollowStartTLS()
		for _, x := range c.sent {
			for i := range x.b {
				conn.Feed(x.from, Stamp{}, x.b[i:i+1])
			}
		}
		conn.Close()
		ok := len(got) == len(c.want)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], c.want[i])
		}
		if !ok {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// FuzzDialogs feeds plaintext dialogs that may turn into TLS (those of
// TestBinaryDialogs and TestStartTLSDialog, edited) whole and in pieces:
// the events must not depend on how the bytes were cut, and nothing may
// panic.
func FuzzDialogs(f *testing.F) {
	hello := "\x16\x03\x01\x00\x04\x01\x00\x00\x00"
	for _, s := range [][2]string{
		{"\x00\x00\x00\x08\x04\xd2\x16\x2f" + hello, "S"},
		{"\x00\x00\x00\x08\x04\xd2\x16\x30", "N"},
		{"", "\x25\x00\x00\x00\x0a10.11.6-MariaDB\x00\x07\x00\x00\x0012345678\x00\xfe\xff\x21\x02\x00\xff\x81"},
		{"0\x1d\x02\x01\x01w\x18\x80\x16" + ldapStartTLSOID + hello, "0\x0c\x02\x01\x01x\x07\x0a\x01\x00\x04\x00\x04\x00"},
		{"<?xml version='1.0'?><stream:stream xmlns='jabber:client'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + hello,
			"<stream:stream><stream:features/><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
		{"STARTTLS\r\n" + hello, ":irc 670 * :go\r\n"},
		{"EHLO x\r\nSTARTTLS\r\n" + hello, "220 ready\r\n250 STARTTLS\r\n220 go\r\n"},
		{"CONNECT a:443 HTTP/1.1\r\n\r\n" + hello, "HTTP/1.1 200 OK\r\n\r\n"},
		{"\x05\x01\x00\x05\x01\x00\x03\x01a\x01\xbb" + hello, "\x05\x00\x05\x00\x00\x01\x7f\x00\x00\x01\x1f\x90"},
		{"\x05\x01\x02\x01\x01u\x01p", "\x05\x02\x01\x00"},
		{"\x04\x01\x01\xbb\x00\x00\x00\x01u\x00a\x00" + hello, "\x00\x5a\x00\x00\x00\x00\x00\x00"},
	} {
		f.Add([]byte(s[0]), []byte(s[1]), uint16(9), uint16(1))
		f.Add([]byte(s[0]), []byte(s[1]), uint16(4096), uint16(3))
	}
	f.Fuzz(func(t *testing.T, client, server []byte, step, chunk uint16) {
		if len(client)+len(server) > 4096 {
			return
		}
		k := int(step%4096) + 1
		whole := feedTurnsFollow(t, keylog.New(), true, client, server, k, k)
		pieces := feedTurnsFollow(t, keylog.New(), true, client, server, k, int(chunk%64)+1)
		if strings.Join(whole, "\n") != strings.Join(pieces, "\n") {
			t.Fatalf("fed whole:\n%s\nfed in pieces of %d:\n%s", strings.Join(whole, "\n"), chunk%64+1, strings.Join(pieces, "\n"))
		}
	})
}

// TestDialogsNotMidStream: in a connection whose start the capture lacks,
// bytes that merely begin like an IRC notice, a SOCKS greeting or a MySQL
// greeting (the tail of a record, say) are not taken for a dialog: the
// decoder looks for the next record instead.
func TestDialogsNotMidStream(t *testing.T) {
	record := []byte{23, 3, 3, 0, 2, 0xaa, 0xbb}
	for _, c := range []struct {
		from Side
		head string
	}{{Server, ":x"}, {Client, "\x05\x01\x00"}, {Client, "\x04\x01\x01\xbb"}, {Server, "\x25\x00\x00\x00\x0a"}} {
		var got []string
		records := 0
		s := NewSession(time.Unix(0, 0), nil, func(ev *Event) {
			if ev.Type == TypeStartTLS || ev.Type == TypeNotTLS {
				got = append(got, ev.Type)
			}
			if ev.Layer == LayerTLS {
				records++
			}
		})
		conn := s.NewConn(1, false)
		conn.BeganMidStream()
		conn.FollowStartTLS()
		conn.Feed(c.from, Stamp{}, append([]byte(c.head), record...))
		conn.Feed(c.from, Stamp{}, record)
		conn.Close()
		if len(got) > 0 || records == 0 {
			t.Errorf("%q mid-stream: %v, %d records", c.head, got, records)
		}
	}
}
