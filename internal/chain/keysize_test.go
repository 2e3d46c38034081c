package chain

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/tlstest"
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
		return tlstest.Issue(t, c)
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

// TestLongValidity checks that a leaf valid for more than 398 days is
// trusted with a warning that says who refuses it, and that 398 days
// are not warned of.
func TestLongValidity(t *testing.T) {
	key, err := certgen.GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour)
	root := tlstest.Issue(t, certgen.Config{CommonName: "Root", Profile: certgen.ProfileCA, PathLen: -1, Key: key, NotBefore: start, NotAfter: start.Add(500 * 24 * time.Hour)})
	for _, c := range []struct {
		days int
		warn bool
	}{{398, false}, {399, true}, {400, true}} {
		// 398 days exactly: NotAfter is the last second included.
		leaf := tlstest.Issue(t, certgen.Config{CommonName: "long.test", SANs: []string{"long.test"}, Profile: certgen.ProfileServer, Key: key,
			NotBefore: start, NotAfter: start.Add(time.Duration(c.days)*24*time.Hour - time.Second), Issuer: root, IssuerKey: key})
		r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Name: "long.test"})
		if !r.Valid || (len(r.Warnings) == 1) != c.warn || len(r.Warnings) > 1 {
			t.Fatalf("%d days: valid %v, warnings %+v", c.days, r.Valid, r.Warnings)
		}
		if !c.warn {
			continue
		}
		if w := r.Warnings[0]; !strings.Contains(w.Cause, fmt.Sprintf("is valid for %d days, more than the 398 days a public CA may issue", c.days)) ||
			!strings.Contains(w.Cause, "browsers exempt as a private CA") || !strings.HasPrefix(w.Fix, "none needed from a private CA") {
			t.Errorf("%d days: %+v", c.days, w)
		}
		if w := longValidity(leaf, true); w == nil || !strings.Contains(w.Cause, "Apple clients refuse it") || w.Fix != "reissue it valid for 398 days or less" {
			t.Errorf("%d days from a public CA: %+v", c.days, w)
		}
	}
}

// TestWeakKeyWhy: a key that has been factored in public says so; a
// 1024-bit key is said to be within an attacker's reach.
func TestWeakKeyWhy(t *testing.T) {
	key, err := certgen.GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	c := tlstest.Issue(t, certgen.Config{CommonName: "weak.test", Key: key, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)})
	for _, w := range []struct {
		bits int
		want string
	}{
		{512, "have been factored in public"},
		{768, "have been factored in public"},
		{829, "have been factored in public"},
		{1024, "1024-bit RSA is within reach of a well-funded attacker"},
		{2047, "1024-bit RSA is within reach"},
	} {
		cause, _ := weakKeyCause(&WeakKeyError{Cert: c, Role: "leaf", Bits: w.bits, Min: 2048})
		if !strings.Contains(cause, w.want) {
			t.Errorf("%d bits: %q, want %q", w.bits, cause, w.want)
		}
	}
}
