package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// fuzzStreams are the connections FuzzConn edits: both Illustrated
// connections (whose secrets the fuzzed Conn holds), and an empty one into
// which an edit inserts arbitrary bytes.
func fuzzStreams(t testing.TB) [][2][]byte {
	var out [][2][]byte
	for _, c := range []struct {
		dir     string
		flights []flight
	}{{"illustrated-tls13", illustrated13}, {"illustrated-tls12", illustrated12}} {
		var s [2][]byte
		for _, fl := range c.flights {
			s[fl.from] = append(s[fl.from], testdata(t, c.dir, "caps", fl.file)...)
		}
		out = append(out, s)
	}
	return append(out, [2][]byte{})
}

// FuzzConn edits one side of a real connection (overwriting, inserting or
// deleting bytes, or cutting it short) and feeds both sides to a Conn that
// holds the connection's secrets, the sides taking turns every step bytes.
// Each turn is fed once whole and once in pieces of chunk bytes: Conn
// promises the same events in any chunking, so both runs must emit the
// same events, each with a side, a layer and a type, and valid JSON.
//
// The input is the edit, not the connection: each execution decrypts a
// handshake twice, and the fuzzer minimizes every new input in time
// quadratic in its size, so whole connections as input left it minimizing
// most of the time.
func FuzzConn(f *testing.F) {
	streams := fuzzStreams(f)
	keys, warnings, err := keylog.Parse(bytes.NewReader(append(testdata(f, "illustrated-tls13", "keylog.txt"), testdata(f, "illustrated-tls12", "keylog.txt")...)))
	if err != nil || len(warnings) > 0 {
		f.Fatal(err, warnings)
	}
	for i := range streams {
		f.Add(uint8(i), uint8(0), uint16(0), []byte{}, uint16(4096), uint16(7))
		f.Add(uint8(i), uint8(1), uint16(100), []byte{0x16, 3, 3, 0, 1, 0}, uint16(300), uint16(1))
		f.Add(uint8(i), uint8(2*4+1), uint16(600), []byte{0xff}, uint16(50), uint16(3))
		f.Add(uint8(i), uint8(3*4), uint16(900), []byte{}, uint16(4096), uint16(5))
	}
	f.Fuzz(func(t *testing.T, which, edit uint8, off uint16, patch []byte, step, chunk uint16) {
		if len(patch) > 32 {
			// Longer edits find nothing shorter ones do not, and take
			// the fuzzer long to minimize.
			return
		}
		s := streams[int(which)%len(streams)]
		side := edit % 2
		s[side] = tlstest.Edit(s[side], edit/2%4, int(off), patch)
		k := int(step%4096) + 1
		whole := feedTurns(t, keys, s[Client], s[Server], k, k)
		pieces := feedTurns(t, keys, s[Client], s[Server], k, int(chunk%64)+1)
		if len(whole) != len(pieces) {
			t.Fatalf("%d events fed whole, %d fed in pieces of %d:\n%s\n%s", len(whole), len(pieces), chunk%64+1, whole, pieces)
		}
		for i := range whole {
			if whole[i] != pieces[i] {
				t.Fatalf("event %d fed whole:\n%s\nfed in pieces of %d:\n%s", i, whole[i], chunk%64+1, pieces[i])
			}
		}
	})
}

// feedTurns feeds client and server by turns of step bytes, each turn in
// pieces of chunk bytes, and returns the JSON of the events (with the type
// of their payload).
func feedTurns(t *testing.T, keys *keylog.Log, client, server []byte, step, chunk int) []string {
	return feedTurnsFollow(t, keys, false, client, server, step, chunk)
}

// feedTurnsFollow is feedTurns with FollowStartTLS when follow is set.
func feedTurnsFollow(t *testing.T, keys *keylog.Log, follow bool, client, server []byte, step, chunk int) []string {
	var out []string
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) {
		if ev.Type == "" || ev.Layer == "" || (ev.From != Client && ev.From != Server) {
			t.Fatalf("event without side, type or layer: %+v", ev)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("%s event: %v", ev.Type, err)
		}
		out = append(out, fmt.Sprintf("%T %s", ev.Payload, b))
	})
	c := s.NewConn(1, false)
	if follow {
		c.FollowStartTLS()
	}
	feed := func(side Side, b []byte) []byte {
		turn := b[:min(step, len(b))]
		for len(turn) > 0 {
			n := min(chunk, len(turn))
			c.Feed(side, Stamp{}, turn[:n])
			turn = turn[n:]
		}
		return b[min(step, len(b)):]
	}
	for len(client) > 0 || len(server) > 0 {
		client = feed(Client, client)
		server = feed(Server, server)
	}
	c.Close()
	return out
}
