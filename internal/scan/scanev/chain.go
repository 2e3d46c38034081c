package scanev

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
	"golang.org/x/crypto/ocsp"
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
	// it does not say revoked: invalid, unknown, stale or not yet valid.
	Refused bool
	// Text says the status ("good", "revoked on …", "invalid: …").
	Text string
	// Issuer is the leaf's issuer the response was checked against, nil
	// when none was found.
	Issuer *x509.Certificate
}

// StapleStatus reads the stapled response against the leaf and its
// issuer (RFC 6960: the issuer signs it, itself or through a responder
// it certified). The issuer is the one the verifier's path gives the leaf
// (from the chain, the trusted roots or the system's), else the chain's
// second certificate: a server may send its leaf alone when the issuer
// is a root.
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
	at := time.Now()
	if v := p.Verdict; v != nil && !v.At.IsZero() {
		at = v.At
	}
	resp, err := chain.ParseStaple(p.Staple, p.Certs[0], issuer, at)
	if err != nil {
		return Staple{Refused: true, Text: "invalid: " + err.Error(), Issuer: issuer}
	}
	if resp.Status == ocsp.Revoked {
		// Whatever its times, as the client judges it.
		return Staple{Revoked: true, Text: "revoked on " + resp.RevokedAt.UTC().Format(time.RFC3339), Issuer: issuer}
	}
	status := "good"
	if resp.Status != ocsp.Good {
		status = "unknown"
	}
	if err := chain.CheckStapleTimes(resp, at); err != nil {
		var se *chain.StapleError
		switch errors.As(err, &se); {
		case se != nil && se.Problem == chain.StapleStale:
			status += " but stale: "
		case se != nil && se.Problem == chain.StapleNotYetValid:
			status += " but not yet valid: "
		default:
			status = "invalid: "
		}
		return Staple{Refused: true, Text: status + err.Error(), Issuer: issuer}
	}
	return Staple{Refused: status != "good", Text: status, Issuer: issuer}
}
