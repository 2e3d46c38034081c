package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// server12 is the state of a TLS 1.0–1.2 server handshake (RFC 2246, RFC
// 4346, RFC 5246).
type server12 struct {
	c        *Conn
	cfg      *Config
	ch       *clientHello
	version  uint16
	choice   *choice12
	alpn     string
	random   []byte
	ems, etm bool
	// The server's ephemeral key: ECDHE or DHE.
	ecKey *ecdh.PrivateKey
	dhP   *big.Int
	dhX   *big.Int
	peer  []*x509.Certificate
	// peerScheme is the scheme of the client's CertificateVerify.
	peerScheme uint16
	master     []byte
}

func (hs *server12) run() error {
	c, ch := hs.c, hs.ch
	var err error
	if !slices.Contains(ch.Compression, 0) {
		return refuse(wire.AlertIllegalParameter, "the ClientHello does not offer the null compression method")
	}
	if hs.choice, err = choose12(hs.cfg, ch, hs.version); err != nil {
		return err
	}
	if hs.alpn, err = chooseALPN(hs.cfg, ch); err != nil {
		return err
	}
	hs.ems = ch.extendedMaster
	hs.etm = ch.encryptThenMAC && hs.choice.suite.Cipher.Block()
	if hs.version == wire.VersionSSL30 {
		// An SSL 3.0 ServerHello has no extensions (RFC 6101, Section
		// 5.6.1.3), so none of what they would agree on applies.
		hs.ems, hs.etm, hs.alpn = false, false, ""
		ch.secureRenegotiation, ch.statusRequest = false, false
	}
	c.transcript.add(ch.raw)
	c.out.version = hs.version
	if err := hs.sendHello(); err != nil {
		return err
	}
	if err := hs.readClientFlight(); err != nil {
		return err
	}
	if err := hs.finish(); err != nil {
		return err
	}
	st := State{
		Version:              hs.version,
		CipherSuite:          hs.choice.suite.ID,
		PeerSignatureScheme:  hs.peerScheme,
		ALPN:                 hs.alpn,
		ServerName:           ch.ServerName,
		PeerCertificates:     hs.peer,
		ExtendedMasterSecret: hs.ems,
	}
	switch {
	case hs.choice.kx.kx == wire.KexECDHE:
		st.Group = hs.choice.group
	case hs.choice.kx.kx == wire.KexDHE:
		st.Group, st.DHBits = hs.choice.group, hs.dhP.BitLen()
	}
	c.state = st
	return nil
}

// sendHello sends ServerHello, Certificate, CertificateStatus (when
// stapling), ServerKeyExchange (ECDHE, DHE), CertificateRequest (when
// asked) and ServerHelloDone.
func (hs *server12) sendHello() error {
	c, ch, ci := hs.c, hs.ch, hs.choice
	hs.random = make([]byte, 32)
	if _, err := io.ReadFull(c.rand(), hs.random); err != nil {
		return err
	}
	downgradeRandom(hs.cfg, hs.random, hs.version)
	var exts []wire.Extension
	if ch.secureRenegotiation {
		// RFC 5746, Section 3.6.
		e, err := wire.RenegotiationInfoExtension(nil)
		if err != nil {
			return err
		}
		exts = append(exts, e)
	}
	if hs.ems {
		exts = append(exts, wire.EmptyExtension(wire.ExtExtendedMasterSecret))
	}
	if hs.etm {
		exts = append(exts, wire.EmptyExtension(wire.ExtEncryptThenMAC))
	}
	if ci.kx.kx == wire.KexECDHE && ch.PointFormats != nil {
		exts = append(exts, wire.ECPointFormatsExtension())
	}
	if hs.alpn != "" {
		e, err := wire.ALPNExtension([]string{hs.alpn})
		if err != nil {
			return err
		}
		exts = append(exts, e)
	}
	staple := ch.statusRequest && len(ci.cert.OCSP) > 0
	if staple {
		exts = append(exts, wire.EmptyExtension(wire.ExtStatusRequest))
	}
	sh := &wire.ServerHello{Version: hs.version, Random: hs.random, CipherSuite: ci.suite.ID, Extensions: exts}
	raw, err := sh.Marshal()
	if err != nil {
		return err
	}
	msgs := [][]byte{raw}
	if raw, err = wire.MarshalCertificate12(ci.cert.Chain); err != nil {
		return err
	}
	msgs = append(msgs, raw)
	if staple {
		if raw, err = wire.MarshalCertificateStatus(ci.cert.OCSP); err != nil {
			return err
		}
		msgs = append(msgs, raw)
	}
	if ci.kx.kx != wire.KexRSA {
		if raw, err = hs.serverKeyExchange(); err != nil {
			return err
		}
		msgs = append(msgs, raw)
	}
	if hs.cfg.ClientAuth {
		var schemes []uint16
		if hs.version == wire.VersionTLS12 {
			schemes = verifySchemes12(hs.cfg)
		}
		// rsa_sign and ecdsa_sign (RFC 5246, Section 7.4.4; RFC 8422,
		// Section 5.5).
		if raw, err = wire.MarshalCertificateRequest12(hs.version, []uint8{1, 64}, schemes, nil); err != nil {
			return err
		}
		msgs = append(msgs, raw)
	}
	msgs = append(msgs, wire.MarshalServerHelloDone())
	return c.writeHandshake(msgs...)
}

// verifySchemes12 are the schemes the server accepts in a TLS 1.2
// client's CertificateVerify.
func verifySchemes12(cfg *Config) []uint16 {
	all := append(verifySchemes13(cfg), schemePKCS1SHA256, schemePKCS1SHA384, schemePKCS1SHA512)
	if cfg.SignatureSchemes != nil {
		all = slices.DeleteFunc(all, func(s uint16) bool { return !slices.Contains(cfg.SignatureSchemes, s) })
	}
	return all
}

// serverKeyExchange makes the ephemeral key and the signed
// ServerKeyExchange (RFC 8422, Section 5.4; RFC 5246, Section 7.4.3; RFC
// 7919 for the ffdhe groups).
func (hs *server12) serverKeyExchange() ([]byte, error) {
	c, ci := hs.c, hs.choice
	var params []byte
	var err error
	switch ci.kx.kx {
	case wire.KexECDHE:
		curve := ecdhCurve(ci.group)
		if hs.ecKey, err = curve.GenerateKey(c.rand()); err != nil {
			return nil, err
		}
		if params, err = wire.ECDHEParams(ci.group, hs.ecKey.PublicKey().Bytes()); err != nil {
			return nil, err
		}
	case wire.KexDHE:
		p := c.cfg.DHPrime
		if p == nil {
			p = ffdhePrime(ci.group)
		}
		hs.dhP = p
		// A 512-bit private exponent: RFC 7919, Section 5.2 asks for at
		// least twice the group's security strength (400 bits for
		// ffdhe8192), and a full-size one would let a client make the
		// server spend seconds per handshake on ffdhe8192.
		if hs.dhX, err = rand.Int(c.rand(), new(big.Int).Lsh(big.NewInt(1), dhExponentBits)); err != nil {
			return nil, err
		}
		hs.dhX.Add(hs.dhX, big.NewInt(2))
		ys := new(big.Int).Exp(big.NewInt(2), hs.dhX, p)
		if params, err = wire.DHEParams(p.Bytes(), []byte{2}, ys.Bytes()); err != nil {
			return nil, err
		}
	}
	signed := signedParams(hs.ch.Random, hs.random, params)
	var sig []byte
	if hs.version >= wire.VersionTLS12 {
		sig, err = signMessage(ci.cert.Key, ci.scheme, c.rand(), signed)
	} else {
		sig, err = signLegacy(c.rand(), ci.cert.Key, signed)
	}
	if err != nil {
		return nil, refuse(wire.AlertInternalError, "signing the ServerKeyExchange: %w", err)
	}
	return wire.MarshalServerKeyExchange(hs.version, params, ci.scheme, sig)
}

// dhExponentBits is the size of the server's DHE private exponent.
const dhExponentBits = 512

// signLegacy signs as TLS 1.0 and 1.1 do, with no scheme: RSA PKCS #1
// v1.5 over MD5 and SHA-1 without DigestInfo (RFC 2246, Section 7.4.3),
// ECDSA over SHA-1 (RFC 4492, Section 5.4).
func signLegacy(r io.Reader, key crypto.Signer, msg []byte) ([]byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(r, k, crypto.MD5SHA1, md5SHA1(msg))
	case *ecdsa.PrivateKey:
		h := sha1.Sum(msg)
		return ecdsa.SignASN1(r, k, h[:])
	}
	return nil, errors.New("only RSA and ECDSA keys sign in TLS 1.0 and 1.1")
}

// signSSL3 signs the hashes of an SSL 3.0 CertificateVerify (md5_hash and
// sha_hash, RFC 6101, Section 5.6.8): with RSA, PKCS #1 v1.5 over both
// without DigestInfo; with ECDSA, as with DSA, over sha_hash alone (RFC
// 6101, Section 5.4).
func signSSL3(r io.Reader, key crypto.Signer, hashes []byte) ([]byte, error) {
	switch key.Public().(type) {
	case *rsa.PublicKey:
		return key.Sign(r, hashes, crypto.MD5SHA1)
	case *ecdsa.PublicKey:
		return key.Sign(r, hashes[md5.Size:], crypto.SHA1)
	}
	return nil, errors.New("only RSA and ECDSA keys sign in SSL 3.0")
}

// verifySSL3Client checks an SSL 3.0 client's CertificateVerify, signed as
// signSSL3 signs.
func verifySSL3Client(pub crypto.PublicKey, hashes, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.MD5SHA1, hashes, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, hashes[md5.Size:], sig) {
			return errors.New("ECDSA verification error")
		}
		return nil
	}
	return errors.New("only RSA and ECDSA keys sign in SSL 3.0")
}

// verifyLegacyClient checks a TLS 1.0 or 1.1 client's CertificateVerify,
// signed as signLegacy signs.
func verifyLegacyClient(pub crypto.PublicKey, msg, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.MD5SHA1, md5SHA1(msg), sig)
	case *ecdsa.PublicKey:
		h := sha1.Sum(msg)
		if !ecdsa.VerifyASN1(k, h[:], sig) {
			return errors.New("ECDSA verification error")
		}
		return nil
	}
	return errors.New("only RSA and ECDSA keys sign in TLS 1.0 and 1.1")
}

// readClientFlight reads Certificate (when asked for), ClientKeyExchange,
// CertificateVerify (when the client sent a certificate),
// change_cipher_spec and Finished.
func (hs *server12) readClientFlight() error {
	c := hs.c
	raw, err := c.readHandshake()
	if err != nil {
		return err
	}
	// An SSL 3.0 client without a certificate sends a no_certificate
	// warning (RFC 6101, Section 5.6.6), which the record layer skips:
	// its ClientKeyExchange comes first.
	noCert := hs.version == wire.VersionSSL30 && wire.HandshakeType(raw[0]) == wire.TypeClientKeyExchange
	if hs.cfg.ClientAuth && !noCert {
		m := wire.ParseHandshake(wire.Context{Version: hs.version, CipherSuite: hs.choice.suite.ID}, raw)
		if m.Type != wire.TypeCertificate {
			return refuse(wire.AlertUnexpectedMessage, "expected the client's Certificate, got %s", m.Type)
		}
		if m.Err != nil || m.Certificate == nil {
			return refuse(wire.AlertDecodeError, "the client's Certificate: %w", errOr(m.Err, "does not decode"))
		}
		c.transcript.add(raw)
		if hs.peer, err = parseClientChain(m.Certificate.Certs); err != nil {
			return err
		}
		if raw, err = c.readHandshake(); err != nil {
			return err
		}
	}
	if wire.HandshakeType(raw[0]) != wire.TypeClientKeyExchange {
		return refuse(wire.AlertUnexpectedMessage, "expected the client's ClientKeyExchange, got %s", wire.HandshakeType(raw[0]))
	}
	premaster, err := hs.clientKeyExchange(raw[4:])
	if err != nil {
		return err
	}
	c.transcript.add(raw)
	s := hs.choice.suite
	if hs.ems {
		var sh tlscrypt.SessionHash
		sh.Start(hs.version, s)
		sh.Write(c.transcript.msgs)
		hs.master = tlscrypt.ExtendedMasterSecret(hs.version, s, premaster, sh.Sum())
	} else {
		hs.master = tlscrypt.MasterSecret(hs.version, s, premaster, hs.ch.Random, hs.random)
	}
	if err := c.logKey(keylog.LabelClientRandom, hs.ch.Random, hs.master); err != nil {
		return err
	}
	if len(hs.peer) > 0 {
		if raw, err = c.readHandshake(); err != nil {
			return err
		}
		if err := hs.verifyClient(raw); err != nil {
			return err
		}
		c.transcript.add(raw)
	}
	if hs.cfg.ClientAuth && hs.cfg.VerifyPeer != nil {
		if err := hs.cfg.VerifyPeer(hs.peer, nil); err != nil {
			alert := wire.AlertBadCertificate
			if len(hs.peer) == 0 {
				// RFC 5246, Section 7.4.6: no certificate where one is
				// required is a handshake_failure.
				alert = wire.AlertHandshakeFailure
			}
			return &refusal{alert: alert, err: err}
		}
	}
	if err := c.readChangeCipherSpec(); err != nil {
		return err
	}
	ck, _ := tlscrypt.KeyBlock(hs.version, s, hs.master, hs.ch.Random, hs.random)
	dec, err := tlscrypt.NewDecrypter12(hs.version, s, ck, hs.etm)
	if err != nil {
		return refuse(wire.AlertInternalError, "%w", err)
	}
	if err := c.setReadKeys(dec); err != nil {
		return err
	}
	if raw, err = c.readHandshake(); err != nil {
		return err
	}
	if wire.HandshakeType(raw[0]) != wire.TypeFinished {
		return refuse(wire.AlertUnexpectedMessage, "expected the client's Finished, got %s", wire.HandshakeType(raw[0]))
	}
	want := verifyData12(hs.version, s, hs.master, true, hs.c.transcript.msgs)
	if !macEqual(raw[4:], want) {
		return refuse(wire.AlertDecryptError, "the client's Finished does not match the handshake (its verify_data is not the one both sides' keys give)")
	}
	c.transcript.add(raw)
	return nil
}

// clientKeyExchange reads the client's key exchange and returns the
// premaster secret (RFC 5246, Section 7.4.7; RFC 8422, Section 5.7).
func (hs *server12) clientKeyExchange(body []byte) ([]byte, error) {
	s := cryptobyte.String(body)
	switch hs.choice.kx.kx {
	case wire.KexECDHE:
		var point cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&point) || !s.Empty() || len(point) == 0 {
			return nil, refuse(wire.AlertDecodeError, "the client's ECDHE ClientKeyExchange does not decode")
		}
		pub, err := ecdhCurve(hs.choice.group).NewPublicKey(point)
		if err != nil {
			return nil, refuse(wire.AlertIllegalParameter, "the client's %s public key: %w", wire.GroupName(hs.choice.group), err)
		}
		shared, err := hs.ecKey.ECDH(pub)
		if err != nil {
			return nil, refuse(wire.AlertIllegalParameter, "the client's %s public key: %w", wire.GroupName(hs.choice.group), err)
		}
		return shared, nil
	case wire.KexDHE:
		var yc cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&yc) || !s.Empty() || len(yc) == 0 {
			return nil, refuse(wire.AlertDecodeError, "the client's DHE ClientKeyExchange does not decode")
		}
		y := new(big.Int).SetBytes(yc)
		if !inOpenRange(y, new(big.Int).Sub(hs.dhP, big.NewInt(1))) {
			// RFC 7919, Section 5.1.
			return nil, refuse(wire.AlertIllegalParameter, "the client's DHE public value is not between 1 and p-1")
		}
		// The shared secret with its leading zero bytes stripped (RFC
		// 5246, Section 8.1.2).
		return new(big.Int).Exp(y, hs.dhX, hs.dhP).Bytes(), nil
	}
	// SSL 3.0 sends the encrypted premaster secret without the length
	// that TLS put before it (RFC 6101, Section 5.6.7.1; RFC 2246,
	// Section 7.4.7.1).
	enc := s
	if hs.version != wire.VersionSSL30 && (!s.ReadUint16LengthPrefixed(&enc) || !s.Empty()) {
		return nil, refuse(wire.AlertDecodeError, "the client's RSA ClientKeyExchange does not decode")
	}
	key, _ := hs.choice.cert.Key.(*rsa.PrivateKey)
	// RFC 5246, Section 7.4.7.1: whatever goes wrong (padding, length,
	// version), carry on with a random premaster secret, so that the
	// Finished fails alike and nothing tells a Bleichenbacher oracle
	// apart.
	premaster := make([]byte, 48)
	if _, err := io.ReadFull(hs.c.rand(), premaster); err != nil {
		return nil, err
	}
	random := bytes.Clone(premaster)
	//lint:ignore SA1019 the RSA key exchange of TLS 1.0-1.2 is PKCS #1 v1.5 encryption (RFC 5246, Section 7.4.7.1)
	if err := rsa.DecryptPKCS1v15SessionKey(nil, key, enc, premaster); err != nil {
		// Only a ciphertext of the wrong length fails here, which the
		// length already tells.
		return nil, refuse(wire.AlertDecodeError, "the client's encrypted premaster secret: %w", err)
	}
	good := subtle.ConstantTimeByteEq(premaster[0], byte(hs.ch.Version>>8)) & subtle.ConstantTimeByteEq(premaster[1], byte(hs.ch.Version))
	subtle.ConstantTimeCopy(1-good, premaster, random)
	return premaster, nil
}

// verifyClient checks the client's CertificateVerify (RFC 5246, Section
// 7.4.8): over every handshake message so far.
func (hs *server12) verifyClient(raw []byte) error {
	if wire.HandshakeType(raw[0]) != wire.TypeCertificateVerify {
		return refuse(wire.AlertUnexpectedMessage, "expected the client's CertificateVerify, got %s", wire.HandshakeType(raw[0]))
	}
	tls12 := hs.version >= wire.VersionTLS12
	scheme, sig, ok := readSigned(raw[4:], tls12)
	if !ok {
		return refuse(wire.AlertDecodeError, "the client's CertificateVerify does not decode")
	}
	var err error
	if tls12 {
		if !slices.Contains(verifySchemes12(hs.cfg), scheme) {
			return refuse(wire.AlertIllegalParameter, "the client signed with %s, which the server did not offer", wire.SignatureSchemeName(scheme))
		}
		var pub crypto.PublicKey
		if pub, err = certPublicKey(hs.peer[0]); err == nil {
			err = verifySignature(pub, scheme, hs.c.transcript.msgs, sig)
		}
		hs.peerScheme = scheme
	} else if hs.version == wire.VersionSSL30 {
		err = verifySSL3Client(hs.peer[0].PublicKey, ssl3CertificateVerify(hs.master, hs.c.transcript.msgs), sig)
	} else {
		err = verifyLegacyClient(hs.peer[0].PublicKey, hs.c.transcript.msgs, sig)
	}
	if err != nil {
		return refuse(wire.AlertDecryptError, "the client's CertificateVerify does not verify with its certificate's key: %w", err)
	}
	return nil
}

// finish sends change_cipher_spec and the server's Finished.
func (hs *server12) finish() error {
	c, s := hs.c, hs.choice.suite
	if err := c.writeChangeCipherSpec(); err != nil {
		return err
	}
	_, sk := tlscrypt.KeyBlock(hs.version, s, hs.master, hs.ch.Random, hs.random)
	enc, err := tlscrypt.NewEncrypter12(hs.version, s, sk, hs.etm)
	if err != nil {
		return refuse(wire.AlertInternalError, "%w", err)
	}
	c.setWriteKeys(enc)
	raw, err := wire.MarshalFinished(verifyData12(hs.version, s, hs.master, false, hs.c.transcript.msgs))
	if err != nil {
		return err
	}
	return c.writeHandshake(raw)
}
