package chain

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// RequestEvent returns the event of connection n that shows the
// certificate request r, read from the file name (its signature already
// checked): its fields as DescribeRequest gives them, after the file's
// name.
func RequestEvent(n int, r *x509.CertificateRequest, name string) *trace.Event {
	f := DescribeRequest(r)
	f.Children = append([]*field.Node{{Name: "file", Kind: field.String, Str: name}}, f.Children...)
	return trace.NewEvent(n, trace.Local, &trace.RequestInfo{Subject: dn.String(r.RawSubject), Fields: f})
}

// DescribeRequest returns the fields of a PKCS #10 request (RFC 2986) as
// `openssl req -text` shows them: what its author asks the issuer to
// certify, which the issuer decides on (docs/cert.md).
func DescribeRequest(r *x509.CertificateRequest) *field.Node {
	// The request read as the parts of a certificate it shares, for the
	// descriptions of keys and signature algorithms (its outer layout,
	// info then algorithm then signature, is a certificate's).
	c := &x509.Certificate{Raw: r.Raw, PublicKey: r.PublicKey, PublicKeyAlgorithm: r.PublicKeyAlgorithm,
		RawSubjectPublicKeyInfo: r.RawSubjectPublicKeyInfo, SignatureAlgorithm: r.SignatureAlgorithm}
	f := field.NewObject("")
	f.AddUint("version", uint64(r.Version+1))
	f.AddString("subject", dn.String(r.RawSubject))
	f.AddString("public_key", KeyDescription(c))
	f.AddString("signature_algorithm", SignatureName(c))
	f.AddString("signature", "verified with the request's own key (the requester holds the private key)")
	if len(r.Extensions) == 0 {
		return f
	}
	exts := f.Add(field.NewList("requested_extensions"))
	for _, e := range r.Extensions {
		name := extensionNames[e.Id.String()]
		if name == "" {
			name = e.Id.String()
		}
		if e.Critical {
			name += " (critical)"
		}
		exts.AddString("", fmt.Sprintf("%s, %d bytes", name, len(e.Value)))
		switch name := extensionNames[e.Id.String()]; name {
		case "basicConstraints":
			var bc struct {
				IsCA       bool `asn1:"optional"`
				MaxPathLen int  `asn1:"optional,default:-1"`
			}
			if _, err := asn1.Unmarshal(e.Value, &bc); err == nil {
				s := "CA:FALSE"
				if bc.IsCA {
					s = "CA:TRUE"
					if bc.MaxPathLen >= 0 {
						s += fmt.Sprintf(", pathlen:%d", bc.MaxPathLen)
					}
				}
				f.AddString("basic_constraints", s)
			}
		case "keyUsage":
			var bits asn1.BitString
			if _, err := asn1.Unmarshal(e.Value, &bits); err == nil {
				var ku x509.KeyUsage
				for i := range 9 {
					if bits.At(i) != 0 {
						ku |= 1 << i
					}
				}
				f.AddString("key_usage", keyUsages(ku))
			}
		case "extKeyUsage":
			var oids []asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(e.Value, &oids); err == nil {
				var names []string
				for _, o := range oids {
					n := ekuNames[o.String()]
					if n == "" {
						n = o.String()
					}
					names = append(names, n)
				}
				f.AddString("extended_key_usage", strings.Join(names, ", "))
			}
		case "subjectAltName":
			if names, ok := generalNames(e.Value); ok {
				l := f.Add(field.NewList("subject_alt_names"))
				for _, n := range names {
					l.AddString("", n)
				}
			}
		}
	}
	return f
}

// ekuNames are the extended key usages of RFC 5280, Section 4.2.1.12, as
// crypto/x509 names them.
var ekuNames = map[string]string{
	"2.5.29.37.0":       "anyExtendedKeyUsage",
	"1.3.6.1.5.5.7.3.1": "serverAuth",
	"1.3.6.1.5.5.7.3.2": "clientAuth",
	"1.3.6.1.5.5.7.3.3": "codeSigning",
	"1.3.6.1.5.5.7.3.4": "emailProtection",
	"1.3.6.1.5.5.7.3.8": "timeStamping",
	"1.3.6.1.5.5.7.3.9": "OCSPSigning",
}
