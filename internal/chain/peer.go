package chain

import (
	"crypto/x509"

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
		p.VerifiedChain = []string{}
		for _, l := range r.Links {
			p.VerifiedChain = append(p.VerifiedChain, l.Cert.Subject.String())
		}
	}
	return r, links, p
}

// Summary is a certificate as the verify event lists what a peer sent.
func Summary(c *x509.Certificate) trace.CertSummary {
	s := trace.CertSummary{
		Subject:            c.Subject.String(),
		Issuer:             c.Issuer.String(),
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
