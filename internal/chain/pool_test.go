package chain

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

// newCert issues a certificate for a test: a CA when leaf is false, signed
// by parent (self-signed when parent is nil), valid from nb to na.
func newCert(t *testing.T, cn string, leaf bool, nb, na time.Time, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: nb, NotAfter: na, BasicConstraintsValid: true}
	if leaf {
		tmpl.DNSNames = []string{"localhost"}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	} else {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// TestExplainedWithPool checks that a chain verified against a pool of
// roots, which cannot be listed, is explained up to the root of the pool as
// with a list of the same roots: a leaf that failed does not hide the rest
// of the chain. A self-signed certificate that is not trusted carries the
// failure on its own link.
func TestExplainedWithPool(t *testing.T) {
	now := time.Now()
	root, rootKey := newCert(t, "root", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	inter, interKey := newCert(t, "inter", false, now.Add(-time.Hour), now.Add(time.Hour), root, rootKey)
	leaf, _ := newCert(t, "leaf", true, now.Add(-3*time.Hour), now.Add(-2*time.Hour), inter, interKey)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	list := Verify(leaf, Options{Name: "localhost", Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{inter}, At: now})
	pooled := Verify(leaf, Options{Name: "localhost", RootPool: pool, Intermediates: []*x509.Certificate{inter}, At: now})
	for _, r := range []*Result{list, pooled} {
		if r.Valid || len(r.Links) != 3 || !r.Links[2].Trusted || r.Links[2].Role != "root" {
			t.Fatalf("valid %v, %d links", r.Valid, len(r.Links))
		}
		for i, l := range r.Links {
			for _, c := range l.Checks {
				if c.OK != (i != 0 || c.Name != "validity") {
					t.Errorf("link %d: %s ok=%v: %s", i, c.Name, c.OK, c.Detail)
				}
			}
		}
	}
	if list.Cause != pooled.Cause || list.Fix != pooled.Fix {
		t.Errorf("list and pool differ: %q / %q", list.Cause, pooled.Cause)
	}

	self, _ := newCert(t, "self", true, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	for _, o := range []Options{{RootPool: x509.NewCertPool()}, {Roots: []*x509.Certificate{root}}} {
		r := Verify(self, o)
		if r.Valid || len(r.Links) != 1 {
			t.Fatalf("valid %v, %d links", r.Valid, len(r.Links))
		}
		checks := r.Links[0].Checks
		if last := checks[len(checks)-1]; last.Name != "trust" || last.OK {
			t.Errorf("self-signed: last check %+v", last)
		}
	}
}

// TestExplainedWithSystemRoots checks that with the system's roots, which
// cannot be listed, a private chain is explained as far as it goes and
// says so.
func TestExplainedWithSystemRoots(t *testing.T) {
	now := time.Now()
	root, rootKey := newCert(t, "private root", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	inter, interKey := newCert(t, "private inter", false, now.Add(-time.Hour), now.Add(time.Hour), root, rootKey)
	leaf, _ := newCert(t, "leaf", true, now.Add(-time.Hour), now.Add(time.Hour), inter, interKey)
	r := Verify(leaf, Options{Name: "localhost", Intermediates: []*x509.Certificate{inter}})
	if r.Valid || len(r.Links) != 2 {
		t.Fatalf("valid %v, %d links", r.Valid, len(r.Links))
	}
	sig := r.Links[1].Checks[0]
	if sig.Name != "signature" || sig.OK || !strings.Contains(sig.Detail, "the system's store cannot be listed") {
		t.Errorf("intermediate: %+v", sig)
	}
	r = Verify(root, Options{})
	checks := r.Links[0].Checks
	if last := checks[len(checks)-1]; last.Name != "trust" || last.OK || last.Detail != "self-signed, and not among the system's trusted roots" {
		t.Errorf("self-signed: %+v", last)
	}
}
