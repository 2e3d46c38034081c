package client

import (
	"fmt"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Warning is a weakness of a connection that worked: what is weak, and
// how to make it strong. It is the chain's kind of warning
// (trace.Verify.Warnings), so that both are said alike.
type Warning = trace.Warning

// Weaknesses returns what is weak in what a handshake settled: a version
// before TLS 1.2, a static key exchange, a CBC cipher suite.
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
	if cs, ok := tlscrypt.SuiteByID(s.CipherSuite); ok && !cs.TLS13 && cs.Cipher.Block() {
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s (%s), a CBC cipher suite: CBC with MAC-then-encrypt has a history of padding-oracle attacks (Lucky Thirteen), and TLS 1.3 dropped it",
				wire.CipherSuiteName(s.CipherSuite), wire.VersionName(s.Version)),
			Fix: "enable AEAD suites on the server (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, the CHACHA20-POLY1305 ones) and TLS 1.3",
		})
	}
	return out
}
