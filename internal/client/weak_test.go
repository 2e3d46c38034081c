package client

import (
	"crypto/tls"
	"strings"
	"testing"
)

// TestWeaknesses: a CBC suite is warned of, with its name and version;
// AEAD suites and TLS 1.3 are not.
func TestWeaknesses(t *testing.T) {
	for _, c := range []struct {
		version, suite uint16
		want           string
	}{
		{tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA (TLS 1.2), a CBC cipher suite"},
		{tls.VersionTLS10, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "TLS_RSA_WITH_3DES_EDE_CBC_SHA (TLS 1.0), a CBC cipher suite"},
		{tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ""},
		{tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, ""},
		{tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, ""},
	} {
		w := Weaknesses(ConnState{Version: c.version, CipherSuite: c.suite})
		switch {
		case c.want == "" && len(w) != 0:
			t.Errorf("%#04x: %+v, want no warning", c.suite, w)
		case c.want != "" && (len(w) != 1 || !strings.Contains(w[0].Cause, c.want) || w[0].Fix == ""):
			t.Errorf("%#04x: %+v, want one with %q", c.suite, w, c.want)
		}
	}
}
