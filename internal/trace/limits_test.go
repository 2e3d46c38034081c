package trace

import (
	"strings"
	"testing"
	"time"
)

// TestRecordLimits checks that a record over its version's limit is shown
// with the anomaly on its record, and still decoded as far as it goes:
// a plaintext over 2^14 bytes (any version; RFC 8446, Section 5.1) and a
// protected TLS 1.3 record over 2^14+256 bytes (Section 5.2), which crypto/tls
// and OpenSSL refuse with record_overflow.
func TestRecordLimits(t *testing.T) {
	dir := "illustrated-tls13"
	var events []*Event
	s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	c.Feed(Client, Stamp{Frame: 1}, testdata(t, dir, "caps", "clienthello"))
	c.Feed(Server, Stamp{Frame: 2}, testdata(t, dir, "caps", "serverhello"))
	// A protected record of 2^14+257 bytes: within TLS 1.2's limit, over
	// TLS 1.3's.
	n := 1<<14 + 257
	rec := append([]byte{23, 3, 3, byte(n >> 8), byte(n)}, make([]byte, n)...)
	c.Feed(Server, Stamp{Frame: 3}, rec)
	// And one that is within the limit.
	c.Feed(Server, Stamp{Frame: 4}, append([]byte{23, 3, 3, 0, 100}, make([]byte, 100)...))
	c.Close()
	if len(events) != 4 {
		t.Fatalf("events: %v", steps(events))
	}
	big, small := events[2], events[3]
	if big.Type != TypeEncryptedRecord || big.Record == nil || len(big.Record.Anomalies) != 1 ||
		!strings.Contains(big.Record.Anomalies[0].Text, "more than TLS 1.3 allows (16640") {
		t.Errorf("oversized TLS 1.3 record: %s %+v", big.Type, big.Record)
	}
	if small.Record == nil || len(small.Record.Anomalies) != 0 {
		t.Errorf("a record within the limit has anomalies: %+v", small.Record)
	}

	// A plaintext handshake record of 2^14+1 bytes.
	events = nil
	c = s.NewConn(2, false)
	body := make([]byte, 1<<14+1)
	body[0], body[1], body[2], body[3] = 1, 0, byte((len(body)-4)>>8), byte(len(body)-4)
	c.Feed(Client, Stamp{Frame: 1}, append([]byte{22, 3, 1, byte(len(body) >> 8), byte(len(body))}, body...))
	c.Close()
	if len(events) == 0 || events[0].Record == nil || len(events[0].Record.Anomalies) != 1 ||
		!strings.Contains(events[0].Record.Anomalies[0].Text, "16385 bytes of plaintext in one record") {
		t.Fatalf("oversized plaintext record: %v", steps(events))
	}
}
