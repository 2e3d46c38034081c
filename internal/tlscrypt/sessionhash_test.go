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

// TestFinishedIllustratedTLS12 checks the TLS 1.2 Finished of "The
// Illustrated TLS 1.2 Connection": each side's verify_data from the master
// secret and the handshake messages, as the connection sent it.
func TestFinishedIllustratedTLS12(t *testing.T) {
	const dir = "illustrated-tls12"
	s := suite(t, 0xC013)
	master := readKeyValues(t, dir, "keylog.txt")["CLIENT_RANDOM"]
	var h SessionHash
	for _, name := range []string{"clienthello", "serverhello", "servercert", "serverkeyexchange", "serverhellodone", "clientkeyexchange"} {
		h.Write(readCap(t, dir, name)[5:]) // each record holds one message
	}
	h.Start(VersionTLS12, s)
	client := readCap(t, dir, "clientfinishedplain")
	if got := h.Finished(VersionTLS12, s, master, true); !bytes.Equal(got, client[4:16]) {
		t.Errorf("client verify_data %x, want %x", got, client[4:16])
	}
	h.Write(client[:16])
	server := readCap(t, dir, "serverfinishedplain") // followed by its HMAC and padding
	if got := h.Finished(VersionTLS12, s, master, false); !bytes.Equal(got, server[4:16]) {
		t.Errorf("server verify_data %x, want %x", got, server[4:16])
	}
}

// TestFinishedSSL30 checks the Finished and CertificateVerify hashes of SSL
// 3.0 (RFC 6101, Sections 5.6.8 and 5.6.9) against the formulas over the
// whole messages, and that computing them changes nothing for the messages
// written after.
func TestFinishedSSL30(t *testing.T) {
	master := bytes.Repeat([]byte{0x4d}, 48)
	msgs := [][]byte{[]byte("\x01\x00\x00\x02hi"), []byte("\x02\x00\x00\x01s"), bytes.Repeat([]byte{0x0b}, 3000), []byte("\x10\x00\x00\x00")}
	ssl3 := func(all []byte, sender string) []byte {
		pad := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
		join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
		mi := md5.Sum(join(all, []byte(sender), master, pad(0x36, 48)))
		m := md5.Sum(join(master, pad(0x5c, 48), mi[:]))
		si := sha1.Sum(join(all, []byte(sender), master, pad(0x36, 40)))
		s := sha1.Sum(join(master, pad(0x5c, 40), si[:]))
		return append(m[:], s[:]...)
	}
	var h SessionHash
	h.Start(VersionSSL30, nil)
	var all []byte
	for _, msg := range msgs {
		h.Write(msg)
		all = append(all, msg...)
		if got, want := h.SSL3CertificateVerify(master), ssl3(all, ""); !bytes.Equal(got, want) {
			t.Errorf("CertificateVerify after %d bytes: %x, want %x", len(all), got, want)
		}
		for sender, client := range map[string]bool{"CLNT": true, "SRVR": false} {
			if got, want := h.Finished(VersionSSL30, nil, master, client), ssl3(all, sender); !bytes.Equal(got, want) || len(got) != 36 {
				t.Errorf("%s Finished after %d bytes: %x, want %x", sender, len(all), got, want)
			}
		}
	}
	var none SessionHash
	if none.Finished(VersionSSL30, nil, master, true) != nil || none.SSL3CertificateVerify(master) != nil {
		t.Error("a hash before Start gives a Finished")
	}
}
