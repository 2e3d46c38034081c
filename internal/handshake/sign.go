// This file holds the signature schemes (RFC 8446, Section 4.2.3; RFC 8422
// and RFC 5246 for TLS 1.2): signing with a crypto.Signer and verifying with
// a certificate's public key, Ed448 by circl.

package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/cloudflare/circl/sign/ed448"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Signature schemes (IANA "TLS SignatureScheme").
const (
	schemePKCS1SHA1   uint16 = 0x0201
	schemeECDSASHA1   uint16 = 0x0203
	schemePKCS1SHA256 uint16 = 0x0401
	schemeECDSAP256   uint16 = 0x0403
	schemePKCS1SHA384 uint16 = 0x0501
	schemeECDSAP384   uint16 = 0x0503
	schemePKCS1SHA512 uint16 = 0x0601
	schemeECDSAP521   uint16 = 0x0603
	schemePSSRSAE256  uint16 = 0x0804
	schemePSSRSAE384  uint16 = 0x0805
	schemePSSRSAE512  uint16 = 0x0806
	schemeEd25519     uint16 = 0x0807
	schemeEd448       uint16 = 0x0808
	schemePSSPSS256   uint16 = 0x0809
	schemePSSPSS384   uint16 = 0x080A
	schemePSSPSS512   uint16 = 0x080B
)

// supportedSchemes is every scheme the engine signs and verifies, in the
// order a client offers them.
var supportedSchemes = []uint16{
	schemeEd25519, schemeEd448,
	schemeECDSAP256, schemeECDSAP384, schemeECDSAP521,
	schemePSSRSAE256, schemePSSRSAE384, schemePSSRSAE512,
	schemePSSPSS256, schemePSSPSS384, schemePSSPSS512,
	schemePKCS1SHA256, schemePKCS1SHA384, schemePKCS1SHA512,
	schemeECDSASHA1, schemePKCS1SHA1,
}

// schemeKind says how a scheme signs.
type schemeKind uint8

const (
	kindUnknown schemeKind = iota
	kindPKCS1
	kindPSSRSAE // RSA-PSS with an rsaEncryption key
	kindPSSPSS  // RSA-PSS with an RSASSA-PSS key
	kindECDSA
	kindEd25519
	kindEd448
)

// schemeInfo returns how scheme signs and its hash (0 for EdDSA, which
// signs the message itself).
func schemeInfo(scheme uint16) (schemeKind, crypto.Hash) {
	switch scheme {
	case schemePKCS1SHA1:
		return kindPKCS1, crypto.SHA1
	case schemePKCS1SHA256:
		return kindPKCS1, crypto.SHA256
	case schemePKCS1SHA384:
		return kindPKCS1, crypto.SHA384
	case schemePKCS1SHA512:
		return kindPKCS1, crypto.SHA512
	case schemeECDSASHA1:
		return kindECDSA, crypto.SHA1
	case schemeECDSAP256:
		return kindECDSA, crypto.SHA256
	case schemeECDSAP384:
		return kindECDSA, crypto.SHA384
	case schemeECDSAP521:
		return kindECDSA, crypto.SHA512
	case schemePSSRSAE256:
		return kindPSSRSAE, crypto.SHA256
	case schemePSSRSAE384:
		return kindPSSRSAE, crypto.SHA384
	case schemePSSRSAE512:
		return kindPSSRSAE, crypto.SHA512
	case schemePSSPSS256:
		return kindPSSPSS, crypto.SHA256
	case schemePSSPSS384:
		return kindPSSPSS, crypto.SHA384
	case schemePSSPSS512:
		return kindPSSPSS, crypto.SHA512
	case schemeEd25519:
		return kindEd25519, 0
	case schemeEd448:
		return kindEd448, 0
	}
	return kindUnknown, 0
}

// schemeAllowed13 reports whether a scheme may sign a TLS 1.3
// CertificateVerify: not PKCS #1 v1.5 and not SHA-1 (RFC 8446, Section
// 4.2.3).
func schemeAllowed13(scheme uint16) bool {
	kind, h := schemeInfo(scheme)
	return kind != kindUnknown && kind != kindPKCS1 && h != crypto.SHA1
}

// pssPublicKey is the RSA key of an RSASSA-PSS certificate (RFC 4055),
// which only the rsa_pss_pss schemes may use (RFC 8446, Section 4.2.3).
type pssPublicKey struct{ *rsa.PublicKey }

var (
	oidEd448     = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidRSASSAPSS = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
)

// certPublicKey returns the public key of a certificate: crypto/x509's,
// or for the keys it does not read (Ed448, RSASSA-PSS) ours.
// clientCertificates yields, in the configured order, each certificate
// with a chain and a key that can be offered to a server's request, with
// the public key of its leaf.
func (cfg *Config) clientCertificates() iter.Seq2[*Certificate, crypto.PublicKey] {
	return func(yield func(*Certificate, crypto.PublicKey) bool) {
		for i := range cfg.Certificates {
			cert := &cfg.Certificates[i]
			if len(cert.Chain) == 0 || cert.Key == nil {
				continue
			}
			leaf, err := x509.ParseCertificate(cert.Chain[0])
			if err != nil {
				continue
			}
			pub, err := certPublicKey(leaf)
			if err != nil {
				continue
			}
			if !yield(cert, pub) {
				return
			}
		}
	}
}

func certPublicKey(c *x509.Certificate) (crypto.PublicKey, error) {
	if c.PublicKey != nil {
		return c.PublicKey, nil
	}
	spki := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var seq, alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	var bits asn1.BitString
	if !spki.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&oid) || !seq.ReadASN1BitString(&bits) {
		return nil, errors.New("the certificate's public key does not parse")
	}
	switch {
	case oid.Equal(oidEd448):
		if len(bits.Bytes) != ed448.PublicKeySize || bits.BitLength != 8*ed448.PublicKeySize {
			return nil, fmt.Errorf("the certificate's Ed448 key is %d bytes, want %d", len(bits.Bytes), ed448.PublicKeySize)
		}
		return ed448.PublicKey(bits.Bytes), nil
	case oid.Equal(oidRSASSAPSS):
		k, err := x509.ParsePKCS1PublicKey(bits.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the certificate's RSASSA-PSS key: %w", err)
		}
		return pssPublicKey{k}, nil
	}
	return nil, fmt.Errorf("the certificate's key algorithm %s is not one the engine verifies", oid)
}

// keyMatchesScheme reports whether a public key can verify scheme (in TLS
// 1.3 an ECDSA scheme names the curve too, RFC 8446, Section 4.2.3).
func keyMatchesScheme(pub crypto.PublicKey, scheme uint16, tls13 bool) bool {
	kind, _ := schemeInfo(scheme)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return kind == kindPKCS1 || kind == kindPSSRSAE
	case pssPublicKey:
		return kind == kindPSSPSS
	case *ecdsa.PublicKey:
		if kind != kindECDSA {
			return false
		}
		if !tls13 {
			return true
		}
		switch scheme {
		case schemeECDSAP256:
			return k.Curve == elliptic.P256()
		case schemeECDSAP384:
			return k.Curve == elliptic.P384()
		case schemeECDSAP521:
			return k.Curve == elliptic.P521()
		}
		return false
	case ed25519.PublicKey:
		return kind == kindEd25519
	case ed448.PublicKey:
		return kind == kindEd448
	}
	return false
}

// digest returns what a scheme signs: the hash of msg, or msg for EdDSA.
func digest(h crypto.Hash, msg []byte) []byte {
	if h == 0 {
		return msg
	}
	w := h.New()
	w.Write(msg)
	return w.Sum(nil)
}

// verifySignature checks sig over msg with pub under scheme.
func verifySignature(pub crypto.PublicKey, scheme uint16, msg, sig []byte) error {
	kind, h := schemeInfo(scheme)
	name := wire.SignatureSchemeName(scheme)
	if !keyMatchesScheme(pub, scheme, false) {
		return fmt.Errorf("a %s key cannot sign with %s", keyName(pub), name)
	}
	d := digest(h, msg)
	var err error
	switch kind {
	case kindPKCS1:
		err = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), h, d, sig)
	case kindPSSRSAE:
		err = rsa.VerifyPSS(pub.(*rsa.PublicKey), h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case kindPSSPSS:
		err = rsa.VerifyPSS(pub.(pssPublicKey).PublicKey, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case kindECDSA:
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d, sig) {
			err = errors.New("verification failed")
		}
	case kindEd25519:
		if !ed25519.Verify(pub.(ed25519.PublicKey), msg, sig) {
			err = errors.New("verification failed")
		}
	case kindEd448:
		if !ed448.Verify(pub.(ed448.PublicKey), msg, sig, "") {
			err = errors.New("verification failed")
		}
	}
	if err != nil {
		return fmt.Errorf("the %s signature does not verify: %w", name, err)
	}
	return nil
}

// signMessage signs msg with key under scheme. An RSA key signs the
// rsa_pss_pss schemes too: whether it may is up to its certificate.
func signMessage(key crypto.Signer, scheme uint16, rnd io.Reader, msg []byte) ([]byte, error) {
	kind, h := schemeInfo(scheme)
	pub := key.Public()
	if k, ok := pub.(*rsa.PublicKey); ok && kind == kindPSSPSS {
		pub = pssPublicKey{k}
	}
	if !keyMatchesScheme(pub, scheme, false) {
		return nil, fmt.Errorf("tls: a %s key cannot sign with %s", keyName(pub), wire.SignatureSchemeName(scheme))
	}
	var opts crypto.SignerOpts = h
	switch kind {
	case kindPSSRSAE, kindPSSPSS:
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	case kindEd448:
		k, ok := key.(ed448.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("tls: an Ed448 signer of type %T", key)
		}
		return ed448.Sign(k, msg, ""), nil
	}
	sig, err := key.Sign(rnd, digest(h, msg), opts)
	if err != nil {
		return nil, fmt.Errorf("tls: signing with %s: %w", wire.SignatureSchemeName(scheme), err)
	}
	return sig, nil
}

// schemesForKey returns the schemes a certificate's public key (as
// certPublicKey reads it) can sign with, in preference order, for the
// version (TLS 1.3 excludes PKCS #1 v1.5 and SHA-1; its ECDSA schemes name
// the curve).
func schemesForKey(pub crypto.PublicKey, tls13 bool) []uint16 {
	var out []uint16
	for _, s := range supportedSchemes {
		if tls13 && !schemeAllowed13(s) {
			continue
		}
		if keyMatchesScheme(pub, s, tls13) {
			out = append(out, s)
		}
	}
	return out
}

func keyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case pssPublicKey:
		return fmt.Sprintf("RSASSA-PSS %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case ed448.PublicKey:
		return "Ed448"
	}
	return fmt.Sprintf("%T", pub)
}
