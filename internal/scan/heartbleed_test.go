package scan

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzReadHeartbeats feeds readHeartbeats any bytes as the server's
// answer to the Heartbleed probe. A leak it reports is the length of a
// heartbeat response record in the input longer than the well-formed
// request's echo; an echo it reports is in the input; it always says how
// the exchange ended.
func FuzzReadHeartbeats(f *testing.F) {
	rec := func(typ byte, body ...byte) []byte {
		return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
	}
	echo := append(append([]byte{heartbeatResponse, 0, 16}, heartbeatPayload...), make([]byte, 16)...)
	leak := append([]byte{heartbeatResponse, 0x40, 0}, make([]byte, 64)...) // cut short
	f.Add(rec(24, echo...))
	f.Add(append(rec(24, leak...), rec(24, echo...)...))
	f.Add(rec(21, 2, 10))
	f.Add([]byte{24, 3, 3, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a := readHeartbeats(bytes.NewReader(b))
		if a.end == "" {
			t.Fatalf("no end said: %+v", a)
		}
		if a.echoed && !bytes.Contains(b, heartbeatPayload) {
			t.Fatalf("an echo that is not in the input: %+v", a)
		}
		if a.leaked > 0 {
			// The lengths of the heartbeat responses in the input that
			// carry more than the well-formed request's payload.
			var long []int
			for r := b; len(r) >= 5; {
				n := int(r[3])<<8 | int(r[4])
				if len(r) < 5+n {
					break
				}
				if body := r[5 : 5+n]; r[0] == 24 && n > 3+len(heartbeatPayload) && body[0] == heartbeatResponse && int(body[1])<<8|int(body[2]) > len(heartbeatPayload) {
					long = append(long, n)
				}
				r = r[5+n:]
			}
			if !slices.Contains(long, a.leaked) {
				t.Fatalf("a leak of %d bytes, but the long heartbeat responses of the input are %v", a.leaked, long)
			}
		}
	})
}
