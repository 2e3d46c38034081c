package trace

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/cryptobyte"

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

// TestKeyExchangePayloads checks the typed payloads of the key exchange
// messages that the field tree alone held before: the PSK identity hint
// and identity (RFC 4279; RFC 5489), the ServerRSAParams of an RSA_EXPORT
// suite with the scheme of its signature (RFC 2246, Section 7.4.3; TLS
// 1.2 names it).
func TestKeyExchangePayloads(t *testing.T) {
	msg := func(typ wire.HandshakeType, body func(b *cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddUint8(uint8(typ))
		b.AddUint24LengthPrefixed(body)
		return b.BytesOrPanic()
	}
	opaque16 := func(b *cryptobyte.Builder, v []byte) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) })
	}
	parse := func(suite uint16, fromServer bool, raw []byte) *Message {
		t.Helper()
		m := wire.ParseHandshake(wire.Context{Version: wire.VersionTLS12, CipherSuite: suite, FromServer: fromServer}, raw)
		if m.Err != nil {
			t.Fatalf("%04x: %v", suite, m.Err)
		}
		return NewMessage(m, int(raw[0]))
	}

	// ECDHE_PSK (TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256): hint, then the
	// unsigned curve and point.
	point := append([]byte{4}, bytes.Repeat([]byte{9}, 64)...)
	ske := msg(wire.TypeServerKeyExchange, func(b *cryptobyte.Builder) {
		opaque16(b, []byte("the hint"))
		b.AddUint8(3)
		b.AddUint16(23)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(point) })
	})
	p := parse(0xC037, true, ske)
	if p.Signed == nil || string(p.Signed.PSKIdentityHint) != "the hint" || p.Signed.Group == nil || p.Signed.Group.Value != 23 || p.Signed.Scheme != nil {
		t.Errorf("ECDHE_PSK server_key_exchange: %+v", p.Signed)
	}
	ske[6] ^= 0xFF // the payload is a copy
	if string(p.Signed.PSKIdentityHint) != "the hint" {
		t.Error("the hint is not copied")
	}
	// An empty hint is there, empty.
	p = parse(0x008C, true, msg(wire.TypeServerKeyExchange, func(b *cryptobyte.Builder) { opaque16(b, nil) }))
	if p.Signed == nil || p.Signed.PSKIdentityHint == nil || len(p.Signed.PSKIdentityHint) != 0 {
		t.Errorf("PSK server_key_exchange with an empty hint: %+v", p.Signed)
	}
	cke := msg(wire.TypeClientKeyExchange, func(b *cryptobyte.Builder) {
		opaque16(b, []byte("client 1"))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(point) })
	})
	if p := parse(0xC037, false, cke); p.ClientKeyExchange == nil || string(p.ClientKeyExchange.PSKIdentity) != "client 1" {
		t.Errorf("ECDHE_PSK client_key_exchange: %+v", p.ClientKeyExchange)
	}
	// Not a PSK suite: no identity.
	rsaCKE := msg(wire.TypeClientKeyExchange, func(b *cryptobyte.Builder) { opaque16(b, bytes.Repeat([]byte{1}, 128)) })
	if p := parse(0x002F, false, rsaCKE); p.ClientKeyExchange != nil {
		t.Errorf("RSA client_key_exchange: %+v", p.ClientKeyExchange)
	}

	// RSA_EXPORT (TLS_RSA_EXPORT_WITH_RC4_40_MD5): a 512-bit modulus
	// with a leading zero byte, signed with rsa_pkcs1_sha256.
	mod := append([]byte{0}, bytes.Repeat([]byte{0xC1}, 64)...)
	params, err := wire.RSAExportParams(mod, []byte{1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := wire.MarshalServerKeyExchange(wire.VersionTLS12, params, 0x0401, bytes.Repeat([]byte{5}, 64))
	if err != nil {
		t.Fatal(err)
	}
	p = parse(0x0003, true, raw)
	if p.Signed == nil || p.Signed.RSAParams == nil || p.Signed.RSAParams.ModulusBits != 512 ||
		!bytes.Equal(p.Signed.RSAParams.Modulus, mod) || !bytes.Equal(p.Signed.RSAParams.Exponent, []byte{1, 0, 1}) ||
		p.Signed.Scheme == nil || p.Signed.Scheme.Value != 0x0401 || p.Signed.PSKIdentityHint != nil {
		t.Errorf("RSA_EXPORT server_key_exchange: %+v %+v", p.Signed, p.Signed.RSAParams)
	}
}
