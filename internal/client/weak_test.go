package client

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

// TestWeaknesses: a version before TLS 1.2, a static key exchange, a
// broken suite (RC4, 3DES, NULL, anonymous, export) and a CBC suite are
// warned of, each with its name; ECDHE with AEAD suites and TLS 1.3 are
// not.
func TestWeaknesses(t *testing.T) {
	for _, c := range []struct {
		version, suite uint16
		want           []string
	}{
		{tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, []string{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA (TLS 1.2), a CBC cipher suite"}},
		{tls.VersionTLS10, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, []string{
			"the connection uses TLS 1.0, which RFC 8996 deprecated",
			"TLS_RSA_WITH_3DES_EDE_CBC_SHA, a static RSA key exchange: no forward secrecy",
			"TLS_RSA_WITH_3DES_EDE_CBC_SHA, a 3DES cipher suite: its 64-bit blocks",
			"TLS_RSA_WITH_3DES_EDE_CBC_SHA (TLS 1.0), a CBC cipher suite"}},
		{tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, []string{"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, an RC4 cipher suite"}},
		{tls.VersionTLS12, tls.TLS_RSA_WITH_RC4_128_SHA, []string{
			"TLS_RSA_WITH_RC4_128_SHA, a static RSA key exchange",
			"TLS_RSA_WITH_RC4_128_SHA, an RC4 cipher suite"}},
		{tls.VersionTLS12, 0x0002, []string{"TLS_RSA_WITH_NULL_SHA, a static RSA key exchange", "TLS_RSA_WITH_NULL_SHA, a NULL cipher suite"}},
		{tls.VersionTLS12, 0x0034, []string{"TLS_DH_anon_WITH_AES_128_CBC_SHA, an anonymous cipher suite", "a CBC cipher suite"}},
		{tls.VersionTLS10, 0x0003, []string{"TLS 1.0", "static RSA key exchange", "TLS_RSA_EXPORT_WITH_RC4_40_MD5, an export cipher suite"}},
		{tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, []string{"TLS_RSA_WITH_AES_128_GCM_SHA256, a static RSA key exchange: no forward secrecy"}},
		{tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, []string{"the connection uses TLS 1.1", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (TLS 1.1), a CBC cipher suite"}},
		{tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, nil},
		{tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, nil},
		{tls.VersionTLS12, 0x009E, nil}, // DHE-RSA-AES128-GCM-SHA256
		{tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, nil},
	} {
		w := Weaknesses(ConnState{Version: c.version, CipherSuite: c.suite})
		if len(w) != len(c.want) {
			t.Errorf("%#04x: %+v, want %q", c.suite, w, c.want)
			continue
		}
		for i, want := range c.want {
			if !strings.Contains(w[i].Cause, want) || w[i].Fix == "" {
				t.Errorf("%#04x: warning %d is %+v, want one with %q", c.suite, i, w[i], want)
			}
		}
		if slices.ContainsFunc(w, func(w Warning) bool { return strings.Contains(w.Cause, "%!") }) {
			t.Errorf("%#04x: badly formatted %+v", c.suite, w)
		}
	}
}
