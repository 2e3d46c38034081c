package handshake

import (
	"bytes"

	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

func init() { serverHandshake = runServer }

// runServer runs the server side of a handshake: it reads the
// ClientHello, chooses the version, and runs the TLS 1.3 (RFC 8446) or
// TLS 1.0–1.2 (RFC 5246) server. A check that fails sends its alert and
// returns an *AlertError with Sent set.
func runServer(_ context.Context, c *Conn) error {
	// Plaintext records before the ServerHello carry TLS 1.0, as most
	// servers send them (RFC 5246, Appendix E.1).
	c.out.version = VersionTLS10
	raw, err := c.readHandshake()
	if err != nil {
		return err
	}
	ch, err := readClientHello(raw)
	if err != nil {
		return c.srvFail(err)
	}
	v, err := chooseVersion(c.cfg, ch)
	if err != nil {
		return c.srvFail(err)
	}
	if v == wire.VersionTLS13 {
		hs := &server13{c: c, cfg: c.cfg, ch: ch}
		return c.srvFail(hs.run())
	}
	hs := &server12{c: c, cfg: c.cfg, ch: ch, version: v}
	return c.srvFail(hs.run())
}

// srvFail sends the alert of a refusal and returns it as an *AlertError;
// other errors (the connection's, or alerts received) are returned as
// they are.
func (c *Conn) srvFail(err error) error {
	var r *refusal
	if err == nil || !errors.As(err, &r) {
		return err
	}
	return c.fail(r.alert, r.err)
}

// server13 is the state of a TLS 1.3 server handshake.
type server13 struct {
	c       *Conn
	cfg     *Config
	ch      *clientHello
	suite   *tlscrypt.Suite
	sched   schedule13
	group   uint16
	cert    *Certificate
	scheme  uint16
	alpn    string
	retried bool
	random  []byte
	// psk is the resumed session's key, nil in a full handshake.
	psk []byte
	// hs and master are the handshake and main secrets; the traffic
	// secrets follow.
	hs, master, cHS, sHS, cAP, sAP []byte
	peer                           []*x509.Certificate
	peerScheme                     uint16
}

func (hs *server13) run() error {
	c, ch := hs.c, hs.ch
	var err error
	// RFC 8446, Section 4.1.2: legacy_compression_methods is one byte,
	// null.
	if !bytes.Equal(ch.Compression, []byte{0}) {
		return refuse(wire.AlertIllegalParameter, "a TLS 1.3 ClientHello must offer only the null compression method")
	}
	if hs.suite, err = choose13Suite(hs.cfg, ch); err != nil {
		return err
	}
	group, share, retry, err := choose13Group(hs.cfg, ch)
	if err != nil {
		return err
	}
	if hs.cert, hs.scheme, err = choose13Cert(hs.cfg, ch); err != nil {
		return err
	}
	if hs.alpn, err = chooseALPN(hs.cfg, ch); err != nil {
		return err
	}
	hs.group = group
	hs.sched = schedule13{suite: hs.suite, h: hs.suite.PRFHash}
	c.in.tls13, c.in.ccsAllowed = true, true
	c.out.version = VersionTLS12
	if retry {
		c.transcript.add(ch.raw)
		if share, err = hs.helloRetry(); err != nil {
			return err
		}
	} else {
		if hs.psk, err = hs.acceptPSK(ch); err != nil {
			return err
		}
		c.transcript.add(ch.raw)
	}
	pub, shared, err := serverKeyExchange(group, share, c.rand())
	if err != nil {
		return refuse(wire.AlertIllegalParameter, "the client's %s key share: %w", wire.GroupName(group), err)
	}
	if err := hs.sendServerHello(pub); err != nil {
		return err
	}
	if err := hs.handshakeSecrets(shared); err != nil {
		return err
	}
	if err := hs.sendFlight(); err != nil {
		return err
	}
	if err := hs.readClientFlight(); err != nil {
		return err
	}
	if err := hs.sendTicket(hs.master); err != nil {
		return err
	}
	c.state = State{
		Version:             wire.VersionTLS13,
		CipherSuite:         hs.suite.ID,
		Group:               hs.group,
		PeerSignatureScheme: hs.peerScheme,
		ALPN:                hs.alpn,
		ServerName:          ch.ServerName,
		PeerCertificates:    hs.peer,
		HelloRetry:          hs.retried,
		DidResume:           hs.psk != nil,
	}
	c.in.ccsAllowed = false
	c.post = &post13{sched: hs.sched, clientSecret: hs.cAP, serverSecret: hs.sAP}
	return nil
}

// helloRetry sends a HelloRetryRequest for hs.group (RFC 8446, Section
// 4.1.4), reads the second ClientHello and returns its share of the group.
func (hs *server13) helloRetry() ([]byte, error) {
	c := hs.c
	hs.retried = true
	// The transcript restarts with message_hash(ClientHello1) (Section
	// 4.4.1).
	c.transcript.restartForHelloRetry(hs.sched.h)
	hrr := &wire.ServerHello{
		Version:     wire.VersionTLS12,
		Random:      wire.HelloRetryRandom[:],
		SessionID:   hs.ch.SessionID,
		CipherSuite: hs.suite.ID,
		Extensions: []wire.Extension{
			wire.SelectedVersionExtension(wire.VersionTLS13),
			wire.HelloRetryKeyShareExtension(hs.group),
		},
	}
	raw, err := hrr.Marshal()
	if err != nil {
		return nil, err
	}
	if err := c.writeHandshake(raw); err != nil {
		return nil, err
	}
	if len(hs.ch.SessionID) > 0 {
		// Middlebox compatibility (Appendix D.4): a change_cipher_spec
		// right after the first handshake message.
		if err := c.writeChangeCipherSpec(); err != nil {
			return nil, err
		}
	}
	raw2, err := c.readHandshake()
	if err != nil {
		return nil, err
	}
	ch2, err := readClientHello(raw2)
	if err != nil {
		return nil, err
	}
	// Section 4.1.2: the second ClientHello is the first with the key
	// share replaced (and the cookie, early_data and padding changes this
	// server does not ask for).
	if !slices.Contains(ch2.SupportedVersions, wire.VersionTLS13) {
		return nil, refuse(wire.AlertIllegalParameter, "the ClientHello after the HelloRetryRequest does not offer TLS 1.3")
	}
	if !slices.Contains(ch2.CipherSuites, hs.suite.ID) {
		return nil, refuse(wire.AlertIllegalParameter, "the ClientHello after the HelloRetryRequest no longer offers %s", hs.suite.Name)
	}
	if !bytes.Equal(ch2.SessionID, hs.ch.SessionID) || !bytes.Equal(ch2.Random, hs.ch.Random) {
		return nil, refuse(wire.AlertIllegalParameter, "the ClientHello after the HelloRetryRequest changed its random or session ID")
	}
	if len(ch2.keyShares) != 1 || ch2.keyShares[0].group != hs.group {
		return nil, refuse(wire.AlertIllegalParameter, "the ClientHello after the HelloRetryRequest does not hold exactly one key share, for %s", wire.GroupName(hs.group))
	}
	if hs.psk, err = hs.acceptPSK(ch2); err != nil {
		return nil, err
	}
	c.transcript.add(raw2)
	hs.ch = ch2
	return ch2.keyShares[0].data, nil
}

func (hs *server13) sendServerHello(pub []byte) error {
	c := hs.c
	hs.random = make([]byte, 32)
	if _, err := io.ReadFull(c.rand(), hs.random); err != nil {
		return err
	}
	ks, err := wire.ServerKeyShareExtension(wire.KeyShare{Group: hs.group, Data: pub})
	if err != nil {
		return err
	}
	sh := &wire.ServerHello{
		Version:     wire.VersionTLS12,
		Random:      hs.random,
		SessionID:   hs.ch.SessionID,
		CipherSuite: hs.suite.ID,
		Extensions:  []wire.Extension{wire.SelectedVersionExtension(wire.VersionTLS13), ks},
	}
	if hs.psk != nil {
		sh.Extensions = append(sh.Extensions, wire.SelectedPSKExtension(0))
	}
	raw, err := sh.Marshal()
	if err != nil {
		return err
	}
	if err := c.writeHandshake(raw); err != nil {
		return err
	}
	if len(hs.ch.SessionID) > 0 && !hs.retried {
		return c.writeChangeCipherSpec()
	}
	return nil
}

// handshakeSecrets runs the key schedule to the handshake traffic secrets
// (RFC 8446, Section 7.1), logs them and switches both directions.
func (hs *server13) handshakeSecrets(shared []byte) error {
	c, sc := hs.c, hs.sched
	early := sc.extract(hs.psk, nil)
	hs.hs = sc.extract(shared, sc.derive(early, "derived", sc.h.New().Sum(nil)))
	th := c.transcript.sum(sc.h)
	hs.cHS = sc.derive(hs.hs, "c hs traffic", th)
	hs.sHS = sc.derive(hs.hs, "s hs traffic", th)
	if err := c.logKey(keylog.LabelClientHandshakeTrafficSecret, hs.ch.Random, hs.cHS); err != nil {
		return err
	}
	if err := c.logKey(keylog.LabelServerHandshakeTrafficSecret, hs.ch.Random, hs.sHS); err != nil {
		return err
	}
	return hs.switchKeys(hs.sHS, hs.cHS)
}

// switchKeys protects what is written with the write secret and what is
// read with the read secret (either may be nil: unchanged).
func (hs *server13) switchKeys(write, read []byte) error {
	c := hs.c
	if write != nil {
		enc, err := tlscrypt.NewEncrypter13(hs.suite, write)
		if err != nil {
			return refuse(wire.AlertInternalError, "%w", err)
		}
		c.setWriteKeys(enc)
	}
	if read != nil {
		dec, err := tlscrypt.NewDecrypter13(hs.suite, read)
		if err != nil {
			return refuse(wire.AlertInternalError, "%w", err)
		}
		return c.setReadKeys(dec)
	}
	return nil
}

// verifySchemes13 are the schemes the server accepts in a client's
// CertificateVerify.
func verifySchemes13(cfg *Config) []uint16 {
	all := []uint16{schemeEd25519, schemeEd448, schemeECDSAP256, schemeECDSAP384, schemeECDSAP521,
		schemePSSRSAE256, schemePSSRSAE384, schemePSSRSAE512, 0x0809, 0x080A, 0x080B}
	if cfg.SignatureSchemes == nil {
		return all
	}
	return slices.DeleteFunc(slices.Clone(all), func(s uint16) bool { return !slices.Contains(cfg.SignatureSchemes, s) })
}

// sendFlight sends EncryptedExtensions, CertificateRequest (when asked),
// Certificate, CertificateVerify and Finished, and switches writing to
// the application traffic secret.
func (hs *server13) sendFlight() error {
	c, sc := hs.c, hs.sched
	ee := &wire.EncryptedExtensions{}
	if hs.alpn != "" {
		e, err := wire.ALPNExtension([]string{hs.alpn})
		if err != nil {
			return err
		}
		ee.Extensions = append(ee.Extensions, e)
	}
	msgs := [][]byte{}
	raw, err := ee.Marshal()
	if err != nil {
		return err
	}
	msgs = append(msgs, raw)
	if hs.psk != nil {
		// A resumed session is authenticated by its PSK: no certificate
		// (Section 2.2).
		return hs.finishFlight(msgs)
	}
	if hs.cfg.ClientAuth {
		sa, err := wire.SignatureAlgorithmsExtension(wire.ExtSignatureAlgorithms, verifySchemes13(hs.cfg))
		if err != nil {
			return err
		}
		if raw, err = wire.MarshalCertificateRequest13(nil, []wire.Extension{sa}); err != nil {
			return err
		}
		msgs = append(msgs, raw)
	}
	var entries []wire.CertificateEntry
	for i, der := range hs.cert.Chain {
		e := wire.CertificateEntry{Data: der}
		if i == 0 && hs.ch.statusRequest && len(hs.cert.OCSP) > 0 {
			st, err := wire.OCSPStatusExtension(hs.cert.OCSP)
			if err != nil {
				return err
			}
			e.Extensions = []wire.Extension{st}
		}
		entries = append(entries, e)
	}
	if raw, err = wire.MarshalCertificate13(nil, entries); err != nil {
		return err
	}
	msgs = append(msgs, raw)
	sig, err := signMessage(hs.cert.Key, hs.scheme, c.rand(), signedContent13(true, c.transcript.sumWith(sc.h, bytes.Join(msgs, nil))))
	if err != nil {
		return refuse(wire.AlertInternalError, "signing the CertificateVerify with %s: %w", wire.SignatureSchemeName(hs.scheme), err)
	}
	if raw, err = wire.MarshalCertificateVerify(wire.VersionTLS13, hs.scheme, sig); err != nil {
		return err
	}
	msgs = append(msgs, raw)
	return hs.finishFlight(msgs)
}

// finishFlight sends the server's flight ended by its Finished, and
// switches writing to the application traffic secret.
func (hs *server13) finishFlight(msgs [][]byte) error {
	c, sc := hs.c, hs.sched
	raw, err := wire.MarshalFinished(sc.finishedMAC(hs.sHS, c.transcript.sumWith(sc.h, bytes.Join(msgs, nil))))
	if err != nil {
		return err
	}
	msgs = append(msgs, raw)
	if err := c.writeHandshake(msgs...); err != nil {
		return err
	}
	// The application secrets, from the transcript to the server's
	// Finished (Section 7.1).
	master := sc.extract(nil, sc.derive(hs.hs, "derived", sc.h.New().Sum(nil)))
	hs.master = master
	th := c.transcript.sum(sc.h)
	hs.cAP = sc.derive(master, "c ap traffic", th)
	hs.sAP = sc.derive(master, "s ap traffic", th)
	for _, l := range []struct {
		label  string
		secret []byte
	}{
		{keylog.LabelClientTrafficSecret0, hs.cAP},
		{keylog.LabelServerTrafficSecret0, hs.sAP},
		{keylog.LabelExporterSecret, sc.derive(master, "exp master", th)},
	} {
		if err := c.logKey(l.label, hs.ch.Random, l.secret); err != nil {
			return err
		}
	}
	return hs.switchKeys(hs.sAP, nil)
}

// readClientFlight reads the client's Certificate and CertificateVerify
// (when asked for) and its Finished, and switches reading to the
// application traffic secret.
func (hs *server13) readClientFlight() error {
	c, sc := hs.c, hs.sched
	raw, err := c.readHandshake()
	if err != nil {
		return err
	}
	if hs.cfg.ClientAuth && hs.psk == nil {
		m := wire.ParseHandshake(wire.Context{Version: wire.VersionTLS13, CipherSuite: hs.suite.ID}, raw)
		if m.Type != wire.TypeCertificate {
			return refuse(wire.AlertUnexpectedMessage, "expected the client's Certificate, got %s", m.Type)
		}
		if m.Err != nil || m.Certificate == nil {
			return refuse(wire.AlertDecodeError, "the client's Certificate: %w", errOr(m.Err, "does not decode"))
		}
		// Section 4.4.2: the request context is echoed; ours is empty.
		if len(raw) < 5 || raw[4] != 0 {
			return refuse(wire.AlertIllegalParameter, "the client's Certificate has a certificate_request_context; the request's was empty")
		}
		c.transcript.add(raw)
		if hs.peer, err = parseClientChain(m.Certificate.Certs); err != nil {
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
		if hs.cfg.VerifyPeer != nil {
			if err := hs.cfg.VerifyPeer(hs.peer, nil); err != nil {
				alert := wire.AlertBadCertificate
				if len(hs.peer) == 0 {
					alert = wire.AlertCertificateRequired
				}
				return &refusal{alert: alert, err: err}
			}
		}
		if raw, err = c.readHandshake(); err != nil {
			return err
		}
	}
	if wire.HandshakeType(raw[0]) != wire.TypeFinished {
		return refuse(wire.AlertUnexpectedMessage, "expected the client's Finished, got %s", wire.HandshakeType(raw[0]))
	}
	want := sc.finishedMAC(hs.cHS, c.transcript.sum(sc.h))
	if !macEqual(raw[4:], want) {
		return refuse(wire.AlertDecryptError, "the client's Finished does not match the handshake (its verify_data is not the one both sides' keys give)")
	}
	c.transcript.add(raw)
	return hs.switchKeys(nil, hs.cAP)
}

// verifyClient checks the client's CertificateVerify (Section 4.4.3).
func (hs *server13) verifyClient(raw []byte) error {
	c := hs.c
	m := wire.ParseHandshake(wire.Context{Version: wire.VersionTLS13, CipherSuite: hs.suite.ID}, raw)
	if m.Type != wire.TypeCertificateVerify {
		return refuse(wire.AlertUnexpectedMessage, "expected the client's CertificateVerify, got %s", m.Type)
	}
	scheme, sig, ok := readSigned(raw[4:], true)
	if m.Err != nil || !ok {
		return refuse(wire.AlertDecodeError, "the client's CertificateVerify does not decode")
	}
	if !slices.Contains(verifySchemes13(hs.cfg), scheme) {
		return refuse(wire.AlertIllegalParameter, "the client signed with %s, which the server did not offer", wire.SignatureSchemeName(scheme))
	}
	pub, err := certPublicKey(hs.peer[0])
	if err == nil && !schemeAllowed13(scheme) {
		err = fmt.Errorf("%s is not a TLS 1.3 signature scheme", wire.SignatureSchemeName(scheme))
	}
	if err == nil {
		err = verifySignature(pub, scheme, signedContent13(false, c.transcript.sum(hs.sched.h)), sig)
	}
	if err != nil {
		return refuse(wire.AlertDecryptError, "the client's CertificateVerify (%s) does not verify with its certificate's key: %w", wire.SignatureSchemeName(scheme), err)
	}
	hs.peerScheme = scheme
	return nil
}

// readSigned reads a digitally-signed struct (RFC 5246, Section 4.7; RFC
// 8446, Section 4.4.3): the scheme (when withScheme) and the signature.
func readSigned(b []byte, withScheme bool) (scheme uint16, sig []byte, ok bool) {
	if withScheme {
		if len(b) < 2 {
			return 0, nil, false
		}
		scheme, b = uint16(b[0])<<8|uint16(b[1]), b[2:]
	}
	if len(b) < 2 || int(b[0])<<8|int(b[1]) != len(b)-2 || len(b) == 2 {
		return 0, nil, false
	}
	return scheme, b[2:], true
}

// parseClientChain parses a client's certificates (Ed448 ones included:
// crypto/x509 reads them, without their key). A certificate that does not
// parse is bad_certificate.
func parseClientChain(ders [][]byte) ([]*x509.Certificate, error) {
	if len(ders) > maxChainLen {
		return nil, refuse(wire.AlertBadCertificate, "the client sent %d certificates, over the limit of %d", len(ders), maxChainLen)
	}
	certs, err := parseChain(ders)
	if err != nil {
		return nil, &refusal{alert: wire.AlertBadCertificate, err: fmt.Errorf("the client's chain: %w", err)}
	}
	return certs, nil
}
