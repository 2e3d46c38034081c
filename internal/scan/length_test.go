package scan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestReadAnswerLyingLength: a ServerHello whose header claims more than a
// ServerHello can hold is a refusal that says so, at once, not a wait for
// bytes that never come.
func TestReadAnswerLyingLength(t *testing.T) {
	sh := []byte{2, 2, 0, 0, 3, 3}
	sh = append(sh, make([]byte, 32)...)
	sh = append(sh, 0, 0xc0, 0x2f, 0)
	rec := append([]byte{22, 3, 3, 0, byte(len(sh))}, sh...)
	a := readAnswer(bytes.NewReader(rec), &hello{version: wire.VersionTLS12})
	if a.outcome != Refused || a.err == nil || !strings.Contains(a.err.Error(), "server_hello claims 131072 bytes, more than one can hold (65607)") {
		t.Errorf("outcome %v, %v", a.outcome, a.err)
	}
}
