package chain

import (
	"bytes"
	"fmt"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// keyIDMismatch warns of a certificate whose authority key identifier
// (RFC 5280, Section 4.2.1.1) is not the subject key identifier of the
// issuer the chain verified with. RFC 5280's path validation (Section
// 6) does not compare them, and crypto/x509 finds the issuer by name and
// signature; OpenSSL does not take a certificate whose subject key
// identifier differs as the issuer (X509_check_akid,
// X509_V_ERR_AKID_SKID_MISMATCH), so openssl verify, and curl or nginx
// built on OpenSSL, refuse the chain ("unable to get local issuer
// certificate").
func keyIDMismatch(links []Link) *trace.Warning {
	for _, l := range links {
		c, issuer := l.Cert, l.Issuer
		if issuer == nil || issuer == c || len(c.AuthorityKeyId) == 0 || len(issuer.SubjectKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, issuer.SubjectKeyId) {
			continue
		}
		return &trace.Warning{
			Cause: fmt.Sprintf("the authority key identifier of %q (%s) is not the subject key identifier of its issuer %q (%s): the signature verifies with the issuer's key, "+
				"but OpenSSL does not take a certificate whose key identifier differs as the issuer, so openssl verify (and curl or nginx built on OpenSSL) refuses this chain with \"unable to get local issuer certificate\"",
				dn.Subject(c), colonHex(c.AuthorityKeyId), dn.Subject(issuer), colonHex(issuer.SubjectKeyId)),
			Fix: fmt.Sprintf("reissue %q from the issuer's certificate as it is now (its authority key identifier is then the issuer's subject key identifier), or use the certificate of the issuer whose subject key identifier is %s",
				dn.Subject(c), colonHex(c.AuthorityKeyId)),
		}
	}
	return nil
}

// negativeSerial warns of a certificate with a negative serial number:
// RFC 5280, Section 4.1.2.2 asks for a positive one, and crypto/x509
// refuses to parse it since Go 1.23 (tlstrace reads it as openssl does),
// so Go programs fail on it.
func negativeSerial(links []Link) *trace.Warning {
	for _, l := range links {
		if l.Cert.SerialNumber == nil || l.Cert.SerialNumber.Sign() >= 0 {
			continue
		}
		return &trace.Warning{
			Cause: fmt.Sprintf("the certificate %q has a negative serial number (%s), which RFC 5280 (Section 4.1.2.2) forbids: openssl accepts it, but Go programs (crypto/x509 since Go 1.23) refuse to read the certificate",
				dn.Subject(l.Cert), l.Cert.SerialNumber),
			Fix: fmt.Sprintf("reissue %q with a positive serial number", dn.Subject(l.Cert)),
		}
	}
	return nil
}
