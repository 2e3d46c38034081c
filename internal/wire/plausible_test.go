package wire

import (
	"bytes"
	"testing"
)

func TestPlausibleRecordHeader(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{22, 3, 1}, true},
		{[]byte{22, 3, 1, 0x02, 0x00}, true},
		{[]byte{20, 3, 0, 0, 1}, true},
		{[]byte{24, 3, 4, 0x48, 0x00}, true},  // MaxCiphertext
		{[]byte{24, 3, 4, 0x48, 0x01}, false}, // one more
		{[]byte{23, 3, 3, 0xff, 0xff, 0}, false},
		{[]byte{22, 3, 5}, false},
		{[]byte{22, 2, 0}, false},
		{[]byte{19, 3, 3}, false},
		{[]byte{25, 3, 3, 0, 1}, false}, // tls12_cid: framed once in step, never a start
		{[]byte{26, 3, 3, 0, 1}, false},
		{[]byte{22, 3}, false},
		{[]byte("GET / HTTP/1.1"), false},
	} {
		if got := PlausibleRecordHeader(c.b); got != c.want {
			t.Errorf("PlausibleRecordHeader(% x) = %v, want %v", c.b, got, c.want)
		}
		// What is plausible is also a record header.
		if len(c.b) >= RecordHeaderLen && c.want {
			if _, err := ParseRecordHeader(c.b); err != nil {
				t.Errorf("% x: plausible but %v", c.b, err)
			}
		}
	}
}

// TestClientKeyExchangeView checks the typed view of an RSA
// ClientKeyExchange against the field tree.
func TestClientKeyExchangeView(t *testing.T) {
	epms := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}
	raw := append([]byte{byte(TypeClientKeyExchange), 0, 0, byte(2 + len(epms)), 0, byte(len(epms))}, epms...)
	for _, c := range []struct {
		version uint16
		suite   uint16
		raw     []byte
		want    []byte
	}{
		{VersionTLS12, 0x002F, raw, epms},                               // TLS_RSA_WITH_AES_128_CBC_SHA
		{VersionSSL30, 0x002F, []byte{16, 0, 0, 2, 7, 8}, []byte{7, 8}}, // no length prefix in SSL 3.0
		{VersionTLS12, 0xC02F, []byte{16, 0, 0, 2, 1, 9}, nil},          // ECDHE
		{VersionTLS12, 0x002F, raw[:8], nil},                            // cut short
	} {
		m := ParseHandshake(Context{Version: c.version, CipherSuite: c.suite}, c.raw)
		if m.ClientKeyExchange == nil {
			t.Fatalf("%04x/%04x: no view", c.version, c.suite)
		}
		got := m.ClientKeyExchange.EncryptedPreMasterSecret
		if !bytes.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("%04x/%04x: encrypted premaster % x, want % x", c.version, c.suite, got, c.want)
		}
		f := m.Fields.Get("encrypted_pre_master_secret")
		if (f == nil) != (got == nil) || (f != nil && !bytes.Equal(f.Bytes, got)) {
			t.Errorf("%04x/%04x: view % x disagrees with the field tree %v", c.version, c.suite, got, f)
		}
	}
}
