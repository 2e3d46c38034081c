// Package dn writes X.501 distinguished names (RFC 5280, Section 4.1.2.4)
// as text, the way openssl writes them with -nameopt RFC2253,-esc_msb:
// RFC 4514 order (the last RDN first), the attribute short names openssl
// uses (CN, emailAddress, DC, UID, serialNumber, jurisdictionC, …), the
// attributes of a multi-valued RDN joined by "+", and every value as it
// was encoded, never re-ordered nor dropped. crypto/x509's pkix.Name
// String names only nine attributes (an emailAddress is
// 1.2.840.113549.1.9.1=#16…) and puts the attributes it has no field for
// after the others, whatever their place in the certificate.
package dn

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Subject returns c's subject as text (a template, not parsed from DER,
// as crypto/x509 writes it).
func Subject(c *x509.Certificate) string {
	if len(c.RawSubject) == 0 {
		return c.Subject.String()
	}
	return String(c.RawSubject)
}

// Issuer returns c's issuer as text (a template's as crypto/x509 writes
// it).
func Issuer(c *x509.Certificate) string {
	if len(c.RawIssuer) == 0 {
		return c.Issuer.String()
	}
	return String(c.RawIssuer)
}

// attribute is one AttributeTypeAndValue: its type's name and its value
// as text.
type attribute struct {
	name, value string
}

// String returns the DER Name der as text; a Name that does not parse is
// given as "#" and its bytes in hex, as RFC 4514 gives a value it cannot
// write as a string.
func String(der []byte) string {
	s, ok := Format(der)
	if !ok {
		return "#" + strings.ToUpper(hex.EncodeToString(der))
	}
	return s
}

// Format returns the DER Name der as text, and whether it parses.
func Format(der []byte) (string, bool) {
	attrs, ok := parse(der)
	if !ok {
		return "", false
	}
	var b strings.Builder
	// openssl's XN_FLAG_DN_REV walks the attributes from the last: the
	// RDNs come last first, and so do the attributes inside one.
	for i := len(attrs) - 1; i >= 0; i-- {
		a := attrs[i]
		if i < len(attrs)-1 {
			if attrs[i+1].set == a.set {
				b.WriteByte('+')
			} else {
				b.WriteByte(',')
			}
		}
		b.WriteString(a.name)
		b.WriteByte('=')
		b.WriteString(a.value)
	}
	return b.String(), true
}

type parsed struct {
	attribute
	set int // the RDN it belongs to
}

// parse reads RFC 5280's Name: a SEQUENCE OF RelativeDistinguishedName,
// each a SET OF AttributeTypeAndValue { type OID, value ANY }.
func parse(der []byte) ([]parsed, bool) {
	in := cryptobyte.String(der)
	var rdns cryptobyte.String
	if !in.ReadASN1(&rdns, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, false
	}
	var out []parsed
	for set := 0; !rdns.Empty(); set++ {
		var rdn cryptobyte.String
		if !rdns.ReadASN1(&rdn, cbasn1.SET) {
			return nil, false
		}
		for !rdn.Empty() {
			var atv cryptobyte.String
			var oid asn1.ObjectIdentifier
			var value cryptobyte.String
			var tag cbasn1.Tag
			if !rdn.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1ObjectIdentifier(&oid) {
				return nil, false
			}
			full := []byte(atv)
			if !atv.ReadAnyASN1(&value, &tag) || !atv.Empty() {
				return nil, false
			}
			out = append(out, parsed{attribute{name: attributeName(oid), value: valueText(oid, tag, value, full)}, set})
		}
	}
	return out, true
}

// valueText writes a value as openssl's RFC2253 options do: a string
// type (ASN1_STRFLGS_DUMP_UNKNOWN) of a known attribute
// (XN_FLAG_DUMP_UNKNOWN_FIELDS) as its characters, escaped; anything
// else as "#" and the hex of its DER (ASN1_STRFLGS_DUMP_DER).
func valueText(oid asn1.ObjectIdentifier, tag cbasn1.Tag, value []byte, full []byte) string {
	dump := "#" + strings.ToUpper(hex.EncodeToString(full))
	if _, ok := names[oid.String()]; !ok {
		return dump
	}
	runes, ok := decode(tag, value)
	if !ok {
		return dump
	}
	return escape(runes)
}

// Universal tags of the string types openssl prints (its tag2nbyte).
const (
	tagUTF8String      = 12
	tagNumericString   = 18
	tagPrintableString = 19
	tagT61String       = 20
	tagIA5String       = 22
	tagUTCTime         = 23
	tagGeneralizedTime = 24
	tagUniversalString = 28
	tagBMPString       = 30
)

// decode returns the characters of a string value: UTF-8, UCS-4
// (UniversalString), UCS-2 (BMPString) or one byte a character, read as
// Latin-1 as openssl does (T61String included).
func decode(tag cbasn1.Tag, v []byte) ([]rune, bool) {
	var r []rune
	switch tag {
	case tagUTF8String:
		if !utf8.Valid(v) {
			return nil, false
		}
		return []rune(string(v)), true
	case tagNumericString, tagPrintableString, tagT61String, tagIA5String, tagUTCTime, tagGeneralizedTime:
		for _, c := range v {
			r = append(r, rune(c))
		}
	case tagBMPString:
		if len(v)%2 != 0 {
			return nil, false
		}
		for i := 0; i < len(v); i += 2 {
			r = append(r, rune(v[i])<<8|rune(v[i+1]))
		}
	case tagUniversalString:
		if len(v)%4 != 0 {
			return nil, false
		}
		for i := 0; i < len(v); i += 4 {
			c := rune(v[i])<<24 | rune(v[i+1])<<16 | rune(v[i+2])<<8 | rune(v[i+3])
			if c < 0 || c > utf8.MaxRune {
				return nil, false
			}
			r = append(r, c)
		}
	default:
		return nil, false
	}
	return r, true
}

// escape writes characters as RFC 4514, Section 2.4 asks and openssl
// does: a backslash before ",+\"\\<>;", before "#" or a space that starts
// the value and a space that ends it; control characters as "\" and two
// hex digits; the rest as UTF-8.
func escape(rs []rune) string {
	var b strings.Builder
	for i, c := range rs {
		switch {
		case strings.ContainsRune(",+\"\\<>;", c),
			i == 0 && (c == '#' || c == ' '),
			i == len(rs)-1 && c == ' ':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte('\\')
			b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{byte(c)})))
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// attributeName returns the short name openssl gives an attribute type,
// or the OID in dotted form.
func attributeName(oid asn1.ObjectIdentifier) string {
	if n, ok := names[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// names are the attribute types of distinguished names by their short
// names in openssl's object table (crypto/objects/objects.txt): X.520's
// (RFC 4519), PKCS #9's, RFC 4519's and RFC 1274's domain component and
// user ID, and the EV jurisdiction attributes of the CA/Browser Forum's
// guidelines (Section 9.2.4).
var names = map[string]string{
	"2.5.4.3":  "CN",
	"2.5.4.4":  "SN",
	"2.5.4.5":  "serialNumber",
	"2.5.4.6":  "C",
	"2.5.4.7":  "L",
	"2.5.4.8":  "ST",
	"2.5.4.9":  "street",
	"2.5.4.10": "O",
	"2.5.4.11": "OU",
	"2.5.4.12": "title",
	"2.5.4.13": "description",
	"2.5.4.15": "businessCategory",
	"2.5.4.16": "postalAddress",
	"2.5.4.17": "postalCode",
	"2.5.4.18": "postOfficeBox",
	"2.5.4.19": "physicalDeliveryOfficeName",
	"2.5.4.20": "telephoneNumber",
	"2.5.4.24": "x121Address",
	"2.5.4.25": "internationaliSDNNumber",
	"2.5.4.26": "registeredAddress",
	"2.5.4.27": "destinationIndicator",
	"2.5.4.41": "name",
	"2.5.4.42": "GN",
	"2.5.4.43": "initials",
	"2.5.4.44": "generationQualifier",
	"2.5.4.45": "x500UniqueIdentifier",
	"2.5.4.46": "dnQualifier",
	"2.5.4.51": "houseIdentifier",
	"2.5.4.54": "dmdName",
	"2.5.4.65": "pseudonym",
	"2.5.4.72": "role",
	"2.5.4.97": "organizationIdentifier",

	"1.2.840.113549.1.9.1": "emailAddress",
	"1.2.840.113549.1.9.2": "unstructuredName",
	"1.2.840.113549.1.9.8": "unstructuredAddress",

	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.3":  "mail",
	"0.9.2342.19200300.100.1.25": "DC",

	"1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}
