package scan

import (
	"context"
	"slices"
	"sync"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// tls13Schemes are the schemes a TLS 1.3 CertificateVerify may use (RFC
// 8446, Section 4.2.3; RFC 8734 for brainpool), each offered alone in a
// full handshake.
var tls13Schemes = []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x081a, 0x081b, 0x081c}

// engineGroups are the groups the engine has a key exchange for.
var engineGroups = []uint16{29, 23, 24, 25, 256, 257, 258, 259, 260, 0x11EC, 0x11EB, 0x11ED}

// schemeKeyType names the kind of key a TLS 1.3 signature scheme signs
// with.
func schemeKeyType(s uint16) string {
	switch {
	case s == 0x0807:
		return "Ed25519"
	case s == 0x0808:
		return "Ed448"
	case s >= 0x0804 && s <= 0x0806:
		return "RSA"
	case s >= 0x0809 && s <= 0x080b:
		return "RSA-PSS"
	}
	return "ECDSA"
}

// tls13Config returns the engine's settings for a full TLS 1.3 handshake
// with the server: TLS 1.3 alone, the suites and groups the probes found
// (those the engine has), no check of the chain (it is judged apart).
// TLS13Suites is empty when the engine has none of the suites found: no
// handshake can then be made.
func tls13Config(r *Result, serverName string) *handshake.Config {
	cfg := &handshake.Config{ServerName: serverName, MinVersion: wire.VersionTLS13, MaxVersion: wire.VersionTLS13}
	if vr := r.Version(wire.VersionTLS13); vr != nil {
		for _, s := range vr.Suites {
			if cs, ok := tlscrypt.SuiteByID(s); ok && cs.TLS13 {
				cfg.TLS13Suites = append(cfg.TLS13Suites, s)
			}
		}
	}
	for _, g := range r.Groups13 {
		if slices.Contains(engineGroups, g) {
			cfg.Groups = append(cfg.Groups, g)
		}
	}
	return cfg
}

// noEngineSuite13 says why no full TLS 1.3 handshake is made.
const noEngineSuite13 = "tlstrace's engine has none of the suites the server accepted in TLS 1.3"

// tls13Found is what the full TLS 1.3 handshakes showed.
type tls13Found struct {
	signatures []SignatureAccepted
	// unsure says which schemes' handshakes failed on this side.
	unsure []string
	chains []CertChain
	ocsp   *Feature
	alpn   []string
	// unconfirmed says why TLS 1.3 is not confirmed: every answer to a
	// probe was a HelloRetryRequest and no full handshake completed.
	unconfirmed string
}

// scanTLS13 makes full TLS 1.3 handshakes: one per signature scheme
// offered alone (the scheme of the CertificateVerify, the chain of each
// kind of key, stapled OCSP), and, when the server speaks no version in
// which the ALPN probes read the choice in the clear, one per ALPN
// protocol offered alone.
func scanTLS13(ctx context.Context, r *Result, p *prober, o *Options) tls13Found {
	var f tls13Found
	if vr := r.Version(wire.VersionTLS13); vr == nil || vr.Outcome != Accepted {
		return f
	}
	base := tls13Config(r, o.ServerName)
	if len(base.TLS13Suites) == 0 {
		f.unsure = append(f.unsure, "no full TLS 1.3 handshake was made: "+noEngineSuite13)
		return f
	}
	results := make([]fullResult, len(tls13Schemes))
	var wg sync.WaitGroup
	for i, sc := range tls13Schemes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := *base
			cfg.SignatureSchemes = []uint16{sc}
			results[i] = p.handshake(ctx, &cfg, false)
		}()
	}
	needALPN := !slices.ContainsFunc(r.Versions, func(vr VersionResult) bool {
		return vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10 && vr.Version <= wire.VersionTLS12
	})
	chosen := make([]bool, len(alpnProtocols))
	if needALPN {
		for i, proto := range alpnProtocols {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cfg := *base
				cfg.ALPN = []string{proto}
				fr := p.handshake(ctx, &cfg, false)
				chosen[i] = fr.outcome == Accepted && fr.state.ALPN == proto
			}()
		}
	}
	wg.Wait()
	for i, ok := range chosen {
		if ok {
			f.alpn = append(f.alpn, alpnProtocols[i])
		}
	}
	if !slices.ContainsFunc(results, func(fr fullResult) bool { return fr.outcome == Accepted }) {
		why := reason(answer{outcome: results[0].outcome, err: results[0].err})
		f.unsure = append(f.unsure, "no full TLS 1.3 handshake completed, though the server answers TLS 1.3 hellos: "+why)
		if r.Version(wire.VersionTLS13).RetryOnly {
			f.unconfirmed = "every full handshake failed: " + why
		}
	}
	seen := map[string]bool{}
	var stapled, unstapled int
	for i, fr := range results {
		sc := tls13Schemes[i]
		switch {
		case fr.outcome == Accepted && fr.state.PeerSignatureScheme == sc:
			f.signatures = append(f.signatures, SignatureAccepted{Version: wire.VersionTLS13, Scheme: sc})
		case fr.outcome == Accepted:
			f.unsure = append(f.unsure, "offered "+schemeName(sc)+", signed with "+schemeName(fr.state.PeerSignatureScheme))
			continue
		case fr.outcome != Refused || fr.ours:
			// Not the server's refusal: the handshake timed out, or
			// stopped on this side (a key or signature the engine
			// cannot check).
			f.unsure = append(f.unsure, schemeName(sc)+": "+fr.err.Error())
			continue
		default:
			continue
		}
		if len(fr.state.OCSPResponse) > 0 {
			stapled++
		} else {
			unstapled++
		}
		if len(fr.state.PeerCertificates) == 0 || seen[string(fr.state.PeerCertificates[0].Raw)] {
			continue
		}
		seen[string(fr.state.PeerCertificates[0].Raw)] = true
		cc := CertChain{KeyType: keyLabel(fr.state.PeerCertificates[0], schemeKeyType(sc)), Version: wire.VersionTLS13, Certs: fr.state.PeerCertificates, Staple: fr.state.OCSPResponse}
		cc.Verdict, _, _ = chain.Peer(0, cc.Certs, chain.Options{Roots: o.Roots, Name: o.certName(), At: o.At, TrustWith: o.TrustWith})
		f.chains = append(f.chains, cc)
	}
	if stapled+unstapled > 0 {
		ocsp := &Feature{Name: "ocsp_stapling", Version: wire.VersionTLS13, Known: true, Supported: stapled > 0}
		switch {
		case unstapled == 0:
			ocsp.Detail = "the Certificate's leaf entry carries an OCSP response (status_request, RFC 8446, Section 4.4.2.1)"
		case stapled == 0:
			ocsp.Detail = "the Certificate's leaf entry carries no OCSP response, though the hello asked with status_request"
		default:
			ocsp.Detail = "some chains' leaf entries carry an OCSP response, others do not"
		}
		f.ocsp = ocsp
	}
	return f
}
