// Package suites reads the cipher suites and key exchange groups a
// command line names (curl's --ciphers, --tls13-ciphers and --curves,
// openssl's names or IANA's) for the two TLS stacks that speak them:
// crypto/tls, and tlstrace's own engine (internal/handshake) for what
// crypto/tls lacks (finite-field DHE, AES-CCM, a choice of TLS 1.3
// suites, the RFC 7919 groups). The client and the server read their
// settings with it, and ask it which stack implements a suite.
package suites

import (
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// opensslSuites maps OpenSSL's names of the TLS 1.0–1.2 suites crypto/tls
// implements to their code points.
var opensslSuites = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"ECDHE-ECDSA-RC4-SHA":           tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
	"ECDHE-RSA-RC4-SHA":             tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	"RC4-SHA":                       tls.TLS_RSA_WITH_RC4_128_SHA,
}

// ownSuites maps OpenSSL's names of the TLS 1.0–1.2 suites that only
// tlstrace's own engine implements to their code points: finite-field DHE
// with RSA signatures, AES-CCM and AES-CCM_8, and the CBC suites with
// SHA-256 or SHA-384 that crypto/tls left out (names as `openssl ciphers -V`
// lists them; a test compares them).
var ownSuites = map[string]uint16{
	"DHE-RSA-AES128-SHA":        0x0033,
	"DHE-RSA-AES256-SHA":        0x0039,
	"DHE-RSA-AES128-SHA256":     0x0067,
	"DHE-RSA-AES256-SHA256":     0x006B,
	"DHE-RSA-AES128-GCM-SHA256": 0x009E,
	"DHE-RSA-AES256-GCM-SHA384": 0x009F,
	"DHE-RSA-CHACHA20-POLY1305": 0xCCAA,
	"DHE-RSA-AES128-CCM":        0xC09E,
	"DHE-RSA-AES256-CCM":        0xC09F,
	"DHE-RSA-AES128-CCM8":       0xC0A2,
	"DHE-RSA-AES256-CCM8":       0xC0A3,
	"AES256-SHA256":             0x003D,
	"AES128-CCM":                0xC09C,
	"AES256-CCM":                0xC09D,
	"AES128-CCM8":               0xC0A0,
	"AES256-CCM8":               0xC0A1,
	"ECDHE-ECDSA-AES128-CCM":    0xC0AC,
	"ECDHE-ECDSA-AES256-CCM":    0xC0AD,
	"ECDHE-ECDSA-AES128-CCM8":   0xC0AE,
	"ECDHE-ECDSA-AES256-CCM8":   0xC0AF,
	"ECDHE-ECDSA-AES256-SHA384": 0xC024,
	"ECDHE-RSA-AES256-SHA384":   0xC028,
}

// Go reports whether crypto/tls implements a TLS 1.0–1.2 cipher suite.
func Go(id uint16) bool {
	return slices.ContainsFunc(append(tls.CipherSuites(), tls.InsecureCipherSuites()...), func(c *tls.CipherSuite) bool { return c.ID == id })
}

// Own reports whether only tlstrace's own engine implements a TLS 1.0–1.2
// cipher suite (of those this package names).
func Own(id uint16) bool {
	for _, o := range ownSuites {
		if o == id {
			return true
		}
	}
	return false
}

// ianaSuites maps the IANA names of the suites of opensslSuites and
// ownSuites to their code points.
var ianaSuites = sync.OnceValue(func() map[string]uint16 {
	m := map[string]uint16{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		m[c.Name] = c.ID
	}
	for _, id := range ownSuites {
		m[wire.CipherSuiteName(id)] = id
	}
	return m
})

// Parse reads TLS 1.0–1.2 suites by OpenSSL or IANA name, separated by
// ':', ',' or spaces (curl's --ciphers): those crypto/tls implements and
// those only tlstrace's own engine does. An unknown name is an error,
// never dropped. Errors are *setting.Error for "Ciphers".
func Parse(s string) ([]uint16, error) {
	var out []uint16
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		up := strings.ToUpper(name)
		if id, ok := opensslSuites[up]; ok {
			out = append(out, id)
		} else if id, ok := ownSuites[strings.Replace(up, "EDH-", "DHE-", 1)]; ok {
			out = append(out, id)
		} else if id, ok := ianaSuites()[up]; ok {
			out = append(out, id)
		} else {
			return nil, setting.Errorf("Ciphers", name, "not a TLS 1.0–1.2 cipher suite crypto/tls or tlstrace's own engine implements")
		}
	}
	if len(out) == 0 {
		return nil, &setting.Error{Name: "Ciphers", Err: errors.New("no cipher suite given")}
	}
	return out, nil
}

// tls13Suites are the TLS 1.3 suites (RFC 8446, Appendix B.4), in the
// order they are offered by default.
var tls13Suites = []struct {
	name string
	id   uint16
}{
	{"TLS_AES_128_GCM_SHA256", 0x1301}, {"TLS_AES_256_GCM_SHA384", 0x1302}, {"TLS_CHACHA20_POLY1305_SHA256", 0x1303},
	{"TLS_AES_128_CCM_SHA256", 0x1304}, {"TLS_AES_128_CCM_8_SHA256", 0x1305},
}

// ParseTLS13 reads TLS 1.3 suites by IANA name separated by ':'
// (curl's --tls13-ciphers), in preference order. Errors are
// *setting.Error for "TLS13Ciphers".
func ParseTLS13(s string) ([]uint16, error) {
	var out []uint16
	for _, n := range strings.Split(s, ":") {
		i := slices.IndexFunc(tls13Suites, func(c struct {
			name string
			id   uint16
		}) bool {
			return strings.EqualFold(c.name, n)
		})
		if i < 0 {
			return nil, setting.Errorf("TLS13Ciphers", n, "not a TLS 1.3 suite (there are TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256)")
		}
		out = append(out, tls13Suites[i].id)
	}
	return out, nil
}

// FFDHE reports whether g is one of the finite-field groups of RFC 7919.
func FFDHE(g uint16) bool { return g >= 256 && g <= 260 }

// ParseGroups reads key exchange group names separated by ':' (curl's
// --curves): those of crypto/tls, and the finite-field groups of RFC 7919
// (ffdhe2048 … ffdhe8192) that only tlstrace's own engine implements.
// Errors are *setting.Error for "Curves".
func ParseGroups(s string) ([]tls.CurveID, error) {
	known := map[string]tls.CurveID{
		"X25519": tls.X25519, "P-256": tls.CurveP256, "PRIME256V1": tls.CurveP256, "SECP256R1": tls.CurveP256,
		"P-384": tls.CurveP384, "SECP384R1": tls.CurveP384, "P-521": tls.CurveP521, "SECP521R1": tls.CurveP521,
		"X25519MLKEM768": tls.X25519MLKEM768, "SECP256R1MLKEM768": tls.SecP256r1MLKEM768, "SECP384R1MLKEM1024": tls.SecP384r1MLKEM1024,
		"FFDHE2048": 256, "FFDHE3072": 257, "FFDHE4096": 258, "FFDHE6144": 259, "FFDHE8192": 260,
	}
	var out []tls.CurveID
	for _, n := range strings.Split(s, ":") {
		id, ok := known[strings.ToUpper(n)]
		if !ok {
			return nil, setting.Errorf("Curves", n, "neither crypto/tls nor tlstrace's own engine implements the group (there are X25519, P-256, P-384, P-521, X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192)")
		}
		out = append(out, id)
	}
	return out, nil
}
