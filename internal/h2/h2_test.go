package h2

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// FuzzH2 feeds arbitrary bytes of both directions to the HTTP/2 frame
// decoder, once each direction whole and once in pieces taking turns. Each
// direction must give the same events either way; every event is an
// h2_frame with valid JSON; each frame's header, encoded again from the
// event, is the bytes at its place in the stream (after the preface).
func FuzzH2(f *testing.F) {
	settings := []byte{0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100}
	headers := []byte{0, 0, 4, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84, 0x41} // truncated HPACK
	f.Add(append([]byte(h2Preface), settings...), append(settings, headers...), uint8(5))
	f.Add([]byte("PRI * HTTP/2.0\r\n"), []byte{0, 0x40, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3}, uint8(1))
	f.Fuzz(func(t *testing.T, client, server []byte, chunk uint8) {
		whole := h2Events(t, client, server, max(len(client), len(server), 1))
		pieces := h2Events(t, client, server, int(chunk%64)+1)
		for side := range whole {
			if !slices.Equal(whole[side], pieces[side]) {
				t.Fatalf("%v fed whole:\n%s\nin pieces of %d:\n%s", trace.Side(side), whole[side], chunk%64+1, pieces[side])
			}
		}
	})
}

// h2Events feeds client and server by turns in pieces of chunk bytes and
// returns each side's events as JSON, checking them on the way.
func h2Events(t *testing.T, client, server []byte, chunk int) [2][]string {
	var out [2][]string
	// off is where the next frame header of each side starts.
	off := [2]int{len(h2Preface), 0}
	stream := [2][]byte{client, server}
	d := newH2Decoder(1, func(ev *trace.Event) {
		if ev.Type != trace.TypeH2Frame || ev.Layer != trace.LayerHTTP || ev.From > trace.Server {
			t.Fatalf("event %s/%s from %v", ev.Layer, ev.Type, ev.From)
		}
		b, err := json.Marshal(ev)
		if err != nil || !json.Valid(b) {
			t.Fatalf("JSON %s: %v", b, err)
		}
		out[ev.From] = append(out[ev.From], string(b))
		fr, ok := ev.Payload.(*trace.H2Frame)
		if !ok {
			if ev.Error == "" {
				t.Fatalf("an event without a frame or an error: %s", b)
			}
			return
		}
		s, o := stream[ev.From], off[ev.From]
		h := []byte{byte(fr.Length >> 16), byte(fr.Length >> 8), byte(fr.Length), byte(fr.FrameType.Value), fr.Flags,
			byte(fr.StreamID >> 24), byte(fr.StreamID >> 16), byte(fr.StreamID >> 8), byte(fr.StreamID)}
		if o+len(h) > len(s) {
			t.Fatalf("frame %s past the %d bytes sent", b, len(s))
		}
		got := append([]byte{}, s[o:o+len(h)]...)
		got[5] &= 0x7f // the reserved bit
		if !bytes.Equal(h, got) {
			t.Fatalf("frame %s encodes to % x, the bytes at %d are % x", b, h, o, s[o:o+len(h)])
		}
		off[ev.From] = o + len(h) + fr.Length
	}, true, false)
	for len(client) > 0 || len(server) > 0 {
		k := min(chunk, len(client))
		d.feed(trace.Client, time.Time{}, client[:k])
		client = client[k:]
		k = min(chunk, len(server))
		d.feed(trace.Server, time.Time{}, server[:k])
		server = server[k:]
	}
	return out
}

// TestWatcherEarlyData checks that the client's 0-RTT data is read as HTTP
// only once the server accepted it (RFC 8446, Section 4.2.10), whether it
// comes before the server's answer or after it, and that a stream whose
// start is unknown (no answer read) is not read.
func TestWatcherEarlyData(t *testing.T) {
	req := func(path string) []byte { return []byte("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n") }
	data := func(early bool, b []byte) *trace.Event {
		return &trace.Event{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeApplicationData,
			Record: &trace.Record{EarlyData: early}, Payload: &trace.Data{Length: len(b), Bytes: b}}
	}
	answer := func(accepted bool) *trace.Event {
		return &trace.Event{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeEncryptedExtensions,
			Payload: &trace.Message{EncryptedExtensions: &trace.EncryptedExtensions{EarlyData: &accepted}}}
	}
	tests := []struct {
		name   string
		events []*trace.Event
		want   []string
	}{
		{"accepted", []*trace.Event{data(true, req("/0rtt")), answer(true), data(true, req("/0rtt-after")), data(false, req("/1rtt"))},
			[]string{"/0rtt", "/0rtt-after", "/1rtt"}},
		{"rejected", []*trace.Event{data(true, req("/0rtt")), answer(false), data(true, req("/0rtt-after")), data(false, req("/1rtt"))},
			[]string{"/1rtt"}},
		{"no answer", []*trace.Event{data(true, req("/0rtt")), data(false, req("/1rtt"))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			w := NewWatcher(func(ev *trace.Event) {
				if r, ok := ev.Payload.(*trace.HTTPRequest); ok {
					got = append(got, r.URL)
				}
			})
			for _, ev := range tt.events {
				w.Event(ev)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("requests %q, want %q", got, tt.want)
			}
		})
	}
}
