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

// TestReadAnswerOversizedRecord: a ServerHello in a record of 2^14+1
// bytes, within the 2^14+2048 of any record but over the 2^14 of one
// before encryption, is refused as a client refuses it (record_overflow),
// with the limit, as a header that claims more than any record can hold
// is; one of 2^14 bytes is read.
func TestReadAnswerOversizedRecord(t *testing.T) {
	sh := []byte{2, 0, 0, 38, 3, 3}
	sh = append(sh, make([]byte, 32)...)
	sh = append(sh, 0, 0xc0, 0x2f, 0)
	for _, n := range []int{wire.MaxPlaintext + 1, wire.MaxPlaintext} {
		// The ServerHello, then the start of a certificate message the
		// rest of the record holds.
		body := append(bytes.Clone(sh), 11, 0, 0xff, 0xff)
		body = append(body, make([]byte, n-len(body))...)
		rec := append([]byte{22, 3, 3, byte(n >> 8), byte(n)}, body...)
		a := readAnswer(bytes.NewReader(rec), &hello{version: wire.VersionTLS12})
		if n > wire.MaxPlaintext {
			if a.outcome != Refused || a.err == nil || !strings.Contains(a.err.Error(), "the answer is a record header that claims 16385 bytes, more than TLS allows (at most 16384 bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1)") {
				t.Errorf("%d bytes: outcome %v, %v", n, a.outcome, a.err)
			}
		} else if a.outcome != Accepted || a.hello == nil {
			t.Errorf("%d bytes: outcome %v, %v", n, a.outcome, a.err)
		}
	}
}
