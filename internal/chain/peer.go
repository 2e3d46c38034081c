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
// does, for every view of a connection: the live client, the reader of a
// capture and verify's judgement of a server. It returns the
// verification, the link events of connection conn (one per certificate
// explained, leaf first) and the verify payload: the host checked, the
// chain as sent, the warnings (those of Verify, and a chain sent out of
// order) and, when it verified, the path. The caller adds what only it
// checks (pins, OCSP) and settles the verdict words; the verdict itself
// is r.Valid, crypto/x509's, but for a path that needs one of
// o.Intermediates the server did not send (notSent). With no
// certificate, r is nil and there are no links.
func Peer(conn int, certs []*x509.Certificate, o Options) (r *Result, links []*trace.Event, p *trace.Verify) {
	p = &trace.Verify{Host: o.Name, Chain: []trace.CertSummary{}}
	for _, c := range certs {
		p.Chain = append(p.Chain, Summary(c))
	}
	if len(certs) == 0 {
		return nil, nil, p
	}
	given := o.Intermediates
	o.Intermediates = append(given[:len(given):len(given)], certs[1:]...)
	o.peer = true
	r = Verify(certs[0], o)
	if i := notSent(r, certs, given); i > 0 && r.Valid {
		// A path of the server's own certificates may do without it
		// (a cross-signed CA sent in another copy).
		sent := o
		sent.Intermediates = certs[1:]
		if alone := Verify(certs[0], sent); alone.Valid {
			r = alone
		} else {
			r.refuseNotSent(i, o.IntermediatesWith)
		}
	} else if i > 0 {
		r.Links[i].Checks = append(r.Links[i].Checks, notSentCheck(o.IntermediatesWith))
	}
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

// NotSentError is a server's chain that verifies only through an
// intermediate the server did not send, one the verifier was given
// (Options.Intermediates to Peer): clients that do not have it (curl and
// OpenSSL, "unable to get local issuer certificate"; Go) cannot build the
// path and refuse the server.
type NotSentError struct {
	// Cert is the intermediate not sent, Issued the certificate it
	// issued.
	Cert, Issued *x509.Certificate
}

func (e *NotSentError) Error() string {
	return fmt.Sprintf("the server does not send the intermediate %q that issued %q", dn.Subject(e.Cert), dn.Subject(e.Issued))
}

// notSent returns the depth of the first certificate of r's path, below
// its trust anchor, that the server did not send (certs) and the verifier
// was given (given); 0 when none.
func notSent(r *Result, certs, given []*x509.Certificate) int {
	for i := 1; i < len(r.Links); i++ {
		c := r.Links[i].Cert
		if r.Links[i].Trusted || slices.ContainsFunc(certs, c.Equal) {
			continue
		}
		if slices.ContainsFunc(given, c.Equal) {
			return i
		}
	}
	return 0
}

// refuseNotSent turns r, a path that verified through link i, which the
// server did not send, into a refusal, as curl and OpenSSL refuse the
// server: what is judged is what the server sends.
func (r *Result) refuseNotSent(i int, with string) {
	l := &r.Links[i]
	l.Checks = append(l.Checks, notSentCheck(with))
	err := &NotSentError{Cert: l.Cert, Issued: r.Links[i-1].Cert}
	r.Valid, r.Err, r.Warnings = false, err, nil
	r.Cause = fmt.Sprintf("%s: the chain verifies only with %s; clients without it (curl and OpenSSL: unable to get local issuer certificate; Go: certificate signed by unknown authority) refuse the server",
		err, givenCopy(with))
	r.Fix = fmt.Sprintf("the server must send %q after the certificate it signed: add it to the server's chain file", dn.Subject(l.Cert))
}

// notSentCheck is the failed check of an intermediate the server did not
// send.
func notSentCheck(with string) Check {
	return Check{Name: "sent", OK: false, Detail: fmt.Sprintf("not sent by the server: %s completes the path, which clients without it cannot build", givenCopy(with))}
}

// givenCopy says where the verifier's copy of an intermediate came from.
func givenCopy(with string) string {
	if with == "" {
		return "the copy the verifier was given"
	}
	return "the copy given with " + with
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
