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

// Weaknesses returns what is weak in what a handshake settled: a CBC
// cipher suite.
func Weaknesses(s ConnState) []Warning {
	var out []Warning
	if cs, ok := tlscrypt.SuiteByID(s.CipherSuite); ok && !cs.TLS13 && cs.Cipher.Block() {
		out = append(out, Warning{
			Cause: fmt.Sprintf("the connection uses %s (%s), a CBC cipher suite: CBC with MAC-then-encrypt has a history of padding-oracle attacks (Lucky Thirteen), and TLS 1.3 dropped it",
				wire.CipherSuiteName(s.CipherSuite), wire.VersionName(s.Version)),
			Fix: "enable AEAD suites on the server (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, the CHACHA20-POLY1305 ones) and TLS 1.3",
		})
	}
	return out
}
