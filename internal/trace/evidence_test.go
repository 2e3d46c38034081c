package trace

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

func newTestConn() (*Conn, *[]*Event) {
	var events []*Event
	s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
	return s.NewConn(1, false), &events
}

func TestEvidenceAlert(t *testing.T) {
	c, events := newTestConn()
	hello := testdata(t, "illustrated-tls13", "caps", "clienthello")
	c.Feed(Client, Stamp{}, hello)
	c.Feed(Server, Stamp{}, []byte{21, 3, 3, 0, 2, 1, 112}) // warning unrecognized_name
	c.Feed(Server, Stamp{}, []byte{21, 3, 3, 0, 2, 2, 70, 21, 3, 3, 0, 2, 1, 0})
	c.Close()
	ev := c.Evidence()
	a := ev.Alert[Server]
	if a == nil || a.Description == nil || wire.AlertDescription(a.Description.Value) != wire.AlertProtocolVersion || a.Description.Name != "protocol_version" ||
		wire.AlertLevel(a.Level.Value) != wire.AlertFatal || a.Level.Name != "fatal" {
		t.Errorf("server alert %+v, want the fatal protocol_version", a)
	}
	if ev.Alert[Client] != nil || ev.Framing != [2]error{} || ev.Truncated != [2]*TruncatedError{} {
		t.Errorf("evidence %+v", ev)
	}
	if !ev.Sent(Client, wire.TypeClientHello) || ev.Sent(Server, wire.TypeServerHello) || ev.Sent(Client, wire.TypeFinished) {
		t.Error("handshake messages seen")
	}
	if ev.ServerName != "example.ulfheim.net" {
		t.Errorf("server name %q, want the ClientHello's SNI", ev.ServerName)
	}
	var payloads []*Alert
	for _, e := range *events {
		if e.Type == TypeAlert {
			a, ok := e.Payload.(*Alert)
			if !ok {
				t.Fatalf("alert event without an *Alert payload: %+v", e)
			}
			payloads = append(payloads, a)
		}
	}
	if len(payloads) != 3 || payloads[0].Description.Name != "unrecognized_name" || payloads[2].Description.Value != 0 {
		t.Errorf("alert payloads %+v", payloads)
	}
}

func TestEvidenceFraming(t *testing.T) {
	cases := []struct {
		name    string
		server  []byte
		problem wire.HeaderProblem
	}{
		{"oversized", []byte{22, 3, 3, 0x4e, 0x20, 2, 0, 0}, wire.HeaderOversized},
		{"http", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), wire.HeaderContentType},
		{"implausible", []byte{22, 3, 9, 0, 5, 1, 2, 3, 4, 5}, wire.HeaderImplausible},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestConn()
			c.Feed(Client, Stamp{}, testdata(t, "illustrated-tls13", "caps", "clienthello"))
			c.Feed(Server, Stamp{}, tc.server)
			c.Close()
			var he *wire.RecordHeaderError
			if err := c.Evidence().Framing[Server]; !errors.As(err, &he) || he.Problem != tc.problem || !bytes.Equal(he.Header, tc.server[:5]) {
				t.Errorf("framing error %#v, want problem %d on % x", err, tc.problem, tc.server[:5])
			}
		})
	}
}

func TestEvidenceTruncated(t *testing.T) {
	hello := testdata(t, "illustrated-tls13", "caps", "clienthello")
	sh := testdata(t, "illustrated-tls13", "caps", "serverhello")
	// A record cut short.
	c, _ := newTestConn()
	c.Feed(Client, Stamp{}, hello)
	c.Feed(Server, Stamp{}, sh[:40])
	c.Close()
	tr := c.Evidence().Truncated[Server]
	if tr == nil || tr.Handshake || tr.Seen != 40 || tr.Length != len(sh) || tr.Side != Server {
		t.Errorf("truncated record: %+v", tr)
	}
	if c.Evidence().Truncated[Client] != nil {
		t.Errorf("client truncated: %+v", c.Evidence().Truncated[Client])
	}
	// A handshake message cut at a record boundary: the ServerHello's
	// first 20 bytes in a record of their own.
	c, _ = newTestConn()
	c.Feed(Client, Stamp{}, hello)
	c.Feed(Server, Stamp{}, append([]byte{22, 3, 3, 0, 20}, sh[5:25]...))
	c.Close()
	tr = c.Evidence().Truncated[Server]
	if tr == nil || !tr.Handshake || tr.Seen != 20 || tr.Length != len(sh)-5 {
		t.Errorf("truncated message: %+v", tr)
	}
	var te *TruncatedError
	if !errors.As(error(tr), &te) || tr.Error() != "the server's bytes ended inside a handshake message (16 of the 118 bytes its header announces)" {
		t.Errorf("%v", tr)
	}
}

// TestEvidenceLength: a ServerHello whose header claims more bytes than a
// ServerHello can hold is reported at once, with what it claimed and what
// came, and ends the reassembly of the server's handshake; a ServerHello
// split across two records is not.
func TestEvidenceLength(t *testing.T) {
	hello := testdata(t, "illustrated-tls13", "caps", "clienthello")
	sh := testdata(t, "illustrated-tls13", "caps", "serverhello")
	body := sh[5+4:]
	lying := append([]byte{22, 3, 3, 0, byte(4 + len(body)), 2, 2, 0, 0}, body...)
	c, events := newTestConn()
	c.Feed(Client, Stamp{}, hello)
	c.Feed(Server, Stamp{}, lying)
	le := c.Evidence().Length[Server]
	if le == nil || le.Side != Server || le.Type != wire.TypeServerHello || le.Claimed != 131072 || le.Max != 65607 || le.Held != len(body) {
		t.Fatalf("length evidence %+v", le)
	}
	last := (*events)[len(*events)-1]
	if last.Type != TypeServerHello || last.Error != le.Error() || !strings.Contains(last.Error, "claims 131072 bytes, more than a server_hello can hold (65607)") {
		t.Errorf("event %s: %q", last.Type, last.Error)
	}
	// What follows is not taken for the rest of the message.
	c.Feed(Server, Stamp{}, []byte{22, 3, 3, 0, 4, 14, 0, 0, 0})
	c.Close()
	if tr := c.Evidence().Truncated[Server]; tr != nil {
		t.Errorf("truncated: %+v", tr)
	}

	c, _ = newTestConn()
	c.Feed(Client, Stamp{}, hello)
	c.Feed(Server, Stamp{}, append([]byte{22, 3, 3, 0, 20}, sh[5:25]...))
	c.Feed(Server, Stamp{}, append([]byte{22, 3, 3, 0, byte(len(sh) - 25)}, sh[25:]...))
	if ev := c.Evidence(); ev.Length[Server] != nil || !ev.Sent(Server, wire.TypeServerHello) {
		t.Errorf("split ServerHello: %+v", ev.Length[Server])
	}
}
