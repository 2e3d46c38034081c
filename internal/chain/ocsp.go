package chain

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// StapleProblem is what makes a stapled OCSP response unusable.
type StapleProblem int

const (
	// StapleMalformed: it does not parse, is not a successful response,
	// or its nextUpdate precedes its thisUpdate.
	StapleMalformed StapleProblem = iota + 1
	// StapleSigner: neither the leaf's issuer nor a responder it
	// certified for OCSP signing signed it, or its responder ID names
	// no certificate whose key did.
	StapleSigner
	// StapleResponderValidity: a delegated responder signed it whose
	// certificate is expired, or not yet valid, at the time of the check.
	StapleResponderValidity
	// StapleNotYetValid: its thisUpdate is later than the time of the
	// check, beyond StapleLeeway.
	StapleNotYetValid
	// StapleStale: its nextUpdate is past, beyond StapleLeeway.
	StapleStale
	// StapleOtherCertificate: it holds no answer about the leaf as
	// curl looks it up (a SHA-1 CertID of the leaf's serial and its
	// issuer's name and key), or it also answers about a certificate
	// of another issuer.
	StapleOtherCertificate
)

// StapleError says why a stapled OCSP response is not used.
type StapleError struct {
	Problem StapleProblem
	Err     error
}

func (e *StapleError) Error() string { return e.Err.Error() }

func (e *StapleError) Unwrap() error { return e.Err }

func stapleErrorf(p StapleProblem, format string, args ...any) *StapleError {
	return &StapleError{Problem: p, Err: fmt.Errorf(format, args...)}
}

// StapleLeeway is the clock skew allowed between a response's times and
// the time of the check: curl passes 300 seconds to OpenSSL's
// OCSP_check_validity (with no limit on a response's age), as openssl
// ocsp's -validity_period does by default.
const StapleLeeway = 5 * time.Minute

// ParseStaple reads a stapled OCSP response about leaf and checks that
// issuer, the CA that issued leaf, vouches for it at the time at (RFC 6960,
// Section 4.2.2.2), as curl does with OpenSSL's OCSP_basic_verify and
// OCSP_resp_find_status:
//
//   - the answer used is the first SingleResponse whose CertID is the one
//     curl makes for leaf (OCSP_cert_to_id with SHA-1: leaf's serial, and
//     the SHA-1 hashes of issuer's subject and of its public key); one
//     for another issuer's certificate with the same serial, or hashed
//     with another algorithm, is not it;
//   - every SingleResponse names issuer in its CertID (OpenSSL's
//     ocsp_check_issuer: a response about certificates of more than one
//     issuer is refused);
//   - its responder ID names the signer, by subject or by the SHA-1 hash
//     of its public key, among the certificates the response carries,
//     then issuer (OpenSSL's ocsp_find_signer, curl passing the chain the
//     server sent), and the signature verifies with that certificate's
//     key;
//   - the signer is issuer, whether or not the response carries issuer's
//     own certificate, or a delegated responder issued by issuer for
//     OCSP signing, and valid at at.
//
// The response's own times are CheckStapleTimes'. Errors are
// *StapleError.
//
// x/crypto/ocsp's ParseResponseForCert is not used: with an issuer it
// wants any embedded certificate to be signed by that issuer, so that it
// refuses the common response of a CA that signs with its own key and
// includes its own certificate (openssl ocsp -rsigner CA does so; OpenSSL
// and curl accept it). Nor does it ask a delegated responder for the
// OCSPSigning usage, nor for a validity that covers the time, which
// OpenSSL's OCSP_basic_verify checks by verifying the responder's
// certificate up to the issuer. It takes the first answer with the
// leaf's serial number, whatever issuer its CertID names, checks the
// signature with the first certificate carried, whatever the responder
// ID names, and reads no Ed25519 signature.
func ParseStaple(raw []byte, leaf, issuer *x509.Certificate, at time.Time) (*ocsp.Response, error) {
	b, err := parseBasicResponse(raw)
	if err != nil {
		return nil, &StapleError{Problem: StapleMalformed, Err: err}
	}
	single, err := b.find(leaf, issuer)
	if err != nil {
		return nil, err
	}
	for _, e := range single.SingleExtensions {
		if e.Critical {
			return nil, stapleErrorf(StapleMalformed, "its answer about the certificate has a critical extension that is not read (%s)", e.Id)
		}
	}
	signer, err := b.signer(issuer)
	if err != nil {
		return nil, err
	}
	resp := b.response(single, signer)
	if err := b.checkSignature(resp, signer); err != nil {
		if signer.Equal(issuer) {
			return nil, stapleErrorf(StapleSigner, "it is not signed by the issuer %q, whom its responder ID names: %w", dn.Subject(issuer), err)
		}
		return nil, stapleErrorf(StapleSigner, "it is not signed by %q, the responder its responder ID names: %w", dn.Subject(signer), err)
	}
	if signer.Equal(issuer) {
		return resp, nil
	}
	// OpenSSL finds the responder's issuer by name, then checks its
	// signature (X509_verify_cert); crypto/x509's CheckSignatureFrom
	// reads no name.
	if !sameName(signer.RawIssuer, issuer.RawSubject) {
		return nil, stapleErrorf(StapleSigner, "it is signed by %q, a responder issued by %q, not by the issuer %q", dn.Subject(signer), dn.Issuer(signer), dn.Subject(issuer))
	}
	if err := responderSignedBy(signer, issuer); err != nil {
		return nil, stapleErrorf(StapleSigner, "it is signed by %q, a responder the issuer %q did not certify: %w", dn.Subject(signer), dn.Subject(issuer), err)
	}
	if !slices.Contains(signer.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return nil, stapleErrorf(StapleSigner, "it is signed by %q, whose certificate lacks the OCSPSigning extended key usage a delegated responder must have (RFC 6960, Section 4.2.2.2)", dn.Subject(signer))
	}
	if len(signer.UnhandledCriticalExtensions) > 0 {
		return nil, stapleErrorf(StapleSigner, "it is signed by %q, whose certificate has a critical extension the verifier does not know (%s)", dn.Subject(signer), signer.UnhandledCriticalExtensions[0])
	}
	if at.Before(signer.NotBefore) {
		return nil, stapleErrorf(StapleResponderValidity, "it is signed by the responder %q, whose certificate is not valid before %s (checked at %s)",
			dn.Subject(signer), signer.NotBefore.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if at.After(signer.NotAfter) {
		return nil, stapleErrorf(StapleResponderValidity, "it is signed by the responder %q, whose certificate expired on %s (checked at %s)",
			dn.Subject(signer), signer.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	return resp, nil
}

// CheckStapleTimes checks the times of resp as curl does with OpenSSL's
// OCSP_check_validity: its thisUpdate may be at most StapleLeeway after at,
// its nextUpdate (when it has one) must be more than StapleLeeway before
// it, and may not precede thisUpdate. The error is a *StapleError.
func CheckStapleTimes(resp *ocsp.Response, at time.Time) error {
	const layout = time.RFC3339
	if resp.ThisUpdate.After(at.Add(StapleLeeway)) {
		return stapleErrorf(StapleNotYetValid, "it is dated in the future: its thisUpdate is %s, %s after the time of the check (%s)",
			resp.ThisUpdate.UTC().Format(layout), span(resp.ThisUpdate.Sub(at)), at.UTC().Format(layout))
	}
	if resp.NextUpdate.IsZero() {
		return nil
	}
	if !resp.NextUpdate.After(at.Add(-StapleLeeway)) {
		return stapleErrorf(StapleStale, "it is out of date: its nextUpdate was %s, %s before the time of the check (%s)",
			resp.NextUpdate.UTC().Format(layout), span(at.Sub(resp.NextUpdate)), at.UTC().Format(layout))
	}
	if resp.NextUpdate.Before(resp.ThisUpdate) {
		return stapleErrorf(StapleMalformed, "its nextUpdate (%s) precedes its thisUpdate (%s)", resp.NextUpdate.UTC().Format(layout), resp.ThisUpdate.UTC().Format(layout))
	}
	return nil
}

// responderSignedBy checks that issuer signed the responder's certificate
// signer as crypto/x509's CheckSignatureFrom does (issuer a CA), Ed448
// and the RSASSA-PSS signatures crypto/x509 does not check included.
func responderSignedBy(signer, issuer *x509.Certificate) error {
	if !isEd448Signed(signer) && !ownPSS(signer, issuer) {
		return signer.CheckSignatureFrom(issuer)
	}
	if issuer.Version == 3 && !issuer.BasicConstraintsValid || issuer.BasicConstraintsValid && !issuer.IsCA {
		return x509.ConstraintViolationError{}
	}
	return signatureOK(signer, issuer)
}
