package chain

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
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
	k, isRSA := c.PublicKey.(*rsa.PublicKey)
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
	return fmt.Sprintf("the %s certificate %q has an RSA key of %d bits, below the %d bits required", e.Role, e.Cert.Subject.String(), e.Bits, e.Min)
}

// weakKey returns the first link of links whose key fails key_size, as a
// *WeakKeyError, or nil.
func weakKey(links []Link) error {
	for _, l := range links {
		if _, ok := checkKeySize(l.Cert); !ok {
			return &WeakKeyError{Cert: l.Cert, Role: l.Role, Bits: l.Cert.PublicKey.(*rsa.PublicKey).N.BitLen(), Min: MinRSABits}
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
	return fmt.Sprintf("the %s certificate %q has a %d-bit RSA key (%s), below the %d bits OpenSSL's default security level and browsers require: 1024-bit RSA can be factored by a well funded attacker",
			e.Role, e.Cert.Subject.String(), e.Bits, what, e.Min),
		"reissue it with an RSA key of at least 2048 bits (or an ECDSA P-256 key)"
}
