package certio

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// ErrWrongPassword is a PKCS #12 file the password does not open.
var ErrWrongPassword = errors.New("PKCS#12: wrong password")

// PKCS12Certificate reads a PKCS #12 file as a TLS certificate: its key,
// its leaf and the CA certificates it carries, in that order.
func PKCS12Certificate(b []byte, password string) (tls.Certificate, error) {
	k, leaf, cas, err := pkcs12.DecodeChain(b, password)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return tls.Certificate{}, ErrWrongPassword
	}
	if err != nil {
		return tls.Certificate{}, err
	}
	c := tls.Certificate{PrivateKey: k, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, ca := range cas {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
}

// EncodePKCS12 writes a key, its certificate and the chain above it as a
// PKCS #12 file (modern algorithms: AES-256, PBKDF2, SHA-256).
func EncodePKCS12(key any, leaf *x509.Certificate, chain []*x509.Certificate, password string) ([]byte, error) {
	b, err := pkcs12.Modern2023.Encode(key, leaf, chain, password)
	if err != nil {
		return nil, fmt.Errorf("PKCS#12: %w", err)
	}
	return b, nil
}

// ReadSigner reads the private key file name as ParseSigner does. An error
// opening the file is returned as it is, a key that cannot be used with
// the file's name.
func ReadSigner(name string) (crypto.Signer, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	k, err := ParseSigner(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// ParseSigner reads a private key that can sign, PEM (ParsePrivateKey's
// forms) or DER PKCS #8.
func ParseSigner(b []byte) (crypto.Signer, error) {
	var k any
	var err error
	if blk, _ := pem.Decode(b); blk != nil {
		k, err = ParsePrivateKey(blk)
	} else {
		k, err = ParsePKCS8(b)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("the key cannot sign")
	}
	return s, nil
}
