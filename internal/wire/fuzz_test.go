package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/field"
	"golang.org/x/crypto/cryptobyte"
)

// fuzzSeeds returns every record and message of the Illustrated
// connections, with and without their record header.
func fuzzSeeds() [][]byte {
	var seeds [][]byte
	for _, dir := range []string{"illustrated-tls13", "illustrated-tls12"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", dir, "caps", "*"))
		for _, p := range files {
			b, _ := os.ReadFile(p)
			seeds = append(seeds, b)
			if len(b) > 5 {
				seeds = append(seeds, b[5:])
			}
		}
	}
	return seeds
}

// checkTree checks the promises of a field tree decoded from raw: every
// field read from bytes lies inside raw, inside its parent and after its
// previous sibling; an integer or code point is the big-endian value of
// its bytes; opaque data and text are the last bytes of their span (after
// the length prefix); the JSON form is valid JSON.
func checkTree(t *testing.T, raw []byte, root *field.Node) {
	t.Helper()
	var walk func(n *field.Node, lo, hi int, path string)
	walk = func(n *field.Node, lo, hi int, path string) {
		if n.Length < 0 || n.Offset < 0 {
			t.Fatalf("%s: span %d+%d", path, n.Offset, n.Length)
		}
		if n.Length > 0 {
			if n.Offset < lo || n.Offset+n.Length > hi {
				t.Fatalf("%s: span %d+%d outside [%d, %d)", path, n.Offset, n.Length, lo, hi)
			}
			lo, hi = n.Offset, n.Offset+n.Length
			span := raw[lo:hi]
			switch n.Kind {
			case field.Uint, field.Enum:
				if n.Length > 8 {
					t.Fatalf("%s: an integer of %d bytes", path, n.Length)
				}
				var v uint64
				for _, c := range span {
					v = v<<8 | uint64(c)
				}
				if v != n.Uint {
					t.Fatalf("%s: value %d, its bytes % x say %d", path, n.Uint, span, v)
				}
			case field.Bytes:
				if !bytes.HasSuffix(span, n.Bytes) {
					t.Fatalf("%s: bytes %x are not the end of their span % x", path, n.Bytes, span)
				}
			case field.String:
				if !bytes.HasSuffix(span, []byte(n.Str)) {
					t.Fatalf("%s: text %q is not the end of its span % x", path, n.Str, span)
				}
			}
		} else if n.Offset > len(raw) {
			t.Fatalf("%s: offset %d past the %d bytes", path, n.Offset, len(raw))
		}
		prev := lo
		for i, c := range n.Children {
			p := path + "/" + c.Name
			if c.Name == "" {
				p = path + "/" + string(rune('0'+i%10))
			}
			if c.Length > 0 && c.Offset < prev {
				t.Fatalf("%s: starts at %d, before the end %d of the field before it", p, c.Offset, prev)
			}
			walk(c, lo, hi, p)
			if c.Length > 0 {
				prev = c.Offset + c.Length
			}
		}
	}
	walk(root, 0, len(raw), "")
	if b := root.AppendJSON(nil); !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
}

// checkFailure checks that an error and the anomalies point inside raw.
func checkFailure(t *testing.T, raw []byte, err error, anomalies []field.Anomaly) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v", err, err)
		}
		if pe.Offset < 0 || pe.Offset > len(raw) {
			t.Fatalf("error at offset %d of %d bytes: %v", pe.Offset, len(raw), err)
		}
	}
	if len(anomalies) > maxAnomalies {
		t.Fatalf("%d anomalies", len(anomalies))
	}
	for _, a := range anomalies {
		if a.Offset < 0 || a.Offset > len(raw) || a.Text == "" {
			t.Fatalf("anomaly %q at offset %d of %d bytes", a.Text, a.Offset, len(raw))
		}
	}
}

// sameMessage reports whether two decodings of the same bytes agree, in
// everything: type, fields, anomalies, error and typed views.
func sameMessage(a, b *Message) bool { return reflect.DeepEqual(a, b) }

// marshalHello encodes the fixed fields of a hello and its extensions the
// way RFC 8446, Section 4.1.2 and 4.1.3 lay them out: the inverse of the
// typed views. withExts adds the extensions block even when it is empty.
func marshalHello(version uint16, random, sessionID []byte, middle func(*cryptobyte.Builder), exts []Extension, withExts bool) []byte {
	var b cryptobyte.Builder
	b.AddUint16(version)
	b.AddBytes(random)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessionID) })
	middle(&b)
	if withExts || len(exts) > 0 {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
			}
		})
	}
	return b.BytesOrPanic()
}

// checkReencode encodes the typed view of a decoded hello again and
// compares it with the bytes: equal when the decoder saw nothing unusual,
// a prefix of the body otherwise (trailing bytes are an anomaly, not a
// failure).
func checkReencode(t *testing.T, m *Message) {
	t.Helper()
	if m.Err != nil || len(m.Raw) < HandshakeHeaderLen {
		return
	}
	var enc []byte
	withExts := m.Fields.Get("extensions") != nil
	switch {
	case m.ClientHello != nil:
		ch := m.ClientHello
		enc = marshalHello(ch.Version, ch.Random, ch.SessionID, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, s := range ch.CipherSuites {
					b.AddUint16(s)
				}
			})
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ch.Compression) })
		}, ch.Extensions, withExts)
	case m.ServerHello != nil:
		sh := m.ServerHello
		enc = marshalHello(sh.Version, sh.Random, sh.SessionID, func(b *cryptobyte.Builder) {
			b.AddUint16(sh.CipherSuite)
			b.AddUint8(sh.Compression)
		}, sh.Extensions, withExts)
	default:
		return
	}
	body := m.Raw[HandshakeHeaderLen:]
	if n := int(m.Raw[1])<<16 | int(m.Raw[2])<<8 | int(m.Raw[3]); n < len(body) {
		body = body[:n]
	}
	if !bytes.HasPrefix(body, enc) {
		t.Fatalf("%s encoded again:\n%x\nthe bytes:\n%x", m.Type, enc, body)
	}
	if len(m.Anomalies) == 0 && len(enc) != len(m.Raw)-HandshakeHeaderLen {
		t.Fatalf("%s: %d bytes encoded again, %d on the wire, and no anomaly", m.Type, len(enc), len(m.Raw)-HandshakeHeaderLen)
	}
}

// FuzzHandshake decodes arbitrary messages in an arbitrary context. The
// field tree keeps its promises (checkTree), errors and anomalies point
// inside the message, a second decoding gives the same result, the type
// is the wire's, and a ClientHello or ServerHello decoded without error
// encodes back to its bytes.
func FuzzHandshake(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(uint16(VersionTLS13), uint16(0x1302), true, s)
		f.Add(uint16(VersionTLS12), uint16(0xC013), false, s)
	}
	f.Fuzz(func(t *testing.T, version, suite uint16, fromServer bool, raw []byte) {
		ctx := Context{Version: version, CipherSuite: suite, FromServer: fromServer}
		m := ParseHandshake(ctx, raw)
		checkTree(t, raw, m.Fields)
		checkFailure(t, raw, m.Err, m.Anomalies)
		if m2 := ParseHandshake(ctx, bytes.Clone(raw)); !sameMessage(m, m2) {
			t.Fatal("two decodings of the same bytes differ")
		}
		if len(raw) >= HandshakeHeaderLen && m.Type != HandshakeType(raw[0]) && m.Type != TypeHelloRetryRequest {
			t.Fatalf("type %v for a message of type %d", m.Type, raw[0])
		}
		if len(raw) < HandshakeHeaderLen && m.Err == nil {
			t.Fatalf("%d bytes decoded without error", len(raw))
		}
		if m.Err == nil {
			switch m.Type {
			case TypeClientHello:
				if m.ClientHello == nil {
					t.Fatal("a client_hello without its typed view")
				}
			case TypeServerHello, TypeHelloRetryRequest:
				if m.ServerHello == nil || m.ServerHello.HelloRetry != (m.Type == TypeHelloRetryRequest) {
					t.Fatalf("server_hello view %+v for %v", m.ServerHello, m.Type)
				}
			case TypeKeyUpdate:
				if m.KeyUpdate == nil || len(raw) < 5 || m.KeyUpdate.UpdateRequested != (raw[4] == 1) {
					t.Fatalf("key_update view %+v for % x", m.KeyUpdate, raw)
				}
			}
		}
		checkReencode(t, m)
		// The opaque values of the typed views are bytes of the message.
		for name, v := range map[string][]byte{
			"encrypted_pre_master_secret": viewBytes(m.ClientKeyExchange != nil, func() []byte { return m.ClientKeyExchange.EncryptedPreMasterSecret }),
			"ticket":                      viewBytes(m.Ticket != nil, func() []byte { return m.Ticket.Ticket }),
		} {
			if v != nil && !bytes.Contains(raw, v) {
				t.Fatalf("%s %x is not in the message", name, v)
			}
		}
		if c := m.Certificate; c != nil {
			if len(c.Subjects) != len(c.Certs) {
				t.Fatalf("%d subjects for %d certificates", len(c.Subjects), len(c.Certs))
			}
			rest := raw
			for i, der := range c.Certs {
				j := bytes.Index(rest, der)
				if j < 0 {
					t.Fatalf("certificate %d is not in the message after the one before", i)
				}
				rest = rest[j+len(der):]
			}
		}
	})
}

// FuzzExtensions decodes arbitrary extension blocks for every message
// type: the field tree keeps its promises, and every extension returned is
// one of the block, in order.
func FuzzExtensions(f *testing.F) {
	for _, s := range fuzzSeeds() {
		if len(s) > 4 {
			f.Add(s[4:], uint8(TypeClientHello))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mt uint8) {
		d := &decoder{msg: "fuzz"}
		root := field.NewObject("")
		r := newReader(d, data, 0, root)
		exts, ok := r.extensions(&Context{Version: VersionTLS13}, HandshakeType(mt))
		var err error
		if d.err != nil {
			err = d.err
		}
		if ok != (err == nil) {
			t.Fatalf("ok=%v with error %v", ok, err)
		}
		checkTree(t, data, root)
		checkFailure(t, data, err, d.anomalies)
		// The extensions read encode back to the start of the block.
		var b cryptobyte.Builder
		for _, e := range exts {
			b.AddUint16(e.Type)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
		}
		enc := b.BytesOrPanic()
		if (len(data) < 2 && len(enc) > 0) || (len(data) >= 2 && !bytes.HasPrefix(data[2:], enc)) {
			t.Fatalf("extensions encoded again %x, the block %x", enc, data)
		}
		if ok && len(enc) != int(data[0])<<8|int(data[1]) {
			t.Fatalf("extensions encoded again take %d bytes, the block says %d", len(enc), int(data[0])<<8|int(data[1]))
		}
	})
}

// FuzzRecordHeader checks ParseRecordHeader against the header encoded
// again from what it returns, and the alert and change_cipher_spec
// decoders' trees.
func FuzzRecordHeader(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Add([]byte{0x80, 0x2e, 0x01, 0x03, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseRecordHeader(b)
		if err == nil {
			enc := []byte{byte(h.Type), byte(h.Version >> 8), byte(h.Version), byte(h.Length >> 8), byte(h.Length)}
			if len(b) < RecordHeaderLen || !bytes.Equal(enc, b[:RecordHeaderLen]) {
				t.Fatalf("header %+v encodes to % x, the bytes are % x", h, enc, b)
			}
			if h.Length > MaxCiphertext || h.Type < ContentChangeCipherSpec || h.Type > ContentACK || h.Version>>8 != 3 {
				t.Fatalf("accepted %+v", h)
			}
		} else {
			var he *RecordHeaderError
			if !errors.As(err, &he) {
				t.Fatalf("error %T: %v", err, err)
			}
			if !bytes.Equal(he.Header, b[:min(len(b), RecordHeaderLen)]) || (he.Problem == HeaderShort) != (len(b) < RecordHeaderLen) {
				t.Fatalf("error %+v for % x", he, b)
			}
		}
		n, anomalies, err := ParseAlert(b)
		checkTree(t, b, n)
		checkFailure(t, b, err, anomalies)
		if (err == nil) != (len(b) >= 2) {
			t.Fatalf("alert of %d bytes: %v", len(b), err)
		}
		n, anomalies, err = ParseChangeCipherSpec(b)
		checkTree(t, b, n)
		checkFailure(t, b, err, anomalies)
		if (err == nil) != (len(b) >= 1) {
			t.Fatalf("change_cipher_spec of %d bytes: %v", len(b), err)
		}
	})
}

// FuzzSSLv2Hello decodes arbitrary SSL 2.0 compatible hellos and compares
// a hello decoded without error with a decoding written here from RFC
// 5246, Appendix E.2.
func FuzzSSLv2Hello(f *testing.F) {
	body, _ := hex.DecodeString("01" + "0301" + "0009" + "0000" + "0010" + "00002f" + "000035" + "010080" + strings.Repeat("ab", 16))
	f.Add(append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := ParseSSLv2ClientHello(b)
		checkFailure(t, b, m.Err, m.Anomalies)
		if m2 := ParseSSLv2ClientHello(bytes.Clone(b)); !sameMessage(m, m2) {
			t.Fatal("two decodings of the same bytes differ")
		}
		// The length field is stored without its high bit: not the
		// plain value of its bytes.
		if len(m.Fields.Children) > 0 && m.Fields.Children[0].Length == 2 {
			m.Fields.Children[0].Uint |= uint64(b[0]&0x80) << 8
		}
		checkTree(t, b, m.Fields)
		if m.Err != nil {
			return
		}
		s := cryptobyte.String(b)
		var hdr uint16
		var msgType uint8
		var version, specLen, idLen, chLen uint16
		var specs, id, challenge []byte
		if !s.ReadUint16(&hdr) || !s.ReadUint8(&msgType) || !s.ReadUint16(&version) || !s.ReadUint16(&specLen) ||
			!s.ReadUint16(&idLen) || !s.ReadUint16(&chLen) || !s.ReadBytes(&specs, int(specLen)) ||
			!s.ReadBytes(&id, int(idLen)) || !s.ReadBytes(&challenge, int(chLen)) {
			t.Fatalf("decoded without error, but % x is too short", b)
		}
		ch := m.ClientHello
		var suites []uint16
		for i := 0; i+3 <= len(specs); i += 3 {
			if specs[i] == 0 {
				suites = append(suites, uint16(specs[i+1])<<8|uint16(specs[i+2]))
			}
		}
		random := make([]byte, 32)
		copy(random[32-min(32, len(challenge)):], challenge[max(0, len(challenge)-32):])
		if ch == nil || !ch.SSLv2 || ch.Version != version || !bytes.Equal(ch.SessionID, id) || !bytes.Equal(ch.Random, random) ||
			!slicesEqual(ch.CipherSuites, suites) {
			t.Fatalf("typed view %+v, the bytes say version %04x id %x random %x suites %v", ch, version, id, random, suites)
		}
	})
}

func slicesEqual(a, b []uint16) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func viewBytes(ok bool, f func() []byte) []byte {
	if !ok {
		return nil
	}
	return f()
}
