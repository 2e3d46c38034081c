package main

import (
	"testing"
	"time"
)

// TestSeconds: curl's seconds and Go's durations, and why a value is
// refused.
func TestSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{"2": 2 * time.Second, "0.5": 500 * time.Millisecond, "1e3": 1000 * time.Second, "2s": 2 * time.Second, "0": 0, "1500ms": 1500 * time.Millisecond} {
		var s seconds
		if err := s.Set(in); err != nil || time.Duration(s) != want {
			t.Errorf("%q: %v, %v; want %v", in, time.Duration(s), err, want)
		}
	}
	for in, want := range map[string]string{
		"-1": "want 0 or more seconds", "-2s": "want 0 or more seconds", "NaN": "want a number of seconds",
		"inf": "want at most 1000000000 seconds (about 31 years)", "1e400": "want at most 1000000000 seconds (about 31 years)",
		"876000h": "want at most 1000000000 seconds (about 31 years)", "2x": `want seconds, as curl takes them ("2", "0.5"), or a duration ("2s", "500ms")`,
	} {
		var s seconds
		if err := s.Set(in); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
