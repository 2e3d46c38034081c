package chain

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestParseStaple checks who may sign a stapled OCSP response (RFC 6960,
// Section 4.2.2.2): the leaf's issuer, with or without its own
// certificate in the response, or a responder it certified for OCSP
// signing; no one else.
func TestParseStaple(t *testing.T) {
	now := time.Now()
	ca, caKey := newCert(t, "ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	other, otherKey := newCert(t, "other ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	leaf, _ := newCert(t, "leaf", true, now.Add(-time.Hour), now.Add(time.Hour), ca, caKey)
	responder := func(eku []x509.ExtKeyUsage, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, crypto.Signer) {
		c, k := newCert(t, "responder", true, now.Add(-time.Hour), now.Add(time.Hour), parent, parentKey)
		tmpl := *c
		tmpl.ExtKeyUsage = eku
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, parent, k.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err = x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	delegated, delegatedKey := responder([]x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, ca, caKey)
	noUsage, noUsageKey := responder([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, ca, caKey)
	foreign, foreignKey := responder([]x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, other, otherKey)
	// staple signs a response with key, carrying the certificate
	// embedded when it is set.
	staple := func(embedded *x509.Certificate, key crypto.Signer) []byte {
		id := embedded
		if id == nil {
			id = ca
		}
		b, err := ocsp.CreateResponse(ca, id, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
			ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour), Certificate: embedded}, key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		raw  []byte
		err  string
	}{
		{"issuer", staple(nil, caKey), ""},
		{"issuer with its certificate", staple(ca, caKey), ""},
		{"delegated responder", staple(delegated, delegatedKey), ""},
		{"responder without OCSPSigning", staple(noUsage, noUsageKey), "lacks the OCSPSigning extended key usage"},
		{"responder of another CA", staple(foreign, foreignKey), `a responder the issuer "CN=ca" did not certify`},
		{"another CA", staple(nil, otherKey), `not signed by the issuer "CN=ca"`},
		{"another CA with its certificate", staple(other, otherKey), `a responder the issuer "CN=ca" did not certify`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := ParseStaple(c.raw, leaf, ca)
			if c.err == "" {
				if err != nil || resp.Status != ocsp.Good {
					t.Errorf("got %v, want a good response", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %v, want an error with %q", err, c.err)
			}
		})
	}
}
