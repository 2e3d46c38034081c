package scan

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tlstrace/tlstrace/internal/handshake"
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
				g.Known, _, _ = handshake.KnownDHGroup(a.keyExchange.DHPrime, a.keyExchange.DHGenerator)
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

// ffdheGroups are the RFC 7919 groups, ffdhe2048 to ffdhe8192.
var ffdheGroups = []uint16{256, 257, 258, 259, 260}

// scanFFDHE asks, in TLS 1.2 when the server accepted DHE suites there,
// whether it uses an RFC 7919 group when the hello names them: one probe
// offering those suites with the five ffdhe groups alone in
// supported_groups reads on to the ServerKeyExchange, whose prime and
// generator are compared with the groups' (RFC 7919, Section 4: the
// server SHOULD pick one of them; one that does not know the extension's
// ffdhe values sends its own group). nil when no DHE suite was accepted
// in TLS 1.2.
func scanFFDHE(r *Result, probe func(*hello) answer) *FFDHE {
	vr := r.Version(wire.VersionTLS12)
	if vr == nil || vr.Outcome != Accepted {
		return nil
	}
	suites := slices.DeleteFunc(slices.Clone(vr.Suites), func(s uint16) bool { return wire.CipherSuiteKeyExchange(s) != wire.KexDHE })
	if len(suites) == 0 {
		return nil
	}
	f := &FFDHE{Version: wire.VersionTLS12}
	a := probe(&hello{version: wire.VersionTLS12, suites: suites, groups: ffdheGroups, wantKeyExchange: true})
	switch {
	case a.outcome != Accepted:
		f.Err = "the probe was not accepted: " + reason(a)
	case a.version() != wire.VersionTLS12 || !slices.Contains(suites, a.hello.CipherSuite):
		f.Err = fmt.Sprintf("the server chose %s with %s", wire.VersionName(a.version()), suiteName(a.hello.CipherSuite))
	case a.keyExchange == nil || a.keyExchange.DHPrimeBits == 0:
		f.Suite = a.hello.CipherSuite
		f.Err = "the server sent no ServerKeyExchange with a DH prime"
	default:
		f.Suite, f.Bits = a.hello.CipherSuite, a.keyExchange.DHPrimeBits
		var named uint16
		f.Known, named, _ = handshake.KnownDHGroup(a.keyExchange.DHPrime, a.keyExchange.DHGenerator)
		if slices.Contains(ffdheGroups, named) {
			f.Group = named
		}
	}
	return f
}

// dhFindings is the dh-small finding: a DHE group under 2048 bits (high
// under 1024, which Logjam showed within reach of precomputation).
func dhFindings(r *Result) []Finding {
	small, common := 0, 0
	var where []string
	for _, g := range r.DH {
		if g.Bits == 0 || g.Bits >= 2048 {
			continue
		}
		if small == 0 || g.Bits < small {
			small = g.Bits
		}
		if g.Known != "" && (common == 0 || g.Bits < common) {
			common = g.Bits
		}
		w := fmt.Sprintf("%d bits in %s (%s)", g.Bits, wire.VersionName(g.Version), suiteName(g.Suite))
		if g.Known != "" {
			w = fmt.Sprintf("%d bits in %s (%s), the published %s", g.Bits, wire.VersionName(g.Version), suiteName(g.Suite), g.Known)
		}
		where = append(where, w)
	}
	if small == 0 {
		return nil
	}
	sev, why := Medium, "a prime under 2048 bits gives less than the 112-bit security current guidance asks (NIST SP 800-57), and 1024-bit primes are within reach of a state-level precomputation (Logjam, CVE-2015-4000)"
	if small < 1024 {
		sev, why = High, "a prime this small is within reach of the precomputation of the Logjam attack (CVE-2015-4000), after which each session is broken quickly"
	}
	// A published (common) prime is what Logjam's precomputation is
	// worth doing for: one precomputation breaks every server that uses
	// it. testssl.sh rates a common prime of up to 800 bits critical, of
	// up to 1024 bits high (its out_common_prime).
	switch {
	case common > 0 && common <= 800:
		sev, why = Critical, "a published prime this small is shared by many servers, and its Logjam precomputation (CVE-2015-4000) is within reach of an academic team: each session is then broken quickly"
	case common > 0 && common <= 1024 && sev < High:
		sev, why = High, "a published 1024-bit prime is shared by many servers, which makes its Logjam precomputation (CVE-2015-4000) worth a state's while: one precomputation breaks the sessions of all of them"
	}
	return []Finding{finding(sev, "dh-small", fmt.Sprintf("the DHE group is %d bits", small),
		"the ServerKeyExchange's prime (dh_p) is "+strings.Join(where, ", ")+"; "+why,
		"use a 2048-bit or larger group (RFC 7919's ffdhe2048: nginx ssl_dhparam with a 2048-bit file, openssl s_server -dhparam), or drop the DHE suites for ECDHE")}
}
