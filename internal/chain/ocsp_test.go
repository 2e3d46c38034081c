package chain

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
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
	// responder makes a responder's certificate valid from nb to na;
	// edit changes its template, or the parent's template it is made
	// from (with parent's key).
	type edit func(tmpl, parent *x509.Certificate)
	responder := func(eku []x509.ExtKeyUsage, parent *x509.Certificate, parentKey crypto.Signer, edits ...edit) (*x509.Certificate, crypto.Signer) {
		c, k := newCert(t, "responder", true, now.Add(-time.Hour), now.Add(time.Hour), parent, parentKey)
		tmpl, p := *c, *parent
		tmpl.ExtKeyUsage = eku
		for _, e := range edits {
			e(&tmpl, &p)
		}
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, &p, k.Public(), parentKey)
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
	ocspSigning := []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	expired, expiredKey := responder(ocspSigning, ca, caKey, func(c, _ *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour) })
	future, futureKey := responder(ocspSigning, ca, caKey, func(c, _ *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(24*time.Hour), now.Add(48*time.Hour) })
	// Signed with the issuer's key under another name: OpenSSL finds no
	// issuer for it by name.
	renamed, renamedKey := responder(ocspSigning, ca, caKey, func(_, p *x509.Certificate) { p.Subject = pkix.Name{CommonName: "not ca"}; p.RawSubject = nil })
	critical, criticalKey := responder(ocspSigning, ca, caKey, func(c, _ *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}
	})
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
		{"responder of another CA", staple(foreign, foreignKey), `a responder issued by "CN=other ca", not by the issuer "CN=ca"`},
		{"another CA", staple(nil, otherKey), `not signed by the issuer "CN=ca"`},
		{"another CA with its certificate", staple(other, otherKey), `a responder issued by "CN=other ca", not by the issuer "CN=ca"`},
		{"expired responder", staple(expired, expiredKey), `whose certificate expired on`},
		{"responder not yet valid", staple(future, futureKey), `whose certificate is not valid before`},
		{"responder issued under another name", staple(renamed, renamedKey), `a responder issued by "CN=not ca", not by the issuer "CN=ca"`},
		{"responder with an unknown critical extension", staple(critical, criticalKey), `a critical extension the verifier does not know (1.2.3.4)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := ParseStaple(c.raw, leaf, ca, now)
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

// TestStapleProblems checks the problem each refused staple is filed
// under, which the fix given depends on.
func TestStapleProblems(t *testing.T) {
	now := time.Now()
	ca, caKey := newCert(t, "ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	other, otherKey := newCert(t, "other ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	leaf, _ := newCert(t, "leaf", true, now.Add(-time.Hour), now.Add(time.Hour), ca, caKey)
	sign := func(signer *x509.Certificate, key crypto.Signer) []byte {
		b, err := ocsp.CreateResponse(ca, signer, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: now}, key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want StapleProblem
	}{
		{"not a response", []byte{0x30, 0x03, 0x0a, 0x01, 0x00}, StapleMalformed},
		{"try later", ocsp.TryLaterErrorResponse, StapleMalformed},
		{"another CA's signature", sign(other, otherKey), StapleSigner},
	} {
		_, err := ParseStaple(c.raw, leaf, ca, now)
		var se *StapleError
		if !errors.As(err, &se) || se.Problem != c.want {
			t.Errorf("%s: got %v, want problem %d", c.name, err, c.want)
		}
	}
}

// TestCheckStapleTimes checks a response's thisUpdate and nextUpdate as
// curl checks them (OCSP_check_validity with 300 seconds of leeway and no
// limit on the age): at the edges of the leeway, past them, without a
// nextUpdate, and with a nextUpdate before the thisUpdate.
func TestCheckStapleTimes(t *testing.T) {
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name       string
		this, next time.Duration // from at; next 0 is none
		want       StapleProblem // 0: usable
	}{
		{"current", -time.Hour, time.Hour, 0},
		{"old, without nextUpdate", -365 * 24 * time.Hour, 0, 0},
		{"thisUpdate within the leeway", 5 * time.Minute, time.Hour, 0},
		{"thisUpdate past the leeway", 5*time.Minute + time.Second, time.Hour, StapleNotYetValid},
		{"thisUpdate 5 days ahead", 5 * 24 * time.Hour, 6 * 24 * time.Hour, StapleNotYetValid},
		{"nextUpdate within the leeway", -time.Hour, -5*time.Minute + time.Second, 0},
		{"nextUpdate at the leeway", -time.Hour, -5 * time.Minute, StapleStale},
		{"nextUpdate past", -2 * time.Hour, -time.Hour, StapleStale},
		{"nextUpdate before thisUpdate", time.Minute, 30 * time.Second, StapleMalformed},
	} {
		resp := &ocsp.Response{ThisUpdate: at.Add(c.this)}
		if c.next != 0 {
			resp.NextUpdate = at.Add(c.next)
		}
		err := CheckStapleTimes(resp, at)
		var se *StapleError
		switch {
		case c.want == 0 && err != nil:
			t.Errorf("%s: %v, want none", c.name, err)
		case c.want != 0 && (!errors.As(err, &se) || se.Problem != c.want):
			t.Errorf("%s: %v, want problem %d", c.name, err, c.want)
		}
	}
}
