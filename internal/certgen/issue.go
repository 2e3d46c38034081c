package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/setting"
)

// Profiles: the key usages of a CA, and of a TLS server, client or both.
const (
	ProfileCA     = "ca"
	ProfileServer = "server"
	ProfileClient = "client"
	ProfileBoth   = "both"
)

// Config describes a certificate to issue.
type Config struct {
	// CommonName is the subject's common name. With a Request and no
	// CommonName, the request's subject is used.
	CommonName string
	// SANs are subject alternative names, sorted as AddSANs does.
	SANs []string
	// NotBefore and NotAfter bound the validity; NotBefore defaults to
	// five minutes ago, NotAfter to a day from now.
	NotBefore, NotAfter time.Time
	// Profile is ProfileCA, ProfileServer, ProfileClient, ProfileBoth, or
	// "" for only the usages below.
	Profile string
	// PathLen is a CA's basicConstraints path length (0: no
	// intermediate below it), -1 for no limit.
	PathLen int
	// KeyUsage and ExtKeyUsage add usages by their RFC 5280 names
	// (digitalSignature, serverAuth, …; case does not matter).
	KeyUsage, ExtKeyUsage []string
	// Request, when set, gives the subject's public key and subject; the
	// extensions it asks for are copied where the issuer sets none
	// (openssl's copy_extensions = copy), with these exceptions (what
	// is left out is said as Dropped):
	//   - the certificate is a CA's only under ProfileCA: without it,
	//     basicConstraints is CA:FALSE and the request's keyCertSign,
	//     cRLSign, nameConstraints, policyConstraints, policyMappings and
	//     inhibitAnyPolicy are left out (DropNotCA);
	//   - SANs, the basic constraints and usages of Profile, KeyUsage and
	//     ExtKeyUsage, the subject and authority key identifiers are the
	//     issuer's, and replace the request's (DropIssuerSet);
	//   - key usages the key cannot have are left out (DropKeyType).
	// docs/cert.md says why.
	Request *x509.CertificateRequest
	// Key is the subject's key when there is no Request.
	Key crypto.Signer
	// Issuer and IssuerKey sign the certificate; without Issuer it is
	// self-signed with Key.
	Issuer    *x509.Certificate
	IssuerKey crypto.Signer
}

var keyUsageNames = map[string]x509.KeyUsage{
	"digitalsignature": x509.KeyUsageDigitalSignature, "contentcommitment": x509.KeyUsageContentCommitment, "nonrepudiation": x509.KeyUsageContentCommitment,
	"keyencipherment": x509.KeyUsageKeyEncipherment, "dataencipherment": x509.KeyUsageDataEncipherment, "keyagreement": x509.KeyUsageKeyAgreement,
	"keycertsign": x509.KeyUsageCertSign, "crlsign": x509.KeyUsageCRLSign, "encipheronly": x509.KeyUsageEncipherOnly, "decipheronly": x509.KeyUsageDecipherOnly,
}

var extUsageNames = map[string]x509.ExtKeyUsage{
	"serverauth": x509.ExtKeyUsageServerAuth, "clientauth": x509.ExtKeyUsageClientAuth, "codesigning": x509.ExtKeyUsageCodeSigning,
	"emailprotection": x509.ExtKeyUsageEmailProtection, "timestamping": x509.ExtKeyUsageTimeStamping, "ocspsigning": x509.ExtKeyUsageOCSPSigning, "any": x509.ExtKeyUsageAny,
}

// Extensions (RFC 5280, Section 4.2.1) a request's may be replaced by.
var (
	oidSAN              = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// SetValidity sets the validity from notBefore (RFC 3339; five minutes
// before now when not given) to notAfter, or else to days after
// notBefore when it is given, and days after now when it is not. A time
// that does not parse is a *setting.Error naming NotBefore or NotAfter;
// days that decide the end but are not positive are ErrNoDays; an end
// not after the start is ErrValidityOrder.
func (c *Config) SetValidity(now time.Time, days int, notBefore, notAfter string) error {
	c.NotBefore, c.NotAfter = now.Add(-5*time.Minute), now.Add(time.Duration(days)*24*time.Hour)
	for _, t := range []struct {
		name, s string
		v       *time.Time
	}{{"NotBefore", notBefore, &c.NotBefore}, {"NotAfter", notAfter, &c.NotAfter}} {
		if t.s == "" {
			continue
		}
		var err error
		if *t.v, err = time.Parse(time.RFC3339, t.s); err != nil {
			return &setting.Error{Name: t.name, Value: t.s, Err: err}
		}
	}
	if notAfter == "" && days <= 0 {
		// Valid for no day: with no start given, from five minutes
		// ago to now, expired as it is made (openssl req refuses
		// such -days too).
		return &setting.Error{Name: "Days", Value: strconv.Itoa(days), Err: ErrNoDays}
	}
	if notBefore != "" && notAfter == "" {
		c.NotAfter = c.NotBefore.Add(time.Duration(days) * 24 * time.Hour)
	}
	if !c.NotAfter.After(c.NotBefore) {
		// A certificate valid at no time.
		if notAfter != "" {
			return &setting.Error{Name: "NotAfter", Value: notAfter, Err: ErrValidityOrder}
		}
		return &setting.Error{Name: "Days", Value: strconv.Itoa(days), Err: ErrValidityOrder}
	}
	return nil
}

// ErrValidityOrder is a validity that ends before it starts; it comes
// wrapped in a *setting.Error naming NotAfter or Days.
var ErrValidityOrder = errors.New("the validity would end before it starts")

// ErrNoDays is a validity of no day or less, given in days (a
// certificate expired as it is made); it comes wrapped in a
// *setting.Error naming Days. An end in the past, for a test, is given
// as a time.
var ErrNoDays = errors.New("a certificate is valid for one day or more")

// ErrNoSubject is a certificate without a subject.
var ErrNoSubject = errors.New("the certificate has no subject")

// Check reports what in c cannot be issued, before any key is made.
func (c *Config) Check() error {
	_, _, err := c.template(nil)
	return err
}

// template lays out the certificate for the subject key pub (nil: only
// check the settings), and says what of the request's extensions it does
// not carry.
func (c *Config) template(pub any) (*x509.Certificate, []Dropped, error) {
	now := time.Now()
	t := &x509.Certificate{Subject: pkix.Name{CommonName: c.CommonName}, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
	if t.NotBefore.IsZero() {
		t.NotBefore = now.Add(-5 * time.Minute)
	}
	if t.NotAfter.IsZero() {
		t.NotAfter = now.Add(24 * time.Hour)
	}
	if err := AddSANs(t, c.SANs); err != nil {
		return nil, nil, err
	}
	if r := c.Request; r != nil && c.CommonName == "" {
		// The request's bytes: crypto/x509 would write again only the
		// attributes pkix.Name has fields for, in its own order (an
		// emailAddress was lost).
		t.Subject, t.RawSubject = r.Subject, r.RawSubject
	}
	switch c.Profile {
	case ProfileCA:
		t.IsCA, t.BasicConstraintsValid = true, true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		if c.PathLen >= 0 {
			t.MaxPathLen, t.MaxPathLenZero = c.PathLen, c.PathLen == 0
		} else {
			t.MaxPathLen = -1
		}
	case ProfileServer, ProfileClient, ProfileBoth:
		t.BasicConstraintsValid = true
		t.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := pub.(*rsa.PublicKey); ok {
			t.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		t.ExtKeyUsage = map[string][]x509.ExtKeyUsage{
			ProfileServer: {x509.ExtKeyUsageServerAuth},
			ProfileClient: {x509.ExtKeyUsageClientAuth},
			ProfileBoth:   {x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}[c.Profile]
	case "":
	default:
		return nil, nil, setting.Errorf("Profile", c.Profile, "want ca, server, client or both")
	}
	for _, u := range c.KeyUsage {
		ku, ok := keyUsageNames[strings.ToLower(u)]
		if !ok {
			return nil, nil, setting.Errorf("KeyUsage", u, "not a key usage")
		}
		t.KeyUsage |= ku
	}
	for _, u := range c.ExtKeyUsage {
		eku, ok := extUsageNames[strings.ToLower(u)]
		if !ok {
			return nil, nil, setting.Errorf("ExtKeyUsage", u, "not an extended key usage")
		}
		if !slices.Contains(t.ExtKeyUsage, eku) {
			t.ExtKeyUsage = append(t.ExtKeyUsage, eku)
		}
	}
	if err := checkKeyUsage(t.KeyUsage, pub, c.KeyUsage); err != nil {
		return nil, nil, err
	}
	var dropped []Dropped
	if r := c.Request; r != nil {
		dropped = fromRequest(t, r, pub, c)
	}
	if t.Subject.CommonName == "" && len(t.Subject.Names) == 0 {
		return nil, nil, ErrNoSubject
	}
	return t, dropped, nil
}

// checkKeyUsage refuses the key usages a key of pub's type may not
// assert (nil pub: not known yet), naming the first as names (the
// settings) write it: an EC key does not encipher (RFC 5480,
// Section 3), an RSA key does not agree on keys (RFC 3279, Section
// 2.3.1), an EdDSA key only signs (RFC 8410, Section 5); encipherOnly
// and decipherOnly mean something only beside keyAgreement (RFC 5280,
// Section 4.2.1.3).
func checkKeyUsage(ku x509.KeyUsage, pub any, names []string) error {
	bad, kind, rfc := forbiddenUsages(pub)
	if ku&(x509.KeyUsageEncipherOnly|x509.KeyUsageDecipherOnly) != 0 && ku&x509.KeyUsageKeyAgreement == 0 {
		return setting.Errorf("KeyUsage", usageName(ku&(x509.KeyUsageEncipherOnly|x509.KeyUsageDecipherOnly), names), "means something only beside keyAgreement (RFC 5280, Section 4.2.1.3)")
	}
	if ku&bad != 0 {
		return setting.Errorf("KeyUsage", usageName(ku&bad, names), "not a usage of %s key (%s)", kind, rfc)
	}
	return nil
}

// forbiddenUsages returns the key usages a key of pub's type may not
// assert (none for nil: not known yet), the kind of key and the RFC that
// says so.
func forbiddenUsages(pub any) (bad x509.KeyUsage, kind, rfc string) {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment, "an ECDSA", "RFC 5480, Section 3"
	case *rsa.PublicKey:
		return x509.KeyUsageKeyAgreement | x509.KeyUsageEncipherOnly | x509.KeyUsageDecipherOnly, "an RSA", "RFC 3279, Section 2.3.1"
	case ed25519.PublicKey, ed448.PublicKey:
		return ^(x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign | x509.KeyUsageCRLSign), "an EdDSA", "RFC 8410, Section 5"
	}
	return 0, "", ""
}

// usageName names the first usage of ku as names (the settings) write it,
// else as RFC 5280 does.
func usageName(ku x509.KeyUsage, names []string) string {
	for _, n := range names {
		if ku&keyUsageNames[strings.ToLower(n)] != 0 {
			return n
		}
	}
	for b := x509.KeyUsageDigitalSignature; b <= x509.KeyUsageDecipherOnly; b <<= 1 {
		if ku&b != 0 {
			return b.String()
		}
	}
	return ""
}

// Issue makes the certificate c describes and returns its DER.
func Issue(c Config) ([]byte, error) {
	der, _, err := IssueRequest(c)
	return der, err
}

// IssueRequest makes the certificate c describes and returns its DER and
// what of c.Request's extensions it does not carry (see Config.Request).
func IssueRequest(c Config) ([]byte, []Dropped, error) {
	var pub any
	switch {
	case c.Request != nil:
		var err error
		if pub, err = CSRPublicKey(c.Request); err != nil {
			return nil, nil, err
		}
	case c.Key != nil:
		pub = c.Key.Public()
	default:
		return nil, nil, errors.New("certgen: no subject key")
	}
	t, dropped, err := c.template(pub)
	if err != nil {
		return nil, nil, err
	}
	parent, signer := t, c.Key
	if c.Issuer != nil {
		parent, signer = c.Issuer, c.IssuerKey
	}
	if signer == nil {
		return nil, nil, errNoParent
	}
	der, err := CreateCertificate(t, parent, pub, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("making the certificate: %w", err)
	}
	return der, dropped, nil
}

// Errors of an issuer (CheckIssuer).
var (
	// ErrIssuerNotCA is an issuer's certificate that may not issue
	// certificates: no basicConstraints CA:TRUE, or a keyUsage without
	// keyCertSign (RFC 5280, Sections 4.2.1.9 and 4.2.1.3). What it
	// signed would be refused by every verifier.
	ErrIssuerNotCA = errors.New("the issuer's certificate is not a CA's: it needs basicConstraints CA:TRUE and, with a keyUsage, keyCertSign")
	// ErrIssuerKeyMismatch is an issuer's key that is not the key of the
	// issuer's certificate: the signature would not verify.
	ErrIssuerKeyMismatch = errors.New("the issuer's key is not the key of the issuer's certificate")
)

// CheckIssuer tells whether cert, with key, may issue certificates. Issue
// refuses only a key that is not cert's, so that broken chains can be
// made on purpose (tlstrace lab's).
func CheckIssuer(cert *x509.Certificate, key crypto.Signer) error {
	if !cert.BasicConstraintsValid || !cert.IsCA || cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return ErrIssuerNotCA
	}
	if !keyMatches(cert, key.Public()) {
		return ErrIssuerKeyMismatch
	}
	return nil
}

// ServerWithoutName reports whether c may serve TLS (it is no CA and its
// extended key usage allows serverAuth, or is absent) yet names no DNS
// name nor IP address in a subjectAltName: browsers and crypto/x509
// ignore the subject's CN, so no client will take it for any host.
func ServerWithoutName(c *x509.Certificate) bool {
	if c.IsCA || len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		return false
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}
