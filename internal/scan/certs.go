package scan

import (
	"cmp"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// keyTypeOf returns the authentication of a TLS 1.0-1.2 suite: RSA,
// ECDSA, DSS, or "" for the others (PSK, anonymous, static DH/ECDH).
func keyTypeOf(s uint16) string {
	n := wire.CipherSuiteName(s)
	switch k := wire.CipherSuiteKeyExchange(s); {
	case k == wire.KexRSA, (k == wire.KexDHE || k == wire.KexECDHE) && strings.Contains(n, "_RSA_"):
		return "RSA"
	case k == wire.KexECDHE && strings.Contains(n, "_ECDSA_"):
		return "ECDSA"
	case k == wire.KexDHE && strings.Contains(n, "_DSS_"):
		return "DSS"
	}
	return ""
}

// keyLabel names the kind of the leaf's key: RSA, RSA-PSS, ECDSA,
// Ed25519, Ed448 or DSA. Neither the suite nor the scheme that got the
// chain says it: ECDHE_ECDSA suites also take an Ed25519 or Ed448
// certificate (RFC 8422, Section 5.3). fallback names a key of no kind
// known.
func keyLabel(leaf *x509.Certificate, fallback string) string {
	d := chain.KeyDescription(leaf)
	if strings.HasPrefix(d, "unknown") || strings.HasPrefix(d, "X") {
		return fallback
	}
	kind, _, _ := strings.Cut(d, " ")
	return kind
}

// scanCerts gets the chain the server sends for each kind of key it
// accepted suites for, in the highest version from TLS 1.0 to 1.2 it
// speaks (in TLS 1.3 the chain is encrypted), and verifies each.
func scanCerts(r *Result, o *Options, probe func(*hello) answer) []CertChain {
	var v uint16
	var suites []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10 && vr.Version <= wire.VersionTLS12 {
			v, suites = vr.Version, vr.Suites
		}
	}
	byType := map[string][]uint16{}
	for _, s := range suites {
		if k := keyTypeOf(s); k != "" {
			byType[k] = append(byType[k], s)
		}
	}
	var out []CertChain
	for _, k := range []string{"RSA", "ECDSA", "DSS"} {
		if len(byType[k]) == 0 {
			continue
		}
		cc := CertChain{KeyType: k, Version: v}
		// status_request (RFC 6066, Section 8): a server that staples
		// sends its OCSP response after the chain.
		a := probe(&hello{version: v, suites: byType[k], groups: ecGroups, wantCert: true, extra: []wire.Extension{wire.StatusRequestExtension()}})
		switch {
		case a.outcome != Accepted:
			cc.Err = "the probe for the chain was not accepted: " + reason(a)
		case len(a.certs) == 0:
			cc.Err = "the server sent no certificate"
		}
		for i, der := range a.certs {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				cc.Err = fmt.Sprintf("%s does not parse: %v", wire.CertificatePlace(i), err)
				cc.Certs = nil
				break
			}
			cc.Certs = append(cc.Certs, c)
		}
		if len(cc.Certs) > 0 {
			cc.Verdict, _, _ = chain.Peer(0, cc.Certs, chain.Options{Roots: o.Roots, Name: o.certName(), At: o.At, TrustWith: o.TrustWith})
			cc.Staple = a.staple
			cc.KeyType = keyLabel(cc.Certs[0], k)
		}
		out = append(out, cc)
	}
	return out
}

// oidTLSFeature is the TLS Feature extension (RFC 7633), which with
// status_request (5) makes a certificate must-staple.
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// mustStaple reports whether c's TLS Feature extension lists
// status_request.
func mustStaple(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if _, err := asn1.Unmarshal(e.Value, &features); err == nil && slices.Contains(features, 5) {
			return true
		}
	}
	return false
}

// certFindings are the findings about the chains.
func certFindings(r *Result) []Finding {
	var out []Finding
	at := r.At
	for _, cc := range r.Chains {
		if len(cc.Certs) == 0 || cc.Verdict == nil {
			continue
		}
		leaf := cc.Certs[0]
		if !cc.Verdict.Valid {
			out = append(out, finding(High, "untrusted-chain", "the "+cc.KeyType+" chain is not trusted",
				cc.Verdict.Cause, cc.Verdict.Fix))
		}
		if len(cc.Staple) > 0 {
			switch st := cc.StapleStatus(); {
			case st.Revoked:
				out = append(out, finding(Critical, "revoked", "the "+cc.KeyType+" certificate is revoked",
					fmt.Sprintf("the OCSP response the server staples, signed for its issuer %q, says %s was %s", dn.Subject(st.Issuer), dn.Subject(leaf), st.Text),
					"replace the certificate with a new one (and a new key, if it was compromised)"))
			case st.IssuerNotSent:
				// Firefox finds the issuer among the roots: only
				// the clients that check the response as curl does
				// refuse it, must-staple or not.
				out = append(out, finding(Low, "bad-staple", "the "+cc.KeyType+" chain's stapled OCSP response cannot be checked: the server does not send the leaf's issuer",
					fmt.Sprintf("the server sends %s without the certificate of its issuer %q, and curl checking the certificate status, like other clients that check the stapled OCSP response with OpenSSL, looks for the issuer, which the response names with the certificate, only among the certificates the server sent, not among the trusted ones: it refuses the connection", dn.Subject(leaf), dn.Subject(st.Issuer)),
					st.Fix))
			case st.Refused:
				// Low, unless the certificate asks its clients to
				// require a good staple (must-staple): then they
				// refuse the server.
				sev, who := Low, "a client that requires a good one (curl checking the certificate status) refuses the connection"
				if mustStaple(leaf) {
					sev, who = High, "the certificate is must-staple (RFC 7633), so clients that honour it (Firefox) refuse the connection"
				}
				out = append(out, finding(sev, "bad-staple", "the "+cc.KeyType+" chain's stapled OCSP response is not a good one",
					fmt.Sprintf("the OCSP response the server staples for %s is %s: %s", dn.Subject(leaf), st.Text, who),
					cmp.Or(st.Fix, "have the server fetch a fresh response from the CA's responder and staple that (nginx: ssl_stapling on with a resolver; Apache: SSLUseStapling), rather than a file that is not renewed")))
			}
		}
		for _, w := range cc.Verdict.Warnings {
			out = append(out, finding(Low, "chain-warning", "the "+cc.KeyType+" chain is trusted with a warning", w.Cause, w.Fix))
		}
		if left := leaf.NotAfter.Sub(at); left >= 0 && left < 30*24*time.Hour {
			out = append(out, finding(Medium, "expires-soon", "the "+cc.KeyType+" certificate expires within 30 days",
				fmt.Sprintf("%s expires on %s", dn.Subject(leaf), leaf.NotAfter.UTC().Format(time.RFC3339)),
				"renew the certificate (automate it: ACME)"))
		}
		for i, c := range cc.Certs {
			if slices.Contains([]x509.SignatureAlgorithm{x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA}, c.SignatureAlgorithm) && !isSelfSigned(c) {
				out = append(out, finding(Medium, "weak-signature", "a certificate of the "+cc.KeyType+" chain is signed with "+c.SignatureAlgorithm.String(),
					fmt.Sprintf("certificate %d (%s) is signed with %s, whose collisions are practical (SHAttered)", i, dn.Subject(c), c.SignatureAlgorithm),
					"reissue it signed with SHA-256"))
			}
		}
	}
	return out
}

// isSelfSigned reports whether c is self-issued: a root's own signature
// is not relied on.
func isSelfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject)
}
