package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudflare/circl/sign/ed448"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// This file holds what the server reads from a ClientHello beyond wire's
// typed view (key shares with their data, the extensions that only a
// server acts on) and the choices it makes from it: version, cipher suite,
// group, certificate and signature scheme. It does no I/O and no
// cryptography, so that every refusal can be tested (and fuzzed) alone.

// Cipher suite values that are signals, not suites, and bounds on what
// one ClientHello may hold.
const (
	suiteFallbackSCSV        uint16 = 0x5600 // RFC 7507
	suiteRenegotiationSCSV   uint16 = 0x00FF // RFC 5746
	srvMaxKeyShares                 = 16
	srvMaxClientHelloEntries        = 1024
)

// srvExtALPN is application_layer_protocol_negotiation (RFC 7301).
const srvExtALPN = wire.ExtALPN

// refusal is a ClientHello the server cannot go on with: the alert to
// send and why.
type refusal struct {
	alert wire.AlertDescription
	err   error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func refuse(alert wire.AlertDescription, format string, args ...any) *refusal {
	return &refusal{alert: alert, err: fmt.Errorf(format, args...)}
}

// keyShare is one KeyShareEntry (RFC 8446, Section 4.2.8).
type keyShare struct {
	group uint16
	data  []byte
}

// clientHello is a ClientHello as the server acts on it.
type clientHello struct {
	*wire.ClientHello
	// raw is the whole message, header included (for the transcript).
	raw []byte
	// keyShares are the client's shares with their data, in order;
	// hasKeyShare reports whether the extension was sent.
	keyShares   []keyShare
	hasKeyShare bool
	// hasVersions reports whether supported_versions was sent.
	hasVersions bool
	// hasGroups and hasSigAlgs report whether supported_groups and
	// signature_algorithms were sent.
	hasGroups, hasSigAlgs bool
	// cookie is the cookie extension's value (RFC 8446, Section 4.2.2).
	cookie []byte
	// pskModes lists psk_key_exchange_modes; hasPSK reports whether
	// pre_shared_key was sent (it must then be the last extension).
	pskModes []uint8
	hasPSK   bool
	// statusRequest: the client asked for a stapled OCSP response.
	statusRequest bool
	// extendedMaster, encryptThenMAC: RFC 7627 and RFC 7366.
	extendedMaster, encryptThenMAC bool
	// secureRenegotiation: renegotiation_info (empty) or the SCSV was
	// sent (RFC 5746, Section 3.6).
	secureRenegotiation bool
	// fallback: TLS_FALLBACK_SCSV was offered (RFC 7507).
	fallback bool
}

// readClientHello reads a ClientHello message (header included) as the
// server must: anything that does not decode, or breaks a rule the RFCs
// give the server to enforce, is a refusal.
func readClientHello(raw []byte) (*clientHello, error) {
	m := wire.ParseHandshake(wire.Context{}, raw)
	if m.Type != wire.TypeClientHello {
		return nil, refuse(wire.AlertUnexpectedMessage, "expected a ClientHello, got %s", m.Type)
	}
	if m.Err != nil || m.ClientHello == nil {
		return nil, &refusal{alert: wire.AlertDecodeError, err: fmt.Errorf("ClientHello: %w", errOr(m.Err, "does not decode"))}
	}
	ch := &clientHello{ClientHello: m.ClientHello, raw: raw}
	if n := len(ch.CipherSuites); n > srvMaxClientHelloEntries {
		return nil, refuse(wire.AlertDecodeError, "ClientHello: %w", &LimitError{What: "cipher suites", N: n, Max: srvMaxClientHelloEntries})
	}
	if n := len(ch.Extensions); n > srvMaxClientHelloEntries {
		return nil, refuse(wire.AlertDecodeError, "ClientHello: %w", &LimitError{What: "extensions", N: n, Max: srvMaxClientHelloEntries})
	}
	for _, s := range ch.CipherSuites {
		switch s {
		case suiteFallbackSCSV:
			ch.fallback = true
		case suiteRenegotiationSCSV:
			ch.secureRenegotiation = true
		}
	}
	seen := map[uint16]bool{}
	for i, e := range ch.Extensions {
		if seen[e.Type] {
			// RFC 8446, Section 4.2: at most one extension of a type.
			return nil, refuse(wire.AlertIllegalParameter, "ClientHello: extension %s sent twice", wire.ExtensionName(e.Type))
		}
		seen[e.Type] = true
		s := cryptobyte.String(e.Data)
		switch e.Type {
		case wire.ExtKeyShare:
			// RFC 8446, Section 4.2.8.
			var list cryptobyte.String
			if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
				return nil, refuse(wire.AlertDecodeError, "ClientHello: key_share does not decode")
			}
			ch.hasKeyShare = true
			for !list.Empty() {
				var ks keyShare
				var data cryptobyte.String
				if !list.ReadUint16(&ks.group) || !list.ReadUint16LengthPrefixed(&data) || len(data) == 0 {
					return nil, refuse(wire.AlertDecodeError, "ClientHello: key_share entry does not decode")
				}
				ks.data = data
				for _, o := range ch.keyShares {
					if o.group == ks.group {
						return nil, refuse(wire.AlertIllegalParameter, "ClientHello: two key shares for %s", wire.GroupName(ks.group))
					}
				}
				if len(ch.keyShares) == srvMaxKeyShares {
					return nil, refuse(wire.AlertIllegalParameter, "ClientHello: more than %d key shares", srvMaxKeyShares)
				}
				ch.keyShares = append(ch.keyShares, ks)
			}
		case wire.ExtSupportedVersions:
			ch.hasVersions = true
			if len(ch.SupportedVersions) == 0 {
				return nil, refuse(wire.AlertDecodeError, "ClientHello: supported_versions is empty")
			}
		case wire.ExtSupportedGroups:
			ch.hasGroups = true
		case wire.ExtSignatureAlgorithms:
			ch.hasSigAlgs = true
		case wire.ExtCookie:
			// RFC 8446, Section 4.2.2.
			var c cryptobyte.String
			if !s.ReadUint16LengthPrefixed(&c) || !s.Empty() || len(c) == 0 {
				return nil, refuse(wire.AlertDecodeError, "ClientHello: cookie does not decode")
			}
			ch.cookie = c
		case wire.ExtPSKKeyExchangeModes:
			// RFC 8446, Section 4.2.9.
			var modes cryptobyte.String
			if !s.ReadUint8LengthPrefixed(&modes) || !s.Empty() {
				return nil, refuse(wire.AlertDecodeError, "ClientHello: psk_key_exchange_modes does not decode")
			}
			ch.pskModes = modes
		case wire.ExtPreSharedKey:
			// RFC 8446, Section 4.2.11: the last extension.
			if i != len(ch.Extensions)-1 {
				return nil, refuse(wire.AlertIllegalParameter, "ClientHello: pre_shared_key is not the last extension")
			}
			ch.hasPSK = true
		case wire.ExtStatusRequest:
			// RFC 6066, Section 8: status_type 1 is ocsp.
			ch.statusRequest = len(e.Data) > 0 && e.Data[0] == 1
		case wire.ExtExtendedMasterSecret:
			ch.extendedMaster = true
		case wire.ExtEncryptThenMAC:
			ch.encryptThenMAC = true
		case wire.ExtRenegotiationInfo:
			// RFC 5746, Section 3.6: an initial handshake carries an
			// empty renegotiated_connection.
			if len(e.Data) != 1 || e.Data[0] != 0 {
				return nil, refuse(wire.AlertHandshakeFailure, "ClientHello: renegotiation_info is not empty in an initial handshake")
			}
			ch.secureRenegotiation = true
		}
	}
	if n := len(ch.Groups); n > srvMaxClientHelloEntries {
		return nil, refuse(wire.AlertDecodeError, "ClientHello: %w", &LimitError{What: "groups", N: n, Max: srvMaxClientHelloEntries})
	}
	if n := len(ch.SignatureSchemes); n > srvMaxClientHelloEntries {
		return nil, refuse(wire.AlertDecodeError, "ClientHello: %w", &LimitError{What: "signature schemes", N: n, Max: srvMaxClientHelloEntries})
	}
	return ch, nil
}

func errOr(err error, s string) error {
	if err != nil {
		return err
	}
	return errors.New(s)
}

// serverVersions returns the versions the server allows, highest first.
func serverVersions(cfg *Config) []uint16 {
	lo, hi := cfg.MinVersion, cfg.MaxVersion
	if lo == 0 {
		lo = wire.VersionTLS12
	}
	if hi == 0 {
		hi = wire.VersionTLS13
	}
	var out []uint16
	for v := hi; v >= lo && v >= wire.VersionSSL30; v-- {
		if v <= wire.VersionTLS13 {
			out = append(out, v)
		}
	}
	return out
}

// chooseVersion picks the version (RFC 8446, Section 4.2.1; RFC 5246,
// Appendix E.1) and enforces TLS_FALLBACK_SCSV (RFC 7507, Section 3).
func chooseVersion(cfg *Config, ch *clientHello) (uint16, error) {
	ours := serverVersions(cfg)
	if len(ours) == 0 {
		return 0, refuse(wire.AlertInternalError, "no TLS version between MinVersion %s and MaxVersion %s", wire.VersionName(cfg.MinVersion), wire.VersionName(cfg.MaxVersion))
	}
	var v uint16
	if ch.hasVersions {
		for _, o := range ours {
			if slices.Contains(ch.SupportedVersions, o) {
				v = o
				break
			}
		}
	} else {
		// Before supported_versions, legacy_version is the highest the
		// client speaks; it speaks every version below it.
		for _, o := range ours {
			if o <= ch.Version && o != wire.VersionTLS13 {
				v = o
				break
			}
		}
	}
	if v == 0 {
		offered := ch.SupportedVersions
		if !ch.hasVersions {
			offered = []uint16{ch.Version}
		}
		return 0, refuse(wire.AlertProtocolVersion, "the client offers %s; this server speaks %s", versionList(offered), versionList(ours))
	}
	if ch.fallback && v < ours[0] {
		return 0, refuse(wire.AlertInappropriateFallback, "the client retried with %s (TLS_FALLBACK_SCSV) though the server speaks %s", wire.VersionName(v), wire.VersionName(ours[0]))
	}
	return v, nil
}

func versionList(vs []uint16) string {
	var names []string
	for _, v := range vs {
		if !wire.IsGREASE(v) {
			names = append(names, wire.VersionName(v))
		}
	}
	if len(names) == 0 {
		return "no version"
	}
	return strings.Join(names, ", ")
}

// downgradeRandom sets the last 8 bytes of a server random as RFC 8446,
// Section 4.1.3 says, when a server that speaks TLS 1.3 (or 1.2) chose an
// older version.
func downgradeRandom(cfg *Config, random []byte, v uint16) {
	top := serverVersions(cfg)[0]
	switch {
	case top == wire.VersionTLS13 && v == wire.VersionTLS12:
		copy(random[24:], "DOWNGRD\x01")
	case top >= wire.VersionTLS12 && v <= wire.VersionTLS11:
		copy(random[24:], "DOWNGRD\x00")
	}
}

// choose13Suite picks the first TLS 1.3 suite of the client's list that
// the server allows (the client's preference, as OpenSSL does by default).
func choose13Suite(cfg *Config, ch *clientHello) (*tlscrypt.Suite, error) {
	allowed := cfg.TLS13Suites
	if allowed == nil {
		allowed = defaultTLS13Suites
	}
	for _, id := range ch.CipherSuites {
		if !slices.Contains(allowed, id) {
			continue
		}
		if s, ok := tlscrypt.SuiteByID(id); ok && s.TLS13 {
			return s, nil
		}
	}
	return nil, refuse(wire.AlertHandshakeFailure, "no TLS 1.3 cipher suite in common: the client offers %s; this server allows %s", suiteList(ch.CipherSuites, true), suiteList(allowed, true))
}

func suiteList(ids []uint16, tls13 bool) string {
	var names []string
	for _, id := range ids {
		if wire.IsGREASE(id) {
			continue
		}
		if s, ok := tlscrypt.SuiteByID(id); ok && s.TLS13 != tls13 {
			continue
		}
		names = append(names, wire.CipherSuiteName(id))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// defaultServerGroups are the groups in the server's order of preference
// when Config.Groups is nil.
var defaultServerGroups = []uint16{
	0x11EC,     // X25519MLKEM768
	29,         // x25519
	23, 24, 25, // secp256r1, secp384r1, secp521r1
	0x11EB, 0x11ED, // SecP256r1MLKEM768, SecP384r1MLKEM1024
	256, 257, 258, 259, 260, // ffdhe2048 … ffdhe8192
}

func serverGroups(cfg *Config) []uint16 {
	if cfg.Groups != nil {
		return cfg.Groups
	}
	return defaultServerGroups
}

// choose13Group picks the key exchange group of a TLS 1.3 handshake
// (RFC 8446, Section 4.2.8): the server's most preferred group for which
// the client sent a share; else, for a HelloRetryRequest (retry true),
// its most preferred group the client supports.
func choose13Group(cfg *Config, ch *clientHello) (group uint16, share []byte, retry bool, err error) {
	if !ch.hasGroups || !ch.hasKeyShare {
		// Section 9.2: both or neither (neither only with a PSK, which
		// this server does not accept).
		return 0, nil, false, refuse(wire.AlertMissingExtension, "the TLS 1.3 ClientHello lacks supported_groups or key_share")
	}
	for _, ks := range ch.keyShares {
		// Section 4.2.8: each share's group is in supported_groups.
		if !slices.Contains(ch.Groups, ks.group) {
			return 0, nil, false, refuse(wire.AlertIllegalParameter, "a key share for %s, a group the client does not list in supported_groups", wire.GroupName(ks.group))
		}
	}
	ours := serverGroups(cfg)
	for _, g := range ours {
		for _, ks := range ch.keyShares {
			if ks.group == g {
				return g, ks.data, false, nil
			}
		}
	}
	for _, g := range ours {
		if slices.Contains(ch.Groups, g) {
			return g, nil, true, nil
		}
	}
	return 0, nil, false, refuse(wire.AlertHandshakeFailure, "no group in common: the client supports %s; this server allows %s", groupList(ch.Groups), groupList(ours))
}

func groupList(gs []uint16) string {
	var names []string
	for _, g := range gs {
		if !wire.IsGREASE(g) {
			names = append(names, wire.GroupName(g))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// keySchemes lists the schemes a key can sign with in version v, in the
// server's order of preference; nil when the key cannot sign in v at all.
func keySchemes(key crypto.Signer, v uint16) []uint16 {
	switch k := key.(type) {
	case ed448.PrivateKey, *ed448.PrivateKey:
		if v >= wire.VersionTLS12 {
			return []uint16{schemeEd448}
		}
	case ed25519.PrivateKey, *ed25519.PrivateKey:
		if v >= wire.VersionTLS12 {
			return []uint16{schemeEd25519}
		}
	case *ecdsa.PrivateKey:
		own := map[elliptic.Curve]uint16{elliptic.P256(): schemeECDSAP256, elliptic.P384(): schemeECDSAP384, elliptic.P521(): schemeECDSAP521}[k.Curve]
		if own == 0 {
			return nil
		}
		if v == wire.VersionTLS13 {
			// The curve is bound to the hash (RFC 8446, Section 4.2.3).
			return []uint16{own}
		}
		out := []uint16{own}
		for _, s := range []uint16{schemeECDSAP256, schemeECDSAP384, schemeECDSAP521, schemeECDSASHA1} {
			if s != own {
				out = append(out, s)
			}
		}
		return out
	case *rsa.PrivateKey:
		pss := []uint16{schemePSSRSAE256, schemePSSRSAE384, schemePSSRSAE512}
		if v == wire.VersionTLS13 {
			return pss
		}
		return append(pss, schemePKCS1SHA256, schemePKCS1SHA384, schemePKCS1SHA512, schemePKCS1SHA1)
	}
	return nil
}

// keyAuth says which TLS 1.0–1.2 suites a key authenticates: "RSA" or
// "ECDSA" (EdDSA keys sign ECDHE_ECDSA suites, RFC 8422, Section 5.1.1).
func keyAuth(key crypto.Signer) string {
	switch key.(type) {
	case *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *ed25519.PrivateKey, ed448.PrivateKey, *ed448.PrivateKey:
		return "ECDSA"
	}
	return ""
}

// chooseScheme picks the scheme key signs with in version v: the client's
// first listed scheme that the key can make and Config.SignatureSchemes
// allows. In TLS 1.0 and 1.1 there are no schemes: it returns 0 for a key
// that can sign there (RSA, ECDSA). A TLS 1.2 client that sent no
// signature_algorithms takes SHA-1 (RFC 5246, Section 7.4.1.4.1).
func chooseScheme(cfg *Config, ch *clientHello, key crypto.Signer, v uint16) (uint16, bool) {
	can := keySchemes(key, v)
	if v < wire.VersionTLS12 {
		switch key.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
			return 0, true
		}
		return 0, false
	}
	offered := ch.SignatureSchemes
	if !ch.hasSigAlgs && v == wire.VersionTLS12 {
		offered = []uint16{schemePKCS1SHA1, schemeECDSASHA1}
	}
	for _, s := range offered {
		if slices.Contains(can, s) && (cfg.SignatureSchemes == nil || slices.Contains(cfg.SignatureSchemes, s)) {
			return s, true
		}
	}
	return 0, false
}

// serverCert is a configured certificate with its parsed leaf.
type serverCert struct {
	*Certificate
	leaf *x509.Certificate // nil when the leaf does not parse
}

// certsFor returns the server's certificates, those valid for the name
// the client asked for (SNI) first: the order in which a certificate is
// looked for (as crypto/tls chooses by SNI, then falls back to the first).
func certsFor(cfg *Config, ch *clientHello) []serverCert {
	var match, rest []serverCert
	for i := range cfg.Certificates {
		c := &cfg.Certificates[i]
		if len(c.Chain) == 0 || c.Key == nil {
			continue
		}
		sc := serverCert{Certificate: c}
		sc.leaf, _ = x509.ParseCertificate(c.Chain[0])
		if ch.HasServerName && sc.leaf != nil && sc.leaf.VerifyHostname(ch.ServerName) == nil {
			match = append(match, sc)
		} else {
			rest = append(rest, sc)
		}
	}
	return append(match, rest...)
}

// choose13Cert picks the certificate and scheme of a TLS 1.3 handshake:
// the first certificate (by SNI) whose key signs with a scheme the client
// accepts (RFC 8446, Section 4.4.2.2).
func choose13Cert(cfg *Config, ch *clientHello) (*Certificate, uint16, error) {
	if !ch.hasSigAlgs {
		return nil, 0, refuse(wire.AlertMissingExtension, "the TLS 1.3 ClientHello lacks signature_algorithms")
	}
	certs := certsFor(cfg, ch)
	for _, c := range certs {
		if s, ok := chooseScheme(cfg, ch, c.Key, wire.VersionTLS13); ok {
			return c.Certificate, s, nil
		}
	}
	return nil, 0, refuse(wire.AlertHandshakeFailure, "no certificate signs with a scheme the client accepts: it offers %s; the certificates sign with %s", schemeList(ch.SignatureSchemes), certSchemes(certs, wire.VersionTLS13))
}

func schemeList(ss []uint16) string {
	var names []string
	for _, s := range ss {
		if !wire.IsGREASE(s) {
			names = append(names, wire.SignatureSchemeName(s))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func certSchemes(certs []serverCert, v uint16) string {
	var all []uint16
	for _, c := range certs {
		for _, s := range keySchemes(c.Key, v) {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	return schemeList(all)
}

// kx12 is how a TLS 1.0–1.2 suite exchanges keys and authenticates.
type kx12 struct {
	kx   wire.KeyExchange // KexECDHE, KexDHE or KexRSA
	auth string           // "RSA" or "ECDSA"
}

// suiteKx reads the key exchange of a TLS 1.0–1.2 suite from its IANA
// name; ok is false for suites this engine does not serve (anonymous,
// PSK, DSS, static DH, SRP).
func suiteKx(id uint16) (kx12, bool) {
	name := wire.CipherSuiteName(id)
	for _, p := range []struct {
		prefix string
		k      kx12
	}{
		{"TLS_ECDHE_RSA_WITH_", kx12{wire.KexECDHE, "RSA"}},
		{"TLS_ECDHE_ECDSA_WITH_", kx12{wire.KexECDHE, "ECDSA"}},
		{"TLS_DHE_RSA_WITH_", kx12{wire.KexDHE, "RSA"}},
		{"TLS_RSA_WITH_", kx12{wire.KexRSA, "RSA"}},
		{"TLS_RSA_EXPORT_WITH_", kx12{wire.KexRSA, "RSA"}},
	} {
		if strings.HasPrefix(name, p.prefix) {
			return p.k, true
		}
	}
	return kx12{}, false
}

// suiteUsable reports whether suite s can protect records in version v:
// AEAD suites and those with a SHA-256/384 MAC or PRF exist only in TLS
// 1.2 (RFC 5246, Appendix A.5; RFC 5288).
func suiteUsable(s *tlscrypt.Suite, v uint16) bool {
	if s.TLS13 {
		return false
	}
	if v < wire.VersionTLS12 && (s.Cipher.AEAD() || s.MAC == crypto.SHA256 || s.MAC == crypto.SHA384) {
		return false
	}
	return true
}

// defaultTLS12Suites are the TLS 1.0–1.2 suites served when
// Config.CipherSuites is nil, in the server's order.
var defaultTLS12Suites = []uint16{
	0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, // ECDHE GCM, ChaCha20-Poly1305
	0xC009, 0xC013, 0xC00A, 0xC014, // ECDHE CBC SHA-1
	0x009E, 0x009F, 0xCCAA, // DHE_RSA GCM, ChaCha20-Poly1305
	0x0033, 0x0039, // DHE_RSA CBC SHA-1
	0x009C, 0x009D, 0x002F, 0x0035, // RSA
}

// ffdheGroups are the RFC 7919 groups.
func isFFDHE(g uint16) bool { return g >= 256 && g <= 260 }

// choice12 is what a TLS 1.0–1.2 server chose.
type choice12 struct {
	suite  *tlscrypt.Suite
	kx     kx12
	cert   *Certificate
	scheme uint16 // 0 before TLS 1.2 and for static RSA
	group  uint16 // ECDHE curve or ffdhe group; 0 for static RSA
}

// choose12 picks suite, certificate, signature scheme and group of a TLS
// 1.0–1.2 handshake: the client's first suite that the server allows,
// that protects records in v, and for which a certificate and a group
// fit (RFC 8422, Section 5.1; RFC 7919, Section 4).
func choose12(cfg *Config, ch *clientHello, v uint16) (*choice12, error) {
	allowed := cfg.CipherSuites
	if allowed == nil {
		allowed = defaultTLS12Suites
	}
	certs := certsFor(cfg, ch)
	ours := serverGroups(cfg)
	ecGroup, dhGroup := uint16(0), uint16(0)
	clientFF := false
	for _, g := range ch.Groups {
		clientFF = clientFF || isFFDHE(g)
	}
	for _, g := range ours {
		switch {
		case !ch.hasGroups && g == 23:
			// No supported_groups: the client takes any curve (RFC
			// 8422, Section 4); P-256 is the one all speak.
			if ecGroup == 0 {
				ecGroup = g
			}
		case !slices.Contains(ch.Groups, g):
		case isFFDHE(g):
			if dhGroup == 0 {
				dhGroup = g
			}
		case g == 29 || g == 23 || g == 24 || g == 25:
			if ecGroup == 0 {
				ecGroup = g
			}
		}
	}
	if !clientFF && dhGroup == 0 {
		// A client that names no ffdhe group takes the server's
		// parameters (RFC 7919, Section 4): ffdhe2048 unless the server
		// allows only larger ones.
		for _, g := range ours {
			if isFFDHE(g) {
				dhGroup = g
				break
			}
		}
	}
	for _, id := range ch.CipherSuites {
		if !slices.Contains(allowed, id) {
			continue
		}
		s, ok := tlscrypt.SuiteByID(id)
		if !ok || !suiteUsable(s, v) {
			continue
		}
		k, ok := suiteKx(id)
		if !ok || (v == wire.VersionSSL30 && k.kx == wire.KexECDHE) {
			// SSL 3.0 has no elliptic curve suites (RFC 8422, Section 1).
			continue
		}
		var group uint16
		switch k.kx {
		case wire.KexECDHE:
			group = ecGroup
		case wire.KexDHE:
			group = dhGroup
		}
		// A DHE group of the server's own has no group number.
		if k.kx != wire.KexRSA && group == 0 && (k.kx != wire.KexDHE || cfg.DHPrime == nil) {
			continue
		}
		if k.kx == wire.KexDHE && cfg.DHPrime != nil {
			group = 0
		}
		for _, c := range certs {
			if keyAuth(c.Key) != k.auth {
				continue
			}
			if k.kx == wire.KexRSA {
				// An export suite is served, when Config.CipherSuites
				// names it, with a certificate key of 512 bits at most:
				// no temporary RSA key (RFC 2246, Section 7.4.3).
				if rk, ok := c.Key.(*rsa.PrivateKey); ok && (s.ExportKeyLen == 0 || rk.N.BitLen() <= exportRSABits) {
					return &choice12{suite: s, kx: k, cert: c.Certificate}, nil
				}
				continue
			}
			if scheme, ok := chooseScheme(cfg, ch, c.Key, v); ok {
				return &choice12{suite: s, kx: k, cert: c.Certificate, scheme: scheme, group: group}, nil
			}
		}
	}
	return nil, refuse(wire.AlertHandshakeFailure, "no cipher suite in common for %s: the client offers %s; this server allows %s with its certificates (%s)",
		wire.VersionName(v), suiteList(ch.CipherSuites, false), suiteList(allowed, false), certSchemes(certs, v))
}

// chooseALPN picks the first of the server's protocols that the client
// offers (RFC 7301, Section 3.2): none offered, or none configured, is no
// ALPN; offered but none in common is no_application_protocol.
func chooseALPN(cfg *Config, ch *clientHello) (string, error) {
	if len(cfg.ALPN) == 0 || ch.ALPN == nil {
		return "", nil
	}
	for _, p := range cfg.ALPN {
		if slices.Contains(ch.ALPN, p) {
			return p, nil
		}
	}
	return "", refuse(wire.AlertNoApplicationProtocol, "no application protocol in common: the client offers %s; this server speaks %s", strings.Join(ch.ALPN, ", "), strings.Join(cfg.ALPN, ", "))
}
