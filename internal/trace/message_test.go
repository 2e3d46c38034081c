package trace

import (
	"bytes"
	"testing"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestServerKeyExchangePayload checks that a ServerKeyExchange's typed
// payload carries the scheme, the ECDHE curve and the size of a DHE prime.
func TestServerKeyExchangePayload(t *testing.T) {
	sig := bytes.Repeat([]byte{0x5A}, 64)
	dhe, err := wire.DHEParams(append([]byte{0}, bytes.Repeat([]byte{0xC1}, 128)...), []byte{2}, bytes.Repeat([]byte{0x44}, 128))
	if err != nil {
		t.Fatal(err)
	}
	ecdhe, err := wire.ECDHEParams(23, append([]byte{4}, bytes.Repeat([]byte{3}, 64)...))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		suite  uint16
		params []byte
		group  uint64
		bits   int
	}{
		{"dhe", 0x009E, dhe, 0, 1024},
		{"ecdhe", 0xC02F, ecdhe, 23, 0},
	} {
		raw, err := wire.MarshalServerKeyExchange(wire.VersionTLS12, c.params, 0x0804, sig)
		if err != nil {
			t.Fatal(err)
		}
		m := wire.ParseHandshake(wire.Context{Version: wire.VersionTLS12, CipherSuite: c.suite, FromServer: true}, raw)
		p := NewMessage(m, int(m.Type)).Signed
		if p == nil || p.Scheme == nil || p.Scheme.Value != 0x0804 {
			t.Fatalf("%s: signed %+v", c.name, p)
		}
		if p.DHPrimeBits != c.bits {
			t.Errorf("%s: %d prime bits, want %d", c.name, p.DHPrimeBits, c.bits)
		}
		if (p.Group == nil) != (c.group == 0) || p.Group != nil && p.Group.Value != c.group {
			t.Errorf("%s: group %+v, want %d", c.name, p.Group, c.group)
		}
	}
}
