package chain

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"fmt"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// FileEvent returns the event of connection n that shows certificate c,
// read from the file name in format: its fields as Describe gives them,
// after the file's name and format.
func FileEvent(n int, c *x509.Certificate, name, format string) *trace.Event {
	f := Describe(c)
	f.Children = append([]*field.Node{
		{Name: "file", Kind: field.String, Str: name},
		{Name: "format", Kind: field.String, Str: format},
	}, f.Children...)
	return trace.NewEvent(n, trace.Local, &trace.CertificateInfo{Subject: dn.Subject(c), Issuer: dn.Issuer(c),
		NotAfter: c.NotAfter, Fields: f})
}

// Events returns the explanation as events of layer x509: one "link" per
// certificate, leaf first, then the "verdict".
func (r *Result) Events(conn int) []*trace.Event {
	var out []*trace.Event
	for i, l := range r.Links {
		p := &trace.Link{
			Depth:              i,
			Role:               l.Role,
			Subject:            dn.Subject(l.Cert),
			Issuer:             dn.Issuer(l.Cert),
			Serial:             fmt.Sprintf("%x", l.Cert.SerialNumber),
			PublicKey:          KeyDescription(l.Cert),
			SignatureAlgorithm: SignatureName(l.Cert),
			TrustedRoot:        l.Trusted,
		}
		if l.Issuer != nil && l.Issuer != l.Cert {
			p.IssuerPublicKey = KeyDescription(l.Issuer)
		}
		if l.TBSHash != nil {
			p.TBSHash = l.Hash + " " + hex.EncodeToString(l.TBSHash)
		}
		if l.Recovered != nil {
			p.SignedDigest = hex.EncodeToString(l.Recovered)
			if bytes.Equal(l.Recovered, l.TBSHash) {
				p.DigestNote = "recovered from the signature with the issuer's public key; equals the TBS hash"
			} else {
				p.DigestNote = "recovered from the signature with the issuer's public key; differs from the TBS hash"
			}
		}
		for _, c := range l.Checks {
			p.Checks = append(p.Checks, trace.Check{Name: c.Name, OK: c.OK, Detail: c.Detail})
		}
		out = append(out, trace.NewEvent(conn, trace.Local, p))
	}
	ev := trace.NewEvent(conn, trace.Local, &trace.Verdict{Valid: r.Valid, Name: r.Name, At: r.At, Cause: r.Cause, Fix: r.Fix,
		OCSP: r.OCSP, OCSPCause: r.OCSPCause, OCSPFix: r.OCSPFix})
	if !r.Valid {
		ev.Error = r.Cause
	}
	return append(out, ev)
}
