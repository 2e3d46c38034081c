// This file holds the TLS 1.0, 1.1 and 1.2 client: the handshake of RFC 5246,
// Section 7.3 (RFC 2246 and RFC 4346 for the older versions) with ECDHE
// (RFC 8422), DHE with the server's parameters (dhe.go) and static RSA key
// exchange, the extended master secret (RFC 7627), encrypt_then_mac (RFC
// 7366), renegotiation_info (RFC 5746), and resumption by session ID (RFC
// 5246, Section 7.3) and by ticket (RFC 5077).

package handshake

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cloudflare/circl/sign/ed448"
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
var errMalformedSKE = errors.New("malformed server_key_exchange")

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
			return nil, fmt.Errorf("server_key_exchange has curve type %d, not named_curve", curveType)
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
		return nil, fmt.Errorf("no server_key_exchange reading for key exchange %s", kex)
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
			return fmt.Errorf("the server's RSA signature over its key exchange does not verify: %w", err)
		}
	case *ecdsa.PublicKey:
		h := sha1.Sum(signed)
		if !ecdsa.VerifyASN1(k, h[:], sig) {
			return errors.New("the server's ECDSA signature over its key exchange does not verify")
		}
	default:
		return fmt.Errorf("a TLS 1.0/1.1 server key exchange cannot be signed by a %T key", pub)
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
		return nil, nil, fmt.Errorf("making the premaster secret: %w", err)
	}
	//lint:ignore SA1019 the RSA key exchange of TLS 1.0-1.2 is PKCS #1 v1.5 encryption (RFC 5246, Section 7.4.7.1)
	encrypted, err = rsa.EncryptPKCS1v15(rnd, pub, premaster)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypting the premaster secret: %w", err)
	}
	return premaster, encrypted, nil
}

// verifyData12 returns the verify_data of an SSL 3.0 or TLS 1.0-1.2
// Finished over the handshake messages msgs (RFC 6101, Section 5.6.9; RFC
// 5246, Section 7.4.9; see tlscrypt.SessionHash.Finished).
func verifyData12(version uint16, s *tlscrypt.Suite, master []byte, client bool, msgs []byte) []byte {
	var h tlscrypt.SessionHash
	h.Start(version, s)
	h.Write(msgs)
	return h.Finished(version, s, master, client)
}

// ssl3CertificateVerify returns what an SSL 3.0 CertificateVerify signs
// over the handshake messages msgs (RFC 6101, Section 5.6.8): md5_hash
// and sha_hash, both keyed with the master secret.
func ssl3CertificateVerify(master, msgs []byte) []byte {
	var h tlscrypt.SessionHash
	h.Start(VersionSSL30, nil)
	h.Write(msgs)
	return h.SSL3CertificateVerify(master)
}

func init() { continueClient12 = runClient12 }

// suiteAuth says which certificate key a TLS 1.0-1.2 suite needs.
type suiteAuth uint8

const (
	authRSA   suiteAuth = iota + 1 // RSA signature or RSA key exchange
	authECDSA                      // ECDSA or EdDSA (RFC 8422, Section 2)
)

// suite12 returns the record protection, key exchange and authentication
// of a suite the TLS 1.0-1.2 client can complete: ECDHE_RSA, ECDHE_ECDSA,
// DHE_RSA, RSA or RSA_EXPORT, with a protection tlscrypt seals and opens.
func suite12(id uint16) (*tlscrypt.Suite, wire.KeyExchange, suiteAuth, bool) {
	s, ok := tlscrypt.SuiteByID(id)
	if !ok || s.TLS13 {
		return nil, 0, 0, false
	}
	name := wire.CipherSuiteName(id)
	kex := wire.CipherSuiteKeyExchange(id)
	switch {
	case kex == wire.KexRSA && strings.HasPrefix(name, "TLS_RSA_WITH_"):
		return s, kex, authRSA, true
	case kex == wire.KexRSA && strings.HasPrefix(name, "TLS_RSA_EXPORT_WITH_"):
		// Export suites, offered only when Config.CipherSuites names
		// them, with a certificate key of 512 bits at most (no
		// temporary RSA key in a ServerKeyExchange).
		return s, kex, authRSA, true
	case kex == wire.KexECDHE && strings.HasPrefix(name, "TLS_ECDHE_RSA_"):
		return s, kex, authRSA, true
	case kex == wire.KexECDHE && strings.HasPrefix(name, "TLS_ECDHE_ECDSA_"):
		return s, kex, authECDSA, true
	case kex == wire.KexDHE && strings.HasPrefix(name, "TLS_DHE_RSA_"):
		return s, kex, authRSA, true
	}
	return nil, 0, 0, false
}

// exportRSABits is the longest RSA key an export suite encrypts the
// premaster secret with (RFC 2246, Appendix D.1).
const exportRSABits = 512

// tls12Only reports whether a suite exists only from TLS 1.2 on: AEAD
// suites and those with a SHA-256 or SHA-384 MAC or PRF (RFC 5246, Appendix
// A.5; RFC 5288, Section 4).
func tls12Only(s *tlscrypt.Suite) bool {
	return s.Cipher.AEAD() || s.MAC == crypto.SHA256 || s.MAC == crypto.SHA384
}

func suiteName(id uint16) string {
	if n := wire.CipherSuiteName(id); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", id)
}

func schemeName(s uint16) string {
	if n := wire.SignatureSchemeName(s); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", s)
}

// session12 returns the TLS 1.0-1.2 session to offer for resumption, and
// sets the ClientHello's session ID for it: the session's own ID, or with a
// ticket an ID of the client's (RFC 5077, Section 3.4), which the server
// echoes if it accepts the ticket. The caller sends the session_ticket
// extension with the returned session's ticket (empty without one).
func (c *Conn) session12(hs *clientHandshakeState) (*session, error) {
	s := c.cfg.Sessions.get(c.sessionKey())
	lo, _ := c.versions()
	if s == nil || s.version > hs.maxVersion || s.version < lo || s.version < VersionTLS10 || s.version > VersionTLS12 ||
		c.cfg.NoSessionTickets && len(s.ticket) > 0 {
		return nil, nil
	}
	if len(s.ticket) == 0 {
		hs.sessionID = s.sessionID
		return s, nil
	}
	if len(hs.sessionID) == 0 {
		hs.sessionID = make([]byte, 32)
		if _, err := io.ReadFull(c.rand(), hs.sessionID); err != nil {
			return nil, fmt.Errorf("tls: making the session ID: %w", err)
		}
	}
	return s, nil
}

// clientHandshake12 is a TLS 1.0-1.2 client handshake once the ServerHello
// chose one of those versions (RFC 5246, Section 7.3).
type clientHandshake12 struct {
	c  *Conn
	hs *clientHandshakeState
	sh *wire.ServerHello

	version    uint16
	suite      *tlscrypt.Suite
	kex        wire.KeyExchange
	auth       suiteAuth
	etm        bool
	ticketSent bool // the server said it will send a NewSessionTicket
	ocspAcked  bool
	master     []byte
	// ticket is the ticket of the server's NewSessionTicket, if any.
	ticket []byte
}

// runClient12 continues a client handshake whose ServerHello chose TLS 1.0,
// 1.1 or 1.2; the version and the downgrade sentinels are checked, and the
// transcript holds the ClientHello and the ServerHello.
func runClient12(ctx context.Context, c *Conn, hs *clientHandshakeState, m *wire.Message) error {
	h := &clientHandshake12{c: c, hs: hs, sh: m.ServerHello}
	resume, err := h.checkServerHello()
	if err != nil {
		return err
	}
	c.out.version = h.version
	c.state.Version, c.state.CipherSuite, c.state.ServerName = h.version, h.suite.ID, hs.serverName
	if resume {
		return h.resume()
	}
	return h.full()
}

func (h *clientHandshake12) fail(a wire.AlertDescription, err error) error { return h.c.fail(a, err) }

func (h *clientHandshake12) failf(a wire.AlertDescription, format string, args ...any) error {
	return h.c.fail(a, fmt.Errorf(format, args...))
}

// checkServerHello checks the ServerHello's suite and extensions against
// what the client offered (RFC 5246, Sections 7.4.1.3 and 7.4.1.4) and
// reports whether it resumes the offered session.
func (h *clientHandshake12) checkServerHello() (bool, error) {
	sh, c := h.sh, h.c
	h.version = sh.Version
	if h.version < VersionSSL30 {
		return false, h.failf(wire.AlertProtocolVersion, "the server chose %s, which the engine does not speak", wire.VersionName(h.version))
	}
	if !slices.Contains(h.hs.hello.CipherSuites, sh.CipherSuite) {
		return false, h.failf(wire.AlertIllegalParameter, "the server chose cipher suite %s, which the client did not offer", suiteName(sh.CipherSuite))
	}
	var ok bool
	if h.suite, h.kex, h.auth, ok = suite12(sh.CipherSuite); !ok {
		return false, h.failf(wire.AlertIllegalParameter, "the server chose cipher suite %s, which the engine cannot complete", suiteName(sh.CipherSuite))
	}
	if tls12Only(h.suite) && h.version < VersionTLS12 {
		return false, h.failf(wire.AlertIllegalParameter, "the server chose %s with %s, a suite of TLS 1.2", suiteName(sh.CipherSuite), wire.VersionName(h.version))
	}
	if h.version == VersionSSL30 && h.kex == wire.KexECDHE {
		// SSL 3.0 has no elliptic curve suites (RFC 8422, Section 1).
		return false, h.failf(wire.AlertIllegalParameter, "the server chose %s with SSL 3.0", suiteName(sh.CipherSuite))
	}
	if sh.Compression != 0 {
		return false, h.failf(wire.AlertIllegalParameter, "the server chose compression method %d, the client offered none", sh.Compression)
	}
	for _, e := range sh.Extensions {
		if _, offered := findExtension(h.hs.hello.Extensions, e.Type); !offered {
			// RFC 5246, Section 7.4.1.4.
			return false, h.failf(wire.AlertUnsupportedExtension, "the server sent extension %s, which the client did not offer", extensionName(e.Type))
		}
		switch e.Type {
		case wire.ExtRenegotiationInfo:
			// RFC 5746, Section 3.4: on an initial handshake the
			// renegotiated_connection field is empty; Section 3.5: on
			// a renegotiation it holds both verify_data before.
			want := append(append([]byte{byte(len(c.clientVerify) + len(c.serverVerify))}, c.clientVerify...), c.serverVerify...)
			if !bytes.Equal(e.Data, want) {
				if c.clientVerify != nil {
					return false, h.failf(wire.AlertHandshakeFailure, "the server's renegotiation_info does not hold the verify_data of the handshake before (RFC 5746, Section 3.5)")
				}
				return false, h.failf(wire.AlertHandshakeFailure, "the server's renegotiation_info is not empty on an initial handshake (RFC 5746, Section 3.4)")
			}
		case wire.ExtSessionTicket:
			if len(e.Data) != 0 {
				return false, h.failf(wire.AlertDecodeError, "the server's session_ticket extension is not empty (RFC 5077, Section 3.2)")
			}
			h.ticketSent = true
		case wire.ExtStatusRequest:
			if len(e.Data) != 0 {
				return false, h.failf(wire.AlertDecodeError, "the server's status_request extension is not empty (RFC 6066, Section 8)")
			}
			h.ocspAcked = true
		case wire.ExtALPN:
			if len(sh.ALPN) != 1 || !slices.Contains(c.cfg.ALPN, sh.ALPN[0]) {
				return false, h.failf(wire.AlertIllegalParameter, "the server's ALPN %q is not one protocol the client offered", sh.ALPN)
			}
			c.state.ALPN = sh.ALPN[0]
		}
	}
	c.state.ExtendedMasterSecret = sh.ExtendedMasterSecret
	// RFC 7366, Section 3: encrypt-then-MAC applies to CBC suites only.
	h.etm = sh.EncryptThenMAC && h.suite.Cipher.Block()

	sess := h.hs.session12
	if sess == nil || len(sh.SessionID) == 0 || !bytes.Equal(sh.SessionID, h.hs.sessionID) {
		return false, nil
	}
	if sess.version != h.version || sess.suite != sh.CipherSuite {
		return false, h.failf(wire.AlertIllegalParameter, "the server resumes a %s %s session with %s %s",
			wire.VersionName(sess.version), suiteName(sess.suite), wire.VersionName(h.version), suiteName(sh.CipherSuite))
	}
	if sess.ems != sh.ExtendedMasterSecret {
		// RFC 7627, Section 5.3.
		return false, h.failf(wire.AlertHandshakeFailure, "the server resumes a session with extended_master_secret %v, the session had %v", sh.ExtendedMasterSecret, sess.ems)
	}
	return true, nil
}

// transcriptHash returns the hash of the handshake messages so far: MD5
// and SHA-1 concatenated before TLS 1.2, the suite's PRF hash in TLS 1.2
// (RFC 5246, Section 7.4.9; RFC 7627, Section 3).
func (h *clientHandshake12) transcriptHash() []byte {
	var th tlscrypt.SessionHash
	th.Start(h.version, h.suite)
	th.Write(h.c.transcript.msgs)
	return th.Sum()
}

// readMessage reads the next handshake message, which must be of type
// want or of one of the types in also, and adds it to the transcript.
func (h *clientHandshake12) readMessage(want wire.HandshakeType, also ...wire.HandshakeType) ([]byte, error) {
	msg, err := h.c.readHandshake()
	if err != nil {
		return nil, err
	}
	t := wire.HandshakeType(msg[0])
	if t != want && !slices.Contains(also, t) {
		return nil, h.failf(wire.AlertUnexpectedMessage, "the server sent %s where %s was expected", t, want)
	}
	h.c.transcript.add(msg)
	return msg, nil
}

// full runs a full handshake (RFC 5246, Section 7.3, Figure 1).
func (h *clientHandshake12) full() error {
	c := h.c
	msg, err := h.readMessage(wire.TypeCertificate)
	if err != nil {
		return err
	}
	certs, err := h.parseCertificates(msg)
	if err != nil {
		return err
	}
	c.state.PeerCertificates = certs
	msg, err = h.readMessage(wire.TypeServerKeyExchange, wire.TypeCertificateStatus, wire.TypeCertificateRequest, wire.TypeServerHelloDone)
	if err != nil {
		return err
	}
	if wire.HandshakeType(msg[0]) == wire.TypeCertificateStatus {
		if !h.ocspAcked {
			return h.failf(wire.AlertUnexpectedMessage, "the server sent certificate_status without acknowledging status_request")
		}
		if c.state.OCSPResponse, err = h.parseCertificateStatus(msg); err != nil {
			return err
		}
		if msg, err = h.readMessage(wire.TypeServerKeyExchange, wire.TypeCertificateRequest, wire.TypeServerHelloDone); err != nil {
			return err
		}
	}
	var ske *serverKeyExchange12
	if wire.HandshakeType(msg[0]) == wire.TypeServerKeyExchange {
		if h.kex == wire.KexRSA {
			return h.failf(wire.AlertUnexpectedMessage, "the server sent server_key_exchange with the RSA key exchange of %s", h.suite.Name)
		}
		if ske, err = parseServerKeyExchange12(h.version, h.kex, msg[wire.HandshakeHeaderLen:]); err != nil {
			return h.fail(wire.AlertDecodeError, err)
		}
		if msg, err = h.readMessage(wire.TypeCertificateRequest, wire.TypeServerHelloDone); err != nil {
			return err
		}
	} else if h.kex != wire.KexRSA {
		return h.failf(wire.AlertUnexpectedMessage, "the server sent %s without the server_key_exchange %s needs", wire.HandshakeType(msg[0]), h.suite.Name)
	}
	var req *certificateRequest12
	if wire.HandshakeType(msg[0]) == wire.TypeCertificateRequest {
		if req, err = parseCertificateRequest12(h.version, msg[wire.HandshakeHeaderLen:]); err != nil {
			return h.fail(wire.AlertDecodeError, err)
		}
		if msg, err = h.readMessage(wire.TypeServerHelloDone); err != nil {
			return err
		}
	}
	if len(msg) != wire.HandshakeHeaderLen {
		return h.failf(wire.AlertDecodeError, "server_hello_done has a body of %d bytes", len(msg)-wire.HandshakeHeaderLen)
	}

	leafKey, err := h.leafKey(certs[0])
	if err != nil {
		return err
	}
	premaster, cke, err := h.keyExchange(leafKey, ske)
	if err != nil {
		return err
	}
	if c.cfg.VerifyPeer != nil {
		if err := c.cfg.VerifyPeer(certs, c.state.OCSPResponse); err != nil {
			return h.fail(wire.AlertBadCertificate, err)
		}
	}

	var out [][]byte
	var chosen *Certificate
	var scheme uint16
	if req != nil {
		// The client's chain, or an empty list when it has none the
		// server accepts (RFC 5246, Section 7.4.6): the server decides
		// whether to go on without one.
		chosen, scheme = h.chooseClientCertificate(req)
		var chain [][]byte
		if chosen != nil {
			chain = chosen.Chain
		}
		if chosen == nil && h.version == VersionSSL30 {
			// SSL 3.0 has no empty Certificate: a client without one
			// sends a no_certificate warning instead (RFC 6101,
			// Section 5.6.6).
			if err := c.sendAlertLocked(alertLevelWarning, wire.AlertNoCertificate); err != nil {
				return err
			}
		} else {
			certMsg, err := wire.MarshalCertificate12(chain)
			if err != nil {
				return h.fail(wire.AlertInternalError, err)
			}
			out = append(out, certMsg)
		}
	}
	out = append(out, cke)
	if err := c.writeHandshake(out...); err != nil {
		return err
	}
	// The extended master secret hashes the messages up to the
	// ClientKeyExchange (RFC 7627, Section 4), the CertificateVerify
	// signs them (RFC 5246, Section 7.4.8), in SSL 3.0 with the master
	// secret (RFC 6101, Section 5.6.8).
	if c.state.ExtendedMasterSecret {
		h.master = tlscrypt.ExtendedMasterSecret(h.version, h.suite, premaster, h.transcriptHash())
	} else {
		h.master = tlscrypt.MasterSecret(h.version, h.suite, premaster, h.hs.random, h.sh.Random)
	}
	if chosen != nil {
		if err := h.sendCertificateVerify(chosen, scheme); err != nil {
			return err
		}
	}
	if err := c.logKey("CLIENT_RANDOM", h.hs.random, h.master); err != nil {
		return err
	}
	if err := h.sendFinished(); err != nil {
		return err
	}
	if err := h.readFinished(); err != nil {
		return err
	}
	h.saveSession()
	return nil
}

// resume runs an abbreviated handshake (RFC 5246, Section 7.3, Figure 2):
// the server's Finished comes first.
func (h *clientHandshake12) resume() error {
	c, sess := h.c, h.hs.session12
	h.master = sess.secret
	c.state.DidResume = true
	c.state.PeerCertificates, c.state.OCSPResponse = sess.peer, sess.ocsp
	if c.cfg.VerifyResumed != nil {
		if err := c.cfg.VerifyResumed(sess.peer, sess.ocsp); err != nil {
			return h.fail(wire.AlertBadCertificate, err)
		}
	}
	if err := c.logKey("CLIENT_RANDOM", h.hs.random, h.master); err != nil {
		return err
	}
	if err := h.readFinished(); err != nil {
		return err
	}
	if err := h.sendFinished(); err != nil {
		return err
	}
	h.saveSession()
	return nil
}

// keys returns the record protection of each direction (RFC 5246, Section
// 6.3).
func (h *clientHandshake12) keys() (*tlscrypt.Encrypter, *tlscrypt.Decrypter, error) {
	client, server := tlscrypt.KeyBlock(h.version, h.suite, h.master, h.hs.random, h.sh.Random)
	enc, err := tlscrypt.NewEncrypter12(h.version, h.suite, client, h.etm)
	if err != nil {
		return nil, nil, h.fail(wire.AlertInternalError, fmt.Errorf("client write keys: %w", err))
	}
	dec, err := tlscrypt.NewDecrypter12(h.version, h.suite, server, h.etm)
	if err != nil {
		return nil, nil, h.fail(wire.AlertInternalError, fmt.Errorf("server write keys: %w", err))
	}
	return enc, dec, nil
}

// sendFinished sends ChangeCipherSpec and the client's Finished, under the
// new keys (RFC 5246, Sections 7.1 and 7.4.9).
func (h *clientHandshake12) sendFinished() error {
	c := h.c
	enc, _, err := h.keys()
	if err != nil {
		return err
	}
	c.clientVerify = verifyData12(h.version, h.suite, h.master, true, c.transcript.msgs)
	fin, err := wire.MarshalFinished(c.clientVerify)
	if err != nil {
		return h.fail(wire.AlertInternalError, err)
	}
	if err := c.writeChangeCipherSpec(); err != nil {
		return err
	}
	c.setWriteKeys(enc)
	return c.writeHandshake(fin)
}

// readFinished reads the server's NewSessionTicket (if it said it would
// send one), ChangeCipherSpec and Finished, and checks the Finished.
func (h *clientHandshake12) readFinished() error {
	c := h.c
	if h.ticketSent {
		msg, err := h.readMessage(wire.TypeNewSessionTicket)
		if err != nil {
			return err
		}
		// RFC 5077, Section 3.3: ticket_lifetime_hint, then the
		// ticket; an empty ticket means none this time.
		s := cryptobyte.String(msg[wire.HandshakeHeaderLen:])
		var ticket cryptobyte.String
		if !s.Skip(4) || !s.ReadUint16LengthPrefixed(&ticket) || !s.Empty() {
			return h.failf(wire.AlertDecodeError, "a new_session_ticket does not decode")
		}
		h.ticket = bytes.Clone(ticket)
	}
	if err := c.readChangeCipherSpec(); err != nil {
		return err
	}
	_, dec, err := h.keys()
	if err != nil {
		return err
	}
	if err := c.setReadKeys(dec); err != nil {
		return err
	}
	want := verifyData12(h.version, h.suite, h.master, false, c.transcript.msgs)
	msg, err := h.readMessage(wire.TypeFinished)
	if err != nil {
		return err
	}
	if !macEqual(msg[wire.HandshakeHeaderLen:], want) {
		return h.failf(wire.AlertDecryptError, "the server's finished does not match the handshake: its verify_data is wrong (RFC 5246, Section 7.4.9; RFC 6101, Section 5.6.9)")
	}
	c.serverVerify = want
	return nil
}

// saveSession stores the session for resumption: by the ticket the server
// sent in this handshake, or the one just resumed with if it sent none, or
// else by the session ID it gave (none: not resumable).
func (h *clientHandshake12) saveSession() {
	c := h.c
	if c.cfg.Sessions == nil {
		return
	}
	s := &session{version: h.version, suite: h.suite.ID, secret: h.master, ems: c.state.ExtendedMasterSecret,
		peer: c.state.PeerCertificates, ocsp: c.state.OCSPResponse, received: c.now()}
	switch {
	case len(h.ticket) > 0:
		s.ticket = h.ticket
	case c.state.DidResume && len(h.hs.session12.ticket) > 0 && !h.ticketSent:
		s.ticket = h.hs.session12.ticket
	default:
		s.sessionID = bytes.Clone(h.sh.SessionID)
	}
	if len(s.ticket) > 0 || len(s.sessionID) > 0 {
		c.cfg.Sessions.put(c.sessionKey(), s)
	}
}

// parseCertificates reads a TLS 1.0-1.2 Certificate message (RFC 5246,
// Section 7.4.2): a non-empty list of certificates, leaf first, each of
// which must parse.
func (h *clientHandshake12) parseCertificates(msg []byte) ([]*x509.Certificate, error) {
	s := cryptobyte.String(msg[wire.HandshakeHeaderLen:])
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, h.failf(wire.AlertDecodeError, "a certificate message does not decode")
	}
	var certs []*x509.Certificate
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) || len(der) == 0 {
			return nil, h.failf(wire.AlertDecodeError, "a certificate message does not decode")
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, h.fail(wire.AlertBadCertificate, fmt.Errorf("the server's %s does not parse: %w", wire.CertificatePlace(len(certs)), err))
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, h.failf(wire.AlertIllegalParameter, "the server sent no certificate")
	}
	return certs, nil
}

// parseCertificateStatus reads a CertificateStatus message (RFC 6066,
// Section 8) and returns its OCSP response.
func (h *clientHandshake12) parseCertificateStatus(msg []byte) ([]byte, error) {
	s := cryptobyte.String(msg[wire.HandshakeHeaderLen:])
	var typ uint8
	var resp cryptobyte.String
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint24LengthPrefixed(&resp) || len(resp) == 0 || !s.Empty() {
		return nil, h.failf(wire.AlertDecodeError, "a certificate_status does not decode")
	}
	return bytes.Clone(resp), nil
}

// leafKey returns the key of the server's certificate and checks that it
// fits the suite: RSA for ECDHE_RSA, DHE_RSA and RSA suites, ECDSA or EdDSA
// for ECDHE_ECDSA (RFC 8422, Section 2). An RSASSA-PSS key (RFC 4055)
// serves the signed key exchanges of TLS 1.2 with the rsa_pss_pss schemes,
// which RFC 8446, Section 4.2.3 defines for TLS 1.2 too; it may not
// decrypt, so not the RSA key exchange, nor sign with PKCS #1 v1.5, so not
// in TLS 1.0 and 1.1.
func (h *clientHandshake12) leafKey(leaf *x509.Certificate) (crypto.PublicKey, error) {
	pub, err := certPublicKey(leaf)
	if err != nil {
		return nil, h.fail(wire.AlertUnsupportedCertificate, err)
	}
	ok := false
	switch pub.(type) {
	case *rsa.PublicKey:
		ok = h.auth == authRSA
	case pssPublicKey:
		switch {
		case h.auth != authRSA:
		case h.kex == wire.KexRSA:
			return nil, h.failf(wire.AlertUnsupportedCertificate, "%s encrypts the premaster secret to the server's key, and its %s key may only sign (RFC 4055)", h.suite.Name, keyName(pub))
		case h.version < VersionTLS12:
			return nil, h.failf(wire.AlertUnsupportedCertificate, "the server's %s key signs only with the rsa_pss_pss schemes of TLS 1.2 and 1.3, not the PKCS #1 v1.5 signature of %s", keyName(pub), wire.VersionName(h.version))
		default:
			ok = true
		}
	case *ecdsa.PublicKey, ed25519.PublicKey, ed448.PublicKey:
		ok = h.auth == authECDSA
	}
	if !ok {
		return nil, h.failf(wire.AlertUnsupportedCertificate, "%s needs an %s certificate, the server's key is %s", h.suite.Name,
			map[suiteAuth]string{authRSA: "RSA", authECDSA: "ECDSA or EdDSA"}[h.auth], keyName(pub))
	}
	return pub, nil
}

// keyExchange checks the server's key exchange and makes the client's:
// it returns the premaster secret and the ClientKeyExchange message.
func (h *clientHandshake12) keyExchange(pub crypto.PublicKey, ske *serverKeyExchange12) (premaster, cke []byte, err error) {
	c := h.c
	if h.kex == wire.KexRSA {
		if n := pub.(*rsa.PublicKey).N.BitLen(); h.suite.ExportKeyLen > 0 && n > exportRSABits {
			// RFC 2246, Section 7.4.3: a longer key needs a temporary
			// one in a ServerKeyExchange, which the server did not send.
			return nil, nil, h.failf(wire.AlertHandshakeFailure, "%s without a server_key_exchange needs an RSA key of %d bits at most, the server's is %d bits", h.suite.Name, exportRSABits, n)
		}
		premaster, enc, err := rsaPremaster(c.rand(), h.hs.hello.Version, pub.(*rsa.PublicKey))
		if err != nil {
			return nil, nil, h.fail(wire.AlertInternalError, err)
		}
		cke, err := wire.MarshalClientKeyExchangeRSA(h.version, enc)
		if err != nil {
			return nil, nil, h.fail(wire.AlertInternalError, err)
		}
		return premaster, cke, nil
	}
	if err := h.verifyKeyExchange(pub, ske); err != nil {
		return nil, nil, err
	}
	if h.kex == wire.KexECDHE {
		curve := ecdhCurve(ske.group)
		if curve == nil || !slices.Contains(c.groups(), ske.group) {
			return nil, nil, h.failf(wire.AlertIllegalParameter, "the server chose group %s for ECDHE, which the client did not offer", groupName(ske.group))
		}
		c.state.Group = ske.group
		peer, err := curve.NewPublicKey(ske.public)
		if err != nil {
			return nil, nil, h.fail(wire.AlertIllegalParameter, fmt.Errorf("the server's %s public value: %w", groupName(ske.group), err))
		}
		priv, err := curve.GenerateKey(c.rand())
		if err != nil {
			return nil, nil, h.fail(wire.AlertInternalError, err)
		}
		shared, err := priv.ECDH(peer)
		if err != nil {
			return nil, nil, h.fail(wire.AlertIllegalParameter, fmt.Errorf("the server's %s public value: %w", groupName(ske.group), err))
		}
		cke, err := wire.MarshalClientKeyExchangeECDHE(priv.PublicKey().Bytes())
		if err != nil {
			return nil, nil, h.fail(wire.AlertInternalError, err)
		}
		return shared, cke, nil
	}
	d, err := newDHEParams(ske.dhP, ske.dhG, ske.dhYs, c.cfg.MinDHBits)
	// A group of a size the client does not accept is a negotiation
	// that failed for want of security: insufficient_security (RFC 5246,
	// Section 7.2.2). Any other failed check, a dh_p that is not prime
	// among them, is a field that is not what RFC 5246, Section 7.4.3
	// defines ("the prime modulus"), which no policy of the client's
	// could accept: illegal_parameter, "a field in the handshake was out
	// of range or inconsistent with other fields" (Section 7.2.2), the
	// alert OpenSSL's client sends for DH parameters that fail its
	// checks (SSL_R_BAD_DH_VALUE).
	var sizeErr *DHGroupSizeError
	if errors.As(err, &sizeErr) {
		return nil, nil, h.fail(wire.AlertInsufficientSecurity, err)
	} else if err != nil {
		return nil, nil, h.fail(wire.AlertIllegalParameter, err)
	}
	c.state.DHBits = d.bits()
	c.state.Group, c.state.DHGroup = d.named, d.known
	yc, premaster, err := d.exchange(c.rand())
	if err != nil {
		return nil, nil, h.fail(wire.AlertIllegalParameter, err)
	}
	cke, err = wire.MarshalClientKeyExchangeDHE(yc)
	if err != nil {
		return nil, nil, h.fail(wire.AlertInternalError, err)
	}
	return premaster, cke, nil
}

// verifyKeyExchange checks the server's signature over its key exchange
// parameters with the key of its certificate (RFC 5246, Section 7.4.3): in
// TLS 1.2 by the scheme it names, which the client must have offered.
func (h *clientHandshake12) verifyKeyExchange(pub crypto.PublicKey, ske *serverKeyExchange12) error {
	signed := signedParams(h.hs.random, h.sh.Random, ske.params)
	if !ske.hasScheme {
		if err := verifyLegacySignature(pub, signed, ske.signature); err != nil {
			return h.fail(wire.AlertDecryptError, err)
		}
		return nil
	}
	if !slices.Contains(h.c.signatureSchemes(), ske.scheme) {
		return h.failf(wire.AlertIllegalParameter, "the server signed its key exchange with %s, which the client did not offer", schemeName(ske.scheme))
	}
	// The scheme must fit the key as in TLS 1.3 (verifyPeerSignature):
	// an RSASSA-PSS key signs only with rsa_pss_pss_*, an RSA key never
	// with them (RFC 8446, Section 4.2.3).
	if !keyMatchesScheme(pub, ske.scheme, false) {
		return h.failf(wire.AlertIllegalParameter, "the server signed its key exchange with %s, which its %s certificate key cannot", schemeName(ske.scheme), keyName(pub))
	}
	h.c.state.PeerSignatureScheme = ske.scheme
	if err := verifySignature(pub, ske.scheme, signed, ske.signature); err != nil {
		return h.fail(wire.AlertDecryptError, fmt.Errorf("the server's key exchange: %w", err))
	}
	return nil
}

// certificateRequest12 is a TLS 1.0-1.2 CertificateRequest (RFC 5246,
// Section 7.4.4).
type certificateRequest12 struct {
	// certTypes are the certificate_types: rsa_sign (1), ecdsa_sign (64,
	// which EdDSA keys use too, RFC 8422, Section 5.5).
	certTypes []uint8
	// schemes are the supported_signature_algorithms (TLS 1.2 only).
	schemes []uint16
}

// parseCertificateRequest12 reads the body of a TLS 1.0-1.2
// CertificateRequest; the certificate authorities are read but not kept.
func parseCertificateRequest12(version uint16, body []byte) (*certificateRequest12, error) {
	s := cryptobyte.String(body)
	req := &certificateRequest12{}
	var types, algs, cas cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&types) || len(types) == 0 {
		return nil, errors.New("a certificate_request does not decode")
	}
	req.certTypes = bytes.Clone(types)
	if version >= VersionTLS12 {
		if !s.ReadUint16LengthPrefixed(&algs) || len(algs) == 0 || len(algs)%2 != 0 {
			return nil, errors.New("a certificate_request does not decode")
		}
		for !algs.Empty() {
			var a uint16
			algs.ReadUint16(&a)
			req.schemes = append(req.schemes, a)
		}
	}
	if !s.ReadUint16LengthPrefixed(&cas) || !s.Empty() {
		return nil, errors.New("a certificate_request does not decode")
	}
	for !cas.Empty() {
		var dn cryptobyte.String
		if !cas.ReadUint16LengthPrefixed(&dn) || len(dn) == 0 {
			return nil, errors.New("a certificate_request does not decode")
		}
	}
	return req, nil
}

// Certificate types of a CertificateRequest (RFC 5246, Section 7.4.4; RFC
// 8422, Section 5.5).
const (
	certTypeRSASign   uint8 = 1
	certTypeECDSASign uint8 = 64
)

// chooseClientCertificate returns the first configured chain whose key
// has a certificate type the server asks for and, in TLS 1.2, a signature
// scheme it accepts (in the engine's order of preference); nil if none.
// Before TLS 1.2 the signature has no scheme: RSA keys sign MD5 and SHA-1,
// ECDSA keys SHA-1 (RFC 2246, Section 7.4.8; RFC 4492, Section 5.8).
func (h *clientHandshake12) chooseClientCertificate(req *certificateRequest12) (*Certificate, uint16) {
	for cert, pub := range h.c.cfg.clientCertificates() {
		var certType uint8
		switch pub.(type) {
		case *rsa.PublicKey:
			certType = certTypeRSASign
		case *ecdsa.PublicKey:
			certType = certTypeECDSASign
		case ed25519.PublicKey, ed448.PublicKey:
			if h.version < VersionTLS12 {
				continue
			}
			certType = certTypeECDSASign
		default:
			continue
		}
		if !slices.Contains(req.certTypes, certType) {
			continue
		}
		if h.version < VersionTLS12 {
			return cert, 0
		}
		for _, s := range schemesForKey(pub, false) {
			if slices.Contains(req.schemes, s) {
				return cert, s
			}
		}
	}
	return nil, 0
}

// sendCertificateVerify signs the handshake messages so far with the
// client's key (RFC 5246, Section 7.4.8).
func (h *clientHandshake12) sendCertificateVerify(cert *Certificate, scheme uint16) error {
	c := h.c
	msgs := c.transcript.msgs
	var sig []byte
	var err error
	switch {
	case h.version >= VersionTLS12:
		sig, err = signMessage(cert.Key, scheme, c.rand(), msgs)
	case h.version == VersionSSL30:
		sig, err = signSSL3(c.rand(), cert.Key, ssl3CertificateVerify(h.master, msgs))
	default:
		switch cert.Key.Public().(type) {
		case *rsa.PublicKey:
			sig, err = cert.Key.Sign(c.rand(), md5SHA1(msgs), crypto.MD5SHA1)
		case *ecdsa.PublicKey:
			d := sha1.Sum(msgs)
			sig, err = cert.Key.Sign(c.rand(), d[:], crypto.SHA1)
		default:
			err = fmt.Errorf("a %s key cannot sign before TLS 1.2", keyName(cert.Key.Public()))
		}
	}
	if err != nil {
		return h.fail(wire.AlertInternalError, fmt.Errorf("signing the certificate_verify: %w", err))
	}
	cv, err := wire.MarshalCertificateVerify(h.version, scheme, sig)
	if err != nil {
		return h.fail(wire.AlertInternalError, err)
	}
	return c.writeHandshake(cv)
}

// legacyHello adapts the ClientHello of a client whose highest version is
// below TLS 1.2: no signature_algorithms, which clients offering earlier
// versions must not send (RFC 5246, Section 7.4.1.4.1); and for an SSL 3.0
// probe no extensions at all, which SSL 3.0 servers need not read (RFC
// 6101, Section 5.6.1.2), the signalling suite standing for the empty
// renegotiation_info (RFC 5746, Section 3.3).
func legacyHello(ch *wire.ClientHello) {
	if ch.Version >= VersionTLS12 {
		return
	}
	ch.Extensions = slices.DeleteFunc(ch.Extensions, func(e wire.Extension) bool { return e.Type == wire.ExtSignatureAlgorithms })
	if ch.Version == VersionSSL30 {
		ch.Extensions = nil
		ch.CipherSuites = append(slices.Clone(ch.CipherSuites), scsvRenegotiation)
	}
}

// scsvRenegotiation is TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746, Section
// 3.3).
const scsvRenegotiation uint16 = 0x00FF
