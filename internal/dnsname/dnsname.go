// Package dnsname checks a DNS name as a certificate's subjectAltName
// carries it (RFC 5280, Section 4.2.1.6: the preferred name syntax of RFC
// 1034, Section 3.5, with a leading digit allowed as RFC 1123, Section
// 2.1 does, and a wildcard as the leftmost label, RFC 6125, Section
// 6.4.3), and says which wildcards verifiers refuse to match.
package dnsname

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of RFC 1035, Section 2.3.4: 63 octets a label, 255 a name on the
// wire, which is 253 characters written with dots and no final dot.
const (
	maxLabel = 63
	maxName  = 253
)

// Check reports what is wrong with name as the dNSName of a certificate,
// or nil: labels of letters, digits and hyphens (not first or last),
// separated by single dots, within the lengths of RFC 1035; "*" alone as
// the leftmost label, or within it (a partial wildcard, which Check
// takes: see Partial), once. An underscore passes as verifiers take it
// (see Underscore). Upper case passes: names compare without case.
func Check(name string) error {
	switch {
	case name == "":
		return errors.New("empty")
	case name == "*":
		return errors.New("a wildcard alone names no domain: write the domain it covers, as *.example.test")
	case strings.HasSuffix(name, "."):
		return errors.New("a DNS name in a certificate is written without the final dot")
	case len(name) > maxName:
		return fmt.Errorf("%d characters long, over the %d a DNS name may have (RFC 1035, Section 2.3.4)", len(name), maxName)
	}
	for i, c := range name {
		if c >= 0x80 {
			return fmt.Errorf("%q at %d is not ASCII: write an internationalized name as its A-labels (xn--…, RFC 5890)", c, i)
		}
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		switch {
		case l == "" && i == 0:
			return errors.New("starts with a dot: a DNS name starts with a label")
		case l == "":
			return errors.New("two dots with no label between them")
		case len(l) > maxLabel:
			return fmt.Errorf("the label %q is %d characters long, over the %d a label may have (RFC 1035, Section 2.3.4)", l, len(l), maxLabel)
		case strings.Contains(l, "*") && (i > 0 || strings.Count(l, "*") > 1):
			return errors.New("a wildcard may only be the leftmost label, or within it, once (RFC 6125, Section 6.4.3)")
		case strings.Contains(l, "*") && len(labels) == 1:
			return errors.New("a wildcard alone names no domain: write the domain it covers, as *.example.test")
		}
		for _, c := range l {
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '*':
			case c == '-':
			case c == ' ':
				return errors.New("a DNS name has no spaces")
			default:
				return fmt.Errorf("%q is not allowed in a DNS name: letters, digits and hyphens, in labels separated by dots", c)
			}
		}
		if l[0] == '-' {
			return fmt.Errorf("the label %q starts with a hyphen (RFC 1034, Section 3.5)", l)
		}
		if l[len(l)-1] == '-' {
			return fmt.Errorf("the label %q ends with a hyphen (RFC 1034, Section 3.5)", l)
		}
	}
	return nil
}

// Partial reports whether name is a partial wildcard: a leftmost label
// that holds "*" and more (f*.example.test, *f.example.test). OpenSSL
// matches it by default when two labels or more follow it (not f*.test),
// though never a host whose first label is an A-label (xn--…); crypto/x509 (and so tlstrace verify) and browsers do
// not: they take "*" only as the whole leftmost label, and read any other
// name with a "*" as a name that matches nothing.
func Partial(name string) bool {
	first, _, _ := strings.Cut(name, ".")
	return strings.Contains(first, "*") && first != "*"
}

// InALabel reports whether name is a partial wildcard within an A-label,
// a leftmost label of an internationalized name (xn--*.example.test):
// OpenSSL takes a "*" there as a character, not a wildcard, so that the
// name matches no host; crypto/x509 and browsers match none with any
// partial wildcard.
func InALabel(name string) bool {
	first, _, _ := strings.Cut(name, ".")
	return strings.Contains(first, "*") && len(first) >= 4 && strings.EqualFold(first[:4], "xn--")
}

// OverOneLabel reports whether name is a wildcard over a single label
// (*.test): crypto/x509 matches it, OpenSSL wants at least two labels
// after the wildcard's, and browsers refuse a wildcard over a public
// suffix (CA/Browser Forum Baseline Requirements, Section 3.2.2.6). A
// final dot is ignored.
func OverOneLabel(name string) bool {
	base, ok := strings.CutPrefix(strings.TrimSuffix(name, "."), "*.")
	return ok && base != "" && !strings.Contains(base, ".")
}

// Underscore reports whether name holds an underscore, which RFC 5280's
// preferred name syntax does not allow: crypto/x509 and OpenSSL match it
// all the same, but public CAs may not issue it (CA/Browser Forum ballot
// SC12, since 2019).
func Underscore(name string) bool {
	return strings.Contains(name, "_")
}
