package chain

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

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
	if r.Valid || !strings.HasPrefix(r.Cause, `the extended key usage of "CN=Client CA"`) {
		t.Errorf("valid %v, cause %q; want the intermediate named", r.Valid, r.Cause)
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
// within them pass alike (a mailbox exactly, a domain as a DNS name).
func TestNameConstraintsEmailURI(t *testing.T) {
	for _, c := range []struct {
		name   string
		emails []string
		uris   []string
		valid  bool
	}{
		{"within", []string{"a@good.test", "b@sub.good.test", "boss@other.test"}, []string{"https://good.test/x", "https://www.good.test/"}, true},
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
