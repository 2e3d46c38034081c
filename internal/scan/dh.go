package scan

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// finiteFieldDH reports whether suite s has a DHE or DH_anon key exchange,
// whose ServerKeyExchange carries the group's prime.
func finiteFieldDH(s uint16) bool {
	k := wire.CipherSuiteKeyExchange(s)
	return k == wire.KexDHE || k == wire.KexDHAnon
}

// scanDH reads the DHE group of each version from SSL 3.0 to TLS 1.2 in
// which the server accepted DHE or DH_anon suites: one probe offering
// those suites reads on to the ServerKeyExchange.
func scanDH(r *Result, probe func(*hello) answer) []DHGroup {
	var out []DHGroup
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, vr := range r.Versions {
		if vr.Outcome != Accepted || vr.Version < wire.VersionSSL30 || vr.Version > wire.VersionTLS12 {
			continue
		}
		suites := slices.DeleteFunc(slices.Clone(vr.Suites), func(s uint16) bool { return !finiteFieldDH(s) })
		if len(suites) == 0 {
			continue
		}
		v := vr.Version
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := DHGroup{Version: v}
			var groups []uint16
			if v != wire.VersionSSL30 {
				groups = ecGroups
			}
			a := probe(&hello{version: v, suites: suites, groups: groups, wantKeyExchange: true})
			switch {
			case a.outcome != Accepted:
				g.Err = "the probe was not accepted: " + reason(a)
			case a.version() != v || !slices.Contains(suites, a.hello.CipherSuite):
				g.Err = fmt.Sprintf("the server chose %s with %s", wire.VersionName(a.version()), suiteName(a.hello.CipherSuite))
			case a.keyExchange == nil || a.keyExchange.DHPrimeBits == 0:
				g.Suite = a.hello.CipherSuite
				g.Err = "the server sent no ServerKeyExchange with a DH prime"
			default:
				g.Suite, g.Bits = a.hello.CipherSuite, a.keyExchange.DHPrimeBits
			}
			mu.Lock()
			out = append(out, g)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b DHGroup) int { return int(a.Version) - int(b.Version) })
	return out
}

// dhFindings is the dh-small finding: a DHE group under 2048 bits (high
// under 1024, which Logjam showed within reach of precomputation).
func dhFindings(r *Result) []Finding {
	small := 0
	var where []string
	for _, g := range r.DH {
		if g.Bits == 0 || g.Bits >= 2048 {
			continue
		}
		if small == 0 || g.Bits < small {
			small = g.Bits
		}
		where = append(where, fmt.Sprintf("%d bits in %s (%s)", g.Bits, wire.VersionName(g.Version), suiteName(g.Suite)))
	}
	if small == 0 {
		return nil
	}
	sev, why := Medium, "a prime under 2048 bits gives less than the 112-bit security current guidance asks (NIST SP 800-57), and 1024-bit primes are within reach of a state-level precomputation (Logjam, CVE-2015-4000)"
	if small < 1024 {
		sev, why = High, "a prime this small is within reach of the precomputation of the Logjam attack (CVE-2015-4000), after which each session is broken quickly"
	}
	return []Finding{finding(sev, "dh-small", fmt.Sprintf("the DHE group is %d bits", small),
		"the ServerKeyExchange's prime (dh_p) is "+strings.Join(where, ", ")+"; "+why,
		"use a 2048-bit or larger group (RFC 7919's ffdhe2048: nginx ssl_dhparam with a 2048-bit file, openssl s_server -dhparam), or drop the DHE suites for ECDHE")}
}
