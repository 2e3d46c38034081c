package certgen

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/setting"
)

func TestIssueProfiles(t *testing.T) {
	rsaKey, err := GenerateKey("rsa2048")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	parse := func(c Config) *x509.Certificate {
		t.Helper()
		der, err := Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	ca := parse(Config{CommonName: "CA", Profile: ProfileCA, PathLen: -1, Key: ecKey})
	if !ca.IsCA || ca.MaxPathLen != -1 || ca.KeyUsage&x509.KeyUsageCertSign == 0 || ca.SerialNumber.BitLen() < 64 {
		t.Errorf("CA: IsCA %v, path length %d, usage %b, serial %v", ca.IsCA, ca.MaxPathLen, ca.KeyUsage, ca.SerialNumber)
	}
	srv := parse(Config{CommonName: "srv", Profile: ProfileServer, Key: rsaKey, Issuer: ca, IssuerKey: ecKey, ExtKeyUsage: []string{"ClientAuth", "serverAuth"}})
	if srv.IsCA || srv.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment ||
		!slices.Equal(srv.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Errorf("server: usage %b, extended %v", srv.KeyUsage, srv.ExtKeyUsage)
	}
	if err := srv.CheckSignatureFrom(ca); err != nil {
		t.Error(err)
	}
	csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "req"}, DNSNames: []string{"req.test"}}, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	signed := parse(Config{Request: req, SANs: []string{"extra.test"}, Issuer: ca, IssuerKey: ecKey, NotAfter: time.Now().Add(time.Hour)})
	if signed.Subject.CommonName != "req" || !slices.Equal(signed.DNSNames, []string{"extra.test", "req.test"}) {
		t.Errorf("signed request: subject %v, names %v", signed.Subject, signed.DNSNames)
	}

	for _, c := range []struct {
		cfg  Config
		name string
	}{
		{Config{CommonName: "x", Profile: "nope"}, "Profile"},
		{Config{CommonName: "x", KeyUsage: []string{"nope"}}, "KeyUsage"},
		{Config{CommonName: "x", ExtKeyUsage: []string{"nope"}}, "ExtKeyUsage"},
		{Config{CommonName: "x", SANs: []string{"IP:nope"}}, "SANs"},
	} {
		var se *setting.Error
		if err := c.cfg.Check(); !errors.As(err, &se) || se.Name != c.name || se.Value != "nope" && se.Value != "IP:nope" {
			t.Errorf("%+v: %v, want a setting error for %s", c.cfg, err, c.name)
		}
	}
	if err := (&Config{}).Check(); !errors.Is(err, ErrNoSubject) {
		t.Errorf("no subject: %v", err)
	}
}

func TestSetValidity(t *testing.T) {
	now := time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)
	var c Config
	if err := c.SetValidity(now, 90, "", ""); err != nil {
		t.Fatal(err)
	}
	if !c.NotBefore.Equal(now.Add(-5*time.Minute)) || !c.NotAfter.Equal(now.AddDate(0, 0, 90)) {
		t.Errorf("default validity %v to %v", c.NotBefore, c.NotAfter)
	}
	if err := c.SetValidity(now, 90, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if c.NotBefore.Year() != 2026 || c.NotAfter.Year() != 2027 {
		t.Errorf("given validity %v to %v", c.NotBefore, c.NotAfter)
	}
	var se *setting.Error
	if err := c.SetValidity(now, 90, "", "tomorrow"); !errors.As(err, &se) || se.Name != "NotAfter" || se.Value != "tomorrow" {
		t.Errorf("a time that does not parse: %v", err)
	}
}

func TestServerWithoutName(t *testing.T) {
	for _, c := range []struct {
		cert x509.Certificate
		want bool
	}{
		{x509.Certificate{}, true},
		{x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, true},
		{x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, false},
		{x509.Certificate{IsCA: true}, false},
		{x509.Certificate{DNSNames: []string{"a.test"}}, false},
		{x509.Certificate{IPAddresses: []net.IP{net.IPv6loopback}}, false},
		{x509.Certificate{EmailAddresses: []string{"a@a.test"}}, true},
	} {
		if got := ServerWithoutName(&c.cert); got != c.want {
			t.Errorf("%+v: %v, want %v", c.cert, got, c.want)
		}
	}
}
