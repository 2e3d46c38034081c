// This file holds the TLS 1.0, 1.1 and 1.2 client: the handshake of RFC 5246,
// Section 7.3 (RFC 2246 and RFC 4346 for the older versions) with ECDHE
// (RFC 8422), DHE with the server's parameters (dhe.go) and static RSA key
// exchange, the extended master secret (RFC 7627), encrypt_then_mac (RFC
// 7366), renegotiation_info (RFC 5746), and resumption by session ID (RFC
// 5246, Section 7.3) and by ticket (RFC 5077).

package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// serverKeyExchange12 is a TLS 1.0-1.2 ServerKeyExchange as the client reads
// it (RFC 8422, Section 5.4; RFC 5246, Section 7.4.3).
type serverKeyExchange12 struct {
	// params is ServerECDHParams or ServerDHParams as on the wire: what
	// the signature covers, after the two randoms.
	params []byte
	// group and public are the named curve and point of ECDHE.
	group  uint16
	public []byte
	// dhP, dhG and dhYs are the values of DHE.
	dhP, dhG, dhYs []byte
	// scheme is the signature scheme (TLS 1.2 only, hasScheme).
	scheme    uint16
	hasScheme bool
	signature []byte
}

// errMalformedSKE is a ServerKeyExchange that does not read to its end.
var errMalformedSKE = errors.New("tls: malformed server_key_exchange")

// parseServerKeyExchange12 reads the body of a ServerKeyExchange for the key
// exchange of the negotiated suite, which must be ECDHE or DHE. Unlike
// wire's decoder, which shows whatever came, it accepts only the one form
// the client can use: a named curve, a signature, nothing after it.
func parseServerKeyExchange12(version uint16, kex wire.KeyExchange, body []byte) (*serverKeyExchange12, error) {
	s := cryptobyte.String(body)
	ske := &serverKeyExchange12{}
	start := s
	switch kex {
	case wire.KexECDHE:
		var curveType uint8
		if !s.ReadUint8(&curveType) {
			return nil, errMalformedSKE
		}
		if curveType != 3 { // named_curve (RFC 8422, Section 5.4)
			return nil, fmt.Errorf("tls: server_key_exchange has curve type %d, not named_curve", curveType)
		}
		var pub cryptobyte.String
		if !s.ReadUint16(&ske.group) || !s.ReadUint8LengthPrefixed(&pub) || len(pub) == 0 {
			return nil, errMalformedSKE
		}
		ske.public = pub
	case wire.KexDHE:
		var p, g, y cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&p) || !s.ReadUint16LengthPrefixed(&g) || !s.ReadUint16LengthPrefixed(&y) {
			return nil, errMalformedSKE
		}
		ske.dhP, ske.dhG, ske.dhYs = p, g, y
	default:
		return nil, fmt.Errorf("tls: no server_key_exchange reading for key exchange %s", kex)
	}
	ske.params = start[:len(start)-len(s)]
	if version >= tlscrypt.VersionTLS12 {
		if !s.ReadUint16(&ske.scheme) {
			return nil, errMalformedSKE
		}
		ske.hasScheme = true
	}
	var sig cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&sig) || len(sig) == 0 || !s.Empty() {
		return nil, errMalformedSKE
	}
	ske.signature = sig
	return ske, nil
}

// signedParams returns what a ServerKeyExchange signature covers (RFC 5246,
// Section 7.4.3): client_random + server_random + params.
func signedParams(clientRandom, serverRandom, params []byte) []byte {
	out := make([]byte, 0, len(clientRandom)+len(serverRandom)+len(params))
	out = append(out, clientRandom...)
	out = append(out, serverRandom...)
	return append(out, params...)
}

// verifyLegacySignature checks a TLS 1.0 or 1.1 ServerKeyExchange
// signature, which names no scheme: with an RSA key it is PKCS #1 v1.5 over
// MD5 and SHA-1 concatenated, with no DigestInfo (RFC 2246, Section
// 7.4.3); with an ECDSA key, ECDSA over SHA-1 (RFC 4492, Section 5.4).
func verifyLegacySignature(pub crypto.PublicKey, signed, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		h := md5SHA1(signed)
		if err := rsa.VerifyPKCS1v15(k, crypto.MD5SHA1, h, sig); err != nil {
			return fmt.Errorf("tls: the server's RSA signature over its key exchange does not verify: %w", err)
		}
	case *ecdsa.PublicKey:
		h := sha1.Sum(signed)
		if !ecdsa.VerifyASN1(k, h[:], sig) {
			return errors.New("tls: the server's ECDSA signature over its key exchange does not verify")
		}
	default:
		return fmt.Errorf("tls: a TLS 1.0/1.1 server key exchange cannot be signed by a %T key", pub)
	}
	return nil
}

// md5SHA1 returns MD5(b) followed by SHA-1(b), the hash of TLS 1.0 and 1.1
// signatures (RFC 2246, Section 7.4.3).
func md5SHA1(b []byte) []byte {
	m := md5.Sum(b)
	s := sha1.Sum(b)
	return append(m[:], s[:]...)
}

// rsaPremaster makes the premaster secret of an RSA key exchange and
// encrypts it to the server's key (RFC 5246, Section 7.4.7.1): the version
// the client offered in its ClientHello (not the negotiated one, so that a
// server can spot a version rollback), then 46 random bytes.
func rsaPremaster(rnd io.Reader, offered uint16, pub *rsa.PublicKey) (premaster, encrypted []byte, err error) {
	premaster = make([]byte, 48)
	premaster[0], premaster[1] = byte(offered>>8), byte(offered)
	if _, err := io.ReadFull(rnd, premaster[2:]); err != nil {
		return nil, nil, fmt.Errorf("tls: making the premaster secret: %w", err)
	}
	//lint:ignore SA1019 the RSA key exchange of TLS 1.0-1.2 is PKCS #1 v1.5 encryption (RFC 5246, Section 7.4.7.1)
	encrypted, err = rsa.EncryptPKCS1v15(rnd, pub, premaster)
	if err != nil {
		return nil, nil, fmt.Errorf("tls: encrypting the premaster secret: %w", err)
	}
	return premaster, encrypted, nil
}

// finishedLabel returns the label of a side's Finished (RFC 5246, Section
// 7.4.9).
func finishedLabel(client bool) string {
	if client {
		return "client finished"
	}
	return "server finished"
}

// verifyData12 returns the verify_data of a TLS 1.0-1.2 Finished (RFC 5246,
// Section 7.4.9):
//
//	PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]
//
// where transcript is the hash of the handshake messages so far (MD5 and
// SHA-1 before TLS 1.2, the suite's PRF hash in TLS 1.2; see
// tlscrypt.SessionHash).
func verifyData12(version uint16, s *tlscrypt.Suite, master []byte, client bool, transcript []byte) []byte {
	return tlscrypt.PRF(version, s, master, finishedLabel(client), transcript, 12)
}
