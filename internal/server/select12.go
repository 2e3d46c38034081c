package server

// This file models how crypto/tls (Go 1.26) picks a TLS 1.2 cipher suite
// for a ClientHello, to explain a handshake_failure alert from the first
// step that leaves no suite (handshake_server.go: processClientHello,
// supportsECDHE, pickCipherSuite, cipherSuiteOk; key_agreement.go for the
// signature of the ServerKeyExchange, chosen after the suite).

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/fingerprint"
	"github.com/tlstrace/tlstrace/internal/suites"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// keyKind is the kind of certificate key a TLS 1.0–1.2 cipher suite
// needs, as crypto/tls's cipherSuiteOk sorts them.
type keyKind int

const (
	// keyOther: a suite none of tlstrace's engines serves with a
	// certificate's key (PSK, anonymous, DSS, static ECDH).
	keyOther keyKind = iota
	// keyRSA: the RSA key exchange (the key decrypts) or an _RSA_
	// signature (ECDHE_RSA, DHE_RSA).
	keyRSA
	// keyEC: an _ECDSA_ signature, which an ECDSA or an Ed25519 key
	// makes (crypto/tls's ecSignOk; RFC 8422, Section 5.1.1).
	keyEC
)

func (k keyKind) String() string {
	switch k {
	case keyRSA:
		return "RSA"
	case keyEC:
		return "ECDSA"
	}
	return "other"
}

// suiteKey is the kind of key a TLS 1.0–1.2 suite needs, from its IANA
// name.
func suiteKey(id uint16) keyKind {
	n := wire.CipherSuiteName(id)
	switch {
	case strings.HasPrefix(n, "TLS_ECDHE_ECDSA_WITH_"):
		return keyEC
	case strings.HasPrefix(n, "TLS_RSA_WITH_"), strings.HasPrefix(n, "TLS_ECDHE_RSA_WITH_"), strings.HasPrefix(n, "TLS_DHE_RSA_WITH_"):
		return keyRSA
	}
	return keyOther
}

// certKey is the kind of a certificate's key (keyOther for one crypto/tls
// does not serve TLS 1.2 with).
func certKey(pub crypto.PublicKey) keyKind {
	switch pub.(type) {
	case *rsa.PublicKey:
		return keyRSA
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return keyEC
	}
	return keyOther
}

// godebug reports whether the GODEBUG environment variable sets name to
// 1, as crypto/tls reads tlsrsakex and tls3des.
func godebug(name string) bool {
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		if strings.TrimSpace(kv) == name+"=1" {
			return true
		}
	}
	return false
}

// served12 reports whether crypto/tls, configured as the server is,
// serves a TLS 1.0–1.2 suite: one of its CipherSuites that crypto/tls
// implements, or else one of Go 1.26's defaults, which leave out the RSA
// key exchange (GODEBUG tlsrsakex=1 brings it back), 3DES (tls3des=1),
// RC4 and the CBC suites with SHA-256 (defaults.go, cipher_suites.go
// disabledCipherSuites).
func (s *Server) served12(id uint16) bool {
	if s.cfg.CipherSuites != nil {
		return slices.Contains(s.cfg.CipherSuites, id) && suites.Go(id)
	}
	if slices.ContainsFunc(tls.CipherSuites(), func(c *tls.CipherSuite) bool {
		return c.ID == id && !slices.Contains(c.SupportedVersions, tls.VersionTLS13)
	}) {
		return true
	}
	switch id {
	case tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384:
		return godebug("tlsrsakex")
	case tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:
		return godebug("tls3des")
	case tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:
		return godebug("tls3des") && godebug("tlsrsakex")
	}
	return false
}

// groups12 are the groups crypto/tls does ECDHE over in TLS 1.2: those
// it serves, less the hybrids that only TLS 1.3 has (common.go
// curvePreferences, isTLS13OnlyKeyExchange).
func (s *Server) groups12() []uint16 {
	served := s.cfg.Groups
	if len(served) == 0 {
		served = goGroups
	}
	return slices.DeleteFunc(slices.Clone(served), func(g uint16) bool { return g == 0x11ec || g == 0x11eb || g == 0x11ed })
}

// leaves are the server's certificates, parsed; ok is false when one
// does not parse.
func (s *Server) leaves() (out []*x509.Certificate, ok bool) {
	for _, c := range s.cfg.Certificates {
		leaf := c.Leaf
		if leaf == nil && len(c.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(c.Certificate[0])
		}
		if leaf == nil {
			return nil, false
		}
		out = append(out, leaf)
	}
	return out, len(out) > 0
}

// speaks12 reports whether TLS 1.2 is the version crypto/tls speaks with
// a ClientHello: the client offers it and not TLS 1.3, or the server
// stops at TLS 1.2.
func (s *Server) speaks12(h *fingerprint.Hello) bool {
	if len(h.SupportedVersions) == 0 {
		return h.LegacyVersion >= tls.VersionTLS12
	}
	if !slices.Contains(h.SupportedVersions, tls.VersionTLS12) {
		return false
	}
	return !slices.Contains(h.SupportedVersions, tls.VersionTLS13) || (s.cfg.MaxVersion != 0 && s.cfg.MaxVersion < tls.VersionTLS13)
}

// suiteNames names suites, by IANA name or by number; more than four are
// counted, not named.
func suiteNames(ids []uint16) string {
	if len(ids) > 4 {
		return fmt.Sprintf("%d suites", len(ids))
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		if names[i] = wire.CipherSuiteName(id); names[i] == "" {
			names[i] = fmt.Sprintf("0x%04X", id)
		}
	}
	return strings.Join(names, ", ")
}

// groupNames names groups, GREASE left out, unknown ones by number.
func groupNames(gs []uint16) []string { return codeNames(gs, wire.GroupName) }

// noSuite12 explains a handshake_failure (alert) of crypto/tls in TLS 1.2
// from the first step of its suite selection that leaves none of the
// client's suites: the suites the server serves; the kind of key they
// need against the keys of the server's certificates; ECDHE, which
// crypto/tls turns off when the client lists no supported_groups or none
// it serves in TLS 1.2; then the signature of the ServerKeyExchange,
// chosen after the suite (noScheme12). ok is false when that is not what
// happened or is not known (no hello, the own engine, TLS 1.3 to be
// spoken).
func (s *Server) noSuite12(h *fingerprint.Hello, alert string) (cause, fix string, ok bool) {
	if h == nil || s.own != nil || !s.speaks12(h) {
		return "", "", false
	}
	leaves, ok := s.leaves()
	if !ok {
		return "", "", false
	}
	kinds := map[keyKind]bool{}
	var keys []string
	for _, l := range leaves {
		kinds[certKey(l.PublicKey)] = true
		keys = append(keys, keyName(l))
	}
	has := "the server's certificate has an " + keys[0] + " key"
	if len(keys) > 1 {
		has = "the server's certificates have " + strings.Join(keys, ", ") + " keys"
	}
	var offered, served, fit, usable []uint16
	for _, id := range h.CipherSuites {
		// RFC 5746, Section 3.3 and RFC 7507, Section 2: signals, not
		// suites.
		if wire.IsGREASE(id) || id == 0x00FF || id == 0x5600 {
			continue
		}
		offered = append(offered, id)
		if s.served12(id) {
			served = append(served, id)
		}
	}
	if len(offered) == 0 {
		return "", "", false
	}
	if len(served) == 0 {
		cause, fix = s.noSuite(offered, alert)
		return s.allowFix(offered, kinds, leaves, has, h, cause, fix)
	}
	for _, id := range served {
		if kinds[suiteKey(id)] {
			fit = append(fit, id)
		}
	}
	if len(fit) == 0 {
		return s.wrongKey(h, served, leaves, has, alert)
	}
	off := s.ecdheOff(h)
	for _, id := range fit {
		if off == "" || wire.CipherSuiteKeyExchange(id) != wire.KexECDHE {
			usable = append(usable, id)
		}
	}
	if len(usable) == 0 {
		fix = "have the client send supported_groups (RFC 8422, Section 5.1.1) with a group the server serves in TLS 1.2 (" + strings.Join(groupNames(s.groups12()), ", ") + ")"
		if !slices.Contains(h.Extensions, 13) {
			// The next step would fail as well.
			fix += ", and signature_algorithms with SHA-256 schemes (RFC 9155)"
		}
		if rsaKex := slices.DeleteFunc(slices.Clone(offered), func(id uint16) bool { return wire.CipherSuiteKeyExchange(id) != wire.KexRSA || !suites.Go(id) }); kinds[keyRSA] && len(rsaKex) > 0 {
			fix += fmt.Sprintf(", or allow on the server a suite with the RSA key exchange that the client offers (%s), which needs neither", wire.CipherSuiteName(rsaKex[0]))
		}
		also := ""
		if !slices.Contains(h.Extensions, 13) {
			also = "; it sent no signature_algorithms either, which the server would need next, to sign its ServerKeyExchange with SHA-256 (RFC 9155)"
		}
		return fmt.Sprintf("the cipher suites the client offered that the server serves for its key (%s; %s) all use ECDHE, which the server cannot do with this client: %s, and ECDHE needs a group in common (RFC 8422, Section 5.1.1)%s (the server sent a %s alert)",
			suiteNames(fit), has, off, also, alert), fix, true
	}
	signing := map[keyKind]bool{}
	for _, id := range usable {
		if wire.CipherSuiteKeyExchange(id) != wire.KexECDHE {
			// The RSA key exchange signs nothing.
			return "", "", false
		}
		signing[suiteKey(id)] = true
	}
	return s.noScheme12(h, signing, alert)
}

// ecdheOff says why crypto/tls does no ECDHE with a ClientHello in TLS
// 1.2, "" when it does: no supported_groups, or none of its groups is one
// the server serves in TLS 1.2 (handshake_server.go supportsECDHE).
func (s *Server) ecdheOff(h *fingerprint.Hello) string {
	// RFC 8422, Section 5.1.1 (code point 10).
	if !slices.Contains(h.Extensions, 10) {
		return "the client sent no supported_groups extension"
	}
	served := s.groups12()
	if slices.ContainsFunc(h.Groups, func(g uint16) bool { return slices.Contains(served, g) }) {
		return ""
	}
	offered := groupNames(h.Groups)
	if len(offered) == 0 {
		return "the client's supported_groups lists no group"
	}
	return fmt.Sprintf("none of the groups in the client's supported_groups (%s) is one the server serves in TLS 1.2 (%s)",
		strings.Join(offered, ", "), strings.Join(groupNames(served), ", "))
}

// wrongKey explains suites the server serves that all need another kind
// of key than those of its certificates.
func (s *Server) wrongKey(h *fingerprint.Hello, served []uint16, leaves []*x509.Certificate, has, alert string) (cause, fix string, ok bool) {
	need := suiteKey(served[0])
	for _, id := range served[1:] {
		if suiteKey(id) != need {
			need = keyOther
		}
	}
	cause = fmt.Sprintf("the cipher suites the client offered that the server serves (%s) need a certificate with another kind of key, and %s", suiteNames(served), has)
	if need != keyOther {
		cause = fmt.Sprintf("the cipher suites the client offered that the server serves (%s) need a certificate with an %s key, and %s", suiteNames(served), need, has)
	}
	mine := certKey(leaves[0].PublicKey)
	fix = fmt.Sprintf("serve an %s certificate beside the %s one (a second certificate and key: the server picks the one the client's suites fit), or have the client offer ECDHE_%s suites", need, strings.Fields(keyName(leaves[0]))[0], mine)
	if need == keyOther {
		fix = fmt.Sprintf("have the client offer ECDHE_%s suites", mine)
	}
	if off := s.ecdheOff(h); off != "" && need != keyOther && !slices.ContainsFunc(served, func(id uint16) bool { return wire.CipherSuiteKeyExchange(id) != wire.KexECDHE }) {
		// The next step would fail as well.
		cause += "; and " + off + ", which ECDHE needs"
		fix = "have the client send supported_groups (RFC 8422, Section 5.1.1) with a group the server serves in TLS 1.2 (" + strings.Join(groupNames(s.groups12()), ", ") + "), and " + fix
	}
	// Clients that filter their suites by their signature_algorithms
	// (OpenSSL) leave out the suites of a key whose signatures they
	// refuse: offering them is not enough.
	if keys, refused := s.keysSigningNone(h, schemes12, nil); refused && slices.Contains(h.Extensions, 13) {
		cause += fmt.Sprintf("; nor does the client's signature_algorithms (%s) hold a scheme that key signs with: %s", strings.Join(schemeNames(h.SignatureSchemes), ", "), strings.Join(keys, "; "))
		fix = strings.Replace(fix, "have the client offer", "have the client accept its signatures and offer", 1)
	}
	return fmt.Sprintf("%s (the server sent a %s alert)", cause, alert), fix, true
}

// allowFix explains client suites none of which the server serves
// (cause and fix, noSuite's): allow one, if an engine of tlstrace
// implements one that fits a key of the server's certificates; else, if
// those it implements need another kind of key, serve a certificate for
// them; else have the client offer another.
func (s *Server) allowFix(offered []uint16, kinds map[keyKind]bool, leaves []*x509.Certificate, has string, h *fingerprint.Hello, cause, fix string) (string, string, bool) {
	var can, fits []uint16
	for _, id := range offered {
		if !suites.Go(id) && !suites.Own(id) {
			continue
		}
		can = append(can, id)
		if kinds[suiteKey(id)] && (wire.CipherSuiteKeyExchange(id) != wire.KexECDHE || s.ecdheOff(h) == "") {
			fits = append(fits, id)
		}
	}
	switch {
	case len(fits) > 0:
		return cause, fmt.Sprintf("allow one of the client's cipher suites on the server (%s), or have the client offer one the server serves", wire.CipherSuiteName(fits[0])), true
	case len(can) > 0 && suiteKey(can[0]) != keyOther && !kinds[suiteKey(can[0])]:
		// The alert's words stay last.
		at := strings.LastIndex(cause, " (the server sent")
		return fmt.Sprintf("%s; those tlstrace can serve (%s) need a certificate with an %s key, and %s%s", cause[:at], suiteNames(can), suiteKey(can[0]), has, cause[at:]),
			fmt.Sprintf("serve an %s certificate beside the %s one and allow %s on the server, or have the client offer ECDHE_%s suites",
				suiteKey(can[0]), strings.Fields(keyName(leaves[0]))[0], wire.CipherSuiteName(can[0]), certKey(leaves[0].PublicKey)), true
	case len(can) == 0 && !strings.Contains(fix, "scanner"):
		return cause, "have the client offer one of the suites the server serves: tlstrace implements none of those it offered", true
	}
	return cause, fix, true
}

// schemeNames names signature schemes, GREASE left out, unknown ones by
// number.
func schemeNames(l []uint16) []string { return codeNames(l, wire.SignatureSchemeName) }

// codeNames names the code points of l by name, GREASE left out, unknown
// ones by number.
func codeNames(l []uint16, name func(uint16) string) []string {
	var out []string
	for _, v := range l {
		if wire.IsGREASE(v) {
			continue
		}
		n := name(v)
		if n == "" {
			n = fmt.Sprintf("0x%04X", v)
		}
		out = append(out, n)
	}
	return out
}
