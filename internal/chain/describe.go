package chain

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/field"
)

// Describe returns the fields of a certificate as `openssl x509 -text`
// shows them, plus fingerprints and the SPKI pin in curl's form.
func Describe(c *x509.Certificate) *field.Node {
	f := field.NewObject("")
	f.AddUint("version", uint64(c.Version))
	f.AddString("serial", SerialText(c))
	f.AddString("signature_algorithm", SignatureName(c))
	f.AddString("issuer", dn.Issuer(c))
	f.AddString("subject", dn.Subject(c))
	f.AddString("not_before", c.NotBefore.UTC().Format(time.RFC3339))
	f.AddString("not_after", c.NotAfter.UTC().Format(time.RFC3339))
	f.AddString("public_key", KeyDescription(c))
	if c.BasicConstraintsValid {
		bc := "CA:FALSE"
		if c.IsCA {
			bc = "CA:TRUE"
			if c.MaxPathLen > 0 || c.MaxPathLenZero {
				bc += fmt.Sprintf(", pathlen:%d", c.MaxPathLen)
			}
		}
		f.AddString("basic_constraints", bc)
	}
	if c.KeyUsage != 0 {
		f.AddString("key_usage", keyUsages(c.KeyUsage))
	}
	if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
		var names []string
		for _, u := range c.ExtKeyUsage {
			names = append(names, u.String())
		}
		for _, u := range c.UnknownExtKeyUsage {
			names = append(names, u.String())
		}
		f.AddString("extended_key_usage", strings.Join(names, ", "))
	}
	if names, ok := subjectAltNames(c); ok && len(names) > 0 {
		l := f.Add(field.NewList("subject_alt_names"))
		for _, n := range names {
			l.AddString("", n)
		}
	} else if len(c.DNSNames)+len(c.IPAddresses)+len(c.EmailAddresses)+len(c.URIs) > 0 {
		l := f.Add(field.NewList("subject_alt_names"))
		for _, d := range c.DNSNames {
			l.AddString("", "DNS:"+d)
		}
		for _, ip := range c.IPAddresses {
			l.AddString("", "IP:"+ip.String())
		}
		for _, e := range c.EmailAddresses {
			l.AddString("", "email:"+e)
		}
		for _, u := range c.URIs {
			l.AddString("", "URI:"+u.String())
		}
	}
	if nc := nameConstraints(c); nc != "" {
		f.AddString("name_constraints", nc)
	}
	if len(c.SubjectKeyId) > 0 {
		f.AddString("subject_key_id", colonHex(c.SubjectKeyId))
	}
	if len(c.AuthorityKeyId) > 0 {
		f.AddString("authority_key_id", colonHex(c.AuthorityKeyId))
	}
	for _, u := range c.OCSPServer {
		f.AddString("ocsp", u)
	}
	for _, u := range c.IssuingCertificateURL {
		f.AddString("ca_issuers", u)
	}
	for _, u := range c.CRLDistributionPoints {
		f.AddString("crl", u)
	}
	for _, p := range c.Policies {
		f.AddString("policy", p.String())
	}
	if l := policyLimits(c); l != "" {
		f.AddString("policy_constraints", l)
	}
	exts := f.Add(field.NewList("extensions"))
	for _, e := range c.Extensions {
		name := extensionNames[e.Id.String()]
		if name == "" {
			name = e.Id.String()
		}
		if e.Critical {
			name += " (critical)"
		}
		exts.AddString("", fmt.Sprintf("%s, %d bytes", name, len(e.Value)))
	}
	s256 := sha256.Sum256(c.Raw)
	s1 := sha1.Sum(c.Raw)
	f.AddString("sha256_fingerprint", colonHex(s256[:]))
	f.AddString("sha1_fingerprint", colonHex(s1[:]))
	f.AddString("pin", Pin(c))
	f.AddBool("self_signed", selfSigned(c))
	return f
}

// Pin returns the certificate's SPKI pin in curl's --pinnedpubkey form:
// sha256// and the base64 SHA-256 of its SubjectPublicKeyInfo.
func Pin(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256//" + base64.StdEncoding.EncodeToString(sum[:])
}

// extensionNames names the X.509 extensions seen in practice.
var extensionNames = map[string]string{
	"2.5.29.14":               "subjectKeyIdentifier",
	"2.5.29.15":               "keyUsage",
	"2.5.29.17":               "subjectAltName",
	"2.5.29.18":               "issuerAltName",
	"2.5.29.19":               "basicConstraints",
	"2.5.29.30":               "nameConstraints",
	"2.5.29.31":               "cRLDistributionPoints",
	"2.5.29.32":               "certificatePolicies",
	"2.5.29.33":               "policyMappings",
	"2.5.29.35":               "authorityKeyIdentifier",
	"2.5.29.36":               "policyConstraints",
	"2.5.29.37":               "extKeyUsage",
	"2.5.29.54":               "inhibitAnyPolicy",
	"1.3.6.1.5.5.7.1.1":       "authorityInfoAccess",
	"1.3.6.1.5.5.7.1.11":      "subjectInfoAccess",
	"1.3.6.1.5.5.7.1.24":      "tlsFeature (OCSP must-staple)",
	"1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList (CT)",
	"1.3.6.1.4.1.11129.2.4.3": "CT precertificate poison",
	"1.3.6.1.5.5.7.48.1.5":    "OCSP no check",
}

func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// SerialText writes c's serial number as openssl x509 -text writes a long
// one: its bytes in hex with colons, "(Negative)" before a negative one,
// and 0 as the one byte 00 its DER holds, as openssl x509 -serial writes
// it (RFC 5280, Section 4.1.2.2 forbids both; openssl reads them).
func SerialText(c *x509.Certificate) string {
	if c.SerialNumber == nil {
		return ""
	}
	if c.SerialNumber.Sign() == 0 {
		// big.Int's Bytes is empty for 0.
		return "00"
	}
	if c.SerialNumber.Sign() < 0 {
		return "(Negative)" + colonHex(new(big.Int).Neg(c.SerialNumber).Bytes())
	}
	return colonHex(c.SerialNumber.Bytes())
}

// named names c in a sentence by its subject, quoted, or, when its
// subject is empty (RFC 5280, Section 4.1.2.6 allows it in a certificate
// whose subjectAltName, critical, names it), as "the certificate with an
// empty subject (serial …)", which a reader can tell from the others.
func named(c *x509.Certificate) string {
	if s := dn.Subject(c); s != "" {
		return strconv.Quote(s)
	}
	return "the certificate with an empty subject (serial " + SerialText(c) + ")"
}

// theCertificate is named(c) after "the certificate" when c has a
// subject: `the certificate "CN=x"`.
func theCertificate(c *x509.Certificate) string {
	if dn.Subject(c) != "" {
		return "the certificate " + named(c)
	}
	return named(c)
}

// theRoleCertificate is theCertificate with c's role in the chain:
// `the leaf certificate "CN=x"`.
func theRoleCertificate(role string, c *x509.Certificate) string {
	if dn.Subject(c) != "" {
		return "the " + role + " certificate " + named(c)
	}
	return "the " + role + " certificate with an empty subject (serial " + SerialText(c) + ")"
}
