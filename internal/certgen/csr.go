package certgen

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certio"
)

// ErrNoRequest is PEM input without a certificate request block.
var ErrNoRequest = errors.New("no certificate request in the PEM input")

// CreateCSR makes a PKCS #10 request signed by key (Ed448 included).
func CreateCSR(template *x509.CertificateRequest, key crypto.Signer) ([]byte, error) {
	if !isEd448(key) {
		return x509.CreateCertificateRequest(rand.Reader, template, key)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, template, standIn())
	if err != nil {
		return nil, err
	}
	var csr struct {
		Info   asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &csr); err != nil {
		return nil, err
	}
	var info struct {
		Version    int
		Subject    asn1.RawValue
		SPKI       asn1.RawValue
		Attributes asn1.RawValue `asn1:"optional,tag:0"`
	}
	if _, err := asn1.Unmarshal(csr.Info.FullBytes, &info); err != nil {
		return nil, err
	}
	spki, err := marshalPKIX(key.Public())
	if err != nil {
		return nil, err
	}
	v, _ := asn1.Marshal(info.Version)
	body := append(append(append(v, info.Subject.FullBytes...), spki...), info.Attributes.FullBytes...)
	infoDER, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, err
	}
	sig := ed448.Sign(key.(ed448.PrivateKey), infoDER, "")
	alg, _ := asn1.Marshal(struct{ Algorithm asn1.ObjectIdentifier }{certio.OIDEd448})
	return asn1.Marshal(struct {
		Info   asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: infoDER}, asn1.RawValue{FullBytes: alg}, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

// CSRPublicKey checks a request's signature and returns its public key,
// Ed448 included.
func CSRPublicKey(csr *x509.CertificateRequest) (any, error) {
	if csr.PublicKey != nil {
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("the request's signature does not verify: %w", err)
		}
		return csr.PublicKey, nil
	}
	var spki struct {
		Algorithm struct{ Algorithm asn1.ObjectIdentifier }
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(csr.RawSubjectPublicKeyInfo, &spki); err != nil || !spki.Algorithm.Algorithm.Equal(certio.OIDEd448) {
		return nil, errors.New("the request's public key type is not supported")
	}
	pub := ed448.PublicKey(spki.Key.Bytes)
	if len(pub) != ed448.PublicKeySize || !ed448.Verify(pub, csr.RawTBSCertificateRequest, csr.Signature, "") {
		return nil, errors.New("the request's Ed448 signature does not verify")
	}
	return pub, nil
}

// Request makes a PKCS #10 request for c's CommonName and SANs, signed by
// key.
func Request(c Config, key crypto.Signer) ([]byte, error) {
	var t x509.Certificate
	if err := AddSANs(&t, c.SANs); err != nil {
		return nil, err
	}
	return CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: c.CommonName},
		DNSNames: t.DNSNames, IPAddresses: t.IPAddresses, EmailAddresses: t.EmailAddresses, URIs: t.URIs}, key)
}

// ReadRequest reads the PEM or DER request in the file name and checks its
// signature.
func ReadRequest(name string) (*x509.CertificateRequest, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParseRequest(b)
}

// ParseRequest reads a PEM or DER request and checks its signature.
func ParseRequest(b []byte) (*x509.CertificateRequest, error) {
	if bytes.Contains(b, []byte("-----BEGIN ")) {
		// The request's block, wherever it is in the file.
		blk, err := certio.FindPEM(b, func(typ string) bool { return typ == "CERTIFICATE REQUEST" || typ == "NEW CERTIFICATE REQUEST" })
		switch {
		case err != nil:
			return nil, err
		case blk == nil:
			return nil, ErrNoRequest
		}
		b = blk.Bytes
	}
	req, err := x509.ParseCertificateRequest(b)
	if err != nil {
		return nil, err
	}
	if _, err := CSRPublicKey(req); err != nil {
		return nil, err
	}
	return req, nil
}
