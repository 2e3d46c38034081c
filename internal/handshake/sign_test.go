package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestSignVerify signs and verifies with every scheme the engine has,
// refuses a changed message and a key of the wrong kind.
func TestSignVerify(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]crypto.Signer{"rsa": rsaKey}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, _ := ecdsa.GenerateKey(c, rand.Reader)
		keys[c.Params().Name] = k
	}
	_, keys["ed25519"], _ = ed25519.GenerateKey(rand.Reader)
	_, keys["ed448"], _ = ed448.GenerateKey(rand.Reader)
	msg := []byte("the handshake")
	for _, scheme := range supportedSchemes {
		var name string
		switch kind, h := schemeInfo(scheme); kind {
		case kindPKCS1, kindPSSRSAE, kindPSSPSS:
			name = "rsa"
		case kindECDSA:
			name = map[crypto.Hash]string{crypto.SHA1: "P-256", crypto.SHA256: "P-256", crypto.SHA384: "P-384", crypto.SHA512: "P-521"}[h]
		case kindEd25519:
			name = "ed25519"
		case kindEd448:
			name = "ed448"
		}
		key := keys[name]
		sig, err := signMessage(key, scheme, rand.Reader, msg)
		if err != nil {
			t.Fatalf("%04x: %v", scheme, err)
		}
		pub := key.Public()
		if kind, _ := schemeInfo(scheme); kind == kindPSSPSS {
			pub = pssPublicKey{rsaKey.Public().(*rsa.PublicKey)}
		}
		if err := verifySignature(pub, scheme, msg, sig); err != nil {
			t.Errorf("%04x: %v", scheme, err)
		}
		if err := verifySignature(pub, scheme, []byte("another"), sig); err == nil {
			t.Errorf("%04x: a signature over another message verified", scheme)
		}
		other := keys["ed25519"].Public()
		if name == "ed25519" {
			other = keys["P-256"].Public()
		}
		if err := verifySignature(other, scheme, msg, sig); err == nil {
			t.Errorf("%04x: verified with a key of another kind", scheme)
		}
	}
	// TLS 1.3 leaves out PKCS #1 v1.5 and SHA-1, and ties ECDSA to the
	// curve.
	if got := schemesForKey(keys["P-384"].Public(), true); !slices.Equal(got, []uint16{schemeECDSAP384}) {
		t.Errorf("P-384 TLS 1.3 schemes %04x", got)
	}
	if got := schemesForKey(rsaKey.Public(), true); !slices.Equal(got, []uint16{schemePSSRSAE256, schemePSSRSAE384, schemePSSRSAE512}) {
		t.Errorf("RSA TLS 1.3 schemes %04x", got)
	}
	if got := schemesForKey(rsaKey.Public(), false); len(got) != 7 {
		t.Errorf("RSA TLS 1.2 schemes %04x", got)
	}
}

// TestCertPublicKey reads the keys crypto/x509 leaves out (Ed448,
// RSASSA-PSS) from certificates openssl made, and a key signed with the
// private key verifies with it.
func TestCertPublicKey(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	for _, c := range []struct {
		alg    string
		args   []string
		scheme uint16
	}{
		{"ED448", nil, schemeEd448},
		{"RSA-PSS", []string{"-pkeyopt", "rsa_keygen_bits:2048"}, schemePSSPSS256},
		{"ED25519", nil, schemeEd25519},
	} {
		certFile, keyFile := opensslCert(t, dir, c.alg, c.args...)
		cert := readPEMCert(t, certFile)
		pub, err := certPublicKey(cert)
		if err != nil {
			t.Fatalf("%s: %v", c.alg, err)
		}
		if got := schemesForKey(pub, true); len(got) == 0 || got[0] != c.scheme {
			t.Errorf("%s: schemes %04x", c.alg, got)
		}
		var sig []byte
		if c.alg == "RSA-PSS" {
			// certio does not read RSASSA-PSS private keys: openssl
			// signs.
			if err := os.WriteFile(filepath.Join(dir, "m"), []byte("m"), 0o600); err != nil {
				t.Fatal(err)
			}
			openssl(t, dir, "dgst", "-sha256", "-sign", keyFile, "-sigopt", "rsa_padding_mode:pss",
				"-sigopt", "rsa_pss_saltlen:digest", "-out", "sig", "m")
			if sig, err = os.ReadFile(filepath.Join(dir, "sig")); err != nil {
				t.Fatal(err)
			}
		} else if sig, err = signMessage(readPEMKey(t, keyFile), c.scheme, rand.Reader, []byte("m")); err != nil {
			t.Fatalf("%s: %v", c.alg, err)
		}
		if err := verifySignature(pub, c.scheme, []byte("m"), sig); err != nil {
			t.Errorf("%s: %v", c.alg, err)
		}
	}
	if _, err := certPublicKey(&x509.Certificate{RawSubjectPublicKeyInfo: []byte{0x30, 0}}); err == nil {
		t.Error("a broken SubjectPublicKeyInfo was read")
	}
}

func readPEMCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readPEMKey(t *testing.T, name string) crypto.Signer {
	t.Helper()
	k, err := certio.ReadSigner(filepath.Clean(name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
