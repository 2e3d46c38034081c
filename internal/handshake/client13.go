// This file holds the client's ClientHello (all versions) and the TLS 1.3
// client handshake (RFC 8446, Sections 2 and 4), with HelloRetryRequest
// (Section 4.1.4), middlebox compatibility mode (Appendix D.4) and the
// post-handshake messages a client handles (NewSessionTicket and
// KeyUpdate, Sections 4.6.1 and 4.6.3).

package handshake

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// clientHandshakeState is a client handshake after its ClientHello: what
// the rest of the handshake needs of what was offered. The TLS 1.0-1.2
// client continues from it.
type clientHandshakeState struct {
	hello    *wire.ClientHello
	helloRaw []byte
	// random and sessionID are those of the ClientHello.
	random, sessionID []byte
	// keyShare is the key pair of the key share sent, group its group.
	keyShare keyExchanger
	group    uint16
	// offered12 and offered13 say which version families were offered;
	// maxVersion is the highest version offered.
	offered12, offered13 bool
	maxVersion           uint16
	// serverName is the SNI sent, "" if none.
	serverName string
	// ccsSent records the middlebox compatibility change_cipher_spec.
	ccsSent bool
	// psk is the TLS 1.3 session offered for resumption, nil if none;
	// pskHash is the hash of its suite.
	psk     *session
	pskHash crypto.Hash
	// session12 is the TLS 1.0-1.2 session offered for resumption.
	session12 *session
}

// continueClient12 continues a client handshake in which the server chose
// TLS 1.0, 1.1 or 1.2 (client12.go): the transcript then holds the
// ClientHello and the ServerHello. While it is nil, the ClientHello offers
// TLS 1.3 alone.
var continueClient12 func(ctx context.Context, c *Conn, hs *clientHandshakeState, sh *wire.Message) error

// defaultCipherSuites12 are the TLS 1.0-1.2 suites offered when
// Config.CipherSuites is nil.
var defaultCipherSuites12 = []uint16{
	0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, // ECDHE with AES-GCM and ChaCha20-Poly1305
	0x009E, 0x009F, 0xCCAA, // DHE-RSA with AES-GCM and ChaCha20-Poly1305
	0xC009, 0xC013, 0xC00A, 0xC014, // ECDHE with AES-CBC
	0x009C, 0x009D, 0x002F, 0x0035, // RSA
}

// clientHandshake runs a client handshake.
func (c *Conn) clientHandshake(ctx context.Context) error {
	hs, err := c.makeClientHello()
	if err != nil {
		return err
	}
	c.out.version = min(VersionTLS10, hs.maxVersion)
	if err := c.writeHandshake(hs.helloRaw); err != nil {
		return err
	}
	msg, sh, err := c.readServerHello()
	if err != nil {
		return err
	}
	if v := sh.ServerHello.NegotiatedVersion(); v != VersionTLS13 {
		return c.continueBelow13(ctx, hs, msg, sh)
	}
	return c.clientHandshake13(ctx, hs, sh)
}

// continueBelow13 checks a ServerHello that chose a version below TLS 1.3
// and hands it to the TLS 1.0-1.2 client.
func (c *Conn) continueBelow13(ctx context.Context, hs *clientHandshakeState, raw []byte, m *wire.Message) error {
	sh := m.ServerHello
	v := sh.NegotiatedVersion()
	if sh.HelloRetry {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("a HelloRetryRequest for %s", wire.VersionName(v)))
	}
	if sh.SelectedVersion != 0 {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server selected %s with supported_versions, which only TLS 1.3 may", wire.VersionName(v)))
	}
	lo, _ := c.versions()
	if !hs.offered12 || v < lo || v > hs.maxVersion || v < VersionSSL30 {
		return c.fail(wire.AlertProtocolVersion, fmt.Errorf("the server chose %s, which the client did not offer", wire.VersionName(v)))
	}
	// RFC 8446, Section 4.1.3: a client that supports TLS 1.3 must refuse
	// both sentinels; one that supports TLS 1.2 the TLS 1.1 one below it.
	tail := [8]byte(sh.Random[24:])
	if (hs.offered13 && (tail == wire.DowngradeTLS12 || tail == wire.DowngradeTLS11)) ||
		(hs.maxVersion >= VersionTLS12 && v < VersionTLS12 && tail == wire.DowngradeTLS11) {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server chose %s but its random carries the downgrade sentinel of a server that supports a higher version (RFC 8446, Section 4.1.3): an attacker may have removed the higher versions", wire.VersionName(v)))
	}
	c.transcript.add(raw)
	return continueClient12(ctx, c, hs, m)
}

// makeClientHello builds the ClientHello from the configuration.
func (c *Conn) makeClientHello() (*clientHandshakeState, error) {
	lo, hi := c.versions()
	hs := &clientHandshakeState{random: make([]byte, 32), sessionID: make([]byte, 32)}
	if _, err := io.ReadFull(c.rand(), hs.random); err != nil {
		return nil, fmt.Errorf("tls: making the client random: %w", err)
	}
	// A renegotiation stays below TLS 1.3, which has none (RFC 8446,
	// Section 4.1.2).
	hs.offered13 = hi >= VersionTLS13 && lo <= VersionTLS13 && c.clientVerify == nil
	hs.offered12 = lo <= VersionTLS12 && continueClient12 != nil
	if !hs.offered12 && !hs.offered13 {
		return nil, fmt.Errorf("tls: the engine cannot offer the versions %s to %s", wire.VersionName(lo), wire.VersionName(hi))
	}
	hs.maxVersion = min(hi, VersionTLS13)
	if !hs.offered13 {
		hs.maxVersion = min(hi, VersionTLS12)
	}
	if hs.offered13 {
		// Middlebox compatibility mode (RFC 8446, Appendix D.4).
		if _, err := io.ReadFull(c.rand(), hs.sessionID); err != nil {
			return nil, fmt.Errorf("tls: making the session ID: %w", err)
		}
	} else {
		hs.sessionID = nil
	}

	var suites []uint16
	if hs.offered13 {
		for _, s := range c.tls13Suites() {
			if suite, ok := tlscrypt.SuiteByID(s); !ok || !suite.TLS13 {
				return nil, fmt.Errorf("tls: %s is not a TLS 1.3 suite the engine has", wire.CipherSuiteName(s))
			}
			suites = append(suites, s)
		}
		if len(suites) == 0 {
			return nil, errors.New("tls: no TLS 1.3 cipher suite to offer")
		}
	}
	if hs.offered12 {
		s12 := c.cfg.CipherSuites
		if s12 == nil {
			s12 = defaultCipherSuites12
		}
		suites = append(suites, s12...)
		// RFC 5746, Section 3.3: the signalling suite stands for an
		// empty renegotiation_info when an SSL 3.0 hello is possible.
	}

	groups := c.groups()
	if len(groups) == 0 {
		return nil, errors.New("tls: no group to offer")
	}
	var exts []wire.Extension
	add := func(e wire.Extension, err error) error {
		if err != nil {
			return err
		}
		exts = append(exts, e)
		return nil
	}
	if name := sniName(c.cfg.ServerName); name != "" {
		hs.serverName = name
		if err := add(wire.ServerNameExtension(name)); err != nil {
			return nil, err
		}
	}
	if hs.offered12 {
		exts = append(exts, wire.EmptyExtension(wire.ExtExtendedMasterSecret))
		// RFC 5746, Section 3.5: a renegotiation carries the client's
		// verify_data of the handshake before (none on the first).
		if err := add(wire.RenegotiationInfoExtension(c.clientVerify)); err != nil {
			return nil, err
		}
		s12, err := c.session12(hs)
		if err != nil {
			return nil, err
		}
		hs.session12 = s12
		var ticket []byte
		if s12 != nil {
			ticket = s12.ticket
		}
		exts = append(exts, wire.ECPointFormatsExtension(), wire.EmptyExtension(wire.ExtEncryptThenMAC))
		if !c.cfg.NoSessionTickets {
			exts = append(exts, wire.SessionTicketExtension(ticket))
		}
	}
	if err := add(wire.SupportedGroupsExtension(groups)); err != nil {
		return nil, err
	}
	if err := add(wire.SignatureAlgorithmsExtension(wire.ExtSignatureAlgorithms, c.signatureSchemes())); err != nil {
		return nil, err
	}
	exts = append(exts, wire.StatusRequestExtension())
	if len(c.cfg.ALPN) > 0 {
		if err := add(wire.ALPNExtension(c.cfg.ALPN)); err != nil {
			return nil, err
		}
	}
	if hs.offered13 {
		var versions []uint16
		for v := hs.maxVersion; v >= lo && v >= VersionTLS10; v-- {
			if v == VersionTLS13 || hs.offered12 {
				versions = append(versions, v)
			}
		}
		if err := add(wire.SupportedVersionsExtension(versions)); err != nil {
			return nil, err
		}
		hs.group = groups[0]
		if !groupSupported(hs.group) {
			return nil, fmt.Errorf("tls: the engine has no key exchange for %s", groupName(hs.group))
		}
		ks, err := newKeyExchanger(hs.group, c.rand())
		if err != nil {
			return nil, err
		}
		hs.keyShare = ks
		if err := add(wire.ClientKeyShareExtension([]wire.KeyShare{{Group: hs.group, Data: ks.share()}})); err != nil {
			return nil, err
		}
		if err := add(wire.PSKModesExtension([]uint8{1})); err != nil { // psk_dhe_ke
			return nil, err
		}
	}
	version := hs.maxVersion
	if hs.offered13 {
		version = VersionTLS12 // legacy_version (RFC 8446, Section 4.1.2)
	}
	hs.hello = &wire.ClientHello{
		Version:      version,
		Random:       hs.random,
		SessionID:    hs.sessionID,
		CipherSuites: suites,
		Extensions:   exts,
	}
	if hs.offered13 {
		c.chooseSession13(hs)
	} else {
		legacyHello(hs.hello)
	}
	raw, err := c.marshalHello(hs, hs.hello, nil)
	if err != nil {
		return nil, err
	}
	hs.helloRaw = raw
	return hs, nil
}

// chooseSession13 picks the TLS 1.3 session to offer, if the cache holds
// one that has not expired and whose suite's hash an offered suite has
// (RFC 8446, Section 4.2.11).
func (c *Conn) chooseSession13(hs *clientHandshakeState) {
	sess := c.cfg.Sessions.get(c.sessionKey())
	if sess == nil || sess.version != VersionTLS13 {
		return
	}
	if age := c.now().Sub(sess.received); age < 0 || age.Seconds() >= float64(sess.lifetime) {
		return
	}
	suite, ok := tlscrypt.SuiteByID(sess.suite)
	if !ok {
		return
	}
	for _, id := range c.tls13Suites() {
		if s, ok := tlscrypt.SuiteByID(id); ok && s.PRFHash == suite.PRFHash {
			hs.psk, hs.pskHash = sess, suite.PRFHash
			return
		}
	}
}

// marshalHello encodes a ClientHello; with a session to offer, it adds the
// pre_shared_key extension last, its binder computed over prefix (the
// transcript before this hello: after a HelloRetryRequest, the
// message_hash and the HelloRetryRequest) and the hello without its
// binders (RFC 8446, Section 4.2.11.2).
func (c *Conn) marshalHello(hs *clientHandshakeState, hello *wire.ClientHello, prefix []byte) ([]byte, error) {
	exts := slices.DeleteFunc(slices.Clone(hello.Extensions), func(e wire.Extension) bool { return e.Type == wire.ExtPreSharedKey })
	hello.Extensions = exts
	if hs.psk == nil {
		return hello.Marshal()
	}
	sess := hs.psk
	age := uint32(c.now().Sub(sess.received).Milliseconds())
	id := []wire.PSKIdentity{{Identity: sess.ticket, ObfuscatedTicketAge: age + sess.ageAdd}}
	size := hs.pskHash.Size()
	ext, err := wire.PreSharedKeyExtension(id, [][]byte{make([]byte, size)})
	if err != nil {
		return nil, err
	}
	hello.Extensions = append(exts, ext)
	raw, err := hello.Marshal()
	if err != nil {
		return nil, err
	}
	truncated := raw[:len(raw)-wire.PSKBindersLen([]int{size})]
	sched := schedule13{h: hs.pskHash}
	early := sched.extract(sess.secret, nil)
	binderKey := sched.derive(early, "res binder", sched.h.New().Sum(nil))
	th := sched.h.New()
	th.Write(prefix)
	th.Write(truncated)
	binder := sched.finishedMAC(binderKey, th.Sum(nil))
	if ext, err = wire.PreSharedKeyExtension(id, [][]byte{binder}); err != nil {
		return nil, err
	}
	hello.Extensions = append(exts, ext)
	return hello.Marshal()
}

// sniName returns the name to send as server_name: none for an IP address,
// without a trailing dot (RFC 6066, Section 3).
func sniName(name string) string {
	name = strings.TrimSuffix(name, ".")
	if name == "" || net.ParseIP(strings.Trim(name, "[]")) != nil {
		return ""
	}
	return name
}

// readServerHello reads the server's first message, which must be a
// ServerHello (or HelloRetryRequest), and decodes it.
func (c *Conn) readServerHello() ([]byte, *wire.Message, error) {
	raw, err := c.readHandshake()
	if err != nil {
		return nil, nil, err
	}
	m, err := c.decodeServerHello(raw)
	return raw, m, err
}

// decodeServerHello decodes the server's first message of a handshake,
// which must be a ServerHello (or HelloRetryRequest).
func (c *Conn) decodeServerHello(raw []byte) (*wire.Message, error) {
	if wire.HandshakeType(raw[0]) != wire.TypeServerHello {
		return nil, c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("the server sent %s where a server_hello was expected", wire.HandshakeType(raw[0])))
	}
	m := wire.ParseHandshake(wire.Context{FromServer: true}, raw)
	if m.Err != nil || m.ServerHello == nil || m.ServerHello.Has&wire.HasCompression == 0 {
		return nil, c.fail(wire.AlertDecodeError, fmt.Errorf("the server_hello does not decode: %w", m.Err))
	}
	if !encodesAs(m.ServerHello, raw) {
		return nil, c.fail(wire.AlertDecodeError, errors.New("the server_hello has bytes past its end or lengths that disagree"))
	}
	if err := checkDuplicates(m.ServerHello.Extensions); err != nil {
		return nil, c.fail(wire.AlertIllegalParameter, fmt.Errorf("server_hello: %w", err))
	}
	if v, ok := findExtension(m.ServerHello.Extensions, wire.ExtSupportedVersions); ok && len(v) != 2 {
		return nil, c.fail(wire.AlertDecodeError, fmt.Errorf("the server's supported_versions is %d bytes, not 2", len(v)))
	}
	return m, nil
}

// encodesAs reports whether a ServerHello read by wire encodes back to
// raw: the decoder reads what it can of a malformed message, the client
// accepts only a well-formed one. An empty extensions block, which wire
// reads as none, is allowed.
func encodesAs(sh *wire.ServerHello, raw []byte) bool {
	re, err := sh.Marshal()
	if err != nil {
		return false
	}
	if bytes.Equal(re, raw) {
		return true
	}
	if len(sh.Extensions) == 0 && len(raw) == len(re)+2 && bytes.HasSuffix(raw, []byte{0, 0}) {
		return bytes.Equal(re[4:], raw[4:len(re)])
	}
	return false
}

// checkDuplicates refuses an extension block with a type twice (RFC 8446,
// Section 4.2).
func checkDuplicates(exts []wire.Extension) error {
	seen := map[uint16]bool{}
	for _, e := range exts {
		if seen[e.Type] {
			return fmt.Errorf("extension %d appears twice", e.Type)
		}
		seen[e.Type] = true
	}
	return nil
}

func findExtension(exts []wire.Extension, t uint16) ([]byte, bool) {
	for _, e := range exts {
		if e.Type == t {
			return e.Data, true
		}
	}
	return nil, false
}

// schedule13 is the TLS 1.3 key schedule of a connection (RFC 8446,
// Section 7.1).
type schedule13 struct {
	suite *tlscrypt.Suite
	h     crypto.Hash
}

func (s schedule13) extract(secret, salt []byte) []byte {
	if secret == nil {
		secret = make([]byte, s.h.Size())
	}
	if salt == nil {
		salt = make([]byte, s.h.Size())
	}
	out, err := hkdf.Extract(s.h.New, secret, salt)
	if err != nil {
		panic("handshake: internal error: " + err.Error())
	}
	return out
}

// derive is Derive-Secret(secret, label, transcript hash).
func (s schedule13) derive(secret []byte, label string, transcriptHash []byte) []byte {
	return tlscrypt.ExpandLabel(s.h, secret, label, transcriptHash, s.h.Size())
}

// finishedMAC is the verify_data of a Finished over a transcript hash
// (RFC 8446, Section 4.4.4).
func (s schedule13) finishedMAC(trafficSecret, transcriptHash []byte) []byte {
	key := tlscrypt.ExpandLabel(s.h, trafficSecret, "finished", nil, s.h.Size())
	m := hmac.New(s.h.New, key)
	m.Write(transcriptHash)
	return m.Sum(nil)
}

// signedContent13 is what a TLS 1.3 CertificateVerify signs (RFC 8446,
// Section 4.4.3).
func signedContent13(server bool, transcriptHash []byte) []byte {
	ctx := "TLS 1.3, client CertificateVerify"
	if server {
		ctx = "TLS 1.3, server CertificateVerify"
	}
	out := bytes.Repeat([]byte{0x20}, 64)
	out = append(out, ctx...)
	out = append(out, 0)
	return append(out, transcriptHash...)
}

// post13 is what a TLS 1.3 connection keeps after its handshake.
type post13 struct {
	sched                      schedule13
	clientSecret, serverSecret []byte
	resumption                 []byte
	keyUpdates                 int
}

// checkServerHello13 checks a TLS 1.3 ServerHello or HelloRetryRequest
// against the ClientHello and returns the suite.
func (c *Conn) checkServerHello13(hs *clientHandshakeState, sh *wire.ServerHello) (*tlscrypt.Suite, error) {
	if sh.Version != VersionTLS12 {
		return nil, c.fail(wire.AlertIllegalParameter, fmt.Errorf("a TLS 1.3 server_hello with legacy_version %s, not TLS 1.2", wire.VersionName(sh.Version)))
	}
	if !hs.offered13 {
		return nil, c.fail(wire.AlertProtocolVersion, errors.New("the server chose TLS 1.3, which the client did not offer"))
	}
	if !bytes.Equal(sh.SessionID, hs.sessionID) {
		return nil, c.fail(wire.AlertIllegalParameter, errors.New("the server_hello does not echo the client's legacy_session_id"))
	}
	if sh.Compression != 0 {
		return nil, c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server chose compression method %d", sh.Compression))
	}
	if !slices.Contains(c.tls13Suites(), sh.CipherSuite) {
		return nil, c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server chose %s, which the client did not offer", wire.CipherSuiteName(sh.CipherSuite)))
	}
	suite, _ := tlscrypt.SuiteByID(sh.CipherSuite)
	for _, e := range sh.Extensions {
		switch e.Type {
		case wire.ExtSupportedVersions, wire.ExtKeyShare:
		case wire.ExtCookie:
			if !sh.HelloRetry {
				return nil, c.fail(wire.AlertUnsupportedExtension, errors.New("a cookie in a server_hello"))
			}
		case wire.ExtPreSharedKey:
			if sh.HelloRetry || hs.psk == nil {
				return nil, c.fail(wire.AlertUnsupportedExtension, errors.New("a pre_shared_key the client did not offer"))
			}
		default:
			// Nothing else belongs in a TLS 1.3 ServerHello (RFC 8446,
			// Section 4.2).
			return nil, c.fail(wire.AlertUnsupportedExtension, fmt.Errorf("the server_hello carries extension %s, which the client did not offer or which does not belong there", extensionName(e.Type)))
		}
	}
	return suite, nil
}

func extensionName(t uint16) string {
	if n := wire.ExtensionName(t); n != "" {
		return n
	}
	return fmt.Sprintf("%d", t)
}

// clientHandshake13 runs the rest of a TLS 1.3 handshake after the
// ServerHello or HelloRetryRequest m.
func (c *Conn) clientHandshake13(ctx context.Context, hs *clientHandshakeState, m *wire.Message) error {
	c.in.tls13, c.in.ccsAllowed = true, true
	c.out.version = VersionTLS12
	sh := m.ServerHello
	suite, err := c.checkServerHello13(hs, sh)
	if err != nil {
		return err
	}
	sched := schedule13{suite: suite, h: suite.PRFHash}
	if sh.HelloRetry {
		if err := c.helloRetry(hs, m, sched); err != nil {
			return err
		}
		_, m2, err := c.readServerHello()
		if err != nil {
			return err
		}
		if m2.ServerHello.HelloRetry {
			return c.fail(wire.AlertUnexpectedMessage, errors.New("a second HelloRetryRequest"))
		}
		if m2.ServerHello.NegotiatedVersion() != VersionTLS13 {
			return c.fail(wire.AlertIllegalParameter, errors.New("the server_hello after a HelloRetryRequest does not choose TLS 1.3"))
		}
		if m2.ServerHello.CipherSuite != sh.CipherSuite {
			return c.fail(wire.AlertIllegalParameter, errors.New("the server_hello chooses another cipher suite than its HelloRetryRequest (RFC 8446, Section 4.1.4)"))
		}
		if _, err := c.checkServerHello13(hs, m2.ServerHello); err != nil {
			return err
		}
		m = m2
		sh = m2.ServerHello
		c.state.HelloRetry = true
	}
	// The transcript holds the ClientHello (and after a
	// HelloRetryRequest its stand-in, the HelloRetryRequest and the
	// second ClientHello).
	c.transcript.add(m.Raw)

	// The server's key share (RFC 8446, Section 4.2.8).
	data, ok := findExtension(sh.Extensions, wire.ExtKeyShare)
	if !ok {
		return c.fail(wire.AlertMissingExtension, errors.New("the server_hello has no key_share"))
	}
	s := cryptobyte.String(data)
	var group uint16
	var share cryptobyte.String
	if !s.ReadUint16(&group) || !s.ReadUint16LengthPrefixed(&share) || !s.Empty() || len(share) == 0 {
		return c.fail(wire.AlertDecodeError, errors.New("the server's key_share does not decode"))
	}
	if group != hs.group {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server's key share is for %s, the client's for %s", groupName(group), groupName(hs.group)))
	}
	shared, err := hs.keyShare.sharedSecret(share)
	if err != nil {
		return c.fail(wire.AlertIllegalParameter, err)
	}

	// A resumed session (RFC 8446, Section 4.2.11).
	var psk []byte
	if data, ok := findExtension(sh.Extensions, wire.ExtPreSharedKey); ok {
		if len(data) != 2 || data[0] != 0 || data[1] != 0 {
			return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server selected PSK identity %x; the client offered one", data))
		}
		if sched.h != hs.pskHash {
			return c.fail(wire.AlertIllegalParameter, errors.New("the server resumes with a suite whose hash differs from the session's"))
		}
		psk = hs.psk.secret
		c.state.DidResume = true
	}

	// Handshake secrets (RFC 8446, Section 7.1).
	early := sched.extract(psk, nil)
	hsSecret := sched.extract(shared, sched.derive(early, "derived", sched.h.New().Sum(nil)))
	th := c.transcript.sum(sched.h)
	cHS := sched.derive(hsSecret, "c hs traffic", th)
	sHS := sched.derive(hsSecret, "s hs traffic", th)
	if err := c.logKey(keylog.LabelClientHandshakeTrafficSecret, hs.random, cHS); err != nil {
		return err
	}
	if err := c.logKey(keylog.LabelServerHandshakeTrafficSecret, hs.random, sHS); err != nil {
		return err
	}
	dec, err := tlscrypt.NewDecrypter13(suite, sHS)
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	if err := c.setReadKeys(dec); err != nil {
		return err
	}
	c.state.Version, c.state.CipherSuite, c.state.Group = VersionTLS13, suite.ID, group
	c.state.ServerName = hs.serverName
	// The middlebox compatibility change_cipher_spec (RFC 8446, Appendix
	// D.4), then the client's handshake keys: from here on its records,
	// alerts included, are protected (RFC 8446, Section 6).
	if !hs.ccsSent {
		if err := c.writeChangeCipherSpec(); err != nil {
			return err
		}
		hs.ccsSent = true
	}
	enc, err := tlscrypt.NewEncrypter13(suite, cHS)
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	c.setWriteKeys(enc)

	// EncryptedExtensions.
	raw, err := c.readHandshakeOf(wire.TypeEncryptedExtensions)
	if err != nil {
		return err
	}
	ee := wire.ParseHandshake(wire.Context{Version: VersionTLS13, CipherSuite: suite.ID, FromServer: true}, raw)
	if ee.Err != nil || ee.EncryptedExtensions == nil {
		return c.fail(wire.AlertDecodeError, fmt.Errorf("the encrypted_extensions do not decode: %w", ee.Err))
	}
	if err := c.checkEncryptedExtensions(ee.EncryptedExtensions); err != nil {
		return err
	}
	c.transcript.add(raw)

	// CertificateRequest, Certificate, CertificateVerify; none when a
	// session is resumed (RFC 8446, Section 2.2).
	var certReq *certificateRequest13
	if psk != nil {
		c.state.PeerCertificates, c.state.OCSPResponse = hs.psk.peer, hs.psk.ocsp
		if c.cfg.VerifyResumed != nil {
			if err := c.cfg.VerifyResumed(hs.psk.peer, hs.psk.ocsp); err != nil {
				return c.fail(wire.AlertBadCertificate, err)
			}
		}
	} else if certReq, err = c.readServerCertificate13(sched); err != nil {
		return err
	}

	// The server's Finished.
	raw, err = c.readHandshakeOf(wire.TypeFinished)
	if err != nil {
		return err
	}
	want := sched.finishedMAC(sHS, c.transcript.sum(sched.h))
	if !macEqual(raw[wire.HandshakeHeaderLen:], want) {
		return c.fail(wire.AlertDecryptError, errors.New("the server's Finished does not verify: the handshake was altered or the keys differ"))
	}
	c.transcript.add(raw)

	// Application secrets (RFC 8446, Section 7.1).
	master := sched.extract(nil, sched.derive(hsSecret, "derived", sched.h.New().Sum(nil)))
	th = c.transcript.sum(sched.h)
	cAP := sched.derive(master, "c ap traffic", th)
	sAP := sched.derive(master, "s ap traffic", th)
	exporter := sched.derive(master, "exp master", th)
	for _, l := range []struct {
		label  string
		secret []byte
	}{
		{keylog.LabelClientTrafficSecret0, cAP},
		{keylog.LabelServerTrafficSecret0, sAP},
		{keylog.LabelExporterSecret, exporter},
	} {
		if err := c.logKey(l.label, hs.random, l.secret); err != nil {
			return err
		}
	}

	// The client's second flight, under its handshake keys: its
	// certificate if asked, and Finished.
	if certReq != nil {
		if err := c.sendClientCertificate13(certReq, sched); err != nil {
			return err
		}
	}
	fin, err := wire.MarshalFinished(sched.finishedMAC(cHS, c.transcript.sum(sched.h)))
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	if err := c.writeHandshake(fin); err != nil {
		return err
	}

	// Switch to the application keys.
	if enc, err = tlscrypt.NewEncrypter13(suite, cAP); err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	if dec, err = tlscrypt.NewDecrypter13(suite, sAP); err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	if err := c.setReadKeys(dec); err != nil {
		return err
	}
	c.setWriteKeys(enc)
	c.in.ccsAllowed = false
	c.post = &post13{sched: sched, clientSecret: cAP, serverSecret: sAP,
		resumption: sched.derive(master, "res master", c.transcript.sum(sched.h))}
	return nil
}

// helloRetry handles a HelloRetryRequest (RFC 8446, Section 4.1.4): it
// checks it, makes a key share for the group asked, and sends the second
// ClientHello.
func (c *Conn) helloRetry(hs *clientHandshakeState, m *wire.Message, sched schedule13) error {
	sh := m.ServerHello
	data, ok := findExtension(sh.Extensions, wire.ExtKeyShare)
	var group uint16
	if ok {
		s := cryptobyte.String(data)
		if !s.ReadUint16(&group) || !s.Empty() {
			return c.fail(wire.AlertDecodeError, errors.New("the HelloRetryRequest's key_share does not decode"))
		}
	}
	cookie, hasCookie := findExtension(sh.Extensions, wire.ExtCookie)
	if !ok && !hasCookie {
		return c.fail(wire.AlertIllegalParameter, errors.New("a HelloRetryRequest that would change nothing in the ClientHello (RFC 8446, Section 4.1.4)"))
	}
	if ok {
		if group == hs.group || !slices.Contains(c.groups(), group) {
			return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the HelloRetryRequest asks for %s, which the client did not offer or already sent a share for", groupName(group)))
		}
		if !groupSupported(group) {
			return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the HelloRetryRequest asks for %s, which the engine has no key exchange for", groupName(group)))
		}
		ks, err := newKeyExchanger(group, c.rand())
		if err != nil {
			return c.fail(wire.AlertInternalError, err)
		}
		hs.keyShare, hs.group = ks, group
	}
	var cookieExt wire.Extension
	if hasCookie {
		s := cryptobyte.String(cookie)
		var v cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&v) || !s.Empty() || len(v) == 0 {
			return c.fail(wire.AlertDecodeError, errors.New("the HelloRetryRequest's cookie does not decode"))
		}
		var err error
		if cookieExt, err = wire.CookieExtension(v); err != nil {
			return c.fail(wire.AlertInternalError, err)
		}
	}
	// The second ClientHello: the same but for the key share, the cookie
	// and no early data (RFC 8446, Section 4.1.2).
	var exts []wire.Extension
	for _, e := range hs.hello.Extensions {
		switch e.Type {
		case wire.ExtKeyShare:
			ke, err := wire.ClientKeyShareExtension([]wire.KeyShare{{Group: hs.group, Data: hs.keyShare.share()}})
			if err != nil {
				return c.fail(wire.AlertInternalError, err)
			}
			e = ke
		case wire.ExtCookie, wire.ExtEarlyData, wire.ExtPreSharedKey:
			continue
		}
		exts = append(exts, e)
	}
	if hasCookie {
		exts = append(exts, cookieExt)
	}
	hello := *hs.hello
	hello.Extensions = exts
	c.transcript.restartForHelloRetry(sched.h)
	c.transcript.add(m.Raw)
	if hs.psk != nil && hs.pskHash != sched.h {
		// The session cannot be resumed with the suite the server
		// chose (RFC 8446, Section 4.1.4).
		hs.psk = nil
	}
	raw, err := c.marshalHello(hs, &hello, c.transcript.msgs)
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	hs.hello, hs.helloRaw = &hello, raw
	if !hs.ccsSent {
		if err := c.writeChangeCipherSpec(); err != nil {
			return err
		}
		hs.ccsSent = true
	}
	return c.writeHandshake(raw)
}

// checkEncryptedExtensions checks the server's EncryptedExtensions: an
// ALPN protocol the client offered, and nothing that belongs elsewhere.
func (c *Conn) checkEncryptedExtensions(ee *wire.EncryptedExtensions) error {
	if err := checkDuplicates(ee.Extensions); err != nil {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("encrypted_extensions: %w", err))
	}
	for _, e := range ee.Extensions {
		switch e.Type {
		case wire.ExtKeyShare, wire.ExtSupportedVersions, wire.ExtPreSharedKey, wire.ExtCookie,
			wire.ExtSignatureAlgorithms, wire.ExtStatusRequest, wire.ExtPSKKeyExchangeModes,
			wire.ExtExtendedMasterSecret, wire.ExtEncryptThenMAC, wire.ExtSessionTicket, wire.ExtRenegotiationInfo:
			return c.fail(wire.AlertIllegalParameter, fmt.Errorf("encrypted_extensions carries %s, which does not belong there (RFC 8446, Section 4.2)", extensionName(e.Type)))
		}
	}
	if _, ok := findExtension(ee.Extensions, wire.ExtALPN); ok {
		if len(ee.ALPN) != 1 || !slices.Contains(c.cfg.ALPN, ee.ALPN[0]) {
			return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the server chose ALPN %q, which the client did not offer", ee.ALPN))
		}
		c.state.ALPN = ee.ALPN[0]
	}
	return nil
}

// readHandshakeOf reads the next handshake message, which must be of type
// t.
func (c *Conn) readHandshakeOf(t wire.HandshakeType) ([]byte, error) {
	raw, err := c.readHandshake()
	if err != nil {
		return nil, err
	}
	if err := c.expect(raw, t); err != nil {
		return nil, err
	}
	return raw, nil
}

// expect fails with unexpected_message unless raw is a message of type t.
func (c *Conn) expect(raw []byte, t wire.HandshakeType) error {
	if got := wire.HandshakeType(raw[0]); got != t {
		return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("the peer sent %s where %s was expected", got, t))
	}
	return nil
}

// verifyPeerSignature checks a handshake signature of the peer with its
// leaf certificate: the scheme must be one offered (and allowed in TLS
// 1.3), and match the key.
func (c *Conn) verifyPeerSignature(leaf *x509.Certificate, scheme uint16, sig, signed []byte) error {
	name := wire.SignatureSchemeName(scheme)
	if name == "" {
		name = fmt.Sprintf("0x%04X", scheme)
	}
	if !slices.Contains(c.signatureSchemes(), scheme) || (c.state.Version == VersionTLS13 && !schemeAllowed13(scheme)) {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the peer signed with %s, which was not offered", name))
	}
	pub, err := certPublicKey(leaf)
	if err != nil {
		return c.fail(wire.AlertUnsupportedCertificate, err)
	}
	if !keyMatchesScheme(pub, scheme, c.state.Version == VersionTLS13) {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("the peer signed with %s, which its %s certificate key cannot", name, keyName(pub)))
	}
	if err := verifySignature(pub, scheme, signed, sig); err != nil {
		return c.fail(wire.AlertDecryptError, fmt.Errorf("the peer's CertificateVerify: %w", err))
	}
	return nil
}

// parseChain parses DER certificates.
func parseChain(chain [][]byte) ([]*x509.Certificate, error) {
	certs := make([]*x509.Certificate, 0, len(chain))
	for i, der := range chain {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%s of the chain does not parse: %w", wire.CertificatePlace(i), err)
		}
		certs = append(certs, cert)
	}
	return certs, nil
}

// maxChainLen bounds the certificates of a chain read.
const maxChainLen = 32

// parseCertificate13 reads a TLS 1.3 Certificate message (RFC 8446,
// Section 4.4.2): the chain and the OCSP response stapled to the leaf.
// A server's has an empty request context.
func parseCertificate13(raw []byte, fromClient bool) (chain [][]byte, ocsp []byte, err error) {
	s := cryptobyte.String(raw[wire.HandshakeHeaderLen:])
	var reqCtx, list cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&reqCtx) || !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, nil, errors.New("the certificate message does not decode")
	}
	if !fromClient && len(reqCtx) != 0 {
		return nil, nil, errors.New("the server's certificate message has a request context")
	}
	for !list.Empty() {
		var der, exts cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) || !list.ReadUint16LengthPrefixed(&exts) || len(der) == 0 {
			return nil, nil, errors.New("a certificate entry does not decode")
		}
		if len(chain) == maxChainLen {
			return nil, nil, fmt.Errorf("more than %d certificates", maxChainLen)
		}
		for !exts.Empty() {
			var typ uint16
			var data cryptobyte.String
			if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
				return nil, nil, errors.New("a certificate entry's extensions do not decode")
			}
			if typ == wire.ExtStatusRequest && len(chain) == 0 {
				var status uint8
				var resp cryptobyte.String
				if !data.ReadUint8(&status) || status != 1 || !data.ReadUint24LengthPrefixed(&resp) || !data.Empty() || len(resp) == 0 {
					return nil, nil, errors.New("the leaf's status_request does not decode as an OCSP response")
				}
				ocsp = resp
			}
		}
		chain = append(chain, der)
	}
	return chain, ocsp, nil
}

// parseCertificateVerify reads a TLS 1.2 or 1.3 CertificateVerify.
func parseCertificateVerify(raw []byte) (uint16, []byte, error) {
	s := cryptobyte.String(raw[wire.HandshakeHeaderLen:])
	var scheme uint16
	var sig cryptobyte.String
	if !s.ReadUint16(&scheme) || !s.ReadUint16LengthPrefixed(&sig) || !s.Empty() || len(sig) == 0 {
		return 0, nil, errors.New("the certificate_verify does not decode")
	}
	return scheme, sig, nil
}

// certificateRequest13 is a TLS 1.3 CertificateRequest (RFC 8446, Section
// 4.3.2).
type certificateRequest13 struct {
	context []byte
	schemes []uint16
}

func parseCertificateRequest13(raw []byte) (*certificateRequest13, error) {
	s := cryptobyte.String(raw[wire.HandshakeHeaderLen:])
	var reqCtx, exts cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&reqCtx) || !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return nil, errors.New("the certificate_request does not decode")
	}
	req := &certificateRequest13{context: reqCtx}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return nil, errors.New("the certificate_request's extensions do not decode")
		}
		if typ == wire.ExtSignatureAlgorithms {
			var l cryptobyte.String
			if !data.ReadUint16LengthPrefixed(&l) || !data.Empty() || len(l) == 0 || len(l)%2 != 0 {
				return nil, errors.New("the certificate_request's signature_algorithms do not decode")
			}
			var v uint16
			for l.ReadUint16(&v) {
				req.schemes = append(req.schemes, v)
			}
		}
	}
	if req.schemes == nil {
		return nil, errors.New("the certificate_request has no signature_algorithms (RFC 8446, Section 4.3.2)")
	}
	return req, nil
}

// sendClientCertificate13 answers a CertificateRequest: the first
// configured chain whose key can sign with a scheme the server accepts,
// with its CertificateVerify, or an empty Certificate.
func (c *Conn) sendClientCertificate13(req *certificateRequest13, sched schedule13) error {
	var chosen *Certificate
	var scheme uint16
	for cert, pub := range c.cfg.clientCertificates() {
		for _, s := range schemesForKey(pub, true) {
			if slices.Contains(req.schemes, s) {
				chosen, scheme = cert, s
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	var entries []wire.CertificateEntry
	if chosen != nil {
		for _, der := range chosen.Chain {
			entries = append(entries, wire.CertificateEntry{Data: der})
		}
	}
	msg, err := wire.MarshalCertificate13(req.context, entries)
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	if err := c.writeHandshake(msg); err != nil {
		return err
	}
	if chosen == nil {
		return nil
	}
	sig, err := signMessage(chosen.Key, scheme, c.rand(), signedContent13(false, c.transcript.sum(sched.h)))
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	cv, err := wire.MarshalCertificateVerify(VersionTLS13, scheme, sig)
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	return c.writeHandshake(cv)
}

// maxKeyUpdates bounds the KeyUpdates a peer may send without application
// data between them.
const maxKeyUpdates = 32

// handlePost13 handles a TLS 1.3 post-handshake message (RFC 8446,
// Section 4.6).
func (c *Conn) handlePost13(msg []byte) error {
	switch wire.HandshakeType(msg[0]) {
	case wire.TypeNewSessionTicket:
		if !c.isClient {
			break
		}
		return c.handleTicket13(msg)
	case wire.TypeKeyUpdate:
		return c.handleKeyUpdate(msg)
	}
	return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("unexpected %s after the handshake", wire.HandshakeType(msg[0])))
}

// handleTicket13 reads a NewSessionTicket and keeps it in the session
// cache, if any.
func (c *Conn) handleTicket13(msg []byte) error {
	s := cryptobyte.String(msg[wire.HandshakeHeaderLen:])
	var lifetime, ageAdd uint32
	var nonce, ticket, exts cryptobyte.String
	if !s.ReadUint32(&lifetime) || !s.ReadUint32(&ageAdd) || !s.ReadUint8LengthPrefixed(&nonce) ||
		!s.ReadUint16LengthPrefixed(&ticket) || !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() || len(ticket) == 0 {
		return c.fail(wire.AlertDecodeError, errors.New("a new_session_ticket does not decode"))
	}
	if lifetime > 7*24*3600 {
		return c.fail(wire.AlertIllegalParameter, fmt.Errorf("a ticket lifetime of %d s, over 7 days (RFC 8446, Section 4.6.1)", lifetime))
	}
	// RFC 8446, Section 4.2.10: early_data in a NewSessionTicket gives
	// max_early_data_size, the 0-RTT data the server accepts with it.
	var maxEarlyData uint32
	for !exts.Empty() {
		var typ uint16
		var body cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&body) {
			return c.fail(wire.AlertDecodeError, errors.New("a new_session_ticket's extensions do not decode"))
		}
		if typ == wire.ExtEarlyData && (!body.ReadUint32(&maxEarlyData) || !body.Empty()) {
			return c.fail(wire.AlertDecodeError, errors.New("a new_session_ticket's early_data does not decode"))
		}
	}
	if c.cfg.Sessions == nil || lifetime == 0 {
		return nil
	}
	p := c.post
	psk := tlscrypt.ExpandLabel(p.sched.h, p.resumption, "resumption", nonce, p.sched.h.Size())
	c.cfg.Sessions.put(c.sessionKey(), &session{
		version: VersionTLS13, suite: c.state.CipherSuite, secret: psk, ticket: bytes.Clone(ticket),
		ageAdd: ageAdd, lifetime: lifetime, received: c.now(), alpn: c.state.ALPN, peer: c.state.PeerCertificates,
		ocsp: c.state.OCSPResponse, maxEarlyData: maxEarlyData,
	})
	return nil
}

// handleKeyUpdate updates the read keys and, if asked, answers with a
// KeyUpdate of its own and updates the write keys (RFC 8446, Section
// 4.6.3).
func (c *Conn) handleKeyUpdate(msg []byte) error {
	if len(msg) != wire.HandshakeHeaderLen+1 || msg[4] > 1 {
		return c.fail(wire.AlertDecodeError, errors.New("a key_update does not decode"))
	}
	p := c.post
	p.keyUpdates++
	if p.keyUpdates > maxKeyUpdates {
		return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("more than %d key updates", maxKeyUpdates))
	}
	peer := &p.serverSecret
	own := &p.clientSecret
	if !c.isClient {
		peer, own = own, peer
	}
	*peer = tlscrypt.NextSecret13(p.sched.suite, *peer)
	dec, err := tlscrypt.NewDecrypter13(p.sched.suite, *peer)
	if err != nil {
		return c.fail(wire.AlertInternalError, err)
	}
	if err := c.setReadKeys(dec); err != nil {
		return err
	}
	if msg[4] == 0 {
		return nil
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	ku, err := wire.MarshalKeyUpdate(false)
	if err != nil {
		return err
	}
	if err := c.writeRecord(recordHandshake, ku); err != nil {
		return err
	}
	*own = tlscrypt.NextSecret13(p.sched.suite, *own)
	enc, err := tlscrypt.NewEncrypter13(p.sched.suite, *own)
	if err != nil {
		return err
	}
	c.setWriteKeys(enc)
	return nil
}

// readServerCertificate13 reads the server's CertificateRequest, if any,
// Certificate and CertificateVerify, and checks them.
func (c *Conn) readServerCertificate13(sched schedule13) (*certificateRequest13, error) {
	raw, err := c.readHandshake()
	if err != nil {
		return nil, err
	}
	var certReq *certificateRequest13
	if wire.HandshakeType(raw[0]) == wire.TypeCertificateRequest {
		if certReq, err = parseCertificateRequest13(raw); err != nil {
			return nil, c.fail(wire.AlertDecodeError, err)
		}
		c.transcript.add(raw)
		if raw, err = c.readHandshake(); err != nil {
			return nil, err
		}
	}
	if err := c.expect(raw, wire.TypeCertificate); err != nil {
		return nil, err
	}
	chain, ocsp, err := parseCertificate13(raw, false)
	if err != nil {
		return nil, c.fail(wire.AlertDecodeError, err)
	}
	certs, err := parseChain(chain)
	if err != nil {
		return nil, c.fail(wire.AlertBadCertificate, err)
	}
	if len(certs) == 0 {
		return nil, c.fail(wire.AlertDecodeError, errors.New("the server sent no certificate"))
	}
	c.transcript.add(raw)
	c.state.PeerCertificates, c.state.OCSPResponse = certs, ocsp

	raw, err = c.readHandshakeOf(wire.TypeCertificateVerify)
	if err != nil {
		return nil, err
	}
	scheme, sig, err := parseCertificateVerify(raw)
	if err != nil {
		return nil, c.fail(wire.AlertDecodeError, err)
	}
	if err := c.verifyPeerSignature(certs[0], scheme, sig, signedContent13(true, c.transcript.sum(sched.h))); err != nil {
		return nil, err
	}
	c.transcript.add(raw)
	c.state.PeerSignatureScheme = scheme
	if c.cfg.VerifyPeer != nil {
		if err := c.cfg.VerifyPeer(certs, ocsp); err != nil {
			return nil, c.fail(wire.AlertBadCertificate, err)
		}
	}
	return certReq, nil
}
