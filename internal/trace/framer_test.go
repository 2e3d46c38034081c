package trace

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
)

// sent is bytes one side sent.
type sent struct {
	from Side
	b    []byte
}

// feedSent feeds what was sent, in order, each in chunks of the given size
// (0: whole), and returns the events.
func feedSent(keys *keylog.Log, all []sent, chunk int) []*Event {
	var events []*Event
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	for _, x := range all {
		b := x.b
		for len(b) > 0 {
			k := len(b)
			if chunk > 0 {
				k = min(chunk, k)
			}
			c.Feed(x.from, Stamp{}, b[:k])
			b = b[k:]
		}
	}
	c.Close()
	return events
}

// illustratedSent returns the records of the Illustrated TLS 1.3
// connection, with what edit does to them.
func illustratedSent(t testing.TB, edit func([]sent) []sent) []sent {
	var all []sent
	for _, f := range illustrated13 {
		all = append(all, sent{f.from, testdata(t, "illustrated-tls13", "caps", f.file)})
	}
	return edit(all)
}

// TestFramingChunking checks that the framer gives the same events for any
// chunking when the streams hold what is not a record: bytes to skip, an
// oversized header, a record type no TLS stack starts with, an SSL 2.0
// hello, a stream cut inside a header, a record or a handshake message.
func TestFramingChunking(t *testing.T) {
	keys := loadKeys(t, "illustrated-tls13")
	sslv2 := []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0, 0x15, 0, 0, 0, 0x10}
	sslv2 = append(sslv2, bytes.Repeat([]byte{0, 0, 0x2f}, 7)...)
	sslv2 = append(sslv2, bytes.Repeat([]byte{0x42}, 16)...)
	// after adds bytes sent by a side after record i.
	after := func(i int, from Side, b ...byte) func([]sent) []sent {
		return func(all []sent) []sent {
			return append(all[:i+1:i+1], append([]sent{{from, b}}, all[i+1:]...)...)
		}
	}
	for _, tc := range []struct {
		name string
		edit func([]sent) []sent
		want string // in the events
	}{
		{"junk", after(1, Server, []byte("junk\x16\x03\x09no\x17\x03")...), "11 bytes are not a TLS record"},
		{"oversized", after(1, Server, 0x17, 3, 3, 0x50, 0), "claims 20480 bytes, more than TLS allows (at most 16640 bytes in a protected TLS 1.3 record, RFC 8446, Section 5.2)"},
		{"oversized plaintext", func(all []sent) []sent {
			return append([]sent{all[0], {Server, []byte{0x16, 3, 3, 0x50, 0}}}, all[1:]...)
		},
			"claims 20480 bytes, more than TLS allows (at most 16384 bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1)"},
		{"ack", after(1, Server, 26, 3, 3, 0, 2, 1, 1), `"type":"ack","record":{"type":{"name":"ack","value":26}`},
		{"sslv2", func(all []sent) []sent { return append([]sent{{Client, sslv2}}, all...) }, `"type":"client_hello","record":{"type":{"name":"sslv2"`},
		{"header cut", after(12, Server, 0x16, 3), "the connection ended inside a record (2 of the 5 bytes of its header seen)"},
		{"record cut", after(12, Server, 0x17, 3, 3, 0, 40, 1, 2), "the connection ended inside a record (2 of the 40 bytes its header announces seen)"},
		{"encrypted record cut", after(12, Server, 0x17, 3, 3, 0, 40, 1, 2), `"type":"partial_record","record":{"type":{"name":"application_data","value":23},"version":{"name":"TLS 1.2","value":771},"length":40,"encrypted":true}`},
		{"plaintext record cut", func(all []sent) []sent { return []sent{all[0], {Server, []byte{0x16, 3, 3, 0, 40, 2, 0}}} },
			`"type":"partial_record","record":{"type":{"name":"handshake","value":22},"version":{"name":"TLS 1.2","value":771},"length":40,"encrypted":false},"error":"the connection ended inside a record (2 of the 40 bytes its header announces seen)"`},
		{"header cut type", after(12, Server, 0x16, 3), `"type":"partial_record","error":"the connection ended inside a record (2 of the 5 bytes of its header seen)"`},
		{"message cut", after(12, Server, 0x16, 3, 3, 0, 4, 0x0b, 0, 0x10, 0), "the connection ended inside a handshake message (0 of the 4096 bytes its header announces seen)"},
	} {
		all := illustratedSent(t, tc.edit)
		want := eventsJSON(t, feedSent(keys, all, 0))
		if !strings.Contains(want, tc.want) {
			t.Errorf("%s: no event says %q:\n%s", tc.name, tc.want, want)
		}
		for _, chunk := range []int{1, 2, 3, 4, 5, 6, 7, 13, 100} {
			if got := eventsJSON(t, feedSent(keys, all, chunk)); got != want {
				t.Errorf("%s, chunk %d: events differ\n got %s\nwant %s", tc.name, chunk, got, want)
			}
		}
	}
}

// TestResyncLimit checks that the framer looks for the next record header
// no further than maxResync bytes: past it, what it has is skipped but for
// its last 5 bytes, which may start the next header.
func TestResyncLimit(t *testing.T) {
	keys := loadKeys(t, "illustrated-tls13")
	junk := bytes.Repeat([]byte{0xaa}, maxResync+1000)
	skips := func(events []*Event) []string {
		var out []string
		for _, ev := range events {
			if strings.Contains(ev.Error, "skipped to the next record header") {
				out = append(out, ev.Error[:strings.Index(ev.Error, " bytes")])
			}
		}
		return out
	}
	// With the next record in the same feed, its header is in view: one
	// skip.
	all := illustratedSent(t, func(all []sent) []sent {
		all[2].b = append(append([]byte{}, junk...), all[2].b...)
		return all
	})
	if got, want := fmt.Sprint(skips(feedSent(keys, all, 0))), fmt.Sprint([]string{fmt.Sprint(len(junk))}); got != want {
		t.Errorf("one feed: skips %s, want %s", got, want)
	}
	// The junk alone: skipped but for its last 5 bytes, then those.
	all = illustratedSent(t, func(all []sent) []sent {
		return append(all[:2:2], append([]sent{{Server, junk}}, all[2:]...)...)
	})
	if got, want := fmt.Sprint(skips(feedSent(keys, all, 0))), fmt.Sprint([]string{fmt.Sprint(len(junk) - 5), "5"}); got != want {
		t.Errorf("junk alone: skips %s, want %s", got, want)
	}
	// In pieces: the search stops once more than maxResync bytes are
	// held, and goes on from what was looked at before in each piece.
	if got, want := fmt.Sprint(skips(feedSent(keys, all, 1000))), "[65995 541]"; got != want {
		t.Errorf("junk in pieces: skips %s, want %s", got, want)
	}
}

// BenchmarkResync measures the search for the next record header in bytes
// that arrive one at a time.
func BenchmarkResync(b *testing.B) {
	junk := []byte{0xaa}
	for b.Loop() {
		s := NewSession(time.Unix(0, 0), nil, func(*Event) {})
		c := s.NewConn(1, false)
		c.Feed(Server, Stamp{}, []byte{0x16, 3, 3, 0, 1, 2})
		for range maxResync {
			c.Feed(Server, Stamp{}, junk)
		}
	}
}

// TestJoinMidStream checks a connection whose capture began after it did
// (BeganMidStream): a side whose first bytes are inside a record is read
// from its first record header, found where its record is followed by
// another header or ends with the bytes given, and the bytes before it
// are said to be missing; a stream with no record header within the reach
// of the largest record is not TLS, as is a side of a connection whose
// start was captured when its first bytes are not a record.
func TestJoinMidStream(t *testing.T) {
	keys := loadKeys(t, "illustrated-tls13")
	// The capture begins 7 bytes into the server's first encrypted
	// record: its application data records come after the client's
	// Finished, keys unknown without the hellos.
	var records []sent
	for _, f := range illustrated13[6:] {
		records = append(records, sent{f.from, testdata(t, "illustrated-tls13", "caps", f.file)})
	}
	records[0].b = records[0].b[7:]
	run := func(mid bool, all []sent) []string {
		var events []string
		s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.From.String()+" "+ev.Type+": "+ev.Error) })
		c := s.NewConn(1, false)
		if mid {
			c.BeganMidStream()
		}
		for _, x := range all {
			c.Feed(x.from, Stamp{}, x.b)
		}
		c.Close()
		return events
	}
	got := run(true, records)
	skip := fmt.Sprintf("server encrypted_record: %d bytes before the first record header of this side: the capture began inside a record", len(records[0].b))
	// The server's cut record alone holds no header: its next record
	// shows where records start.
	i := slices.IndexFunc(got, func(ev string) bool { return strings.HasPrefix(ev, "server ") })
	if i < 0 || got[i] != skip {
		t.Fatalf("mid-stream events %q, want the server's first %q", got, skip)
	}
	for _, ev := range slices.Delete(slices.Clone(got), i, i+1) {
		if !strings.HasSuffix(ev, ": "+ErrNoHandshake) && !strings.Contains(ev, "change_cipher_spec") {
			t.Errorf("mid-stream event %q, want the encrypted records that say no hello was captured", ev)
		}
	}
	if len(got) != len(records) {
		t.Errorf("%d events for %d records (the first cut): %q", len(got), len(records), got)
	}
	// The same bytes from a connection whose start was captured: not TLS.
	if got := run(false, records); len(got) != 1 || !strings.HasPrefix(got[0], "server not_tls: ") {
		t.Errorf("events %q, want one not_tls", got)
	}
	// Text with no record header: not TLS, once more than a record's
	// reach was seen, or at the end.
	text := []byte(strings.Repeat("GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n", 500))
	for _, n := range []int{100, len(text)} {
		if got := run(true, []sent{{Client, text[:n]}}); len(got) != 1 || !strings.HasPrefix(got[0], "client not_tls: ") {
			t.Errorf("%d bytes of text mid-stream: events %q, want one not_tls", n, got)
		}
	}
	for _, c := range []struct {
		b      []byte
		end    bool
		k      int
		decide bool
	}{
		{[]byte{1, 2, 23, 3, 3, 0, 2, 9, 9}, false, 2, true},                              // the record ends with the bytes
		{[]byte{1, 2, 23, 3, 3, 0, 2, 9, 9, 21, 3, 3}, false, 2, true},                    // another header follows
		{[]byte{1, 2, 23, 3, 3, 0, 2, 9, 9, 7, 7, 7}, false, -1, false},                   // not one: more bytes decide
		{[]byte{1, 2, 23, 3, 3, 0, 2, 9, 9, 7, 7, 7}, true, -1, true},                     // none before the end
		{[]byte{1, 23, 3, 3, 0, 9, 9, 22, 3, 3, 0, 1, 1, 20, 3, 3, 7, 7}, false, 7, true}, // no header after the first one's record: the second's
	} {
		if k, decided := joinAt(c.b, c.end); k != c.k || decided != c.decide {
			t.Errorf("joinAt(% x, %v) = %d, %v, want %d, %v", c.b, c.end, k, decided, c.k, c.decide)
		}
	}
}

// TestPartialSSLv2Hello checks that an SSL 2.0 compatible ClientHello the
// connection ended inside, or a gap cut, is said to be one, measured by
// its 2-byte header, not read as a record with a 5-byte header.
func TestPartialSSLv2Hello(t *testing.T) {
	// 0x802e: 46 bytes after the 2-byte header; msg_type 1, TLS 1.0.
	start := []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0, 0x15, 0, 0, 0, 0x10}
	for _, gap := range []bool{false, true} {
		var events []*Event
		s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
		c := s.NewConn(1, false)
		c.Feed(Client, Stamp{Time: time.Unix(1, 0), Frame: 1}, start)
		want := "the connection ended inside an SSL 2.0 ClientHello (9 of the 46 bytes its header announces seen)"
		if gap {
			c.Gap(Client, Stamp{Time: time.Unix(1, 0), Frame: 2}, 37)
			want = "37 bytes are missing from the capture inside this SSL 2.0 ClientHello (9 of the 46 bytes its header announces seen)"
		}
		c.Close()
		if len(events) != 1 || events[0].Type != TypePartialRecord || events[0].Record != nil || !strings.HasPrefix(events[0].Error, want) {
			for _, ev := range events {
				t.Logf("%s: %s", ev.Type, ev.Error)
			}
			t.Errorf("gap %v: want one partial_record event starting %q", gap, want)
		}
	}
}
