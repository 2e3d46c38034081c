package chain

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"
)

// This file holds the common-name fallback: a server certificate without a
// subjectAltName names its host in the subject's common name only. Go's
// crypto/x509 and browsers do not read it for the host name (RFC 6125,
// Section 6.4.4, and the CA/Browser Forum's baseline requirements, which
// make subjectAltName mandatory); curl and OpenSSL still do when the
// certificate has no DNS name and no IP address in its subjectAltName
// (OpenSSL's X509_check_host, curl's ossl_verifyhost).

// noSANs reports whether c has no DNS name and no IP address in its
// subjectAltName: the certificates curl checks by their common name.
func noSANs(c *x509.Certificate) bool { return len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 }

// CommonNameMatches reports whether leaf has no subjectAltName and the
// common name of its subject matches name, as curl and OpenSSL match it: a
// host name as crypto/x509 matches a DNS name (a wildcard in the leftmost
// label only), an IP address exactly.
func CommonNameMatches(leaf *x509.Certificate, name string) bool {
	cn := leaf.Subject.CommonName
	if name == "" || cn == "" || !noSANs(leaf) {
		return false
	}
	if ip := net.ParseIP(strings.Trim(name, "[]")); ip != nil {
		cnIP := net.ParseIP(cn)
		return cnIP != nil && cnIP.Equal(ip)
	}
	c := *leaf
	c.DNSNames = []string{cn}
	return c.VerifyHostname(name) == nil
}

// fallsBack says which clients fall back to the common name for name, as
// the subject of verb (its forms for one and for two): curl for any
// name; OpenSSL for a host name only (X509_check_ip has no fallback).
func fallsBack(name, one, two string) string {
	if net.ParseIP(strings.Trim(name, "[]")) != nil {
		return "curl " + one + " (OpenSSL does not, for an IP address)"
	}
	return "curl and OpenSSL " + two
}

// sanFor is the subjectAltName entry, in openssl's words, that names
// name: an IP address or a DNS name.
func sanFor(name string) string {
	if ip := strings.Trim(name, "[]"); net.ParseIP(ip) != nil {
		return "IP:" + ip
	}
	return "DNS:" + name
}

// commonNameOnly explains a leaf refused for name although its common name
// matches it: it has no subjectAltName. with words how the user asks for
// the fallback ("" is generic); fallback is the verification with it.
func commonNameOnly(leaf *x509.Certificate, name, with string, fallback *Result) (cause, fix string) {
	san := sanFor(name)
	reissue := fmt.Sprintf("reissue the certificate with subjectAltName=%s (openssl req -addext 'subjectAltName=%s', or openssl x509 -req -extfile FILE with a line subjectAltName=%s)", san, san, san)
	cause = fmt.Sprintf("the certificate is not valid for %s: it has no subjectAltName, only the common name %q, which Go and browsers do not use for the host name (RFC 6125)", name, leaf.Subject.CommonName)
	if !fallback.Valid {
		// Through the fallback, the chain fails for another reason:
		// curl and OpenSSL refuse it too.
		return fmt.Sprintf("%s; curl and OpenSSL, which fall back to the common name, refuse it too: %s", cause, fallback.Cause),
			fmt.Sprintf("%s; and %s", reissue, fallback.Fix)
	}
	accept := "accept it through the common-name fallback"
	if with != "" {
		accept = "accept it as curl does with " + with
	}
	return cause + "; " + fallsBack(name, "accepts it", "accept it") + " through the common-name fallback", reissue + ", or " + accept
}

// sanTypeMismatch says, when name is an IP address that c lists as a DNS
// name (or a DNS name it lists as an IP address, which cannot be), why the
// name does not match although the same text is in the subjectAltName:
// an address matches an IP entry only (RFC 5280, Section 4.2.1.6; RFC
// 6125, Section 6.2). "" otherwise.
func sanTypeMismatch(c *x509.Certificate, name string) string {
	ip := net.ParseIP(strings.Trim(name, "[]"))
	if ip == nil {
		return ""
	}
	for _, d := range c.DNSNames {
		if dip := net.ParseIP(d); dip != nil && dip.Equal(ip) {
			return fmt.Sprintf("%s is an IP address, and the certificate lists it as a DNS name (DNS:%s), which an address never matches: an address is named by an IP entry (%s)", name, d, sanFor(name))
		}
	}
	return ""
}
