package chain

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// StapleIssuerNotSent is the status of a response a client that requires
// one cannot check because the server did not send the leaf's issuer.
const StapleIssuerNotSent = "not checked: the issuer was not sent"

// StapleVerdict is a stapled OCSP response as a client judges it
// (JudgeStaple).
type StapleVerdict struct {
	// Status is "good", "revoked", "revoked after the time", "unknown",
	// "invalid", "good but stale", "good but not yet valid" ("unknown
	// but …" likewise), StapleIssuerNotSent or "not checked: the issuer
	// is unknown".
	Status string
	// Response is the response read, nil when it was not.
	Response *ocsp.Response
	// Revoked reports whether it says the leaf was revoked at the time
	// judged: it fails the chain for any client.
	Revoked bool
	// Problem is why the response itself is not usable (a *StapleError:
	// invalid, stale, not yet valid), nil otherwise.
	Problem error
	// Err says why it is not good (nil when it is); Fix is what the
	// server's operator must do about it. A client that requires a good
	// response refuses the connection for any Err.
	Err error
	Fix string
}

// JudgeStaple judges a stapled OCSP response (RFC 6960, raw not empty)
// about the leaf certs[0] (certs the chain the server sent) as a client
// does: against issuer, the leaf's issuer as the verifier found it,
// which must have signed it (itself or through a delegated responder it
// certified), at the time at (zero: now), the time its chain is judged
// at: the responder's certificate and the response's own times are held
// to it. A revoked status is Revoked whatever the response's times (the
// issuer said so, and a revocation is not taken back), unless at is given
// and the revocation is dated after it: the certificate was not revoked
// then. asCurl judges it as curl --cert-status does, which also needs the
// issuer among the certificates the server sent (IssuerSent): curl makes
// the CertID it looks the certificate up by with the issuer it finds
// there, and fails when there is none, even when the issuer is a trusted
// root; without asCurl, the response is read with issuer alone, so that
// a revocation is not missed.
func JudgeStaple(raw []byte, certs []*x509.Certificate, issuer *x509.Certificate, at time.Time, asCurl bool) StapleVerdict {
	leaf := certs[0]
	if issuer == nil {
		return StapleVerdict{Status: "not checked: the issuer is unknown",
			Err: errors.New("cannot check the stapled OCSP response: the issuer of the certificate is unknown"),
			Fix: "the server must send the intermediate certificate that issued its certificate along with it"}
	}
	now := at
	if now.IsZero() {
		now = time.Now()
	}
	resp, err := ParseStaple(raw, leaf, issuer, now)
	if err != nil {
		return StapleVerdict{Status: "invalid", Problem: err, Err: fmt.Errorf("the stapled OCSP response is invalid: %w", err), Fix: stapleFix(err)}
	}
	const revokedFix = "the server's operator must replace the certificate with a new one (and a new key, if it was compromised)"
	if resp.Status == ocsp.Revoked && !at.IsZero() && resp.RevokedAt.After(at) {
		// The issuer's word holds, and it says the certificate was good
		// until then.
		return StapleVerdict{Status: "revoked after the time", Response: resp,
			Err: fmt.Errorf("the stapled OCSP response says the certificate %q was revoked on %s, after the time the chain is judged at (%s): it was not revoked then",
				dn.Subject(leaf), resp.RevokedAt.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339)),
			Fix: revokedFix}
	}
	if resp.Status == ocsp.Revoked {
		reason := ""
		if r, ok := revocationReasons[resp.RevocationReason]; ok && resp.RevocationReason != ocsp.Unspecified {
			reason = ", reason " + r
		}
		return StapleVerdict{Status: "revoked", Response: resp, Revoked: true,
			Err: fmt.Errorf("the certificate %q was revoked on %s%s: the OCSP response the server stapled says so, signed by its issuer %q",
				dn.Subject(leaf), resp.RevokedAt.UTC().Format(time.RFC3339), reason, dn.Subject(issuer)),
			Fix: revokedFix}
	}
	if asCurl && IssuerSent(certs) == nil {
		// curl (Curl_ossl_verifystatus) makes the CertID it looks the
		// certificate up by with the first certificate of the chain the
		// server sent that issued it (X509_check_issued), and fails
		// when there is none, even when the issuer is a trusted root:
		// a client that requires a response is refused so.
		return StapleVerdict{Status: StapleIssuerNotSent, Response: resp,
			Err: fmt.Errorf("the stapled OCSP response cannot be checked as curl checks a response it requires: the server did not send the certificate of the issuer %q, and curl looks for the issuer, which the response must name with the certificate, only among the certificates the server sent, not among the trusted ones",
				dn.Subject(issuer)),
			Fix: fmt.Sprintf("the server must send the certificate of its issuer %q after its own, even when clients trust it as a root, for a client that checks the stapled response to find it (nginx ssl_certificate and Apache SSLCertificateFile: the certificate followed by its issuer's)", dn.Subject(issuer))}
	}
	status := "good"
	if resp.Status != ocsp.Good {
		status = "unknown"
	}
	if err := CheckStapleTimes(resp, now); err != nil {
		var se *StapleError
		switch errors.As(err, &se); {
		case se != nil && se.Problem == StapleStale:
			status += " but stale"
		case se != nil && se.Problem == StapleNotYetValid:
			status += " but not yet valid"
		default:
			status = "invalid"
		}
		return StapleVerdict{Status: status, Response: resp, Problem: err, Err: fmt.Errorf("the stapled OCSP response is not usable: %w", err), Fix: stapleFix(err)}
	}
	if resp.Status == ocsp.Good {
		return StapleVerdict{Status: status, Response: resp}
	}
	return StapleVerdict{Status: status, Response: resp,
		Err: errors.New("the stapled OCSP response says the certificate's status is unknown: the responder does not know it"),
		Fix: "the server must staple the response its issuer's OCSP responder gives for the certificate it sends (one for another certificate says unknown; a new certificate may be unknown to the responder for a while)"}
}

// stapleFix is the fix for a stapled response chain refuses (a
// *StapleError), "" for another error.
func stapleFix(err error) string {
	var se *StapleError
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Problem {
	case StapleMalformed:
		return "the server must staple a well-formed OCSP response for the certificate it sends: check what its stapling serves (a response file, as given to nginx ssl_stapling_file or openssl s_server -status_file, may be broken or for another certificate)"
	case StapleOtherCertificate:
		return "the server must staple the response its issuer's OCSP responder gives for the certificate it sends, asked about it alone with a SHA-1 CertID (as nginx, Apache and openssl ocsp ask by default): check what its stapling serves (a response file, as given to nginx ssl_stapling_file or openssl s_server -status_file, may be about another certificate, or another issuer's with the same serial)"
	case StapleSigner:
		return "the server must staple a response signed by its certificate's issuer or by a responder the issuer certified for OCSP signing: fetch it from the responder the certificate names (openssl x509 -noout -ocsp_uri), not from another CA's"
	case StapleResponderValidity:
		return "the CA must renew its OCSP responder's certificate (or this machine's clock is wrong), and the server must then staple a fresh response signed with it"
	case StapleNotYetValid:
		return "check the clocks: this machine's, and the OCSP responder's, which dated the response ahead of it"
	case StapleStale:
		return "the server must staple a fresh response: check its OCSP stapling refresh (nginx ssl_stapling and the resolver it needs to reach the responder, Apache SSLUseStapling; a response file, as given to nginx ssl_stapling_file or openssl s_server -status_file, is served until it is replaced), and this machine's clock"
	}
	return ""
}

// revocationReasons name the CRLReason codes (RFC 5280, Section 5.3.1).
var revocationReasons = map[int]string{
	ocsp.Unspecified: "unspecified", ocsp.KeyCompromise: "keyCompromise", ocsp.CACompromise: "cACompromise",
	ocsp.AffiliationChanged: "affiliationChanged", ocsp.Superseded: "superseded", ocsp.CessationOfOperation: "cessationOfOperation",
	ocsp.CertificateHold: "certificateHold", ocsp.RemoveFromCRL: "removeFromCRL", ocsp.PrivilegeWithdrawn: "privilegeWithdrawn",
	ocsp.AACompromise: "aACompromise",
}
