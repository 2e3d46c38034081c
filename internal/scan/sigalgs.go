package scan

import (
	"fmt"
	"slices"
	"sync"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// schemeName returns the name of signature scheme s, or its number.
func schemeName(s uint16) string {
	if n := wire.SignatureSchemeName(s); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", s)
}

// signedKeyExchange reports whether suite s has a ServerKeyExchange
// signed with the certificate's key: ECDHE or DHE with RSA, ECDSA or DSS
// authentication.
func signedKeyExchange(s uint16) bool {
	k := wire.CipherSuiteKeyExchange(s)
	return (k == wire.KexECDHE || k == wire.KexDHE) && keyTypeOf(s) != ""
}

// suiteKeyType12 returns the authentication of the TLS 1.2 suites a
// server may sign with signature scheme s, as keyTypeOf names a suite's:
// RSA (PKCS #1 and both kinds of RSA-PSS), ECDSA (Ed25519 and Ed448 too,
// which take the ECDHE_ECDSA suites, RFC 8422, Section 5.3) or DSS; ""
// for none of them.
func suiteKeyType12(s uint16) string {
	switch {
	case s == 0x0807 || s == 0x0808 || s&0xff == 0x03 || s >= 0x081a && s <= 0x081c:
		return "ECDSA"
	case s >= 0x0804 && s <= 0x0806 || s >= 0x0809 && s <= 0x080b || s&0xff == 0x01:
		return "RSA"
	case s&0xff == 0x02:
		return "DSS"
	}
	return ""
}

// scanSignatures12 offers, in TLS 1.2, the signed ECDHE and DHE suites the
// server accepted with one signature scheme at a time, and reads on to
// the ServerKeyExchange: a scheme is accepted when the server signs with
// it. Each probe offers only the suites whose authentication is the
// scheme's kind of key (suiteKeyType12): a server with an RSA and an ECDSA
// certificate that follows the client's order would otherwise pick an
// RSA suite for an ECDSA scheme and refuse the hello for want of a
// scheme, hiding the ECDSA ones. A server that signs with a scheme that
// was not offered breaks RFC 5246, Section 7.4.1.4.1; the scheme is then
// not counted, and Mismatched says which.
func scanSignatures12(r *Result, probe func(*hello) answer) (accepted []SignatureAccepted, mismatched []string) {
	vr := r.Version(wire.VersionTLS12)
	if vr == nil || vr.Outcome != Accepted {
		return nil, nil
	}
	signed := slices.DeleteFunc(slices.Clone(vr.Suites), func(s uint16) bool { return !signedKeyExchange(s) })
	if len(signed) == 0 {
		return nil, nil
	}
	got := make([]*SignatureAccepted, len(tls12Schemes))
	odd := make([]string, len(tls12Schemes))
	var wg sync.WaitGroup
	for i, sc := range tls12Schemes {
		kind := suiteKeyType12(sc)
		suites := slices.DeleteFunc(slices.Clone(signed), func(s uint16) bool { return keyTypeOf(s) != kind })
		if len(suites) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := probe(&hello{version: wire.VersionTLS12, suites: suites, groups: ecGroups, schemes: []uint16{sc}, wantKeyExchange: true})
			if a.outcome != Accepted || a.version() != wire.VersionTLS12 || a.keyExchange == nil || !a.keyExchange.HasScheme {
				return
			}
			if a.keyExchange.Scheme != sc {
				odd[i] = "offered " + schemeName(sc) + ", signed with " + schemeName(a.keyExchange.Scheme)
				return
			}
			got[i] = &SignatureAccepted{Version: wire.VersionTLS12, Scheme: sc, Suite: a.hello.CipherSuite}
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != nil {
			accepted = append(accepted, *got[i])
		}
		if odd[i] != "" {
			mismatched = append(mismatched, odd[i])
		}
	}
	return accepted, mismatched
}
