package server

import (
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"

	"github.com/tlstrace/tlstrace/internal/fingerprint"
)

func TestRank(t *testing.T) {
	if r, n := rank(0x1302, []uint16{0x0a0a, 0x1301, 0x1302, 0x1303}); r != 2 || n != 3 {
		t.Errorf("rank %d of %d, want 2 of 3 (GREASE not counted)", r, n)
	}
	if r, n := rank(0, []uint16{29}); r != 0 || n != 0 {
		t.Errorf("a group was ranked (%d of %d) though none was chosen", r, n)
	}
	// ffdhe2048 chosen for a DHE suite of TLS 1.2, the client listing
	// only curves (RFC 7919, Section 4).
	if r, n := rank(0x0100, []uint16{29, 23, 24}); r != 0 || n != 0 {
		t.Errorf("a group not offered was ranked %d of %d", r, n)
	}
}

func TestReportMarksGREASEAndHybrids(t *testing.T) {
	r := report(&ClientInfo{Hello: &fingerprint.Hello{
		CipherSuites: []uint16{0x2a2a, 0x1301},
		Groups:       []uint16{23, 0x11ec, 29},
		Extensions:   []uint16{0x3a3a, 0},
	}})
	if r.CipherSuites[0].Name != "GREASE" || r.CipherSuites[1].Name != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("suites %+v", r.CipherSuites)
	}
	if r.Groups[1].Note != "hybrid post-quantum" {
		t.Errorf("X25519MLKEM768 (0x11EC) not marked: %+v", r.Groups[1])
	}
	if r.Extensions[0].Note == "" || r.Extensions[1].Name != "server_name" {
		t.Errorf("extensions %+v", r.Extensions)
	}
}

// TestNoFingerprintOfBrokenHello checks that a ClientHello that did not
// decode to the end gets no JA3/JA4, while the same hello whole does.
func TestNoFingerprintOfBrokenHello(t *testing.T) {
	var events []*trace.Event
	sess := trace.NewSession(time.Unix(0, 0), nil, func(ev *trace.Event) { events = append(events, ev.Clone()) })
	hello := tlstest.ClientHello(t)
	// Cut the hello inside its extensions, and fix its lengths, so that it
	// arrives whole but does not decode to the end.
	cut := append([]byte(nil), hello[:len(hello)-7]...)
	n := len(cut) - 5
	cut[3], cut[4] = byte(n>>8), byte(n)
	cut[6], cut[7], cut[8] = byte((n-4)>>16), byte((n-4)>>8), byte(n-4)
	for i, b := range [][]byte{hello, cut} {
		c := sess.NewConn(i+1, false)
		c.Feed(trace.Client, trace.Stamp{}, b)
		c.Close()
	}
	s := &Server{byID: map[int]*ClientInfo{}}
	var got []int
	for _, ev := range events {
		if ev.Type != trace.TypeClientHello {
			continue
		}
		if ev.Conn == 2 && ev.Error == "" {
			t.Fatal("the cut hello decoded without an error")
		}
		if len(s.observe(ev)) > 0 {
			got = append(got, ev.Conn)
		}
	}
	if len(got) != 1 || got[0] != 1 {
		t.Errorf("fingerprints for connections %v, want only 1", got)
	}
}

// TestFirstHelloCounts feeds two different ClientHellos on one
// connection, as after a HelloRetryRequest: each gets its fingerprint
// event, numbered, and the connection's record (the www page, the ranks
// of handshake_complete, the failure's explanation) keeps the first.
func TestFirstHelloCounts(t *testing.T) {
	var events []*trace.Event
	sess := trace.NewSession(time.Unix(0, 0), nil, func(ev *trace.Event) { events = append(events, ev.Clone()) })
	msg, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: []uint16{0xc02b}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	second, err := wire.AppendRecord(nil, wire.ContentHandshake, wire.VersionTLS10, msg)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range [][]byte{tlstest.ClientHello(t), second} {
		c := sess.NewConn(i+1, false)
		c.Feed(trace.Client, trace.Stamp{}, b)
		c.Close()
	}
	s := &Server{byID: map[int]*ClientInfo{1: {Conn: 1, Remote: "192.0.2.1:1234"}}}
	var got []*trace.Fingerprint
	for _, ev := range events {
		if ev.Type != trace.TypeClientHello {
			continue
		}
		ev.Conn = 1
		for _, f := range s.observe(ev) {
			got = append(got, f.Payload.(*trace.Fingerprint))
		}
	}
	if len(got) != 2 || got[0].Hello != 1 || got[1].Hello != 2 || got[0].JA4 == got[1].JA4 {
		t.Fatalf("fingerprints %+v, want two different ones, numbered 1 and 2", got)
	}
	ci := s.byID[1]
	if ci.JA4 != got[0].JA4 || len(ci.Hello.CipherSuites) == 1 || ci.Remote != "192.0.2.1:1234" {
		t.Errorf("the connection's record is not the first hello's: %s %x %q", ci.JA4, ci.Hello.CipherSuites, ci.Remote)
	}
}

// TestReportKeepsALPNBytes checks that the www page's /json gives the
// exact bytes of ALPN protocols that are not UTF-8, which JSON shows as
// U+FFFD, and nothing more for valid ones.
func TestReportKeepsALPNBytes(t *testing.T) {
	r := report(&ClientInfo{Hello: &fingerprint.Hello{ALPN: []string{"\x00\xff", "h2"}}})
	if !slices.Equal(r.ALPNHex, []string{"00ff", "6832"}) {
		t.Errorf("alpn_hex %q", r.ALPNHex)
	}
	if r := report(&ClientInfo{Hello: &fingerprint.Hello{ALPN: []string{"\xef\xbf\xbd", "h2"}}}); r.ALPNHex != nil {
		t.Errorf("alpn_hex %q for valid text", r.ALPNHex)
	}
}
