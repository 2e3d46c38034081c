package client

import (
	"crypto/tls"
	"errors"
	"strings"

	"github.com/tlstrace/tlstrace/internal/setting"
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

// ParseCipherSuites reads TLS 1.0–1.2 suites by OpenSSL or IANA name,
// separated by ':', ',' or spaces (curl's --ciphers). A suite crypto/tls
// cannot do is an error, never dropped. Errors are *setting.Error for
// "Ciphers".
func ParseCipherSuites(s string) ([]uint16, error) {
	iana := map[string]uint16{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		iana[c.Name] = c.ID
	}
	var out []uint16
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := opensslSuites[strings.ToUpper(name)]; ok {
			out = append(out, id)
		} else if id, ok := iana[strings.ToUpper(name)]; ok {
			out = append(out, id)
		} else if strings.HasPrefix(strings.ToUpper(name), "DHE-") || strings.Contains(strings.ToUpper(name), "_DHE_") {
			return nil, setting.Errorf("Ciphers", name, "crypto/tls does not implement finite-field DHE suites")
		} else {
			return nil, setting.Errorf("Ciphers", name, "not a TLS 1.0–1.2 cipher suite crypto/tls implements")
		}
	}
	if len(out) == 0 {
		return nil, &setting.Error{Name: "Ciphers", Err: errors.New("no cipher suite given")}
	}
	return out, nil
}

// CheckTLS13Suites accepts a list of TLS 1.3 suites only when it names all
// of crypto/tls's: crypto/tls does not let a client choose. Errors are
// *setting.Error for "TLS13Ciphers".
func CheckTLS13Suites(s string) error {
	all := map[string]bool{"TLS_AES_128_GCM_SHA256": false, "TLS_AES_256_GCM_SHA384": false, "TLS_CHACHA20_POLY1305_SHA256": false}
	for _, n := range strings.Split(s, ":") {
		if _, ok := all[n]; !ok {
			return setting.Errorf("TLS13Ciphers", n, "not a TLS 1.3 suite crypto/tls implements (it has TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256)")
		}
		all[n] = true
	}
	for n, seen := range all {
		if !seen {
			return setting.Errorf("TLS13Ciphers", s, "crypto/tls always offers all three TLS 1.3 suites and cannot leave out %s", n)
		}
	}
	return nil
}

// ParseGroups reads key exchange group names separated by ':' (curl's
// --curves). Errors are *setting.Error for "Curves".
func ParseGroups(s string) ([]tls.CurveID, error) {
	known := map[string]tls.CurveID{
		"X25519": tls.X25519, "P-256": tls.CurveP256, "PRIME256V1": tls.CurveP256, "SECP256R1": tls.CurveP256,
		"P-384": tls.CurveP384, "SECP384R1": tls.CurveP384, "P-521": tls.CurveP521, "SECP521R1": tls.CurveP521,
		"X25519MLKEM768": tls.X25519MLKEM768, "SECP256R1MLKEM768": tls.SecP256r1MLKEM768, "SECP384R1MLKEM1024": tls.SecP384r1MLKEM1024,
	}
	var out []tls.CurveID
	for _, n := range strings.Split(s, ":") {
		id, ok := known[strings.ToUpper(n)]
		if !ok {
			return nil, setting.Errorf("Curves", n, "crypto/tls does not implement the group (it has X25519, P-256, P-384, P-521, X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024)")
		}
		out = append(out, id)
	}
	return out, nil
}
