package scanev

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/chain"
)

// TestStapleStatusTimes: a stapled response is judged at the time of the
// chain's verification with curl's leeway, so that a scan does not call
// good a response curl --cert-status refuses as out of date or dated in
// the future; a revoked one stays revoked.
func TestStapleStatusTimes(t *testing.T) {
	at := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: at.Add(-time.Hour), NotAfter: at.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ca, _ := x509.ParseCertificate(der)
	ltmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf"}, NotBefore: at.Add(-time.Hour), NotAfter: at.Add(time.Hour)}
	der, _ = x509.CreateCertificate(rand.Reader, ltmpl, ca, key.Public(), key)
	leaf, _ := x509.ParseCertificate(der)
	for _, c := range []struct {
		status     int
		this, next time.Duration
		want       string
	}{
		{ocsp.Good, -time.Hour, time.Hour, "good"},
		{ocsp.Good, -2 * time.Hour, -time.Hour, "good but stale: it is out of date"},
		{ocsp.Good, 5 * 24 * time.Hour, 6 * 24 * time.Hour, "good but not yet valid: it is dated in the future"},
		{ocsp.Unknown, -2 * time.Hour, -time.Hour, "unknown but stale"},
		{ocsp.Revoked, -2 * time.Hour, -time.Hour, "revoked on"},
	} {
		raw, err := ocsp.CreateResponse(ca, ca, ocsp.Response{Status: c.status, SerialNumber: leaf.SerialNumber,
			ThisUpdate: at.Add(c.this), NextUpdate: at.Add(c.next), RevokedAt: at.Add(-3 * time.Hour)}, key)
		if err != nil {
			t.Fatal(err)
		}
		cc := &CertChain{Certs: []*x509.Certificate{leaf, ca}, Staple: raw, Verdict: &chain.Result{At: at}}
		if got := cc.StapleStatus().Text; !strings.HasPrefix(got, c.want) {
			t.Errorf("status %d, this %v, next %v: %q, want %q…", c.status, c.this, c.next, got, c.want)
		}
	}
}
