package certio

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/ed448"
)

// OIDEd448 is id-Ed448 (RFC 8410).
var OIDEd448 = asn1.ObjectIdentifier{1, 3, 101, 113}

type pkcs8 struct {
	Version    int
	Algorithm  struct{ Algorithm asn1.ObjectIdentifier }
	PrivateKey []byte
}

// ParsePrivateKey reads a PEM private key: PKCS #8 (Ed448 included, which
// crypto/x509 cannot read), PKCS #1 RSA or SEC 1 EC. Encrypted keys are
// refused with a clear error.
func ParsePrivateKey(blk *pem.Block) (any, error) {
	if blk.Headers["Proc-Type"] != "" || blk.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("the private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)")
	}
	switch blk.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(blk.Bytes)
	}
	return ParsePKCS8(blk.Bytes)
}

// ParsePKCS8 reads a PKCS #8 private key, Ed448 included.
func ParsePKCS8(der []byte) (any, error) {
	var p pkcs8
	if _, err := asn1.Unmarshal(der, &p); err == nil && p.Algorithm.Algorithm.Equal(OIDEd448) {
		var seed []byte
		if _, err := asn1.Unmarshal(p.PrivateKey, &seed); err != nil || len(seed) != ed448.SeedSize {
			return nil, fmt.Errorf("Ed448 private key: want a %d-byte seed", ed448.SeedSize)
		}
		return ed448.NewKeyFromSeed(seed), nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return k, nil
}

// MarshalPKCS8 writes a private key as PKCS #8 (RFC 5208; Ed448 as RFC
// 8410 says, which circl does not).
func MarshalPKCS8(key any) ([]byte, error) {
	if k, ok := key.(ed448.PrivateKey); ok {
		seed, err := asn1.Marshal(k.Seed())
		if err != nil {
			return nil, err
		}
		var p pkcs8
		p.Algorithm.Algorithm = OIDEd448
		p.PrivateKey = seed
		return asn1.Marshal(p)
	}
	return x509.MarshalPKCS8PrivateKey(key)
}
