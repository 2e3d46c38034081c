package certgen

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/setting"
)

// More extensions of RFC 5280, Section 4.2.1, that a request may ask for.
var (
	oidSubjectKeyID      = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidNameConstraints   = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidPolicyMappings    = asn1.ObjectIdentifier{2, 5, 29, 33}
	oidPolicyConstraints = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidInhibitAnyPolicy  = asn1.ObjectIdentifier{2, 5, 29, 54}
)

// caOnly are the extensions RFC 5280 allows in a CA's certificate only:
// nameConstraints (Section 4.2.1.10), policyMappings (4.2.1.5),
// policyConstraints (4.2.1.11) and inhibitAnyPolicy (4.2.1.14).
var caOnly = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{oidNameConstraints, "nameConstraints"},
	{oidPolicyMappings, "policyMappings"},
	{oidPolicyConstraints, "policyConstraints"},
	{oidInhibitAnyPolicy, "inhibitAnyPolicy"},
}

// DropReason says why a request's extension, or part of it, is not in
// the certificate issued for it.
type DropReason int

const (
	// DropNotCA is what only a CA's certificate carries (CA:TRUE,
	// keyCertSign, cRLSign, name and policy constraints) asked for by a
	// request signed without ProfileCA: a request does not make itself a
	// CA.
	DropNotCA DropReason = iota + 1
	// DropIssuerSet is an extension the issuer sets itself (Dropped.Setting
	// names the setting, or "" for the key identifiers, which the issuer
	// always derives).
	DropIssuerSet
	// DropKeyType is a key usage the request's key cannot have (RFC 5480,
	// 3279, 8410; see checkKeyUsage).
	DropKeyType
	// DropDuplicate is an extension the request asks for a second time:
	// a certificate carries each extension once (RFC 5280, Section 4.2).
	DropDuplicate
)

// Dropped is what a request asked for that the certificate issued for it
// does not carry.
type Dropped struct {
	// Extension names the extension as RFC 5280 does (basicConstraints,
	// keyUsage, …), or gives its OID.
	Extension string
	// Value is what of it was left out, as openssl x509 -text says it
	// ("CA:TRUE, pathlen:3", "keyCertSign, cRLSign", "DNS:a.test"), ""
	// for the whole extension.
	Value string
	Why   DropReason
	// Setting names the Config field that decided (Profile, KeyUsage,
	// ExtKeyUsage, SANs), "" when none did.
	Setting string
}

// basicConstraints is RFC 5280, Section 4.2.1.9's extension value.
type basicConstraints struct {
	IsCA       bool `asn1:"optional"`
	MaxPathLen int  `asn1:"optional,default:-1"`
}

func (b basicConstraints) String() string {
	if !b.IsCA {
		return "CA:FALSE"
	}
	if b.MaxPathLen >= 0 {
		return fmt.Sprintf("CA:TRUE, pathlen:%d", b.MaxPathLen)
	}
	return "CA:TRUE"
}

// fromRequest copies into t the extensions of r that c does not decide
// (openssl's copy_extensions = copy, with the exceptions Config.Request
// lists) and returns what it left out.
func fromRequest(t *x509.Certificate, r *x509.CertificateRequest, pub any, c *Config) []Dropped {
	ca := c.Profile == ProfileCA
	var dropped []Dropped
	drop := func(ext, value string, why DropReason, setting string) {
		dropped = append(dropped, Dropped{Extension: ext, Value: value, Why: why, Setting: setting})
	}
	if !ca {
		// RFC 5280, Section 4.2.1.9: said outright, so that no verifier
		// need guess what a certificate without the extension is.
		t.BasicConstraintsValid, t.IsCA = true, false
	}
	kuSetting := "Profile"
	if len(c.KeyUsage) > 0 {
		kuSetting = "KeyUsage"
	}
	ekuSetting := "Profile"
	if len(c.ExtKeyUsage) > 0 {
		ekuSetting = "ExtKeyUsage"
	}
	var seen []asn1.ObjectIdentifier
	for _, e := range r.Extensions {
		if slices.ContainsFunc(seen, e.Id.Equal) {
			drop(extName(e.Id), "", DropDuplicate, "")
			continue
		}
		seen = append(seen, e.Id)
		switch {
		case e.Id.Equal(oidBasicConstraints):
			var asked basicConstraints
			if rest, err := asn1.Unmarshal(e.Value, &asked); err != nil || len(rest) > 0 {
				drop("basicConstraints", "(does not parse)", DropIssuerSet, "Profile")
				continue
			}
			got := basicConstraints{IsCA: t.IsCA, MaxPathLen: t.MaxPathLen}
			if t.MaxPathLen == 0 && !t.MaxPathLenZero {
				got.MaxPathLen = -1
			}
			switch {
			case asked.IsCA && !ca:
				drop("basicConstraints", asked.String(), DropNotCA, "Profile")
			case asked != got && (asked.IsCA || ca):
				drop("basicConstraints", asked.String(), DropIssuerSet, "Profile")
			}
		case e.Id.Equal(oidKeyUsage):
			var bits asn1.BitString
			if rest, err := asn1.Unmarshal(e.Value, &bits); err != nil || len(rest) > 0 {
				drop("keyUsage", "(does not parse)", DropIssuerSet, kuSetting)
				continue
			}
			var asked x509.KeyUsage
			for i := range 9 {
				if bits.At(i) != 0 {
					asked |= 1 << i
				}
			}
			var notCA x509.KeyUsage
			if !ca {
				notCA = asked & (x509.KeyUsageCertSign | x509.KeyUsageCRLSign)
			}
			if t.KeyUsage == 0 {
				bad, _, _ := forbiddenUsages(pub)
				bad &= asked
				t.KeyUsage = asked &^ notCA &^ bad
				if bad != 0 {
					drop("keyUsage", usageNames(bad), DropKeyType, "")
				}
			} else if other := asked &^ t.KeyUsage &^ notCA; other != 0 {
				drop("keyUsage", usageNames(other), DropIssuerSet, kuSetting)
			}
			if notCA != 0 {
				drop("keyUsage", usageNames(notCA), DropNotCA, "Profile")
			}
		case e.Id.Equal(oidExtKeyUsage):
			if len(t.ExtKeyUsage) == 0 {
				t.ExtraExtensions = append(t.ExtraExtensions, e)
				continue
			}
			var asked []asn1.ObjectIdentifier
			if rest, err := asn1.Unmarshal(e.Value, &asked); err != nil || len(rest) > 0 {
				drop("extKeyUsage", "(does not parse)", DropIssuerSet, ekuSetting)
				continue
			}
			var left []string
			for _, oid := range asked {
				if name, has := ekuName(oid, t.ExtKeyUsage); !has {
					left = append(left, name)
				}
			}
			if len(left) > 0 {
				drop("extKeyUsage", strings.Join(left, ", "), DropIssuerSet, ekuSetting)
			}
		case e.Id.Equal(oidSAN):
			if len(c.SANs) == 0 {
				t.ExtraExtensions = append(t.ExtraExtensions, e)
				continue
			}
			drop("subjectAltName", requestNames(r), DropIssuerSet, "SANs")
		case e.Id.Equal(oidAuthorityKeyID):
			drop("authorityKeyIdentifier", "", DropIssuerSet, "")
		case e.Id.Equal(oidSubjectKeyID):
			// The issuer derives it from the key (CreateCertificate): a
			// request's own, unless the same, would make the key
			// identifiers of a chain disagree with its keys.
			var id []byte
			_, err := asn1.Unmarshal(e.Value, &id)
			if own, kerr := keyID(pub); err != nil || kerr != nil || !bytes.Equal(id, own) {
				drop("subjectKeyIdentifier", fmt.Sprintf("%X", id), DropIssuerSet, "")
			}
		default:
			i := slices.IndexFunc(caOnly, func(o struct {
				oid  asn1.ObjectIdentifier
				name string
			}) bool {
				return e.Id.Equal(o.oid)
			})
			if i >= 0 && !ca {
				drop(caOnly[i].name, "", DropNotCA, "Profile")
				continue
			}
			t.ExtraExtensions = append(t.ExtraExtensions, e)
		}
	}
	return dropped
}

// extName names the extensions fromRequest reads, else gives the OID.
func extName(oid asn1.ObjectIdentifier) string {
	for _, n := range []struct {
		oid  asn1.ObjectIdentifier
		name string
	}{
		{oidBasicConstraints, "basicConstraints"}, {oidKeyUsage, "keyUsage"}, {oidExtKeyUsage, "extKeyUsage"},
		{oidSAN, "subjectAltName"}, {oidAuthorityKeyID, "authorityKeyIdentifier"}, {oidSubjectKeyID, "subjectKeyIdentifier"},
	} {
		if oid.Equal(n.oid) {
			return n.name
		}
	}
	for _, n := range caOnly {
		if oid.Equal(n.oid) {
			return n.name
		}
	}
	return oid.String()
}

// usageNames names the key usages of ku as RFC 5280 does, in bit order.
func usageNames(ku x509.KeyUsage) string {
	var names []string
	for b := x509.KeyUsageDigitalSignature; b <= x509.KeyUsageDecipherOnly; b <<= 1 {
		if ku&b != 0 {
			names = append(names, b.String())
		}
	}
	return strings.Join(names, ", ")
}

// ekuOIDs are the extended key usages of RFC 5280, Section 4.2.1.12, by
// their names there.
var ekuOIDs = []struct {
	usage x509.ExtKeyUsage
	oid   asn1.ObjectIdentifier
	name  string
}{
	{x509.ExtKeyUsageServerAuth, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}, "serverAuth"},
	{x509.ExtKeyUsageClientAuth, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}, "clientAuth"},
	{x509.ExtKeyUsageCodeSigning, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}, "codeSigning"},
	{x509.ExtKeyUsageEmailProtection, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}, "emailProtection"},
	{x509.ExtKeyUsageTimeStamping, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}, "timeStamping"},
	{x509.ExtKeyUsageOCSPSigning, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}, "OCSPSigning"},
	{x509.ExtKeyUsageAny, asn1.ObjectIdentifier{2, 5, 29, 37, 0}, "anyExtendedKeyUsage"},
}

// ekuName names an extended key usage as RFC 5280 does, else gives its
// OID; has reports whether usages holds it.
func ekuName(oid asn1.ObjectIdentifier, usages []x509.ExtKeyUsage) (name string, has bool) {
	for _, e := range ekuOIDs {
		if e.oid.Equal(oid) {
			return e.name, slices.Contains(usages, e.usage)
		}
	}
	return oid.String(), false
}

// ErrRequestName is a request whose subjectAltName holds a name that no
// certificate should carry; the error says which and why.
var ErrRequestName = errors.New("the request's subjectAltName holds a name a certificate cannot carry")

// checkRequestNames refuses a request whose subjectAltName holds a DNS
// name that is not one (dnsname.Check, as AddSANs refuses it), or an
// e-mail address that does not parse (RFC 5322), which crypto/x509 reads
// as they are.
func checkRequestNames(r *x509.CertificateRequest) error {
	for _, n := range r.DNSNames {
		if err := checkDNSName("DNS:"+n, n); err != nil {
			var se *setting.Error
			if errors.As(err, &se) {
				err = se.Err
			}
			return fmt.Errorf("%w: DNS:%q: %w", ErrRequestName, n, err)
		}
	}
	for _, e := range r.EmailAddresses {
		a, err := mail.ParseAddress(e)
		if err == nil && a.Address != e {
			err = errors.New("not an address alone (local-part@domain)")
		}
		if err != nil {
			return fmt.Errorf("%w: email:%q: %w", ErrRequestName, e, err)
		}
	}
	return nil
}

// requestNames lists the subject alternative names crypto/x509 read from
// r, as openssl x509 -text writes them.
func requestNames(r *x509.CertificateRequest) string {
	var names []string
	for _, n := range r.DNSNames {
		names = append(names, "DNS:"+n)
	}
	for _, ip := range r.IPAddresses {
		names = append(names, "IP Address:"+ip.String())
	}
	for _, e := range r.EmailAddresses {
		names = append(names, "email:"+e)
	}
	for _, u := range r.URIs {
		names = append(names, "URI:"+u.String())
	}
	return strings.Join(names, ", ")
}
