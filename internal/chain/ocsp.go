package chain

import (
	"crypto/x509"
	"fmt"
	"slices"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// ParseStaple reads a stapled OCSP response about leaf and checks that
// issuer, the CA that issued leaf, vouches for it (RFC 6960, Section
// 4.2.2.2): issuer signed it itself, whether or not the response carries
// issuer's own certificate, or a delegated responder signed it whose
// certificate the response carries, issued by issuer for OCSP signing.
//
// x/crypto/ocsp's ParseResponseForCert with an issuer wants any embedded
// certificate to be signed by that issuer, so that it refuses the common
// response of a CA that signs with its own key and includes its own
// certificate (openssl ocsp -rsigner CA does so; OpenSSL and curl accept
// it). Nor does it ask a delegated responder for the OCSPSigning usage.
func ParseStaple(raw []byte, leaf, issuer *x509.Certificate) (*ocsp.Response, error) {
	// Without an issuer, x/crypto checks the response's signature with
	// the certificate it carries, if any, and nothing else.
	resp, err := ocsp.ParseResponseForCert(raw, leaf, nil)
	if err != nil {
		return nil, err
	}
	switch signer := resp.Certificate; {
	case signer == nil:
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			return nil, fmt.Errorf("it is not signed by the issuer %q: %w", dn.Subject(issuer), err)
		}
	case signer.Equal(issuer):
		// The issuer signed it and sent its own certificate along:
		// ParseResponseForCert checked the signature with it.
	default:
		if err := signer.CheckSignatureFrom(issuer); err != nil {
			return nil, fmt.Errorf("it is signed by %q, a responder the issuer %q did not certify: %w", dn.Subject(signer), dn.Subject(issuer), err)
		}
		if !slices.Contains(signer.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return nil, fmt.Errorf("it is signed by %q, whose certificate lacks the OCSPSigning extended key usage a delegated responder must have (RFC 6960, Section 4.2.2.2)", dn.Subject(signer))
		}
	}
	return resp, nil
}
