package h2

import (
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// FuzzH2 feeds arbitrary bytes, in arbitrary pieces, to the HTTP/2 frame
// decoder of both directions: it must never panic, and every event must be
// an h2_frame.
func FuzzH2(f *testing.F) {
	settings := []byte{0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100}
	headers := []byte{0, 0, 4, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84, 0x41} // truncated HPACK
	f.Add(append([]byte(h2Preface), settings...), append(settings, headers...), uint8(5))
	f.Add([]byte("PRI * HTTP/2.0\r\n"), []byte{0, 0x40, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3}, uint8(1))
	f.Fuzz(func(t *testing.T, client, server []byte, chunk uint8) {
		n := int(chunk%64) + 1
		d := newH2Decoder(1, func(ev *trace.Event) {
			if ev.Type != "h2_frame" {
				t.Fatalf("event %q", ev.Type)
			}
		})
		for len(client) > 0 || len(server) > 0 {
			k := min(n, len(client))
			d.feed(trace.Client, time.Time{}, client[:k])
			client = client[k:]
			k = min(n, len(server))
			d.feed(trace.Server, time.Time{}, server[:k])
			server = server[k:]
		}
	})
}
