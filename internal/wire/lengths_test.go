package wire

import "testing"

// TestMaxBodyLen checks the bounds against the structures' sums and that
// unbounded types have none.
func TestMaxBodyLen(t *testing.T) {
	for _, c := range []struct {
		t    HandshakeType
		want int
		ok   bool
	}{
		{TypeServerHello, 65607, true},
		{TypeClientHello, 131396, true},
		{TypeServerHelloDone, 0, true},
		{TypeKeyUpdate, 1, true},
		{TypeCertificate, 0, false},
		{TypeFinished, 0, false},
		{HandshakeType(99), 0, false},
	} {
		if n, ok := MaxBodyLen(c.t); n != c.want || ok != c.ok {
			t.Errorf("%v: %d %v, want %d %v", c.t, n, ok, c.want, c.ok)
		}
	}
}
