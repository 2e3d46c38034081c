package trace

import (
	"strings"
	"testing"
	"time"
)

// TestNothingPlainAfterGap checks that when a side lost bytes before its
// records became protected (the lost bytes held its ChangeCipherSpec), the
// protected records after the gap are shown as encrypted records saying
// why, never as plaintext application data or alerts.
func TestNothingPlainAfterGap(t *testing.T) {
	keys := loadKeys(t, "illustrated-tls12")
	var events []*Event
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	lost := map[string]bool{"clientkeyexchange": true, "clientccs": true, "clientfinished": true, "serverccs": true}
	gapped := map[Side]bool{}
	for i, f := range illustrated12 {
		at := Stamp{Time: time.Unix(int64(i), 0), Frame: i + 1}
		b := testdata(t, "illustrated-tls12", "caps", f.file)
		if lost[f.file] {
			if !gapped[f.from] {
				c.Gap(f.from, at, len(b))
				gapped[f.from] = true
			}
			continue
		}
		c.Feed(f.from, at, b)
	}
	c.Close()
	var after []string
	for _, ev := range events {
		if ev.Frame < 6 || ev.Layer != LayerTLS {
			continue
		}
		after = append(after, ev.From.String()+":"+ev.Type)
		if ev.Type != TypeEncryptedRecord {
			t.Errorf("frame %d from %v after the gap shown as %s", ev.Frame, ev.From, ev.Type)
			continue
		}
		if !strings.Contains(ev.Error, "missing") && !strings.Contains(ev.Error, "lost") {
			t.Errorf("frame %d: error %q does not say bytes were lost", ev.Frame, ev.Error)
		}
	}
	// The gaps, then the server's Finished, both sides' application data
	// and the client's alert.
	if len(after) != 6 {
		t.Errorf("events after the gap: %v", after)
	}
}
