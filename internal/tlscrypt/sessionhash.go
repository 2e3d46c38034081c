// This file holds the session hash of RFC 7627, Section 3: the hash of the
// handshake messages that the extended master secret of TLS 1.0-1.2 is
// derived from (RFC 7627, Section 4).

package tlscrypt

import (
	"crypto"
	"hash"
)

// SessionHashMaxKept bounds the handshake messages a SessionHash keeps
// before Start names the hash (in a well-formed handshake, the ClientHello
// and ServerHello).
const SessionHashMaxKept = 512 << 10

// SessionHash hashes the handshake messages of a TLS 1.0-1.2 handshake, as
// they were on the wire, with the hash of the PRF: MD5 and SHA-1
// concatenated before TLS 1.2, the PRF hash of the cipher suite in TLS 1.2
// (RFC 7627, Section 3). Which hash that is is known once the ServerHello
// names the version and suite, so the messages written before Start are
// kept (up to SessionHashMaxKept bytes; a message past it is left out) and
// hashed then. The zero value is ready to use.
type SessionHash struct {
	kept    []byte
	started bool
	h       []hash.Hash // nil once started: no session hash for the version
}

// Write adds one whole handshake message (header and body).
func (s *SessionHash) Write(msg []byte) {
	if !s.started {
		if len(s.kept)+len(msg) <= SessionHashMaxKept {
			s.kept = append(s.kept, msg...)
		}
		return
	}
	for _, h := range s.h {
		h.Write(msg)
	}
}

// Start names the hash by the negotiated version and suite, and hashes the
// messages kept so far. SSL 3.0 and TLS 1.0 and 1.1 use MD5 and SHA-1; TLS
// 1.2 uses the suite's PRF hash, and has no session hash here when suite is
// nil (a suite tlscrypt does not know); TLS 1.3 has none. Only the first
// call counts.
func (s *SessionHash) Start(version uint16, suite *Suite) {
	if s.started {
		return
	}
	s.started = true
	switch {
	case version < VersionTLS12:
		s.h = []hash.Hash{newHash(crypto.MD5)(), newHash(crypto.SHA1)()}
	case version == VersionTLS12 && suite != nil:
		s.h = []hash.Hash{newHash(suite.PRFHash)()}
	}
	for _, h := range s.h {
		h.Write(s.kept)
	}
	s.kept = nil
}

// Sum returns the session hash of the messages written so far, or nil when
// Start has not named a hash.
func (s *SessionHash) Sum() []byte {
	var sum []byte
	for _, h := range s.h {
		sum = h.Sum(sum)
	}
	return sum
}

// Finished returns the verify_data of a Finished message over the
// handshake messages written so far (not the Finished itself), or nil when
// Start has not named a hash. TLS 1.0-1.2 (RFC 5246, Section 7.4.9):
//
//	PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]
//
// SSL 3.0 (RFC 6101, Section 5.6.9), 36 bytes:
//
//	md5_hash = MD5(master_secret + pad2 + MD5(handshake_messages + Sender + master_secret + pad1))
//	sha_hash = SHA(master_secret + pad2 + SHA(handshake_messages + Sender + master_secret + pad1))
//
// where Sender is "CLNT" for the client and "SRVR" for the server.
func (s *SessionHash) Finished(version uint16, suite *Suite, master []byte, client bool) []byte {
	if len(s.h) == 0 {
		return nil
	}
	if version == VersionSSL30 {
		sender := []byte("SRVR")
		if client {
			sender = []byte("CLNT")
		}
		return s.ssl3(master, sender)
	}
	label := "server finished"
	if client {
		label = "client finished"
	}
	return PRF(version, suite, master, label, s.Sum(), 12)
}

// SSL3CertificateVerify returns what an SSL 3.0 CertificateVerify signs
// over the handshake messages written so far (RFC 6101, Section 5.6.8):
// md5_hash + sha_hash, each
//
//	hash(master_secret + pad_2 + hash(handshake_messages + master_secret + pad_1))
//
// or nil when Start has not named MD5 and SHA-1.
func (s *SessionHash) SSL3CertificateVerify(master []byte) []byte {
	return s.ssl3(master, nil)
}

// ssl3 is the hash construction of SSL 3.0's Finished and
// CertificateVerify: the inner hash goes on from the handshake messages
// (its state is cloned, so more messages can be written after).
func (s *SessionHash) ssl3(master, sender []byte) []byte {
	if len(s.h) != 2 {
		return nil
	}
	var out []byte
	for i, h := range []crypto.Hash{crypto.MD5, crypto.SHA1} {
		c, ok := s.h[i].(hash.Cloner)
		if !ok {
			return nil
		}
		inner, err := c.Clone()
		if err != nil {
			return nil
		}
		inner.Write(sender)
		inner.Write(master)
		inner.Write(ssl3Pad(h, 0x36))
		sum := inner.Sum(nil)
		outer := newHash(h)()
		outer.Write(master)
		outer.Write(ssl3Pad(h, 0x5c))
		outer.Write(sum)
		out = outer.Sum(out)
	}
	return out
}
