package certio

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"software.sslmate.com/src/go-pkcs12"
)

// TestPKCS12Iterations: every key derivation of a PKCS #12 file (its MAC,
// its key's and its certificates' encryption) is found, and a file asking
// for more than MaxPKCS12Iterations is refused at once, before the work
// (2^31 iterations of the MAC's derivation took the reader hours).
func TestPKCS12Iterations(t *testing.T) {
	der, key := fuzzCert(t)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []*pkcs12.Encoder{pkcs12.Modern2023, pkcs12.LegacyDES, pkcs12.Modern2026} {
		p12, err := enc.WithIterations(2048).Encode(key, cert, nil, "pw")
		if err != nil {
			t.Fatal(err)
		}
		if b, err := Parse(p12, "pw"); err != nil || b.Format != PKCS12 {
			t.Fatalf("the file as made: %v", err)
		}
		// Each INTEGER 2048 in turn made 32767 (the same length): each is
		// an iteration count found.
		count := 2048
		found := 0
		for i := 0; ; i++ {
			j := bytes.Index(p12[i:], []byte{2, 2, 8, 0})
			if j < 0 {
				break
			}
			i += j
			edited := bytes.Clone(p12)
			edited[i+2], edited[i+3] = 0x7f, 0xff
			s := cryptobyte.String(edited)
			var pfx cryptobyte.String
			var version int
			if !s.ReadASN1(&pfx, cbasn1.SEQUENCE) || !pfx.ReadASN1Integer(&version) {
				t.Fatal("not a PFX")
			}
			if n := iterations(pfx, pkcs12Depth); n == 32767 {
				found++
			} else {
				t.Errorf("%v: the count at byte %d not found (%d)", enc, i, n)
			}
		}
		// The MAC's, the key's and the certificates': PBES2 names its
		// count once per derivation, as the PKCS #12 PBEs do.
		if found < 3 {
			t.Errorf("%d iteration counts of %d found; want the MAC's, the key's and the certificates'", found, count)
		}
	}

	// The MAC's count made 2^31-1.
	p12, err := pkcs12.Modern2023.Encode(key, cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	s := cryptobyte.String(p12)
	var pfx, authSafe, mac, digest, salt cryptobyte.String
	var version, n int64
	if !s.ReadASN1(&pfx, cbasn1.SEQUENCE) || !pfx.ReadASN1Integer(&version) || !pfx.ReadASN1Element(&authSafe, cbasn1.SEQUENCE) ||
		!pfx.ReadASN1(&mac, cbasn1.SEQUENCE) || !mac.ReadASN1Element(&digest, cbasn1.SEQUENCE) || !mac.ReadASN1(&salt, cbasn1.OCTET_STRING) || !mac.ReadASN1Integer(&n) {
		t.Fatal("not a PFX")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(version)
		b.AddBytes(authSafe)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(digest)
			b.AddASN1OctetString(salt)
			b.AddASN1Int64(1<<31 - 1)
		})
	})
	huge := b.BytesOrPanic()
	done := make(chan error, 2)
	go func() {
		_, err := Parse(huge, "pw")
		done <- err
		_, err = PKCS12Certificate(huge, "pw")
		done <- err
	}()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrPKCS12Iterations) {
				t.Errorf("2^31-1 iterations: %v; want ErrPKCS12Iterations", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("2^31-1 iterations: still deriving after 10 s")
		}
	}
}

// TestParseSignerFindsKey: the first private key block of a PEM file is
// read, as openssl does, after the EC PARAMETERS block of openssl ecparam
// -genkey or a certificate; a file without one, or with a block that
// cannot be read, says so.
func TestParseSignerFindsKey(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := fuzzCert(t)
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7}})
	key := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for _, in := range [][]byte{append(params, key...), append(cert, key...)} {
		s, err := ParseSigner(in)
		if err != nil || !k.Equal(s) {
			t.Errorf("%.40q…: %v", in, err)
		}
	}
	if _, err := ParseSigner(cert); !errors.Is(err, ErrNoPrivateKey) {
		t.Errorf("a certificate only: %v; want ErrNoPrivateKey", err)
	}
	var missing *MissingEndError
	if _, err := ParseSigner(append(cert, key[:len(key)-10]...)); !errors.As(err, &missing) || missing.Type != "EC PRIVATE KEY" {
		t.Errorf("a key without its END line: %v; want a MissingEndError", err)
	}
}

// TestPKCS12Unopened: a PKCS #12 file the reader cannot open (here, no
// MAC and a password given, as openssl pkcs12 -nomac writes) says so, not
// that it is no certificate.
func TestPKCS12Unopened(t *testing.T) {
	der, key := fuzzCert(t)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Passwordless.Encode(key, cert, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Parse(p12, ""); err != nil || b.Format != PKCS12 {
		t.Fatalf("without a password: %v", err)
	}
	if _, err := Parse(p12, "pw"); err == nil || errors.Is(err, ErrNotCertificate) || !strings.HasPrefix(err.Error(), "PKCS#12: ") {
		t.Errorf("with a password: %v; want a PKCS#12 error", err)
	}
}
