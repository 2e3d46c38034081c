package chain

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// This file holds the name constraints crypto/x509 does not check and
// OpenSSL does (crypto/x509/v3_ncons.c, NAME_CONSTRAINTS_check, which
// X509_verify_cert runs for every certificate below a CA with the
// extension, the trust anchor's included, self-issued intermediates
// left out, as RFC 5280, Section 6.1.3 (b) and (c) ask):
//   - directoryName subtrees, against the subject of each certificate
//     below the CA (when not empty) and the directoryName entries of its
//     subjectAltName; crypto/x509 ignores them (and refuses a critical
//     nameConstraints extension that holds one as not understood);
//   - e-mail subtrees against the emailAddress attributes of the
//     subjects (RFC 5280, Section 4.2.1.10), which crypto/x509 does not
//     read, and against the subjectAltName's e-mail addresses by RFC
//     5280's rule, where a host name stands for that host only
//     (crypto/x509 takes its subdomains as well).

// oidEmailAddress is PKCS #9's emailAddress attribute of a subject.
var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// atv is an attribute of a name in OpenSSL's canonical form
// (x509_name_canon): a string's characters in UTF-8, without leading or
// trailing white space, each run of white space inside made one space,
// ASCII letters in lower case; a value of another type as it is.
type atv struct {
	oid   string
	tag   cbasn1.Tag
	value string
}

// canonicalName reads the DER Name der as a list of RDNs, each a sorted
// set of canonical attributes; ok is false when it does not parse.
func canonicalName(der []byte) (rdns [][]atv, ok bool) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, false
	}
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return nil, false
		}
		var rdn []atv
		for !set.Empty() {
			var a cryptobyte.String
			var oid asn1.ObjectIdentifier
			var v cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&oid) || !a.ReadAnyASN1(&v, &tag) || !a.Empty() {
				return nil, false
			}
			rdn = append(rdn, canonical(oid, tag, v))
		}
		slices.SortFunc(rdn, func(x, y atv) int {
			return strings.Compare(x.oid+"\x00"+x.value, y.oid+"\x00"+y.value)
		})
		rdns = append(rdns, rdn)
	}
	return rdns, true
}

// canonical is one attribute in OpenSSL's canonical form
// (asn1_string_canon).
func canonical(oid asn1.ObjectIdentifier, tag cbasn1.Tag, v []byte) atv {
	var rs []rune
	switch tag {
	case cbasn1.UTF8String:
		if !utf8.Valid(v) {
			return atv{oid.String(), tag, string(v)}
		}
		rs = []rune(string(v))
	case cbasn1.PrintableString, cbasn1.T61String, cbasn1.IA5String, cbasn1.Tag(26): // VisibleString
		for _, c := range v {
			rs = append(rs, rune(c))
		}
	case cbasn1.Tag(30): // BMPString
		for i := 0; i+1 < len(v); i += 2 {
			rs = append(rs, rune(v[i])<<8|rune(v[i+1]))
		}
	case cbasn1.Tag(28): // UniversalString
		for i := 0; i+3 < len(v); i += 4 {
			rs = append(rs, rune(v[i])<<24|rune(v[i+1])<<16|rune(v[i+2])<<8|rune(v[i+3]))
		}
	default:
		return atv{oid.String(), tag, string(v)}
	}
	space := func(r rune) bool { return r == ' ' || r >= '\t' && r <= '\r' }
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case space(r):
			for i+1 < len(rs) && space(rs[i+1]) {
				i++
			}
			b.WriteByte(' ')
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune(r)
		}
	}
	return atv{oid.String(), cbasn1.UTF8String, strings.TrimSpace(b.String())}
}

// dnWithin tells whether the name is within the directoryName subtree
// base: base's RDNs begin it (OpenSSL's nc_dn compares the canonical
// encodings so).
func dnWithin(name, base [][]atv) bool {
	if len(base) > len(name) {
		return false
	}
	for i := range base {
		if !slices.Equal(base[i], name[i]) {
			return false
		}
	}
	return true
}

// dirTree is a directoryName subtree of a nameConstraints extension.
type dirTree struct {
	rdns [][]atv
	text string // as openssl writes a name
}

// ownConstraints are the parts of a CA's nameConstraints extension that
// this package checks itself.
type ownConstraints struct {
	permittedDirs, excludedDirs []dirTree
	// others says the extension holds a kind of name (otherName,
	// x400Address, ediPartyName, registeredID) neither crypto/x509 nor
	// this package checks.
	others bool
}

// parseOwnConstraints reads c's nameConstraints extension (RFC 5280,
// Section 4.2.1.10); present is false when it has none or it does not
// parse (crypto/x509 then refuses c).
func parseOwnConstraints(c *x509.Certificate) (nc ownConstraints, present bool) {
	var value []byte
	for _, e := range c.Extensions {
		if e.Id.Equal(oidNameConstraints) {
			value, present = e.Value, true
		}
	}
	if !present {
		return nc, false
	}
	in := cryptobyte.String(value)
	var top cryptobyte.String
	if !in.ReadASN1(&top, cbasn1.SEQUENCE) || !in.Empty() {
		return nc, false
	}
	for i, into := range []*[]dirTree{&nc.permittedDirs, &nc.excludedDirs} {
		var trees cryptobyte.String
		var has bool
		if !top.ReadOptionalASN1(&trees, &has, cbasn1.Tag(i).ContextSpecific().Constructed()) {
			return nc, false
		}
		for !trees.Empty() {
			var tree, base cryptobyte.String
			var tag cbasn1.Tag
			if !trees.ReadASN1(&tree, cbasn1.SEQUENCE) || !tree.ReadAnyASN1Element(&base, &tag) {
				return nc, false
			}
			switch tag {
			case cbasn1.Tag(1).ContextSpecific(), cbasn1.Tag(2).ContextSpecific(), cbasn1.Tag(6).ContextSpecific(), cbasn1.Tag(7).ContextSpecific():
				// crypto/x509's.
			case cbasn1.Tag(4).ContextSpecific().Constructed():
				var name cryptobyte.String
				if !base.ReadASN1(&name, tag) {
					return nc, false
				}
				rdns, ok := canonicalName(name)
				if !ok {
					return nc, false
				}
				*into = append(*into, dirTree{rdns, dn.String(name)})
			default:
				nc.others = true
			}
		}
	}
	return nc, true
}

// understood returns c, or a copy of it without the nameConstraints
// extension among its critical extensions crypto/x509 does not handle
// when what crypto/x509 leaves of it (directoryName subtrees) is checked
// here.
func understood(c *x509.Certificate) *x509.Certificate {
	i := slices.IndexFunc(c.UnhandledCriticalExtensions, func(id asn1.ObjectIdentifier) bool { return id.Equal(oidNameConstraints) })
	if i < 0 {
		return c
	}
	if nc, ok := parseOwnConstraints(c); !ok || nc.others {
		return c
	}
	cp := *c
	cp.UnhandledCriticalExtensions = slices.Delete(slices.Clone(c.UnhandledCriticalExtensions), i, i+1)
	return &cp
}

// allUnderstood is understood over certs, the slice copied only when one
// is replaced.
func allUnderstood(certs []*x509.Certificate) []*x509.Certificate {
	out := certs
	for i, c := range certs {
		if u := understood(c); u != c {
			if &out[0] == &certs[0] {
				out = slices.Clone(certs)
			}
			out[i] = u
		}
	}
	return out
}

// describe writes the directoryName subtrees as nameConstraints does
// the others.
func (nc ownConstraints) describe() []string {
	var parts []string
	for _, t := range nc.permittedDirs {
		parts = append(parts, "permitted dirName "+t.text)
	}
	for _, t := range nc.excludedDirs {
		parts = append(parts, "excluded dirName "+t.text)
	}
	return parts
}

// dirVerdict tells how the subtrees judge the name: "" within them,
// "outside" when outside every permitted one, "excluded" when within an
// excluded one.
func (nc ownConstraints) dirVerdict(name [][]atv) string {
	for _, t := range nc.excludedDirs {
		if dnWithin(name, t.rdns) {
			return "excluded"
		}
	}
	if len(nc.permittedDirs) == 0 {
		return ""
	}
	for _, t := range nc.permittedDirs {
		if dnWithin(name, t.rdns) {
			return ""
		}
	}
	return "outside"
}

// emailVerdict is dirVerdict for the e-mail address addr and ca's e-mail
// subtrees.
func emailVerdict(ca *x509.Certificate, addr string) string {
	for _, e := range ca.ExcludedEmailAddresses {
		if emailIn(addr, e) {
			return "excluded"
		}
	}
	if len(ca.PermittedEmailAddresses) == 0 {
		return ""
	}
	for _, p := range ca.PermittedEmailAddresses {
		if emailIn(addr, p) {
			return ""
		}
	}
	return "outside"
}

// subjectEmails returns the emailAddress attributes of c's subject, and
// whether one is not an IA5String (OpenSSL refuses it under any name
// constraints: X509_V_ERR_UNSUPPORTED_NAME_SYNTAX).
func subjectEmails(c *x509.Certificate) (addrs []string, notIA5 bool) {
	in := cryptobyte.String(c.RawSubject)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, false
	}
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return addrs, notIA5
		}
		for !set.Empty() {
			var a, v cryptobyte.String
			var oid asn1.ObjectIdentifier
			var tag cbasn1.Tag
			if !set.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&oid) || !a.ReadAnyASN1(&v, &tag) {
				return addrs, notIA5
			}
			if !oid.Equal(oidEmailAddress) {
				continue
			}
			if tag != cbasn1.IA5String {
				notIA5 = true
				continue
			}
			addrs = append(addrs, string(v))
		}
	}
	return addrs, notIA5
}

// sanDirNames returns the directoryName entries of c's subjectAltName,
// raw.
func sanDirNames(c *x509.Certificate) [][]byte {
	var out [][]byte
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		in := cryptobyte.String(e.Value)
		var seq cryptobyte.String
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
			return nil
		}
		for !seq.Empty() {
			var v cryptobyte.String
			var tag cbasn1.Tag
			if !seq.ReadAnyASN1(&v, &tag) {
				return out
			}
			if tag == cbasn1.Tag(4).ContextSpecific().Constructed() {
				out = append(out, v)
			}
		}
	}
	return out
}

// ownNameViolations lists the names of c, a certificate below ca, that
// ca's name constraints rule out and crypto/x509 does not check, each
// with its verdict (outside the permitted subtrees, or inside an
// excluded one). leaf says c is the leaf: a self-issued intermediate is
// not checked (RFC 5280, Section 6.1.3).
func ownNameViolations(ca, c *x509.Certificate, leaf bool) (outside, excluded []string) {
	nc, ok := parseOwnConstraints(ca)
	if !ok || !leaf && selfIssued(c) {
		return nil, nil
	}
	add := func(verdict, name string) {
		switch verdict {
		case "outside":
			outside = append(outside, name)
		case "excluded":
			excluded = append(excluded, name)
		}
	}
	if len(nc.permittedDirs)+len(nc.excludedDirs) > 0 {
		if rdns, ok := canonicalName(c.RawSubject); ok && len(rdns) > 0 {
			// An intermediate is named by its subject already.
			subject := "subject"
			if leaf {
				subject = fmt.Sprintf("subject %q", dn.String(c.RawSubject))
			}
			add(nc.dirVerdict(rdns), subject)
		}
		for _, d := range sanDirNames(c) {
			if rdns, ok := canonicalName(d); ok {
				add(nc.dirVerdict(rdns), "dirName:"+dn.String(d))
			}
		}
	}
	addrs, notIA5 := subjectEmails(c)
	if notIA5 {
		outside = append(outside, "an emailAddress in the subject that is not an IA5String (OpenSSL refuses it under any name constraints)")
	}
	for _, a := range addrs {
		add(emailVerdict(ca, a), "emailAddress "+a+" (in the subject)")
	}
	return outside, excluded
}

// sanEmailViolations lists the e-mail addresses of c's subjectAltName
// that ca's constraints rule out by RFC 5280's rule (emailIn), where
// crypto/x509 takes a subdomain within a host's subtree.
func sanEmailViolations(ca, c *x509.Certificate) (outside, excluded []string) {
	for _, e := range c.EmailAddresses {
		switch emailVerdict(ca, e) {
		case "outside":
			outside = append(outside, e)
		case "excluded":
			excluded = append(excluded, e)
		}
	}
	return outside, excluded
}

// ownNameConstraints holds every certificate of path (leaf first, up to
// the trust anchor) to the constraints of the CAs above it that
// crypto/x509 does not check (ownNameViolations, sanEmailViolations).
// The error is crypto/x509's for a name a CA may not sign.
func ownNameConstraints(path []*x509.Certificate) error {
	for j := 1; j < len(path); j++ {
		ca := path[j]
		if !hasNameConstraints(ca) {
			continue
		}
		for i, c := range path[:j] {
			out, ex := ownNameViolations(ca, c, i == 0)
			so, se := sanEmailViolations(ca, c)
			out, ex = append(out, so...), append(ex, se...)
			if len(out)+len(ex) == 0 {
				continue
			}
			detail := fmt.Sprintf("%s is not permitted by the name constraints of %q", strings.Join(append(out, ex...), ", "), ca.Subject)
			return x509.CertificateInvalidError{Cert: c, Reason: x509.CANotAuthorizedForThisName, Detail: detail}
		}
	}
	return nil
}
