package chain

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestFailureKeepsType checks that a refused chain's error says the cause
// and keeps crypto/x509's error.
func TestFailureKeepsType(t *testing.T) {
	c := loadLimbo(t)[0]
	leaf, o := c.options(t)
	o.Roots = nil
	o.RootPool = x509.NewCertPool()
	r := Verify(leaf, o)
	err := r.Failure()
	if r.Valid || err == nil || err.Error() != r.Cause {
		t.Fatalf("valid %v, failure %v, cause %q", r.Valid, err, r.Cause)
	}
	var ce *Error
	var ua x509.UnknownAuthorityError
	if wrapped := fmt.Errorf("verify: %w", err); !errors.As(wrapped, &ce) || !errors.As(wrapped, &ua) {
		t.Errorf("%#v does not keep crypto/x509's error", err)
	}
	leaf, o = c.options(t)
	if r := Verify(leaf, o); r.Valid && r.Failure() != nil {
		t.Errorf("a valid chain has a failure: %v", r.Failure())
	}
}

// TestUnhandledCriticalExtension: a certificate with a critical extension
// no verifier knows fails on its own link, which names the extension, as
// the cause does; an Ed448 chain, judged here, fails as crypto/x509 fails
// the others.
func TestUnhandledCriticalExtension(t *testing.T) {
	for _, keyType := range []string{"ecdsa", "ed448"} {
		t.Run(keyType, func(t *testing.T) {
			leaf, root := cnChain(t, keyType, "crit.test", func(c *x509.Certificate) {
				c.DNSNames = []string{"crit.test"}
				c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}
			})
			r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Name: "crit.test"})
			if r.Valid || !strings.Contains(r.Cause, `"CN=crit.test"`) || !strings.Contains(r.Cause, "1.2.3.4") || r.Fix == "" {
				t.Errorf("valid %v, cause %q, fix %q; want the certificate and the extension named", r.Valid, r.Cause, r.Fix)
			}
			if len(r.Links) == 0 || !slices.ContainsFunc(r.Links[0].Checks, func(c Check) bool {
				return c.Name == "critical_extensions" && !c.OK && strings.Contains(c.Detail, "1.2.3.4")
			}) {
				t.Errorf("the leaf's checks %+v have no failed critical_extensions check", r.Links[0].Checks)
			}
		})
	}
}

// TestIntermediateExtKeyUsage: an intermediate whose extended key usage
// forbids serverAuth is named as the cause, not the leaf crypto/x509's
// error carries.
func TestIntermediateExtKeyUsage(t *testing.T) {
	key := func() crypto.Signer { return tlstest.NewKey(t, false) }
	issue := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	rootKey, interKey := key(), key()
	root := issue(certgen.Config{CommonName: "Root", Profile: certgen.ProfileCA, PathLen: -1, Key: rootKey})
	inter := issue(certgen.Config{CommonName: "Client CA", Profile: certgen.ProfileCA, PathLen: 0, ExtKeyUsage: []string{"clientAuth"}, Key: interKey, Issuer: root, IssuerKey: rootKey})
	leaf := issue(certgen.Config{CommonName: "srv.test", SANs: []string{"srv.test"}, Profile: certgen.ProfileServer, Key: key(), Issuer: inter, IssuerKey: interKey})
	r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{inter}, Name: "srv.test"})
	if r.Valid || !strings.HasPrefix(r.Cause, `the extended key usage of the CA "CN=Client CA" lists clientAuth, not serverAuth`) {
		t.Errorf("valid %v, cause %q; want the intermediate named", r.Valid, r.Cause)
	}
	// The leaf has serverAuth: the fix is the CA's.
	if !strings.HasPrefix(r.Fix, `reissue the CA "CN=Client CA" with serverAuth`) {
		t.Errorf("fix %q; want the CA reissued", r.Fix)
	}
}

// TestIntermediateAnchor: an intermediate given as trusted is an anchor,
// as crypto/x509 takes it: the chain is valid, and no check of its links
// fails (its issuer, not given, is not needed).
func TestIntermediateAnchor(t *testing.T) {
	key := func() crypto.Signer { return tlstest.NewKey(t, false) }
	issue := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	rootKey, interKey := key(), key()
	root := issue(certgen.Config{CommonName: "Root", Profile: certgen.ProfileCA, PathLen: -1, Key: rootKey})
	inter := issue(certgen.Config{CommonName: "Intermediate", Profile: certgen.ProfileCA, PathLen: 0, Key: interKey, Issuer: root, IssuerKey: rootKey})
	leaf := issue(certgen.Config{CommonName: "srv.test", SANs: []string{"srv.test"}, Profile: certgen.ProfileServer, Key: key(), Issuer: inter, IssuerKey: interKey})
	r := Verify(leaf, Options{Roots: []*x509.Certificate{inter}, Name: "srv.test"})
	if !r.Valid || len(r.Links) != 2 || !r.Links[1].Trusted {
		t.Fatalf("valid %v, %d links, cause %q; want valid at the intermediate", r.Valid, len(r.Links), r.Cause)
	}
	for _, l := range r.Links {
		for _, c := range l.Checks {
			if !c.OK {
				t.Errorf("%s: the %s check failed: %s", l.Cert.Subject, c.Name, c.Detail)
			}
		}
	}
}

// TestNameConstraintsEmailURI: a CA's e-mail and URI constraints are
// checked, and shown, as its DNS ones: an Ed448 chain, which this package
// judges, fails on them as crypto/x509 fails an ECDSA one, and names
// within them pass alike (a mailbox exactly, a host without a leading dot
// as that host only, as RFC 5280 and OpenSSL read it: a mailbox on a
// subdomain, which crypto/x509 takes, is outside).
func TestNameConstraintsEmailURI(t *testing.T) {
	for _, c := range []struct {
		name   string
		emails []string
		uris   []string
		valid  bool
	}{
		{"within", []string{"a@good.test", "b@GOOD.test", "boss@other.test"}, []string{"https://good.test/x", "https://www.good.test/"}, true},
		{"email on a subdomain", []string{"b@sub.good.test"}, nil, false},
		{"email outside", []string{"a@evil.test"}, nil, false},
		{"mailbox outside", []string{"Boss@other.test"}, nil, false},
		{"URI outside", nil, []string{"https://evil.test/"}, false},
		{"URI without host", nil, []string{"urn:x:y"}, false},
	} {
		for _, keyType := range []string{"ecdsa", "ed448"} {
			t.Run(c.name+"/"+keyType, func(t *testing.T) {
				var uris []*url.URL
				for _, u := range c.uris {
					p, err := url.Parse(u)
					if err != nil {
						t.Fatal(err)
					}
					uris = append(uris, p)
				}
				leaf, root := cnChain(t, keyType, "nc.test", func(l *x509.Certificate) {
					l.DNSNames, l.EmailAddresses, l.URIs = []string{"nc.test"}, c.emails, uris
				}, func(r *x509.Certificate) {
					r.PermittedEmailAddresses = []string{"good.test", "boss@other.test"}
					r.PermittedURIDomains = []string{"good.test"}
				})
				r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Name: "nc.test"})
				if r.Valid != c.valid {
					t.Fatalf("valid %v, cause %q; want valid %v", r.Valid, r.Cause, c.valid)
				}
				last := r.Links[len(r.Links)-1]
				i := slices.IndexFunc(last.Checks, func(c Check) bool { return c.Name == "name_constraints" })
				if i < 0 || last.Checks[i].OK != c.valid || !strings.Contains(last.Checks[i].Detail, "permitted email good.test, boss@other.test; permitted URI good.test") {
					t.Errorf("the root's checks %+v; want a name_constraints check listing them, ok %v", last.Checks, c.valid)
				}
			})
		}
	}
}

// TestCrossSignedPathExplained: a leaf whose CA is cross-signed (one key,
// two certificates of one name, by two roots of which only the second is
// trusted) is explained along the path to the trusted root, whatever the
// order of the intermediates: for a wrong name, the host name is the only
// failed check (crypto/x509 checks the name before it builds a chain); for
// an expired leaf, the validity.
func TestCrossSignedPathExplained(t *testing.T) {
	key := func() crypto.Signer { return tlstest.NewKey(t, false) }
	issue := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	r1Key, r2Key, xKey := key(), key(), key()
	r1 := issue(certgen.Config{CommonName: "Root 1", Profile: certgen.ProfileCA, PathLen: -1, Key: r1Key})
	r2 := issue(certgen.Config{CommonName: "Root 2", Profile: certgen.ProfileCA, PathLen: -1, Key: r2Key})
	ix := issue(certgen.Config{CommonName: "Int X", Profile: certgen.ProfileCA, PathLen: 0, Key: xKey, Issuer: r1, IssuerKey: r1Key})
	ixc := issue(certgen.Config{CommonName: "Int X", Profile: certgen.ProfileCA, PathLen: 0, Key: xKey, Issuer: r2, IssuerKey: r2Key})
	leaf := issue(certgen.Config{CommonName: "good.test", SANs: []string{"good.test"}, Profile: certgen.ProfileServer, Key: key(), Issuer: ix, IssuerKey: xKey})
	for _, c := range []struct {
		name, check string
		at          time.Time
	}{
		{"wrong.example.test", "host_name", time.Time{}},
		{"good.test", "validity", time.Now().Add(48 * time.Hour)},
	} {
		r := Verify(leaf, Options{Roots: []*x509.Certificate{r2}, Intermediates: []*x509.Certificate{ix, ixc, r1}, Name: c.name, At: c.at})
		if r.Valid || len(r.Links) == 0 || !r.Links[len(r.Links)-1].Cert.Equal(r2) {
			t.Errorf("%s: valid %v, path %v; want it to end at Root 2", c.name, r.Valid, linkNames(r.Links))
			continue
		}
		for _, l := range r.Links {
			for _, ch := range l.Checks {
				if !ch.OK && ch.Name != c.check && !(c.check == "validity" && l.Role != "leaf") {
					t.Errorf("%s: %q failed %s: %s", c.name, l.Cert.Subject, ch.Name, ch.Detail)
				}
			}
		}
	}
}

func linkNames(links []Link) []string {
	var s []string
	for _, l := range links {
		s = append(s, l.Cert.Subject.CommonName)
	}
	return s
}

// TestMissingIntermediateNamesCAIssuers: a leaf sent without its
// intermediate that names where to fetch it (authorityInfoAccess
// caIssuers) gets a cause that gives the URL.
func TestMissingIntermediateNamesCAIssuers(t *testing.T) {
	key := func() crypto.Signer { return tlstest.NewKey(t, false) }
	issue := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	rootKey, interKey := key(), key()
	root := issue(certgen.Config{CommonName: "Root", Profile: certgen.ProfileCA, PathLen: -1, Key: rootKey})
	inter := issue(certgen.Config{CommonName: "Inter", Profile: certgen.ProfileCA, PathLen: 0, Key: interKey, Issuer: root, IssuerKey: rootKey})
	leaf := tlstest.Issue(t, certgen.Config{CommonName: "srv.test", SANs: []string{"srv.test"}, Profile: certgen.ProfileServer, Key: key(), Issuer: inter, IssuerKey: interKey})
	leaf.IssuingCertificateURL = []string{"http://ca.example.test/inter.der"}
	r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Name: "srv.test"})
	if r.Valid || !strings.Contains(r.Cause, "caIssuers http://ca.example.test/inter.der") || !strings.Contains(r.Fix, "the caIssuers URL serves it") {
		t.Errorf("valid %v, cause %q, fix %q", r.Valid, r.Cause, r.Fix)
	}
}

// TestNotCAExplained: a certificate that signed another but is not a CA
// is explained by what it carries: CA:FALSE, or no basicConstraints at
// all (a version 3 certificate without the extension is not a CA, RFC
// 5280, Section 4.2.1.9), without parentheses inside parentheses.
func TestNotCAExplained(t *testing.T) {
	now := time.Now()
	rootKey, midKey, leafKey := tlstest.NewKey(t, false), tlstest.NewKey(t, false), tlstest.NewKey(t, false)
	create := func(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Root"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign}
	root := create(rt, rt, rootKey.Public(), rootKey)
	for _, c := range []struct {
		name, want string
		bc         bool
	}{
		{"CA:FALSE", `"CN=Mid" signed a certificate but is not a CA: CA:FALSE: it may not issue certificates`, true},
		{"none", `"CN=Mid" signed a certificate but is not a CA: no basicConstraints extension, so not a CA`, false},
	} {
		mt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Mid"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			BasicConstraintsValid: c.bc, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
		mid := create(mt, root, midKey.Public(), rootKey)
		lt := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "leaf.test"}, DNSNames: []string{"leaf.test"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
		leaf := create(lt, mid, leafKey.Public(), midKey)
		r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{mid}, Name: "leaf.test"})
		wantFail(t, c.name, r, "basic_constraints", c.want)
		if strings.Contains(r.Cause, "((") || strings.Contains(r.Cause, "(CA:FALSE (") {
			t.Errorf("%s: cause %q nests parentheses", c.name, r.Cause)
		}
	}
}
