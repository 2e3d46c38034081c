package scanev

import (
	"crypto/x509"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// CertChain is a certificate chain the server sent for one kind of key,
// verified and explained by package chain.
type CertChain struct {
	// KeyType is the kind of the leaf's key (RSA, RSA-PSS, ECDSA,
	// Ed25519, Ed448, DSA); when no leaf was read, or its key is of no
	// kind known, the authentication of the suites offered to get it
	// (RSA, ECDSA or DSS) or of the TLS 1.3 signature scheme offered.
	KeyType string
	// Version is the version of the handshake that got it.
	Version uint16
	// Certs is the chain as sent, leaf first.
	Certs []*x509.Certificate
	// Verdict is chain's verification, nil when the leaf did not parse.
	Verdict *chain.Result
	// Staple is the OCSP response stapled to the leaf (the
	// CertificateStatus after a TLS 1.0-1.2 chain, the leaf entry's
	// status_request in TLS 1.3), nil when none was.
	Staple []byte
	// Err says why the chain could not be read.
	Err string
}

func (*CertChain) Layer() string { return Layer }

func (*CertChain) Type() string { return "certificate_chain" }

func (p *CertChain) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("key_type", p.KeyType)
	if p.Version != 0 {
		f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	}
	l := f.Add(field.NewList("chain"))
	for _, c := range p.Certs {
		s := chain.Summary(c)
		o := l.Add(field.NewObject(""))
		o.AddString("subject", s.Subject)
		o.AddString("issuer", s.Issuer)
		o.AddString("public_key", s.PublicKey)
		o.AddString("signature_algorithm", s.SignatureAlgorithm)
		o.AddString("not_after", c.NotAfter.UTC().Format(time.RFC3339))
	}
	if v := p.Verdict; v != nil {
		f.AddBool("valid", v.Valid)
		if !v.Valid {
			f.AddString("cause", v.Cause)
			f.AddString("fix", v.Fix)
		}
	}
	if len(p.Staple) > 0 {
		f.AddString("ocsp_status", p.StapleStatus().Text)
	}
	if p.Err != "" {
		f.AddString("error", p.Err)
	}
	return f
}

// Staple is what a stapled OCSP response says of the leaf.
type Staple struct {
	// Revoked reports whether it says the leaf is revoked.
	Revoked bool
	// Refused reports whether a client that requires a good response
	// (curl --cert-status, a must-staple certificate) refuses it though
	// it does not say revoked: invalid, unknown, stale or not yet valid,
	// or (IssuerNotSent) about a leaf whose issuer the server did not
	// send.
	Refused bool
	// IssuerNotSent reports whether it is refused because the server
	// sent the leaf without its issuer: curl, and clients that check it
	// as curl does with OpenSSL, look for the issuer among the
	// certificates the server sent only.
	IssuerNotSent bool
	// Text says the status ("good", "revoked on …", "invalid: …").
	Text string
	// Cause and Fix say why a client that requires a good response
	// refuses it, and what the server's operator must do ("" when it is
	// good).
	Cause, Fix string
	// Issuer is the leaf's issuer the response was checked against, nil
	// when none was found.
	Issuer *x509.Certificate
}

// StapleStatus reads the stapled response against the leaf and its
// issuer as a client that requires a good response judges it
// (chain.JudgeStaple, as curl --cert-status: RFC 6960, the issuer signs
// it, itself or through a responder it certified; the issuer must be
// among the certificates the server sent). The issuer is the one the
// verifier's path gives the leaf (from the chain, the trusted roots or
// the system's), else the chain's second certificate: a response saying
// revoked is read with it even when the server sent the leaf alone.
func (p *CertChain) StapleStatus() Staple {
	if len(p.Certs) == 0 {
		return Staple{Text: "not checked: no leaf"}
	}
	var issuer *x509.Certificate
	if v := p.Verdict; v != nil && len(v.Links) > 0 && v.Links[0].Issuer != nil {
		issuer = v.Links[0].Issuer
	} else if len(p.Certs) >= 2 {
		issuer = p.Certs[1]
	}
	if issuer == nil {
		return Staple{Text: "not checked: the leaf's issuer is neither in the chain nor among the trusted roots"}
	}
	var at time.Time
	if v := p.Verdict; v != nil {
		at = v.At
	}
	j := chain.JudgeStaple(p.Staple, p.Certs, issuer, at, true)
	st := Staple{Revoked: j.Revoked, Refused: !j.Revoked && j.Err != nil, IssuerNotSent: j.Status == chain.StapleIssuerNotSent, Text: j.Status, Issuer: issuer}
	if j.Err != nil {
		st.Cause, st.Fix = j.Err.Error(), j.Fix
	}
	switch {
	case j.Revoked:
		// Whatever its times, as the client judges it.
		st.Text = "revoked on " + j.Response.RevokedAt.UTC().Format(time.RFC3339)
	case j.Problem != nil:
		st.Text += ": " + j.Problem.Error()
	}
	return st
}
