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
// a CBC cipher suite.
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
	if cs, ok := tlscrypt.SuiteByID(s.CipherSuite); ok && !cs.TLS13 && cs.Cipher.Block() {
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s (%s), a CBC cipher suite: CBC with MAC-then-encrypt has a history of padding-oracle attacks (Lucky Thirteen), and TLS 1.3 dropped it",
				wire.CipherSuiteName(s.CipherSuite), wire.VersionName(s.Version)),
			Fix: "enable AEAD suites on the server (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, the CHACHA20-POLY1305 ones) and TLS 1.3",
		})
	}
	return out
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
