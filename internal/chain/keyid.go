package chain

import (
	"bytes"
	"fmt"

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
			Cause: fmt.Sprintf("the authority key identifier of %s (%s) is not the subject key identifier of its issuer %s (%s): the signature verifies with the issuer's key, "+
				"but OpenSSL does not take a certificate whose key identifier differs as the issuer, so openssl verify (and curl or nginx built on OpenSSL) refuses this chain with \"unable to get local issuer certificate\"",
				named(c), colonHex(c.AuthorityKeyId), named(issuer), colonHex(issuer.SubjectKeyId)),
			Fix: fmt.Sprintf("reissue %s from the issuer's certificate as it is now (its authority key identifier is then the issuer's subject key identifier), or use the certificate of the issuer whose subject key identifier is %s",
				named(c), colonHex(c.AuthorityKeyId)),
		}
	}
	return nil
}

// negativeSerial warns of a certificate whose serial number is not
// positive, as RFC 5280, Section 4.1.2.2 asks. A negative one: crypto/x509
// refuses to parse it since Go 1.23 (tlstrace reads it as openssl does),
// so Go programs fail on it. Zero: openssl and crypto/x509 read it, as the
// RFC asks of verifiers, but linters of the profile (zlint's
// e_serial_number_not_positive) refuse it. A trusted root with serial 0
// is not warned of: roots in use carry it (Starfield and Go Daddy Root
// Certificate Authority - G2), a trust anchor's fields are not part of
// path validation (RFC 5280, Section 6.1), and no one but its CA could
// change it.
func negativeSerial(links []Link) *trace.Warning {
	for _, l := range links {
		c := l.Cert
		if c.SerialNumber == nil || c.SerialNumber.Sign() > 0 || c.SerialNumber.Sign() == 0 && l.Trusted {
			continue
		}
		if c.SerialNumber.Sign() == 0 {
			return &trace.Warning{
				Cause: fmt.Sprintf("%s has serial number 0, which RFC 5280 (Section 4.1.2.2) forbids: a serial number is a positive integer; openssl and crypto/x509 accept it, as the RFC asks of verifiers, but certificate linters refuse it (zlint: e_serial_number_not_positive)",
					theCertificate(c)),
				Fix: fmt.Sprintf("reissue %s with a positive serial number", named(c)),
			}
		}
		return &trace.Warning{
			Cause: fmt.Sprintf("%s has a negative serial number (%s), which RFC 5280 (Section 4.1.2.2) forbids: openssl accepts it, but Go programs (crypto/x509 since Go 1.23) refuse to read the certificate",
				theCertificate(c), c.SerialNumber),
			Fix: fmt.Sprintf("reissue %s with a positive serial number", named(c)),
		}
	}
	return nil
}
