// Package certgen makes keys, certificate signing requests and
// certificates: RSA, ECDSA, Ed25519 with crypto/x509, and Ed448, which
// crypto/x509 cannot sign or carry, by building the structures around
// x509's output and signing with circl.
package certgen

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/dnsname"
	"github.com/tlstrace/tlstrace/internal/setting"
)

// KeyTypes lists the key types GenerateKey makes.
var KeyTypes = []string{"rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "ed25519", "ed448"}

// GenerateKey makes a private key of a type in KeyTypes.
func GenerateKey(typ string) (crypto.Signer, error) {
	switch strings.ToLower(typ) {
	case "rsa2048", "rsa":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "rsa3072":
		return rsa.GenerateKey(rand.Reader, 3072)
	case "rsa4096":
		return rsa.GenerateKey(rand.Reader, 4096)
	case "p256", "ec", "ecdsa":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case "ed448":
		_, k, err := ed448.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unknown key type %q (want %s)", typ, strings.Join(KeyTypes, ", "))
}

// AddSANs sorts names into DNS names, IP addresses, e-mail addresses and
// URIs, by their prefix (DNS:, IP:, email:, URI:) or, without one, by
// their form. A DNS name must be one (dnsname.Check); an address written
// with a zone, in brackets or as a network is refused with what to write
// instead.
func AddSANs(t *x509.Certificate, names []string) error {
	for _, n := range names {
		kind, v, ok := strings.Cut(n, ":")
		if !ok || strings.Contains(kind, ".") || strings.Contains(kind, "/") || net.ParseIP(n) != nil || addressForm(n) != nil {
			kind, v = "", n
		}
		switch strings.ToLower(kind) {
		case "dns":
			if err := checkDNSName(n, v); err != nil {
				return err
			}
			t.DNSNames = append(t.DNSNames, v)
		case "ip":
			if err := addressForm(v); err != nil {
				return &setting.Error{Name: "SANs", Value: n, Err: err}
			}
			ip := net.ParseIP(v)
			if ip == nil {
				return setting.Errorf("SANs", n, "not an IP address")
			}
			t.IPAddresses = append(t.IPAddresses, ip)
		case "email":
			t.EmailAddresses = append(t.EmailAddresses, v)
		case "uri", "url":
			u, err := url.Parse(v)
			if err != nil {
				return &setting.Error{Name: "SANs", Value: n, Err: err}
			}
			t.URIs = append(t.URIs, u)
		case "":
			switch {
			case net.ParseIP(v) != nil:
				t.IPAddresses = append(t.IPAddresses, net.ParseIP(v))
			case strings.Contains(v, "://"):
				u, err := url.Parse(v)
				if err != nil {
					return &setting.Error{Name: "SANs", Value: n, Err: err}
				}
				t.URIs = append(t.URIs, u)
			case strings.Contains(v, "@"):
				if _, err := mail.ParseAddress(v); err != nil {
					return &setting.Error{Name: "SANs", Value: n, Err: err}
				}
				t.EmailAddresses = append(t.EmailAddresses, v)
			default:
				if err := checkDNSName(n, v); err != nil {
					return err
				}
				t.DNSNames = append(t.DNSNames, v)
			}
		default:
			if _, err := strconv.ParseUint(v, 10, 16); err == nil {
				return setting.Errorf("SANs", n, "a SAN names a host without its port: give %s", kind)
			}
			return setting.Errorf("SANs", n, "the prefix must be DNS, IP, email or URI")
		}
	}
	return nil
}

// checkDNSName refuses v, given as n, when it is not a DNS name: an
// address in a form a certificate cannot hold, or what dnsname.Check
// finds.
func checkDNSName(n, v string) error {
	if err := addressForm(v); err != nil {
		return &setting.Error{Name: "SANs", Value: n, Err: err}
	}
	if err := dnsname.Check(v); err != nil {
		return setting.Errorf("SANs", n, "not a DNS name: %v", err)
	}
	return nil
}

// addressForm says what is wrong with s when it is an IP address in a
// form an iPAddress SAN cannot hold (RFC 5280, Section 4.2.1.6: four or
// sixteen octets): with a zone, in brackets, or a network.
func addressForm(s string) error {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() != "" {
		return fmt.Errorf("a zone (%%%s) cannot be in a certificate: an IP SAN holds the address alone; give IP:%s", a.Zone(), a.WithZone(""))
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil {
				return fmt.Errorf("an IPv6 address is written without brackets: give IP:%s", a.WithZone(""))
			}
		}
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return fmt.Errorf("a SAN takes an address, not a network: give the address, as IP:%s (networks go in a CA's name constraints)", p.Addr())
	}
	return nil
}

// NameWarning is a DNS name of a subjectAltName that a certificate may
// carry but that verifiers refuse to match, or public CAs to issue.
type NameWarning struct {
	Name string
	Why  NameWhy
}

// NameWhy is why a NameWarning is given.
type NameWhy int

const (
	// NamePartialWildcard is a partial wildcard, f*.example.test
	// (dnsname.Partial): crypto/x509 and browsers match nothing with it.
	NamePartialWildcard NameWhy = iota + 1
	// NameOneLabelWildcard is a wildcard over a single label, *.test
	// (dnsname.OverOneLabel): OpenSSL and browsers refuse it.
	NameOneLabelWildcard
	// NameUnderscore is a name with an underscore (dnsname.Underscore).
	NameUnderscore
	// NameALabelWildcard is a partial wildcard within an A-label,
	// xn--*.example.test (dnsname.InALabel): OpenSSL, crypto/x509 and
	// browsers match no host with it.
	NameALabelWildcard
	// NameAddress is an IPv4 address written as a DNS name, DNS:127.0.0.1:
	// a client connecting to the address checks the certificate's IP
	// addresses only, so the name never matches it.
	NameAddress
)

// NameWarnings lists the DNS names that verifiers refuse to match, or
// public CAs to issue, with why.
func NameWarnings(names []string) []NameWarning {
	var out []NameWarning
	for _, n := range names {
		switch {
		case dnsname.InALabel(n):
			out = append(out, NameWarning{n, NameALabelWildcard})
		case dnsname.Partial(n):
			out = append(out, NameWarning{n, NamePartialWildcard})
		case dnsname.OverOneLabel(n):
			out = append(out, NameWarning{n, NameOneLabelWildcard})
		}
		if dnsname.Underscore(n) {
			out = append(out, NameWarning{n, NameUnderscore})
		}
		if _, err := netip.ParseAddr(n); err == nil {
			out = append(out, NameWarning{n, NameAddress})
		}
	}
	return out
}

// SerialNumber returns a random 128-bit serial number.
func SerialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func isEd448(k any) bool {
	switch k.(type) {
	case ed448.PrivateKey, ed448.PublicKey:
		return true
	}
	return false
}

// PublicKey returns a key's public half.
func PublicKey(k crypto.Signer) any { return k.Public() }

// marshalPKIX writes a public key as a SubjectPublicKeyInfo, Ed448
// included.
func marshalPKIX(pub any) ([]byte, error) {
	if k, ok := pub.(ed448.PublicKey); ok {
		var spki struct {
			Algorithm struct{ Algorithm asn1.ObjectIdentifier }
			Key       asn1.BitString
		}
		spki.Algorithm.Algorithm = certio.OIDEd448
		spki.Key = asn1.BitString{Bytes: k, BitLength: 8 * len(k)}
		return asn1.Marshal(spki)
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// keyID is the subject key identifier of a public key: SHA-256 of the
// key bits, truncated to 160 bits (RFC 7093, method 1).
func keyID(pub any) ([]byte, error) {
	spki, err := marshalPKIX(pub)
	if err != nil {
		return nil, err
	}
	var s struct {
		Alg asn1.RawValue
		Key asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &s); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(s.Key.Bytes)
	return sum[:20], nil
}

// keyMatches tells whether pub is the public key of cert (Ed448
// included, which crypto/x509 does not parse).
func keyMatches(cert *x509.Certificate, pub any) bool {
	if k, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok {
		return k.Equal(pub)
	}
	spki, err := marshalPKIX(pub)
	return err == nil && bytes.Equal(spki, cert.RawSubjectPublicKeyInfo)
}

// stand-in key used to let crypto/x509 lay out a structure for an Ed448
// key, which it cannot handle; the key is then swapped.
func standIn() crypto.Signer {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k
}

var errNoParent = errors.New("certgen: no issuer")

// CreateCertificate signs template for pub with signer, issued by parent
// (template itself for a self-signed certificate). Ed448 keys are allowed
// on either side.
func CreateCertificate(template, parent *x509.Certificate, pub any, signer crypto.Signer) ([]byte, error) {
	if parent == nil {
		return nil, errNoParent
	}
	if template.SerialNumber == nil {
		sn, err := SerialNumber()
		if err != nil {
			return nil, err
		}
		template.SerialNumber = sn
	}
	if len(template.SubjectKeyId) == 0 {
		id, err := keyID(pub)
		if err != nil {
			return nil, err
		}
		template.SubjectKeyId = id
	}
	if parent == template && len(template.AuthorityKeyId) == 0 {
		template.AuthorityKeyId = template.SubjectKeyId
	}
	if parent != template && (parent.PublicKey != nil || len(parent.RawSubjectPublicKeyInfo) > 0) && !keyMatches(parent, signer.Public()) {
		// crypto/x509 checks this but for an Ed448 key, which it lays
		// out with a stand-in (a parent that is a template with no key
		// is not checked, as crypto/x509 does not).
		return nil, ErrIssuerKeyMismatch
	}
	if !isEd448(pub) && !isEd448(signer) {
		return x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	}
	// Let crypto/x509 lay out the TBSCertificate with stand-in keys, then
	// put in the real SubjectPublicKeyInfo and signature algorithm, and
	// sign.
	layoutSigner := signer
	if isEd448(signer) {
		layoutSigner = standIn()
	}
	layoutPub := pub
	if isEd448(pub) {
		layoutPub = standIn().Public()
	}
	p := parent
	if parent == template {
		// Self-signed: the stand-in signer's key does not match the
		// template's; sign as if issued by a copy.
		cp := *template
		p = &cp
	}
	der, err := x509.CreateCertificate(rand.Reader, template, p, layoutPub, layoutSigner)
	if err != nil {
		return nil, err
	}
	var cert struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		return nil, err
	}
	var tbs struct {
		Version    int `asn1:"optional,explicit,default:0,tag:0"`
		Serial     *big.Int
		SigAlg     asn1.RawValue
		Issuer     asn1.RawValue
		Validity   asn1.RawValue
		Subject    asn1.RawValue
		SPKI       asn1.RawValue
		Extensions asn1.RawValue `asn1:"optional,explicit,tag:3"`
	}
	if _, err := asn1.Unmarshal(cert.TBS.FullBytes, &tbs); err != nil {
		return nil, err
	}
	if isEd448(pub) {
		spki, err := marshalPKIX(pub)
		if err != nil {
			return nil, err
		}
		tbs.SPKI = asn1.RawValue{FullBytes: spki}
	}
	sigAlg := cert.SigAlg
	if isEd448(signer) {
		alg, _ := asn1.Marshal(struct{ Algorithm asn1.ObjectIdentifier }{certio.OIDEd448})
		sigAlg = asn1.RawValue{FullBytes: alg}
		tbs.SigAlg = sigAlg
	}
	tbsDER, err := marshalTBS(tbs.Version, tbs.Serial, tbs.SigAlg, tbs.Issuer, tbs.Validity, tbs.Subject, tbs.SPKI, tbs.Extensions)
	if err != nil {
		return nil, err
	}
	sig, err := sign(signer, cert.SigAlg, tbsDER)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, sigAlg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

func marshalTBS(version int, serial *big.Int, sigAlg, issuer, validity, subject, spki, ext asn1.RawValue) ([]byte, error) {
	var body []byte
	v, err := asn1.Marshal(version)
	if err != nil {
		return nil, err
	}
	vw, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: v})
	body = append(body, vw...)
	s, err := asn1.Marshal(serial)
	if err != nil {
		return nil, err
	}
	body = append(body, s...)
	for _, r := range []asn1.RawValue{sigAlg, issuer, validity, subject, spki} {
		body = append(body, r.FullBytes...)
	}
	if len(ext.FullBytes) > 0 {
		body = append(body, ext.FullBytes...)
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
}

// sign signs a TBS structure as the signature algorithm x509 chose says.
func sign(signer crypto.Signer, sigAlg asn1.RawValue, tbs []byte) ([]byte, error) {
	if k, ok := signer.(ed448.PrivateKey); ok {
		return ed448.Sign(k, tbs, ""), nil
	}
	var alg struct{ Algorithm asn1.ObjectIdentifier }
	asn1.Unmarshal(sigAlg.FullBytes, &alg)
	var h crypto.Hash
	switch alg.Algorithm.String() {
	case "1.2.840.113549.1.1.11", "1.2.840.10045.4.3.2":
		h = crypto.SHA256
	case "1.2.840.113549.1.1.12", "1.2.840.10045.4.3.3":
		h = crypto.SHA384
	case "1.2.840.113549.1.1.13", "1.2.840.10045.4.3.4":
		h = crypto.SHA512
	case "1.3.101.112":
		return signer.Sign(rand.Reader, tbs, crypto.Hash(0))
	default:
		return nil, fmt.Errorf("certgen: cannot re-sign with algorithm %v", alg.Algorithm)
	}
	d := h.New()
	d.Write(tbs)
	return signer.Sign(rand.Reader, d.Sum(nil), h)
}
