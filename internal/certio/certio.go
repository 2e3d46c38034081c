// Package certio reads certificates and keys in the forms people have
// them: PEM (one or many blocks), DER, PKCS #7 (certs-only, .p7b, PEM or
// DER) and PKCS #12.
package certio

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// MaxInput bounds what is read from one file.
const MaxInput = 16 << 20

// maxCerts bounds the certificates taken from one input.
const maxCerts = 1000

// Format names what an input was.
type Format string

const (
	PEM    Format = "PEM"
	DER    Format = "DER"
	PKCS7  Format = "PKCS#7"
	PKCS12 Format = "PKCS#12"
)

// Bundle is what an input held.
type Bundle struct {
	Format Format
	Certs  []*x509.Certificate
	// Key is the private key of a PKCS #12 file, or of a PEM block.
	Key any
	// Skipped lists PEM blocks that were not certificates or keys.
	Skipped []string
}

// NeedCerts returns an error wrapping ErrNoCertificate when the bundle,
// read from the file name, holds no certificate (a private key alone).
func (b *Bundle) NeedCerts(name string) error {
	switch {
	case len(b.Certs) > 0:
		return nil
	case b.Key != nil:
		return fmt.Errorf("%s holds a private key, %w", name, ErrNoCertificate)
	}
	return fmt.Errorf("%s holds %w", name, ErrNoCertificate)
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// Parse reads certificates (and a key, if there is one) from b. password
// opens PKCS #12 files.
func Parse(b []byte, password string) (*Bundle, error) {
	if len(b) > MaxInput {
		return nil, fmt.Errorf("input of %d bytes is over the %d-byte limit", len(b), MaxInput)
	}
	if bytes.Contains(b, []byte("-----BEGIN ")) {
		return parsePEM(b, password)
	}
	if c, err := x509.ParseCertificate(b); err == nil {
		return &Bundle{Format: DER, Certs: []*x509.Certificate{c}}, nil
	}
	if certs, err := parsePKCS7(b); err == nil {
		return &Bundle{Format: PKCS7, Certs: certs}, nil
	}
	if err := checkPKCS12(b); err != nil {
		return nil, err
	}
	key, leaf, cas, p12err := pkcs12.DecodeChain(b, password)
	if p12err == nil {
		return &Bundle{Format: PKCS12, Certs: append([]*x509.Certificate{leaf}, cas...), Key: key}, nil
	} else if errors.Is(p12err, pkcs12.ErrIncorrectPassword) {
		return nil, ErrWrongPassword
	}
	if certs, err := pkcs12.DecodeTrustStore(b, password); err == nil {
		return &Bundle{Format: PKCS12, Certs: certs}, nil
	}
	if err := checkDER(b); err != nil {
		return nil, err
	}
	if isPFX(b) {
		// Whole DER that is a PKCS #12 file this reader cannot open (no
		// MAC, an algorithm it lacks): say so, not "not a certificate".
		return nil, fmt.Errorf("PKCS#12: %w", p12err)
	}
	return nil, ErrNotCertificate
}

func parsePEM(b []byte, password string) (*Bundle, error) {
	out := &Bundle{Format: PEM}
	b0, blocks := b, 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		blocks++
		switch blk.Type {
		case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				if terr := checkDER(blk.Bytes); terr != nil {
					err = terr
				}
				return nil, fmt.Errorf("PEM certificate %d: %w", len(out.Certs)+1, err)
			}
			out.Certs = append(out.Certs, c)
		case "PKCS7":
			certs, err := parsePKCS7(blk.Bytes)
			if err != nil {
				return nil, err
			}
			out.Certs = append(out.Certs, certs...)
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
			if k, err := ParsePrivateKey(blk); err == nil {
				out.Key = k
			} else {
				return nil, err
			}
		default:
			out.Skipped = append(out.Skipped, blk.Type)
		}
		if len(out.Certs) > maxCerts {
			return nil, fmt.Errorf("more than %d certificates", maxCerts)
		}
	}
	if blocks < bytes.Count(b0, []byte("-----BEGIN ")) {
		// pem.Decode skips a block it cannot read: say which and why.
		if err := pemError(b0); err != nil {
			return nil, err
		}
	}
	if len(out.Certs) == 0 && out.Key == nil {
		return nil, errors.New("no certificate in the PEM input")
	}
	return out, nil
}

// parsePKCS7 reads the certificates of a PKCS #7 SignedData (RFC 2315;
// .p7b files carry only certificates).
func parsePKCS7(b []byte) ([]*x509.Certificate, error) {
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(b, &ci); err != nil || len(rest) > 0 {
		return nil, errors.New("not PKCS#7")
	}
	if !ci.Type.Equal(oidSignedData) {
		return nil, fmt.Errorf("PKCS#7 content type %v is not SignedData", ci.Type)
	}
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      asn1.RawValue
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("PKCS#7 SignedData: %w", err)
	}
	var certs []*x509.Certificate
	for rest := sd.Certificates.Bytes; len(rest) > 0; {
		var raw asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &raw); err != nil {
			return nil, fmt.Errorf("PKCS#7 certificates: %w", err)
		}
		c, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("PKCS#7 certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
		if len(certs) > maxCerts {
			return nil, fmt.Errorf("more than %d certificates", maxCerts)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("the PKCS#7 file holds no certificate")
	}
	return certs, nil
}

// ErrNoCertificate is an input that holds no certificate (a key alone).
var ErrNoCertificate = errors.New("no certificate")

// ReadFile reads the file name as Parse does. An error opening the file is
// returned as it is, one parsing it with the file's name.
func ReadFile(name, password string) (*Bundle, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	bundle, err := Parse(b, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return bundle, nil
}

// ReadCerts reads the certificates of the files names, in order, as Parse
// does.
func ReadCerts(password string, names ...string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, name := range names {
		bundle, err := ReadFile(name, password)
		if err != nil {
			return nil, err
		}
		if err := bundle.NeedCerts(name); err != nil {
			return nil, err
		}
		certs = append(certs, bundle.Certs...)
	}
	return certs, nil
}
