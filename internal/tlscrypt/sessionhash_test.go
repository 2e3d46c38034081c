package tlscrypt

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"testing"
)

// TestSessionHash checks the session hash of RFC 7627, Section 3 against
// the hash of the concatenated messages, with messages written before and
// after Start.
func TestSessionHash(t *testing.T) {
	msgs := [][]byte{[]byte("\x01\x00\x00\x02hi"), []byte("\x02\x00\x00\x01s"), bytes.Repeat([]byte{0x0b}, 3000), []byte("\x10\x00\x00\x00")}
	all := bytes.Join(msgs, nil)
	m, s := md5.Sum(all), sha1.Sum(all)
	s256, s384 := sha256.Sum256(all), sha512.Sum384(all)
	gcm256, _ := SuiteByID(0xC02F) // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	gcm384, _ := SuiteByID(0xC030) // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	for _, c := range []struct {
		name    string
		version uint16
		suite   *Suite
		want    []byte
	}{
		{"TLS 1.0", VersionTLS10, nil, append(m[:], s[:]...)},
		{"TLS 1.1", VersionTLS11, gcm256, append(m[:], s[:]...)},
		{"TLS 1.2 SHA-256", VersionTLS12, gcm256, s256[:]},
		{"TLS 1.2 SHA-384", VersionTLS12, gcm384, s384[:]},
		{"TLS 1.2 unknown suite", VersionTLS12, nil, nil},
		{"TLS 1.3", VersionTLS13, gcm256, nil},
	} {
		for split := range len(msgs) + 1 {
			var h SessionHash
			for i, msg := range msgs {
				if i == split {
					h.Start(c.version, c.suite)
				}
				h.Write(msg)
			}
			h.Start(c.version, c.suite)
			h.Start(VersionTLS10, nil) // later calls change nothing
			if got := h.Sum(); !bytes.Equal(got, c.want) {
				t.Errorf("%s, started before message %d: %x, want %x", c.name, split, got, c.want)
			}
		}
	}
}

// TestSessionHashKept checks that a message that would take what is kept
// before Start past its bound is left out.
func TestSessionHashKept(t *testing.T) {
	var h SessionHash
	small, big := []byte("\x01\x00\x00\x01a"), make([]byte, SessionHashMaxKept)
	h.Write(small)
	h.Write(big)
	h.Start(VersionTLS12, func() *Suite { s, _ := SuiteByID(0xC02F); return s }())
	want := sha256.Sum256(small)
	if got := h.Sum(); !bytes.Equal(got, want[:]) {
		t.Errorf("sum %x, want %x", got, want)
	}
}
