package chain

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// MinRSABits is the smallest RSA key accepted anywhere in a chain, leaf
// or CA, trusted root included. crypto/x509 accepts any size it can
// parse; OpenSSL's default security level (2: 112-bit security, RSA 2048)
// refuses smaller keys in every certificate it verifies, and browsers
// have refused 1024-bit RSA since 2014-2015 (the CA/Browser Forum's
// baseline requirements have asked for 2048 bits since 2014). A 1024-bit
// RSA key gives about 80 bits of security, within reach of a well funded
// attacker (NIST SP 800-57 Part 1, Section 5.6.1; SP 800-131A).
const MinRSABits = 2048

// checkKeySize is the key_size check of a link: a failed Check for an RSA
// key under MinRSABits, ok false; nothing for a key large enough or of
// another type (elliptic curves crypto/x509 parses are all 224 bits or
// more).
func checkKeySize(c *x509.Certificate) (Check, bool) {
	k, isRSA := rsaKey(c)
	if !isRSA || k.N.BitLen() >= MinRSABits {
		return Check{}, true
	}
	return Check{Name: "key_size", OK: false, Detail: fmt.Sprintf("RSA %d bits, below the %d bits required of every key in a chain (OpenSSL's default security level and browsers refuse it)",
		k.N.BitLen(), MinRSABits)}, false
}

// WeakKeyError is a chain crypto/x509 accepted that holds an RSA key
// under MinRSABits.
type WeakKeyError struct {
	// Cert holds the key; Role is its place in the chain ("leaf",
	// "intermediate", "root").
	Cert *x509.Certificate
	Role string
	// Bits is the key's size, Min the size required.
	Bits, Min int
}

func (e *WeakKeyError) Error() string {
	return fmt.Sprintf("%s has an RSA key of %d bits, below the %d bits required", theRoleCertificate(e.Role, e.Cert), e.Bits, e.Min)
}

// weakKey returns the first link of links whose key fails key_size, as a
// *WeakKeyError, or nil.
func weakKey(links []Link) error {
	for _, l := range links {
		if _, ok := checkKeySize(l.Cert); !ok {
			return &WeakKeyError{Cert: l.Cert, Role: l.Role, Bits: rsaBits(l.Cert), Min: MinRSABits}
		}
	}
	return nil
}

// weakKeyCause explains a *WeakKeyError.
func weakKeyCause(e *WeakKeyError) (cause, fix string) {
	what := "its own key"
	if e.Role != "leaf" {
		what = "the key that signs the certificates below it"
	}
	why := "1024-bit RSA is within reach of a well-funded attacker"
	if e.Bits <= 829 {
		// RSA-768 was factored in 2009, RSA-250 (829 bits) in 2020.
		why = "RSA keys of up to 829 bits have been factored in public (RSA-768 in 2009, RSA-250 in 2020)"
	}
	return fmt.Sprintf("%s has a %d-bit RSA key (%s), below the %d bits OpenSSL's default security level and browsers require: %s",
			theRoleCertificate(e.Role, e.Cert), e.Bits, what, e.Min, why),
		"reissue it with an RSA key of at least 2048 bits (or an ECDSA P-256 key)"
}

// leafUsages are the key usages of which a leaf's keyUsage must allow one
// for purpose, as OpenSSL's purpose checks ask (check_purpose_ssl_server,
// check_purpose_ssl_client): a server's key signs (ECDHE, TLS 1.3),
// decrypts the premaster secret (RSA key exchange) or agrees on it
// (static ECDH); a client's key signs its CertificateVerify or agrees
// on the premaster secret (a static ECDH or DH client certificate).
func leafUsages(purpose x509.ExtKeyUsage) x509.KeyUsage {
	if purpose == x509.ExtKeyUsageClientAuth {
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement
	}
	return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement
}

// LeafUsageError is a chain crypto/x509 accepted whose leaf's keyUsage
// allows none of leafUsages: crypto/x509 ignores a leaf's key usage,
// OpenSSL (and so curl) refuses it ("unsuitable certificate purpose").
type LeafUsageError struct {
	Cert    *x509.Certificate
	Purpose x509.ExtKeyUsage
}

func (e *LeafUsageError) Error() string {
	return fmt.Sprintf("the key usage of %s (%s) allows no use of %s", named(e.Cert), keyUsages(e.Cert.KeyUsage), e.Purpose)
}

// leafUsage returns a *LeafUsageError for a leaf (links[0]) whose
// keyUsage, when it has one, allows none of leafUsages, or nil.
func leafUsage(links []Link, purpose x509.ExtKeyUsage) error {
	if len(links) == 0 || links[0].Cert.KeyUsage == 0 || links[0].Cert.KeyUsage&leafUsages(purpose) != 0 {
		return nil
	}
	return &LeafUsageError{Cert: links[0].Cert, Purpose: purpose}
}

// leafUsageCause explains a *LeafUsageError.
func leafUsageCause(e *LeafUsageError) (cause, fix string) {
	what, need := "a server's key signs (digitalSignature), or decrypts or agrees on the key exchange (keyEncipherment, keyAgreement)", "digitalSignature (with keyEncipherment for an RSA key)"
	if e.Purpose == x509.ExtKeyUsageClientAuth {
		what, need = "a client's key signs its CertificateVerify (digitalSignature) or agrees on the key exchange (keyAgreement)", "digitalSignature"
	}
	return fmt.Sprintf("the key usage of %s allows only %s, and %s; OpenSSL and curl refuse it (unsuitable certificate purpose), though crypto/x509 ignores a leaf's key usage",
			named(e.Cert), keyUsages(e.Cert.KeyUsage), what),
		fmt.Sprintf("reissue the certificate with keyUsage %s", need)
}

// MaxPublicValidity is the longest validity Apple's platforms accept of a
// TLS server certificate from a public CA issued since 1 September 2020:
// 398 days (the CA/Browser Forum's baseline requirements, Section 6.3.2,
// took the same limit). Certificates from a CA the user or system adds
// are exempt, so a longer one is a warning, not a failure.
const MaxPublicValidity = 398 * 24 * time.Hour

// validityStart is when MaxPublicValidity took effect.
var validityStart = time.Date(2020, time.September, 1, 0, 0, 0, 0, time.UTC)

// longValidity warns of a leaf valid for more than MaxPublicValidity;
// system says the roots are the system's (public CAs).
func longValidity(leaf *x509.Certificate, system bool) *trace.Warning {
	// RFC 5280, Section 4.1.2.5: both ends are included.
	d := leaf.NotAfter.Sub(leaf.NotBefore) + time.Second
	if d <= MaxPublicValidity || leaf.NotBefore.Before(validityStart) {
		return nil
	}
	w := &trace.Warning{
		Cause: fmt.Sprintf("%s is valid for %d days, more than the 398 days a public CA may issue since September 2020; ", theCertificate(leaf), int64(d/(24*time.Hour))),
		Fix:   "reissue it valid for 398 days or less",
	}
	if system {
		w.Cause += "it chains to a public CA all the same: Safari and other Apple clients refuse it"
	} else {
		w.Cause += "it chains to a CA given on the command line, which browsers exempt as a private CA"
		w.Fix = "none needed from a private CA; from a public CA, reissue it valid for 398 days or less"
	}
	return w
}
