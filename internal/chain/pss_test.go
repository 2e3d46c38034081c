package chain

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestRSAPSSChains: chains signed by RSA-PSS keys as openssl genpkey
// makes them (id-RSASSA-PSS keys, the longest salt, or a key restricted
// to SHA-256 and a salt of 32), which crypto/x509 cannot check, are judged
// as openssl verify judges them: valid, and not valid when the issuer's
// key is not the one that signed; a small RSA-PSS key fails key_size.
func TestRSAPSSChains(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	_, run := opensslIn(t, dir)
	os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("subjectAltName=DNS:pss.test\n"), 0o644)
	run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=pss.test")
	// ca makes a self-signed RSA-PSS root named name with key file key.
	ca := func(name, key string, opts ...string) {
		run(append([]string{"genpkey", "-algorithm", "RSA-PSS", "-out", key}, opts...)...)
		run("req", "-x509", "-key", key, "-out", name+".pem", "-days", "2", "-subj", "/CN=PSS Root",
			"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	}
	sign := func(out, caName, key string, opts ...string) {
		run(append([]string{"x509", "-req", "-in", "leaf.csr", "-CA", caName + ".pem", "-CAkey", key, "-days", "1", "-extfile", "leaf.ext", "-out", out}, opts...)...)
	}
	ca("root", "root.key", "-pkeyopt", "rsa_keygen_bits:2048")
	sign("leaf.pem", "root", "root.key")
	ca("other", "other.key", "-pkeyopt", "rsa_keygen_bits:2048")
	ca("restricted", "restricted.key", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_pss_keygen_md:sha256", "-pkeyopt", "rsa_pss_keygen_saltlen:32")
	sign("restricted-leaf.pem", "restricted", "restricted.key")
	ca("small", "small.key", "-pkeyopt", "rsa_keygen_bits:1024")
	sign("small-leaf.pem", "small", "small.key")

	read := func(name string) []*x509.Certificate { return certsIn(t, dir, name) }
	for _, c := range []struct {
		name, leaf, root string
		valid            bool
		failed           string
	}{
		{"signed by the root's key", "leaf.pem", "root.pem", true, ""},
		{"another key of the same name", "leaf.pem", "other.pem", false, "signature"},
		{"within the key's restrictions", "restricted-leaf.pem", "restricted.pem", true, ""},
		{"small key", "small-leaf.pem", "small.pem", false, "key_size"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := exec.Command("openssl", "verify", "-auth_level", "0", "-CAfile", filepath.Join(dir, c.root), filepath.Join(dir, c.leaf)).Run()
			if c.failed != "key_size" && (err == nil) != c.valid {
				t.Fatalf("openssl verify: %v; the test expects valid %v", err, c.valid)
			}
			r := Verify(read(c.leaf)[0], Options{Roots: read(c.root), Name: "pss.test", At: time.Now()})
			if r.Valid != c.valid {
				t.Errorf("valid %v (%v); want %v", r.Valid, r.Err, c.valid)
			}
			var failed []string
			for _, l := range r.Links {
				for _, ch := range l.Checks {
					if !ch.OK {
						failed = append(failed, ch.Name)
					}
				}
				if !strings.HasPrefix(KeyDescription(l.Issuer), "RSA-PSS") || !strings.Contains(SignatureName(l.Cert), "RSAPSS") {
					t.Errorf("link %q: issuer key %q, signature %q", l.Cert.Subject, KeyDescription(l.Issuer), SignatureName(l.Cert))
				}
			}
			if c.failed == "" && len(failed) > 0 || c.failed != "" && !strings.Contains(strings.Join(failed, " "), c.failed) {
				t.Errorf("failed checks %v; want %q", failed, c.failed)
			}
		})
	}
}

// TestVerifyPSSAgreesWithCryptoRSA: the own RSASSA-PSS check accepts what
// crypto/rsa signs and refuses a changed signature, message or salt
// length.
func TestVerifyPSSAgreesWithCryptoRSA(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("tbsCertificate")
	for _, salt := range []int{20, 32, 222} { // (0 asks crypto/rsa for the longest)
		d := sha256.Sum256(msg)
		sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
		if err != nil {
			t.Fatal(err)
		}
		p := pss{hash: crypto.SHA256, mgf: crypto.SHA256, salt: salt}
		if !verifyPSS(&key.PublicKey, p, msg, sig) {
			t.Errorf("salt %d: refused what crypto/rsa signed", salt)
		}
		if verifyPSS(&key.PublicKey, p, []byte("tbsCertificatf"), sig) {
			t.Errorf("salt %d: accepted another message", salt)
		}
		if verifyPSS(&key.PublicKey, pss{hash: crypto.SHA256, mgf: crypto.SHA256, salt: salt + 1}, msg, sig) {
			t.Errorf("salt %d: accepted as salt %d", salt, salt+1)
		}
		if verifyPSS(&key.PublicKey, pss{hash: crypto.SHA256, mgf: crypto.SHA1, salt: salt}, msg, sig) {
			t.Errorf("salt %d: accepted with MGF1 over SHA-1", salt)
		}
		sig[len(sig)/2] ^= 1
		if verifyPSS(&key.PublicKey, p, msg, sig) {
			t.Errorf("salt %d: accepted a changed signature", salt)
		}
	}
}
