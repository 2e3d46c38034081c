package starttls

import (
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

}

func TestXMPPHeaderEscapes(t *testing.T) {
	if got, want := xmppHeader("a'b<c&", xmppClientNS), "to='a&#39;b&lt;c&amp;'"; !strings.Contains(got, want) {
		t.Errorf("header %q lacks %q", got, want)
	}
}
