package source

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// chainsRepeat is eight connections of openssl s_client to one openssl
// s_server within two seconds: one chain, one name.
const chainsRepeat = "../../cmd/tlstrace/testdata/captures/chains-repeat.pcapng"

// TestChainsVerifiedOnce checks that a chain sent on many connections is
// verified once per second of capture time (the precision its
// explanation shows), not once per connection, and that every connection
// still gets its explanation.
func TestChainsVerifiedOnce(t *testing.T) {
	c := &Chains{}
	// A whole second is told apart from the rest of it.
	type second struct {
		unix  int64
		whole bool
	}
	seconds := map[second]bool{}
	verifies, links := 0, 0
	err := Read(bytes.NewReader(mustRead(t, chainsRepeat)), func(ev *trace.Event) {
		switch p := ev.Payload.(type) {
		case *trace.Verify:
			verifies++
			seconds[second{p.At.Unix(), p.At.Nanosecond() == 0}] = true
			if !p.At.Equal(ev.Time) || ev.Conn != verifies {
				t.Errorf("verify of conn %d at %v, event at %v", ev.Conn, p.At, ev.Time)
			}
		case *trace.Link:
			links++
		}
	}, Options{Chains: c})
	if err != nil {
		t.Fatal(err)
	}
	if verifies != 8 || links != 8*2 {
		t.Fatalf("%d verify and %d link events, want 8 and 16", verifies, links)
	}
	if c.verifications != len(seconds) || c.verifications >= verifies {
		t.Errorf("%d verifications for %d connections in %d seconds", c.verifications, verifies, len(seconds))
	}
}

// TestChainsParallel checks that the chains of a capture read on several
// workers, which share the verifications, come out as one decoder writes
// them.
func TestChainsParallel(t *testing.T) {
	b := mustRead(t, "../../cmd/tlstrace/testdata/captures/chains.pcapng")
	for name, newAppend := range renderers {
		want := sequential(t, b, Options{Chains: &Chains{}}, newAppend)
		if !bytes.Contains(want, []byte("not trusted")) {
			t.Fatalf("%s: no chain explained", name)
		}
		var got bytes.Buffer
		if err := Render(bytes.NewReader(b), &got, newAppend, Options{Chains: &Chains{}, Workers: 3}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: parallel output differs from one decoder's", name)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestChainsEncrypted checks what is said of a TLS 1.3 chain that could
// not be decrypted: once per connection, for want of secrets, or of
// bytes when the server's were missing before it, and nothing for a
// resumed session, which sends no chain.
func TestChainsEncrypted(t *testing.T) {
	tls13 := trace.Enum{Name: "TLS 1.3", Value: 0x0304}
	hello := &trace.Event{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeClientHello,
		Payload: &trace.Message{ClientHello: &trace.ClientHello{ServerName: "example.test", HasServerName: true}}}
	server := func(psk bool) *trace.Event {
		return &trace.Event{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeServerHello,
			Payload: &trace.Message{ServerHello: &trace.ServerHello{SelectedVersion: &tls13, SelectedPSK: psk}}}
	}
	compressed := &trace.Event{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: typeCompressedCertificate, Frame: 7,
		Payload: &trace.Message{MsgType: trace.Enum{Name: typeCompressedCertificate, Value: 25}, HasMsgType: true}}
	gap := &trace.Event{Conn: 1, From: trace.Server, Layer: trace.LayerTCP, Type: trace.TypeGap, Payload: &trace.TCPSegment{Kind: trace.TypeGap}}
	record := &trace.Event{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeEncryptedRecord, Payload: &trace.Data{}, Frame: 7}
	for _, c := range []struct {
		name   string
		events []*trace.Event
		fix    string // "" for nothing said
	}{
		{"no secrets", []*trace.Event{hello, server(false), record, record}, "read the capture with this connection's secrets"},
		{"gap", []*trace.Event{hello, server(false), gap, record, record}, "capture the connection again, whole"},
		{"resumed", []*trace.Event{hello, server(true), record}, ""},
		// RFC 8879, decrypted with the secrets: tlstrace has no
		// decompressor.
		{"compressed", []*trace.Event{hello, server(false), compressed, compressed}, "-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDecoder(Options{Chains: &Chains{}}, func(*trace.Event) {}, nil)
			var said []*trace.Event
			for _, ev := range c.events {
				said = append(said, d.chainEvents(ev)...)
			}
			if c.fix == "" {
				if len(said) != 0 {
					t.Fatalf("said %d events, want none", len(said))
				}
				return
			}
			if len(said) != 1 {
				t.Fatalf("said %d events, want 1", len(said))
			}
			p, ok := said[0].Payload.(*trace.Verify)
			if c.fix == "-" {
				// No fix: the chain is in the capture, tlstrace cannot read it.
				c.fix = ""
				if !strings.Contains(said[0].Error, "compressed (RFC 8879)") {
					t.Errorf("error %q", said[0].Error)
				}
			}
			if !ok || p.Verdict != "not verified" || p.Chain != nil || p.Host != "example.test" || !strings.HasPrefix(p.Fix, c.fix) || (c.fix == "" && p.Fix != "") ||
				said[0].Frame != 7 || !strings.Contains(said[0].Error, "could not be verified") {
				t.Errorf("said %+v, payload %+v", said[0], said[0].Payload)
			}
		})
	}
}

// TestChainsNoHello checks that a chain whose connection's ClientHello the
// capture lacks says so, and that one whose ClientHello had no SNI says
// that, though both check no name (and share the second and the chain).
func TestChainsNoHello(t *testing.T) {
	b := mustRead(t, chainsRepeat)
	var der [][]byte
	err := Read(bytes.NewReader(b), func(ev *trace.Event) {
		if m, ok := ev.Payload.(*trace.Message); ok && m.Certificate != nil && der == nil {
			for _, d := range m.Certificate.DER {
				der = append(der, bytes.Clone(d))
			}
		}
	}, Options{})
	if err != nil || der == nil {
		t.Fatalf("no chain: %v", err)
	}
	d := newDecoder(Options{Chains: &Chains{}}, func(*trace.Event) {}, nil)
	at := time.Date(2026, 11, 30, 12, 0, 0, 5, time.UTC)
	cert := func(conn int) *trace.Event {
		return &trace.Event{Conn: conn, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeCertificate, Time: at,
			Payload: &trace.Message{Certificate: &trace.CertificateList{DER: der}}}
	}
	noSNI := &trace.Event{Conn: 2, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeClientHello,
		Payload: &trace.Message{ClientHello: &trace.ClientHello{}}}
	notes := func(evs []*trace.Event) []string {
		for _, ev := range evs {
			if p, ok := ev.Payload.(*trace.Verify); ok {
				return p.Notes
			}
		}
		t.Fatal("no verify event")
		return nil
	}
	first := notes(d.chainEvents(cert(1)))
	d.chainEvents(noSNI)
	second := notes(d.chainEvents(cert(2)))
	if len(first) != 1 || !strings.Contains(first[0], "no ClientHello") || len(second) != 1 || !strings.Contains(second[0], "no server_name (SNI)") {
		t.Errorf("notes %q, then %q", first, second)
	}
}
