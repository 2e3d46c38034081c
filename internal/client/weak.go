package client

import (
	"fmt"
	"strings"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Warning is a weakness of a connection that worked: what is weak, and
// how to make it strong. It is the chain's kind of warning
// (trace.Verify.Warnings), so that both are said alike.
type Warning = trace.Warning

// Weaknesses returns what is weak in what a handshake settled: a version
// before TLS 1.2, a static key exchange, a broken cipher suite (brokenSuite),
// an 8-byte tag (CCM_8), a CBC cipher suite; and, for a session of the own
// engine's retry, a suite weaker than any crypto/tls offers (static key
// exchange, CCM_8): the retry answered an alert that may be forged.
func Weaknesses(s ConnState) []Warning {
	var out []Warning
	if s.Version != 0 && s.Version < wire.VersionTLS12 {
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s, which RFC 8996 deprecated in 2021 (its handshake hashes with MD5 and SHA-1, and it has no AEAD cipher suite); browsers and curl's default builds refuse it", wire.VersionName(s.Version)),
			Fix:   "enable TLS 1.2 and TLS 1.3 on the server",
		})
	}
	switch kex := wire.CipherSuiteKeyExchange(s.CipherSuite); kex {
	case wire.KexRSA, wire.KexDH, wire.KexECDH, wire.KexRSAPSK:
		// RFC 9325, Section 4.1: static key exchanges lack forward
		// secrecy.
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s, a static %s key exchange: no forward secrecy, so whoever gets the server's private key later decrypts this session from a recording; TLS 1.3 dropped such suites",
				wire.CipherSuiteName(s.CipherSuite), kex),
			Fix: "enable ECDHE suites on the server (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256) and TLS 1.3",
		})
	}
	if w := brokenSuite(s.CipherSuite); w != nil {
		out = append(out, *w)
	}
	if ccm8(s.CipherSuite) {
		// IANA's TLS registry marks the CCM_8 suites not recommended
		// (its Recommended column, RFC 8447); OpenSSL and curl offer
		// none by default.
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s, an AES-CCM suite with an 8-byte authentication tag (16 in the other AEAD suites), made for constrained devices: a forged record passes with a chance of 1 in 2^64 rather than 1 in 2^128, and IANA marks these suites not recommended; OpenSSL and curl do not offer them by default",
				wire.CipherSuiteName(s.CipherSuite)),
			Fix: "remove the CCM_8 suites from the server: TLS 1.3's TLS_AES_128_GCM_SHA256 and TLS 1.2's ECDHE suites with AES-GCM or CHACHA20-POLY1305 have 16-byte tags",
		})
	}
	if cs, ok := tlscrypt.SuiteByID(s.CipherSuite); ok && !cs.TLS13 && cs.Cipher.Block() {
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s (%s), a CBC cipher suite: CBC with MAC-then-encrypt has a history of padding-oracle attacks (Lucky Thirteen), and TLS 1.3 dropped it",
				wire.CipherSuiteName(s.CipherSuite), wire.VersionName(s.Version)),
			Fix: "enable AEAD suites on the server (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, the CHACHA20-POLY1305 ones) and TLS 1.3",
		})
	}
	if s.Retried && (staticKex(s.CipherSuite) || ccm8(s.CipherSuite)) {
		// What the retry offers beyond crypto/tls is meant for servers
		// that speak nothing else; an alert proves nothing of the kind.
		out = append(out, Warning{
			Cause: fmt.Sprintf("%s is weaker than every suite crypto/tls offered: tlstrace's own engine got it on its retry after the server refused crypto/tls's ClientHello with an alert, which anyone on the path can forge to force such a downgrade",
				wire.CipherSuiteName(s.CipherSuite)),
			Fix: "check which suites the server allows (tlstrace scan HOST:PORT): if it allows ECDHE with AES-GCM or ChaCha20-Poly1305, something on the path refused them; run crypto/tls alone, which does not retry, to see the refusal",
		})
	}
	return out
}

// staticKex reports whether suite's key exchange is static (RSA, DH,
// ECDH, RSA_PSK): no forward secrecy (RFC 9325, Section 4.1).
func staticKex(suite uint16) bool {
	switch wire.CipherSuiteKeyExchange(suite) {
	case wire.KexRSA, wire.KexDH, wire.KexECDH, wire.KexRSAPSK:
		return true
	}
	return false
}

// ccm8 reports whether suite is an AES-CCM suite with an 8-byte tag: the
// TLS 1.3 TLS_AES_128_CCM_8_SHA256 or a TLS 1.2 …_CCM_8 suite.
func ccm8(suite uint16) bool {
	return strings.HasSuffix(wire.CipherSuiteName(suite), "_CCM_8") || strings.Contains(wire.CipherSuiteName(suite), "_CCM_8_")
}

// strongSuites is the fix's list of the suites to serve instead.
const strongSuites = "enable AEAD suites on the server (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, the CHACHA20-POLY1305 ones) and TLS 1.3"

// brokenSuite warns of a suite whose cipher or authentication is broken,
// by its IANA name: RC4, 3DES, no encryption, export strength, no server
// authentication. nil for another.
func brokenSuite(id uint16) *Warning {
	name := wire.CipherSuiteName(id)
	var cause string
	switch {
	case strings.Contains(name, "_EXPORT"):
		// RFC 9325, Section 4.1: no suite below 112 bits of security,
		// export ones included.
		cause = "an export cipher suite: its 40- or 56-bit keys (and a 512-bit key exchange) are broken in hours or less (FREAK, Logjam), and RFC 9325 (Section 4.1) prohibits it"
	case strings.Contains(name, "_WITH_NULL_"):
		// RFC 9325, Section 4.1.
		cause = "a NULL cipher suite: nothing is encrypted, whoever sees the traffic reads it, and RFC 9325 (Section 4.1) prohibits it"
	case strings.Contains(name, "_anon_"):
		cause = "an anonymous cipher suite: the server sends no certificate, so anyone on the path can pose as it (a man in the middle) and read everything"
	case strings.Contains(name, "_RC4_"):
		cause = "an RC4 cipher suite: RC4's keystream biases let an attacker recover plaintext sent many times over (cookies, passwords), and RFC 7465 prohibits RC4 in TLS"
	case strings.Contains(name, "_3DES_"):
		cause = "a 3DES cipher suite: its 64-bit blocks repeat after some 32 GB on one connection, which lets an attacker recover plaintext such as cookies (Sweet32, CVE-2016-2183)"
	default:
		return nil
	}
	return &Warning{
		Cause: fmt.Sprintf("the connection uses %s, %s", name, cause),
		Fix:   "remove it from the server and " + strongSuites,
	}
}
