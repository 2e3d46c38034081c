package handshake

import (
	"fmt"
	"testing"
)

// TestSessionCacheZero: a zero SessionCache stores and finds sessions, and
// keeps the newest 64 like NewSessionCache(0).
func TestSessionCacheZero(t *testing.T) {
	for name, c := range map[string]*SessionCache{"zero": {}, "new": NewSessionCache(0)} {
		for i := range defaultSessions + 1 {
			c.put(fmt.Sprint(i), &session{version: 0x0304})
		}
		if c.get("0") != nil {
			t.Errorf("%s: the oldest session is still there", name)
		}
		if s := c.get(fmt.Sprint(defaultSessions)); s == nil || s.version != 0x0304 {
			t.Errorf("%s: the newest session is missing: %+v", name, s)
		}
		if n := len(c.sessions); n != defaultSessions {
			t.Errorf("%s: %d sessions kept, want %d", name, n, defaultSessions)
		}
	}
}
