package scan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/scan/scanev"
	"golang.org/x/crypto/ocsp"
)

// TestBadStapleFinding: a stapled response that is stale is a low
// finding, a high one when the certificate is must-staple (RFC 7633); a
// good one is none. One about another issuer's certificate with the
// leaf's serial, signed by the leaf's issuer, is bad, whatever it says:
// curl finds no answer in it about the leaf.
func TestBadStapleFinding(t *testing.T) {
	at := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: at.Add(-time.Hour), NotAfter: at.Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ca, _ := x509.ParseCertificate(der)
	tmpl.Subject.CommonName = "other ca"
	der, _ = x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	other, _ := x509.ParseCertificate(der)
	feature, _ := asn1.Marshal([]int{5})
	for _, c := range []struct {
		name       string
		must       bool
		next       time.Duration
		status     int
		about      *x509.Certificate // the issuer the response's CertID names
		want       Severity
		wantNoneOK bool
	}{
		{"stale", false, -time.Hour, ocsp.Good, ca, Low, false},
		{"stale must-staple", true, -time.Hour, ocsp.Good, ca, High, false},
		{"good", true, time.Hour, ocsp.Good, ca, 0, true},
		{"another issuer's certificate", false, time.Hour, ocsp.Good, other, Low, false},
		{"another issuer's certificate, revoked", true, time.Hour, ocsp.Revoked, other, High, false},
	} {
		ltmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf"}, NotBefore: at.Add(-time.Hour), NotAfter: at.Add(47 * 24 * time.Hour)}
		if c.must {
			ltmpl.ExtraExtensions = []pkix.Extension{{Id: oidTLSFeature, Value: feature}}
		}
		der, _ := x509.CreateCertificate(rand.Reader, ltmpl, ca, key.Public(), key)
		leaf, _ := x509.ParseCertificate(der)
		raw, err := ocsp.CreateResponse(c.about, ca, ocsp.Response{Status: c.status, SerialNumber: leaf.SerialNumber,
			ThisUpdate: at.Add(-2 * time.Hour), NextUpdate: at.Add(c.next), RevokedAt: at.Add(-time.Hour)}, key)
		if err != nil {
			t.Fatal(err)
		}
		r := &Result{At: at, Chains: []scanev.CertChain{{KeyType: "ECDSA", Certs: []*x509.Certificate{leaf, ca}, Staple: raw, Verdict: &chain.Result{Valid: true, At: at}}}}
		var got *Finding
		for _, f := range certFindings(r) {
			switch f.Rule {
			case "bad-staple":
				got = &f
			case "revoked":
				t.Errorf("%s: finding %+v", c.name, f)
			}
		}
		switch {
		case c.wantNoneOK && got != nil:
			t.Errorf("%s: finding %+v", c.name, got)
		case !c.wantNoneOK && (got == nil || got.Severity != c.want):
			t.Errorf("%s: finding %+v, want bad-staple of severity %v", c.name, got, c.want)
		}
	}
}
