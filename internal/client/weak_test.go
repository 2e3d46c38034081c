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
		{tls.VersionTLS13, 0x1305, []string{"TLS_AES_128_CCM_8_SHA256, an AES-CCM suite with an 8-byte authentication tag"}},
		{tls.VersionTLS12, 0xC0AE, []string{"TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, an AES-CCM suite with an 8-byte"}},
		{tls.VersionTLS12, 0xC0A3, []string{"TLS_DHE_RSA_WITH_AES_256_CCM_8, an AES-CCM suite with an 8-byte"}},
		{tls.VersionTLS12, 0xC0AC, nil}, // ECDHE-ECDSA-AES128-CCM: a 16-byte tag
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

// TestWeaknessesRetried: a session of the own engine's retry whose suite
// is weaker than any crypto/tls offers (static RSA, CCM_8) says that the
// alert that made it retry may have been forged; one with a suite as
// strong (DHE with AES-GCM, CCM) does not, nor does a session crypto/tls
// or the own engine made without a retry.
func TestWeaknessesRetried(t *testing.T) {
	const downgrade = "is weaker than every suite crypto/tls offered"
	for _, c := range []struct {
		version, suite uint16
		retried, want  bool
	}{
		{tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, true, true},
		{tls.VersionTLS12, 0xC0A3, true, true},
		{tls.VersionTLS13, 0x1305, true, true},
		{tls.VersionTLS12, 0x009E, true, false},
		{tls.VersionTLS13, 0x1304, true, false},
		{tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false, false},
	} {
		w := Weaknesses(ConnState{Version: c.version, CipherSuite: c.suite, Retried: c.retried})
		if got := slices.ContainsFunc(w, func(w Warning) bool { return strings.Contains(w.Cause, downgrade) }); got != c.want {
			t.Errorf("%#04x retried %v: %+v; want the downgrade said: %v", c.suite, c.retried, w, c.want)
		}
	}
}
