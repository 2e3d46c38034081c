package server

import (
	"crypto/tls"
	"crypto/x509"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// h2Fit reports whether HTTP/2 allows TLS 1.2 suite id: an ephemeral key
// exchange and an AEAD cipher (RFC 9113, Section 9.2.2; every other suite
// of crypto/tls is on RFC 7540's Appendix A list, which net/http's HTTP/2
// server refuses with a GOAWAY INADEQUATE_SECURITY).
func h2Fit(id uint16) bool {
	n := wire.CipherSuiteName(id)
	k := wire.CipherSuiteKeyExchange(id)
	return (k == wire.KexECDHE || k == wire.KexDHE) && (strings.Contains(n, "_GCM_") || strings.Contains(n, "_CHACHA20_POLY1305_") || strings.Contains(n, "_CCM"))
}

// h2Unfit reports whether crypto/tls, configured as the server is, will
// speak TLS 1.2 with the client of chi and choose a suite HTTP/2
// prohibits: no suite the client offers that fits the certificate
// crypto/tls picks (and, for ECDHE, a group in common) is one HTTP/2
// allows, and crypto/tls prefers those to any other (cipher_suites.go
// cipherSuitesPreferenceOrder), so it would pick a prohibited one if any.
// crypto/tls negotiates ALPN before the suite; this is the model of
// select12.go, asked before the handshake.
func (s *Server) h2Unfit(chi *tls.ClientHelloInfo) bool {
	if !slices.Contains(chi.SupportedVersions, tls.VersionTLS12) {
		return false
	}
	if slices.Contains(chi.SupportedVersions, tls.VersionTLS13) && (s.cfg.MaxVersion == 0 || s.cfg.MaxVersion >= tls.VersionTLS13) {
		return false
	}
	certs := s.cfg.Certificates
	if len(certs) == 0 {
		return false
	}
	// crypto/tls's getCertificate: the first the client supports, else
	// the first.
	pick := &certs[0]
	if len(certs) > 1 {
		for i := range certs {
			if chi.SupportsCertificate(&certs[i]) == nil {
				pick = &certs[i]
				break
			}
		}
	}
	leaf := pick.Leaf
	if leaf == nil && len(pick.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(pick.Certificate[0])
	}
	if leaf == nil {
		return false
	}
	kind := certKey(leaf.PublicKey)
	served := s.groups12()
	ecdhe := slices.ContainsFunc(chi.SupportedCurves, func(g tls.CurveID) bool { return slices.Contains(served, uint16(g)) }) &&
		(len(chi.SupportedPoints) == 0 || slices.Contains(chi.SupportedPoints, 0))
	for _, id := range chi.CipherSuites {
		if h2Fit(id) && s.served12(id) && suiteKey(id) == kind && ecdhe {
			return false
		}
	}
	return true
}

// alpnFor returns the configuration of a connection whose client offers
// h2 and another protocol the server speaks when HTTP/2 could not be
// served over the suite crypto/tls will choose (h2Unfit): h2 left out, so
// that the client gets HTTP/1.1 instead of an HTTP/2 connection refused at
// once (RFC 9113, Section 9.2.2: a server should not negotiate HTTP/2
// over a prohibited suite). nil keeps cfg.
func (s *Server) alpnFor(cfg *tls.Config, chi *tls.ClientHelloInfo) *tls.Config {
	if !slices.Contains(chi.SupportedProtos, "h2") || !slices.Contains(cfg.NextProtos, "h2") {
		return nil
	}
	other := slices.ContainsFunc(chi.SupportedProtos, func(p string) bool { return p != "h2" && slices.Contains(cfg.NextProtos, p) })
	if !other || !s.h2Unfit(chi) {
		return nil
	}
	c := cfg.Clone()
	c.GetConfigForClient = nil
	c.NextProtos = slices.DeleteFunc(slices.Clone(c.NextProtos), func(p string) bool { return p == "h2" })
	return c
}

// h2Said explains, on the handshake h that settled cs with a client that
// offered the protocols alpn, what HTTP/2's suite rule did to the
// connection: h2 left out of the offer, the client getting its other
// protocol (alpnFor), or a client that offered h2 alone getting it over a
// suite HTTP/2 prohibits, which the HTTP/2 server then refuses.
func (s *Server) h2Said(h *trace.Handshake, cs tls.ConnectionState, alpn []string) {
	if cs.Version != tls.VersionTLS12 || h2Fit(cs.CipherSuite) || !slices.Contains(alpn, "h2") || !slices.Contains(s.tls.NextProtos, "h2") {
		return
	}
	if s.cfg.Mode != "www" && s.cfg.Mode != "http" && s.cfg.Mode != "file" {
		return
	}
	suite := wire.CipherSuiteName(cs.CipherSuite)
	switch cs.NegotiatedProtocol {
	case "h2":
		h.Warnings = append(h.Warnings, trace.Warning{
			Cause: "h2 was negotiated over " + suite + ", a TLS 1.2 suite HTTP/2 prohibits (RFC 9113, Section 9.2.2: no ephemeral key exchange, or no AEAD cipher), because the client offered no other protocol this server speaks (ALPN " + strings.Join(alpn, ", ") + "): the HTTP/2 server refuses the connection at once (GOAWAY INADEQUATE_SECURITY)",
			Fix:   "on the client: offer TLS 1.3, or a TLS 1.2 ECDHE or DHE suite with AES-GCM or ChaCha20-Poly1305, or http/1.1 beside h2",
		})
	case "":
	default:
		h.Notes = append(h.Notes, "h2 was left out of the server's ALPN answer: the suite crypto/tls chose with this client, "+suite+", is one HTTP/2 prohibits (RFC 9113, Section 9.2.2), so the client got "+cs.NegotiatedProtocol+", its other protocol, rather than an HTTP/2 connection refused at once")
	}
}
