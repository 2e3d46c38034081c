package certio

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/ed448"
	"software.sslmate.com/src/go-pkcs12"
)

// fuzzCert makes a small self-signed Ed25519 certificate and its key, the
// same bytes on every run.
func fuzzCert(t testing.TB) ([]byte, ed25519.PrivateKey) {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "c"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0), DNSNames: []string{"example.com"}}
	der, err := x509.CreateCertificate(nil, tpl, tpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return der, k
}

// pkcs7 wraps certificates in a certs-only PKCS #7 SignedData.
func pkcs7(t testing.TB, certs ...[]byte) []byte {
	var set []byte
	for _, c := range certs {
		set = append(set, c...)
	}
	sd, err := asn1.Marshal(struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      struct{ Type asn1.ObjectIdentifier }
		Certificates     asn1.RawValue
		SignerInfos      asn1.RawValue
	}{
		Version:          1,
		DigestAlgorithms: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true},
		ContentInfo:      struct{ Type asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: set},
		SignerInfos:      asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{oidSignedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd}})
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

// FuzzParse feeds arbitrary bytes to the certificate reader (PEM, DER,
// PKCS#7, PKCS#12). What it reads must survive being written again: the
// certificates and key as PEM read back the same, in order. A DER input is
// the certificate's bytes; a PKCS#7 one holds each certificate's bytes, in
// order. The seeds are small: one Ed25519 certificate in every form
// (PKCS#12 with its key); testdata holds a PKCS#12 file whose MAC asks for
// 2^31-1 iterations, which took hours to refuse.
func FuzzParse(f *testing.F) {
	der, key := fuzzCert(f)
	keyDER, err := MarshalPKCS8(key)
	if err != nil {
		f.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	f.Add(der, "")
	f.Add(certPEM, "")
	f.Add(pkcs7(f, der, der), "")
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: pkcs7(f, der)}), "")
	f.Add(append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), certPEM...), "")
	f.Add([]byte("-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n"), "")
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	p12, err := pkcs12.Modern2023.Encode(key, cert, nil, "pw")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p12, "pw")
	f.Fuzz(func(t *testing.T, b []byte, pass string) {
		bundle, err := Parse(b, pass)
		if err != nil {
			return
		}
		if len(bundle.Certs) == 0 && bundle.Key == nil {
			t.Fatalf("%s: nothing read, and no error", bundle.Format)
		}
		switch bundle.Format {
		case DER:
			if len(bundle.Certs) != 1 || !bytes.Equal(bundle.Certs[0].Raw, b) {
				t.Fatalf("DER: %d certificates, not the input", len(bundle.Certs))
			}
		case PKCS7:
			rest := b
			for i, c := range bundle.Certs {
				j := bytes.Index(rest, c.Raw)
				if j < 0 {
					t.Fatalf("PKCS#7: certificate %d is not in the input after the one before", i)
				}
				rest = rest[j+len(c.Raw):]
			}
		case PEM, PKCS12:
		default:
			t.Fatalf("format %q", bundle.Format)
		}
		var out []byte
		if bundle.Key != nil {
			kd, err := MarshalPKCS8(bundle.Key)
			if err != nil {
				t.Fatalf("a %T key read cannot be written: %v", bundle.Key, err)
			}
			out = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
		}
		for _, c := range bundle.Certs {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		back, err := Parse(out, "")
		if err != nil {
			t.Fatalf("written again as PEM, it does not read: %v", err)
		}
		if len(back.Certs) != len(bundle.Certs) {
			t.Fatalf("%d certificates read back, %d written", len(back.Certs), len(bundle.Certs))
		}
		for i := range back.Certs {
			if !back.Certs[i].Equal(bundle.Certs[i]) {
				t.Fatalf("certificate %d changed", i)
			}
		}
		if bundle.Key != nil && !sameKey(bundle.Key, back.Key) {
			t.Fatalf("the %T key changed", bundle.Key)
		}
	})
}

// FuzzPKCS8 feeds arbitrary DER to the private key reader (Ed448
// included): a key read must write and read back equal, and ParseSigner
// must agree with it.
func FuzzPKCS8(f *testing.F) {
	der, _ := MarshalPKCS8(ed448.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed448.SeedSize)))
	f.Add(der)
	_, k := fuzzCert(f)
	der, _ = MarshalPKCS8(k)
	f.Add(der)
	f.Fuzz(func(t *testing.T, b []byte) {
		key, err := ParsePKCS8(b)
		if blk, _ := pem.Decode(b); blk == nil {
			_, signer := key.(crypto.Signer)
			s, serr := ParseSigner(b)
			if (serr == nil) != (err == nil && signer) || (serr == nil && !sameKey(s, key)) {
				t.Fatalf("ParsePKCS8: %T %v; ParseSigner: %v", key, err, serr)
			}
		}
		if err != nil {
			return
		}
		der, err := MarshalPKCS8(key)
		if err != nil {
			t.Fatalf("a %T key read could not be written: %v", key, err)
		}
		back, err := ParsePKCS8(der)
		if err != nil || !sameKey(key, back) {
			t.Fatalf("a %T key written and read back: %v", key, err)
		}
	})
}

func sameKey(a, b any) bool {
	k, ok := a.(interface{ Equal(crypto.PrivateKey) bool })
	return ok && k.Equal(b)
}
