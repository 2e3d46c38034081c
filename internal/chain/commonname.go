package chain

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net"
	"slices"
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

// noHostSANs says that c, which has no DNS name and no IP address in its
// subjectAltName (noSANs), names no host there: "no subject alternative
// names", or, when it lists others (e-mail addresses, URIs, …), "no DNS
// name or IP address among its subject alternative names" and those it
// lists.
func noHostSANs(c *x509.Certificate) string {
	names, ok := subjectAltNames(c)
	if !ok || len(names) == 0 {
		return "no subject alternative names"
	}
	list := strings.Join(names, ", ")
	if len(names) > 6 {
		list = fmt.Sprintf("%s, … %d names in all", strings.Join(names[:6], ", "), len(names))
	}
	return "no DNS name or IP address among its subject alternative names (only " + list + ")"
}

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

// addSAN is the fix of a leaf not valid for name whose subjectAltName
// names no host but lists other names (e-mail addresses, URIs, …): the
// entry for name is to be added to it, the others kept; "" when the leaf
// has no subjectAltName, or an empty one. The line of an openssl
// extensions file is given when every name it lists can be written on it.
func addSAN(leaf *x509.Certificate, name string) string {
	names, ok := subjectAltNames(leaf)
	if !ok || len(names) == 0 {
		return ""
	}
	san := sanFor(name)
	fix := fmt.Sprintf("add %s to the certificate's subjectAltName, which lists only %s, and reissue it", san, strings.Join(names, ", "))
	for _, n := range names {
		if !strings.HasPrefix(n, "email:") && !strings.HasPrefix(n, "URI:") && !strings.HasPrefix(n, "RID:") {
			return fix
		}
	}
	line := "subjectAltName=" + strings.Join(names, ",") + "," + san
	return fmt.Sprintf("%s (openssl x509 -req -extfile FILE with a line %s)", fix, line)
}

// commonNameOnly explains a leaf refused for name although its common name
// matches it: it has no subjectAltName. with words how the user asks for
// the fallback ("" is generic); fallback is the verification with it.
func commonNameOnly(leaf *x509.Certificate, name, with string, fallback *Result) (cause, fix string) {
	san := sanFor(name)
	reissue := fmt.Sprintf("reissue the certificate with subjectAltName=%s (openssl req -addext 'subjectAltName=%s', or openssl x509 -req -extfile FILE with a line subjectAltName=%s)", san, san, san)
	none := "no subjectAltName"
	if names, ok := subjectAltNames(leaf); ok && len(names) > 0 {
		none = noHostSANs(leaf)
		reissue = addSAN(leaf, name)
	}
	cause = fmt.Sprintf("the certificate is not valid for %s: it has %s, only the common name %q, which Go and browsers do not use for the host name (RFC 6125)", name, none, leaf.Subject.CommonName)
	if !fallback.Valid && fallback.beyondCurl {
		return fmt.Sprintf("%s; %s through the common-name fallback, but tlstrace refuses it even so: %s", cause, fallsBack(name, "accepts it", "accept it"), fallback.Cause),
			reissue + " (from a CA whose name constraints permit the name)"
	}
	if !fallback.Valid {
		// Through the fallback, the chain fails for another reason:
		// curl and OpenSSL refuse it too.
		who := "curl and OpenSSL, which fall back to the common name, refuse"
		if net.ParseIP(strings.Trim(name, "[]")) != nil {
			who = "curl, which falls back to the common name (OpenSSL does not, for an IP address), refuses"
		}
		return fmt.Sprintf("%s; %s it too: %s", cause, who, fallback.Cause),
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

// oidNameConstraints is the nameConstraints extension (RFC 5280, Section
// 4.2.1.10).
var oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}

// oidCommonName is the subject attribute commonName (X.520).
var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// cnDNSIDs returns the common names of c's subject that OpenSSL holds to
// the DNS name constraints of the CAs above c, a leaf
// (crypto/x509/v3_ncons.c, NAME_CONSTRAINTS_check_CN, which
// X509_verify_cert calls for a leaf with no DNS name in its
// subjectAltName, whatever name is checked and whether or not the common
// name is used for it; curl verifies with it). Every common name counts,
// not only the last, once it looks like a host name by cn2dnsid's rule:
// after trailing NUL bytes are cut, only letters, digits, '_', '-' and
// '.', no '-' or '.' first or last, no '.' next to a '.' or a '-', and at
// least one '.'. So "localhost" and "*.example.com" are not checked, and
// "127.0.0.1" is checked as a DNS name, not as an address. nul reports a
// common name with a NUL byte inside, which OpenSSL refuses
// (X509_V_ERR_UNSUPPORTED_NAME_SYNTAX) under any name constraints.
func cnDNSIDs(c *x509.Certificate) (ids []string, nul bool) {
	if len(c.DNSNames) > 0 {
		return nil, false
	}
	for _, atv := range c.Subject.Names {
		v, ok := atv.Value.(string)
		if !ok || !atv.Type.Equal(oidCommonName) {
			continue
		}
		v = strings.TrimRight(v, "\x00")
		if strings.IndexByte(v, 0) >= 0 {
			nul = true
			continue
		}
		if looksLikeHostName(v) {
			ids = append(ids, v)
		}
	}
	return ids, nul
}

// looksLikeHostName is OpenSSL's cn2dnsid test (crypto/x509/v3_ncons.c),
// byte for byte over the UTF-8 of the name.
func looksLikeHostName(s string) bool {
	dotted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
			continue
		case i == 0 || i == len(s)-1:
			return false
		case c == '-':
			continue
		case c == '.' && s[i+1] != '.' && s[i-1] != '-' && s[i+1] != '-':
			dotted = true
		default:
			return false
		}
	}
	return dotted
}

// hasNameConstraints reports whether c carries the nameConstraints
// extension, whatever kinds of names it constrains.
func hasNameConstraints(c *x509.Certificate) bool {
	return slices.ContainsFunc(c.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidNameConstraints) })
}

// cnConstraints holds the leaf of path (leaf first, up to the trust
// anchor) to the DNS name constraints of every CA above it by its common
// names, as OpenSSL does (cnDNSIDs), which crypto/x509 does not: it reads
// no common name. The error is crypto/x509's for a name a CA may not sign.
func cnConstraints(path []*x509.Certificate) error {
	if len(path) < 2 {
		return nil
	}
	leaf := path[0]
	ids, nul := cnDNSIDs(leaf)
	for _, ca := range path[1:] {
		if !hasNameConstraints(ca) {
			continue
		}
		if nul {
			return x509.CertificateInvalidError{Cert: leaf, Reason: x509.CANotAuthorizedForThisName,
				Detail: "a common name holds a NUL byte, which OpenSSL refuses under name constraints"}
		}
		for _, id := range ids {
			if !dnsAllowed(ca, id) {
				return x509.CertificateInvalidError{Cert: leaf, Reason: x509.CANotAuthorizedForThisName,
					Detail: fmt.Sprintf("common name %q is not permitted by the name constraints of %q", id, ca.Subject)}
			}
		}
	}
	return nil
}

// dnsAllowed reports whether ca's DNS name constraints allow the DNS name
// name: within one of the permitted subtrees when there are any, and
// within none of the excluded ones.
func dnsAllowed(ca *x509.Certificate, name string) bool {
	ok := len(ca.PermittedDNSDomains) == 0
	for _, p := range ca.PermittedDNSDomains {
		ok = ok || domainIn(name, p)
	}
	for _, e := range ca.ExcludedDNSDomains {
		ok = ok && !domainIn(name, e)
	}
	return ok
}

// fallbackHostAllowed reports whether ca's name constraints allow host, a
// DNS name or an IP address, for which a leaf's common name stands.
func fallbackHostAllowed(ca *x509.Certificate, host string) bool {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return dnsAllowed(ca, host)
	}
	ok := len(ca.PermittedIPRanges) == 0
	for _, n := range ca.PermittedIPRanges {
		ok = ok || n.Contains(ip)
	}
	for _, n := range ca.ExcludedIPRanges {
		ok = ok && !n.Contains(ip)
	}
	return ok
}

// fallbackConstraints refuses a chain whose leaf's common name stands for
// host (the common-name fallback) when a CA's name constraints rule host
// out. OpenSSL checks only a common name that looks like a host name with
// a dot (cnConstraints), so it accepts "localhost" or "*.bank.example"
// under a CA permitted only "corp.example"; the name such a CA vouches for
// is then one it may not vouch for.
func fallbackConstraints(path []*x509.Certificate, host string) error {
	if host == "" || len(path) < 2 {
		return nil
	}
	for _, ca := range path[1:] {
		if hasNameConstraints(ca) && !fallbackHostAllowed(ca, host) {
			return x509.CertificateInvalidError{Cert: path[0], Reason: x509.CANotAuthorizedForThisName,
				Detail: fmt.Sprintf("the host name %q, for which the common name stands, is not permitted by the name constraints of %q", host, ca.Subject)}
		}
	}
	return nil
}
