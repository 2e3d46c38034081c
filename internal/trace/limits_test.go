package trace

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
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

// sealOversized protects a TLS 1.3 record of the Illustrated TLS 1.3 connection's
// suite (TLS_AES_256_GCM_SHA384) under secret at sequence number seq:
// content, its type and pad zero bytes, with no limit on their length, as
// a peer that breaks it would send them.
func sealOversized(t *testing.T, secret []byte, seq uint64, content []byte, ctype byte, pad int) []byte {
	t.Helper()
	s, ok := tlscrypt.SuiteByID(0x1302)
	if !ok {
		t.Fatal("no TLS_AES_256_GCM_SHA384")
	}
	key, iv := tlscrypt.TrafficKeys13(s, secret)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	inner := append(append(bytes.Clone(content), ctype), make([]byte, pad)...)
	n := len(inner) + aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	nonce := bytes.Clone(iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	return aead.Seal(bytes.Clone(hdr), nonce, inner, hdr)
}

// logSecret returns the secret of a label in a test key log.
func logSecret(t *testing.T, dir, label string) []byte {
	t.Helper()
	for _, line := range strings.Split(string(testdata(t, dir, "keylog.txt")), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == label {
			b, err := hex.DecodeString(f[2])
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s: no %s", dir, label)
	return nil
}

// TestRecordLimitsDecrypted checks the limits of what a protected record
// holds, and that a record over every limit is still framed by its header
// and decrypted, as tshark frames it: a TLS 1.3 TLSInnerPlaintext of
// 2^14+2 bytes whose content is within 2^14 but whose padding is not (RFC
// 8446, Section 5.4), and a TLS 1.3 record of 20017 bytes, over the 18432
// of any version (Section 5.2; RFC 5246, Section 6.2.3), whose content of
// 20000 bytes is over 2^14 too; and a TLS 1.2 protected record of 18433
// bytes, one over its limit (RFC 5246, Section 6.2.3), which the decoder
// took for bytes that are not a record.
func TestRecordLimitsDecrypted(t *testing.T) {
	dir := "illustrated-tls13"
	var events []*Event
	s := NewSession(time.Unix(0, 0), loadKeys(t, dir), func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	c.Feed(Client, Stamp{Frame: 1}, testdata(t, dir, "caps", "clienthello"))
	c.Feed(Server, Stamp{Frame: 2}, testdata(t, dir, "caps", "serverhello"))
	secret := logSecret(t, dir, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
	ee := []byte{8, 0, 0, 2, 0, 0}
	c.Feed(Server, Stamp{Frame: 3}, sealOversized(t, secret, 0, ee, 22, 1<<14+2-len(ee)-1))
	c.Feed(Server, Stamp{Frame: 4}, sealOversized(t, secret, 1, make([]byte, 20000), 23, 0))
	c.Close()
	if len(events) != 4 {
		t.Fatalf("events: %v", steps(events))
	}
	padded, big := events[2], events[3]
	if padded.Type != TypeEncryptedExtensions || padded.Record == nil || len(padded.Record.Anomalies) != 1 ||
		!strings.Contains(padded.Record.Anomalies[0].Text, "16386 bytes of TLSInnerPlaintext in one record (6 of content, the content type and 16379 of zero padding), more than the 16385 TLS 1.3 allows (RFC 8446, Section 5.4)") {
		t.Errorf("padding over the limit: %s %+v", padded.Type, padded.Record)
	}
	if big.Type != TypeApplicationData || big.Record == nil || big.Record.Length != 20017 || len(big.Record.Anomalies) != 2 ||
		!strings.Contains(big.Record.Anomalies[0].Text, "a protected record of 20017 bytes, more than TLS 1.3 allows (16640; RFC 8446, Section 5.2)") ||
		!strings.Contains(big.Record.Anomalies[1].Text, "20000 bytes of plaintext in one record, more than the 16384") {
		t.Errorf("record over every limit: %s %+v %v", big.Type, big.Record, big.Error)
	}
	if d, ok := big.Payload.(*Data); !ok || d.Length != 20000 {
		t.Errorf("record over every limit: payload %+v", big.Payload)
	}

	// TLS 1.2: a protected record of 18433 bytes, after the server's
	// change_cipher_spec; no key opens it.
	events = nil
	c = s.NewConn(2, false)
	random := make([]byte, 32)
	ch, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: random, CipherSuites: []uint16{0xc02f}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sh, err := (&wire.ServerHello{Version: wire.VersionTLS12, Random: random, CipherSuite: 0xc02f}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	record := func(typ wire.ContentType, b []byte) []byte {
		return append([]byte{byte(typ), 3, 3, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	c.Feed(Client, Stamp{Frame: 1}, record(wire.ContentHandshake, ch))
	c.Feed(Server, Stamp{Frame: 2}, record(wire.ContentHandshake, sh))
	c.Feed(Server, Stamp{Frame: 3}, record(wire.ContentChangeCipherSpec, []byte{1}))
	c.Feed(Server, Stamp{Frame: 4}, record(wire.ContentHandshake, make([]byte, wire.MaxCiphertext+1)))
	c.Feed(Server, Stamp{Frame: 5}, record(wire.ContentHandshake, make([]byte, wire.MaxCiphertext)))
	c.Close()
	if len(events) != 5 {
		t.Fatalf("events: %v", steps(events))
	}
	over, within := events[3], events[4]
	if over.Type != TypeEncryptedRecord || over.Record == nil || over.Record.Length != wire.MaxCiphertext+1 || len(over.Record.Anomalies) != 1 ||
		!strings.Contains(over.Record.Anomalies[0].Text, "a protected record of 18433 bytes, more than any TLS version allows (18432; RFC 5246, Section 6.2.3; RFC 8446, Section 5.2): the peer must end the connection with record_overflow") {
		t.Errorf("TLS 1.2 record over the limit: %s %+v %s", over.Type, over.Record, over.Error)
	}
	if within.Type != TypeEncryptedRecord || within.Record == nil || len(within.Record.Anomalies) != 0 {
		t.Errorf("TLS 1.2 record within the limit: %s %+v", within.Type, within.Record)
	}
}
