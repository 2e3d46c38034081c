package starttls

import (
	"errors"
	"strings"
	"testing"
)

// Server sides of XMPP dialogs, as prosody sends them.
const (
	xmppServerHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='example.org' version='1.0' xml:lang='en'>"
	xmppTLSFeatures  = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
	xmppProceed      = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	xmppSASLFeatures = "<stream:features>\n  <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\n    <mechanism>PLAIN</mechanism>\n  </mechanisms>\n</stream:features>"
)

func TestXMPPUpgrade(t *testing.T) {
	shown, sent, err := upgrade(t, "xmpp", xmppServerHeader+"\n"+xmppTLSFeatures+xmppProceed)
	if err != nil {
		t.Fatalf("%v (shown %q)", err, shown)
	}
	header := "<?xml version='1.0'?><stream:stream to='mail.example' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	if want := header + xmppStarttls; sent != want {
		t.Errorf("sent %q, want %q", sent, want)
	}
	want := []string{"C: " + header, "S: " + xmppServerHeader, "S: " + xmppTLSFeatures, "C: " + xmppStarttls, "S: " + xmppProceed}
	if strings.Join(shown, "\n") != strings.Join(want, "\n") {
		t.Errorf("shown\n%s\nwant\n%s", strings.Join(shown, "\n"), strings.Join(want, "\n"))
	}

	// Line breaks between a stanza's elements are written as one space:
	// the stanza stays one line.
	shown, _, err = upgrade(t, "xmpp", xmppServerHeader+"\n<stream:features>\r\n  <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n  <bind/>\n</stream:features>\n"+xmppProceed)
	if err != nil || len(shown) != 5 || shown[2] != "S: <stream:features> <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> <bind/> </stream:features>" {
		t.Errorf("features on several lines: %v, shown %q", err, shown)
	}

	// The server-to-server stream names its namespace.
	_, sent, err = upgrade(t, "xmpp-server", strings.Replace(xmppServerHeader, "jabber:client", "jabber:server", 1)+xmppTLSFeatures+"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'></proceed>")
	if err != nil || !strings.Contains(sent, "xmlns='jabber:server'") {
		t.Errorf("xmpp-server: %v, sent %q", err, sent)
	}

	var refused *RefusedError
	var closed *ClosedError
	var injection *InjectionError
	var protocol *ProtocolError
	for _, tc := range []struct {
		name, server string
		target       any
	}{
		{"failure", xmppServerHeader + xmppTLSFeatures + "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>", &refused},
		{"no starttls", xmppServerHeader + xmppSASLFeatures, &refused},
		{"starttls of another namespace", xmppServerHeader + "<stream:features><starttls/></stream:features>", &refused},
		{"stream error", xmppServerHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>", &refused},
		{"no stream", "<html><body>hello</body></html>", &refused},
		{"closed", xmppServerHeader + "<stream:features>", &closed},
		{"silent", "", &closed},
		{"not XML", "220 smtp.example ESMTP\r\n", &protocol},
		{"stanza too long", xmppServerHeader + "<stream:features>" + strings.Repeat("<x/>", maxStanza/4) + "</stream:features>", &protocol},
		{"injection", xmppServerHeader + xmppTLSFeatures + xmppProceed + "<message/>", &injection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shown, _, err := upgrade(t, "xmpp", tc.server)
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("error %v (%T), want a %T (shown %q)", err, err, tc.target, shown)
			}
		})
	}
}

func TestXMPPHeaderEscapes(t *testing.T) {
	if got, want := xmppHeader("a'b<c&", xmppClientNS), "to='a&#39;b&lt;c&amp;'"; !strings.Contains(got, want) {
		t.Errorf("header %q lacks %q", got, want)
	}
}

func TestNNTPAndIRC(t *testing.T) {
	for _, tc := range []struct {
		proto, server, sent string
		shown               int
	}{
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

	var refused *RefusedError
	var closed *ClosedError
	var injection *InjectionError
	var protocol *ProtocolError
	for _, tc := range []struct {
		name, proto, server string
		target              any
	}{
		{"greeting refused", "nntp", "502 service permanently unavailable\r\n", &refused},
		{"no TLS", "nntp", "200 ready\r\n500 What?\r\n580 can not initiate TLS negotiation\r\n", &refused},
		{"injection", "nntp", "200 ready\r\n500 What?\r\n382 go\r\n200 injected\r\n", &injection},
		{"ERR_STARTTLS", "irc", ":irc.example 691 * :STARTTLS failure\r\n", &refused},
		{"unknown command", "irc", ":irc.example 421 * STARTTLS :Unknown command\r\n", &refused},
		{"error", "irc", "ERROR :Closing link: (unknown@127.0.0.1) [Registration timeout]\r\n", &refused},
		{"silent", "irc", "", &closed},
		{"endless notices", "irc", strings.Repeat(":irc.example NOTICE * :hello\r\n", maxLines+1), &protocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shown, _, err := upgrade(t, tc.proto, tc.server)
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("error %v (%T), want a %T (shown %q)", err, err, tc.target, shown)
			}
		})
	}
}
