package certio

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"software.sslmate.com/src/go-pkcs12"
)

// ErrWrongPassword is a PKCS #12 file the password does not open.
var ErrWrongPassword = errors.New("PKCS#12: wrong password")

// MaxPKCS12Iterations bounds the iteration count of a PKCS #12 file's key
// derivations (its MAC's, its key's and its certificates' encryption):
// the count is the file's to say, and 2^31 of them take the reader hours.
// Tools write 2048 (OpenSSL), 2000 (Windows) or 10000 (Java); 10 million
// take about three seconds.
const MaxPKCS12Iterations = 10_000_000

// ErrPKCS12Iterations is a PKCS #12 file that asks for more than
// MaxPKCS12Iterations iterations of a key derivation.
var ErrPKCS12Iterations = errors.New("PKCS#12: too many iterations of its key derivation")

// readPFX returns the contents of a PFX after its version (RFC 7292,
// Section 4: a SEQUENCE starting with version 3).
func readPFX(b []byte) (cryptobyte.String, bool) {
	s := cryptobyte.String(b)
	var pfx cryptobyte.String
	var version int
	ok := s.ReadASN1(&pfx, cbasn1.SEQUENCE) && pfx.ReadASN1Integer(&version) && version == 3
	return pfx, ok
}

// isPFX tells whether b is a PFX, by its start.
func isPFX(b []byte) bool {
	_, ok := readPFX(b)
	return ok
}

// pkcs12Depth is how deep iterations looks: a PBES2 key bag's count is 15
// elements down from the PFX.
const pkcs12Depth = 24

// checkPKCS12 refuses a PFX (RFC 7292, Section 4: a SEQUENCE starting
// with version 3) whose key derivations iterate more than
// MaxPKCS12Iterations times, before the work is done; anything else is
// left to the decoder.
func checkPKCS12(b []byte) error {
	pfx, ok := readPFX(b)
	if !ok {
		return nil
	}
	if n := iterations(pfx, pkcs12Depth); n > MaxPKCS12Iterations {
		return fmt.Errorf("%w: %d, over %d", ErrPKCS12Iterations, n, MaxPKCS12Iterations)
	}
	return nil
}

// iterations returns the largest iteration count among the DER elements
// of s and inside them (constructed ones and octet strings that hold DER,
// to depth): an INTEGER that follows an OCTET STRING, the salt, in the
// same SEQUENCE. That is the layout of every key derivation a PKCS #12
// file names: MacData (RFC 7292, Section 4), pkcs-12PbeParams (Appendix
// C) and PBKDF2-params (RFC 8018, Appendix A.2, in PBES2 and PBMAC1).
func iterations(s cryptobyte.String, depth int) int64 {
	var most int64
	afterSalt := false
	for !s.Empty() {
		var body cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadAnyASN1(&body, &tag) {
			break
		}
		var n int64
		switch {
		case tag == cbasn1.INTEGER && afterSalt:
			n = integerValue(body)
		case depth > 0 && (tag&0x20 != 0 || tag == cbasn1.OCTET_STRING):
			n = iterations(body, depth-1)
		}
		most = max(most, n)
		afterSalt = tag == cbasn1.OCTET_STRING
	}
	return most
}

// integerValue reads a positive DER INTEGER's content, saturating at the
// largest int64 (0 for a negative one).
func integerValue(b []byte) int64 {
	if len(b) == 0 || b[0]&0x80 != 0 {
		return 0
	}
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 8 || len(b) == 8 && b[0]&0x80 != 0 {
		return 1<<63 - 1
	}
	var n int64
	for _, c := range b {
		n = n<<8 | int64(c)
	}
	return n
}

// PKCS12Certificate reads a PKCS #12 file as a TLS certificate: its key,
// its leaf and the CA certificates it carries, in that order.
func PKCS12Certificate(b []byte, password string) (tls.Certificate, error) {
	if err := checkPKCS12(b); err != nil {
		return tls.Certificate{}, err
	}
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

// ErrNoPrivateKey is PEM input without a private key block.
var ErrNoPrivateKey = errors.New("no private key in the PEM input")

// ParseSigner reads a private key that can sign, PEM (ParsePrivateKey's
// forms) or DER PKCS #8. In PEM, the first private key block is read, as
// openssl does: after the EC PARAMETERS of openssl ecparam -genkey, or
// the certificate of a file that holds both.
func ParseSigner(b []byte) (crypto.Signer, error) {
	var k any
	var err error
	if bytes.Contains(b, []byte("-----BEGIN ")) {
		blk, perr := FindPEM(b, func(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") })
		switch {
		case blk != nil:
			k, err = ParsePrivateKey(blk)
		case perr != nil:
			err = perr
		default:
			err = ErrNoPrivateKey
		}
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
