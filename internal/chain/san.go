package chain

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"net"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlstrace/tlstrace/internal/dn"
)

var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// subjectAltNames lists every name of c's subjectAltName (RFC 5280,
// Section 4.2.1.6) in its order, in openssl's configuration syntax
// (DNS:, IP:, email:, URI:, otherName:OID;UTF8:…, dirName:, RID:), the
// forms crypto/x509 does not read included (it keeps DNS names, IP
// addresses, e-mail addresses and URIs only, each kind apart). ok is
// false when c has no subjectAltName or it does not parse.
func subjectAltNames(c *x509.Certificate) (names []string, ok bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			return generalNames(e.Value)
		}
	}
	return nil, false
}

// generalNames reads GeneralNames (RFC 5280, Section 4.2.1.6).
func generalNames(der []byte) ([]string, bool) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, false
	}
	var names []string
	for !seq.Empty() {
		var v cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&v, &tag) {
			return nil, false
		}
		full := func() string { return "#" + strings.ToUpper(hex.EncodeToString(v)) }
		switch tag {
		case cbasn1.Tag(0).Constructed().ContextSpecific(): // otherName
			var oid asn1.ObjectIdentifier
			var value cryptobyte.String
			if !v.ReadASN1ObjectIdentifier(&oid) || !v.ReadASN1(&value, cbasn1.Tag(0).Constructed().ContextSpecific()) {
				return nil, false
			}
			var s cryptobyte.String
			var st cbasn1.Tag
			text := "#" + strings.ToUpper(hex.EncodeToString(value))
			if value.ReadAnyASN1(&s, &st) && value.Empty() {
				switch st {
				case cbasn1.UTF8String:
					text = "UTF8:" + string(s)
				case cbasn1.IA5String:
					text = "IA5:" + string(s)
				}
			}
			names = append(names, "otherName:"+oid.String()+";"+text)
		case cbasn1.Tag(1).ContextSpecific():
			names = append(names, "email:"+string(v))
		case cbasn1.Tag(2).ContextSpecific():
			names = append(names, "DNS:"+string(v))
		case cbasn1.Tag(3).Constructed().ContextSpecific():
			names = append(names, "x400Address:"+full())
		case cbasn1.Tag(4).Constructed().ContextSpecific(): // EXPLICIT Name
			names = append(names, "dirName:"+dn.String(v))
		case cbasn1.Tag(5).Constructed().ContextSpecific():
			names = append(names, "ediPartyName:"+full())
		case cbasn1.Tag(6).ContextSpecific():
			names = append(names, "URI:"+string(v))
		case cbasn1.Tag(7).ContextSpecific():
			if len(v) == net.IPv4len || len(v) == net.IPv6len {
				names = append(names, "IP:"+net.IP(v).String())
			} else {
				names = append(names, "IP:"+full())
			}
		case cbasn1.Tag(8).ContextSpecific():
			// The OID's content octets under an IMPLICIT tag.
			var oid asn1.ObjectIdentifier
			b := cryptobyte.NewBuilder(nil)
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(v) })
			raw := cryptobyte.String(b.BytesOrPanic())
			if !raw.ReadASN1ObjectIdentifier(&oid) {
				return nil, false
			}
			names = append(names, "RID:"+oid.String())
		default:
			names = append(names, "#"+strings.ToUpper(hex.EncodeToString(v)))
		}
	}
	return names, true
}
