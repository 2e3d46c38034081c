package lab

import (
	"fmt"
	"strings"
	"testing"
)

// TestLyingLengthText checks that the fault's text counts what
// LyingLength holds: the record's length from its header, and the bytes
// of the message after its 4-byte header.
func TestLyingLengthText(t *testing.T) {
	record := int(LyingLength[3])<<8 | int(LyingLength[4])
	body := len(LyingLength) - 5 - 4
	text := lengthFaults()[0].Fault
	for _, want := range []string{fmt.Sprintf("its record (%d bytes)", record), fmt.Sprintf("holds the %d bytes of a whole ServerHello after that header", body)} {
		if !strings.Contains(text, want) {
			t.Errorf("%q does not say %q", text, want)
		}
	}
}
