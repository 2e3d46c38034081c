package chain

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"slices"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Peer verifies the chain a TLS server sent (leaf first) as a TLS client
// does, for every view of a connection: the live client and the reader of
// a capture. It returns the verification, the link events of connection
// conn (one per certificate explained, leaf first) and the verify payload:
// the host checked, the chain as sent and, when it verified, the path. The
// caller adds what only it checks (pins, OCSP) and settles the verdict
// words; the verdict itself is r.Valid, crypto/x509's. With no
// certificate, r is nil and there are no links.
func Peer(conn int, certs []*x509.Certificate, o Options) (r *Result, links []*trace.Event, p *trace.Verify) {
	p = &trace.Verify{Host: o.Name, Chain: []trace.CertSummary{}}
	for _, c := range certs {
		p.Chain = append(p.Chain, Summary(c))
	}
	if len(certs) == 0 {
		return nil, nil, p
	}
	o.Intermediates = append(o.Intermediates[:len(o.Intermediates):len(o.Intermediates)], certs[1:]...)
	r = Verify(certs[0], o)
	for _, ev := range r.Events(conn) {
		if ev.Type == trace.TypeLink {
			links = append(links, ev)
		}
	}
	p.Warnings = r.Warnings
	if r.Valid {
		if w := outOfOrder(certs); w != nil {
			p.Warnings = append(slices.Clip(p.Warnings), *w)
		}
	}
	if r.Valid {
		p.VerifiedChain = []string{}
		for _, l := range r.Links {
			p.VerifiedChain = append(p.VerifiedChain, dn.Subject(l.Cert))
		}
	}
	return r, links, p
}

// Summary is a certificate as the verify event lists what a peer sent.
func Summary(c *x509.Certificate) trace.CertSummary {
	s := trace.CertSummary{
		Subject:            dn.Subject(c),
		Issuer:             dn.Issuer(c),
		NotBefore:          c.NotBefore,
		NotAfter:           c.NotAfter,
		PublicKey:          KeyDescription(c),
		SignatureAlgorithm: SignatureName(c),
	}
	if len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		s.SANs = append([]string{}, c.DNSNames...)
		for _, ip := range c.IPAddresses {
			s.SANs = append(s.SANs, ip.String())
		}
	}
	return s
}

// outOfOrder warns of a chain sent out of order: a certificate after the
// leaf that is not the issuer of the one before it (by name). TLS 1.2
// wants each to certify the one before it (RFC 5246, Section 7.4.2: MUST),
// TLS 1.3 asks it (RFC 8446, Section 4.4.2: SHOULD); crypto/x509, OpenSSL
// and browsers rebuild the path, stricter clients refuse the chain.
func outOfOrder(certs []*x509.Certificate) *trace.Warning {
	for i := 1; i < len(certs); i++ {
		if bytes.Equal(certs[i].RawSubject, certs[i-1].RawIssuer) {
			continue
		}
		return &trace.Warning{
			Cause: fmt.Sprintf("the server sends its chain out of order: certificate [%d] %q did not issue certificate [%d] %q, which was issued by %q (TLS wants each certificate followed by its issuer; this client rebuilt the path, stricter ones refuse it)",
				i, dn.Subject(certs[i]), i-1, dn.Subject(certs[i-1]), dn.Issuer(certs[i-1])),
			Fix: "list the server's chain leaf first, each certificate followed by the one that issued it, and leave out certificates the path does not use",
		}
	}
	return nil
}
