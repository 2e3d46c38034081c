package chain

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
)

// TestWeakRSAKey checks that a chain crypto/x509 accepts is refused when
// an RSA key in it, leaf, intermediate or root, is under 2048 bits, with
// a failed key_size check on that link, a typed error, a cause and a fix;
// and that 2048 bits pass.
func TestWeakRSAKey(t *testing.T) {
	rsaKey := func(bits int) crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	p256 := func() crypto.Signer {
		k, err := certgen.GenerateKey("p256")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	issue := func(c certgen.Config) *x509.Certificate {
		c.NotBefore, c.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		der, err := certgen.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	// chain makes root → intermediate → leaf with these keys.
	chain := func(rootKey, interKey, leafKey crypto.Signer) (leaf, inter, root *x509.Certificate) {
		root = issue(certgen.Config{CommonName: "Root", Profile: certgen.ProfileCA, PathLen: -1, Key: rootKey})
		inter = issue(certgen.Config{CommonName: "Intermediate", Profile: certgen.ProfileCA, PathLen: 0, Key: interKey, Issuer: root, IssuerKey: rootKey})
		leaf = issue(certgen.Config{CommonName: "weak.test", SANs: []string{"weak.test"}, Profile: certgen.ProfileServer, Key: leafKey, Issuer: inter, IssuerKey: interKey})
		return leaf, inter, root
	}
	weak := rsaKey(1024)
	for _, c := range []struct {
		name              string
		root, inter, leaf crypto.Signer
		depth             int
		role, cause       string
	}{
		{"leaf", p256(), p256(), weak, 0, "leaf", `the leaf certificate "CN=weak.test" has a 1024-bit RSA key (its own key)`},
		{"intermediate", p256(), weak, p256(), 1, "intermediate", `the intermediate certificate "CN=Intermediate" has a 1024-bit RSA key (the key that signs`},
		{"root", weak, p256(), p256(), 2, "root", `the root certificate "CN=Root" has a 1024-bit RSA key`},
		{"2048", p256(), rsaKey(2048), p256(), -1, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			leaf, inter, root := chain(c.root, c.inter, c.leaf)
			// crypto/x509 alone accepts every one of these chains.
			pool := x509.NewCertPool()
			pool.AddCert(root)
			inters := x509.NewCertPool()
			inters.AddCert(inter)
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inters, DNSName: "weak.test"}); err != nil {
				t.Fatalf("crypto/x509: %v", err)
			}
			for _, o := range []Options{
				{Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{inter}, Name: "weak.test"},
				{RootPool: pool, Intermediates: []*x509.Certificate{inter}, Name: "weak.test"},
			} {
				r := Verify(leaf, o)
				if c.depth < 0 {
					if !r.Valid {
						t.Errorf("2048-bit RSA refused: %s", r.Cause)
					}
					for _, l := range r.Links {
						for _, ch := range l.Checks {
							if ch.Name == "key_size" {
								t.Errorf("key_size check on %s: %+v", l.Role, ch)
							}
						}
					}
					continue
				}
				var we *WeakKeyError
				if r.Valid || !errors.As(r.Failure(), &we) || we.Bits != 1024 || we.Min != 2048 || we.Role != c.role {
					t.Fatalf("valid %v, error %#v", r.Valid, r.Err)
				}
				if !strings.HasPrefix(r.Cause, c.cause) || !strings.Contains(r.Fix, "at least 2048 bits") {
					t.Errorf("cause %q, fix %q; want cause %q…", r.Cause, r.Fix, c.cause)
				}
				if len(r.Links) != 3 {
					t.Fatalf("%d links", len(r.Links))
				}
				var failed []string
				for i, l := range r.Links {
					for _, ch := range l.Checks {
						if !ch.OK {
							failed = append(failed, ch.Name)
							if ch.Name != "key_size" || i != c.depth || !strings.HasPrefix(ch.Detail, "RSA 1024 bits, below the 2048 bits") {
								t.Errorf("link %d: failed check %+v", i, ch)
							}
						}
					}
				}
				if len(failed) != 1 {
					t.Errorf("failed checks %v, want key_size only", failed)
				}
			}
		})
	}
}
