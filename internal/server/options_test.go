package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/setting"
)

func TestOptionsConfig(t *testing.T) {
	cfg, err := (&Options{Mode: "file:/srv", MinVersion: "1.2", MaxVersion: "1.3"}).Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != "file" || cfg.Dir != "/srv" || !slices.Equal(cfg.ALPN, []string{"h2", "http/1.1"}) ||
		cfg.MinVersion != tls.VersionTLS12 || cfg.MaxVersion != tls.VersionTLS13 {
		t.Errorf("config %+v", cfg)
	}
	if cfg, _ := (&Options{Mode: "echo", ALPN: "x,y"}).Config(); !slices.Equal(cfg.ALPN, []string{"x", "y"}) {
		t.Errorf("ALPN %q", cfg.ALPN)
	}
	if cfg, _ := (&Options{Mode: "echo"}).Config(); cfg.ALPN != nil {
		t.Errorf("echo offers ALPN %q", cfg.ALPN)
	}
	if _, err := (&Options{CertFiles: []string{"a"}}).Config(); !errors.Is(err, ErrKeyCount) {
		t.Errorf("one certificate, no key: %v", err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		o    Options
		name string
		file bool
	}{
		{Options{MaxVersion: "1.1"}, "MaxVersion", false},
		{Options{CertFiles: []string{dir + "/c.pem"}, KeyFiles: []string{dir + "/k.pem"}}, "CertFiles", true},
		{Options{ClientCAFiles: []string{dir + "/ca.pem"}}, "ClientCAFiles", true},
		{Options{OCSPStapleFile: dir + "/ocsp.der"}, "OCSPStapleFile", true},
	} {
		var se *setting.Error
		if _, err := c.o.Config(); !errors.As(err, &se) || se.Name != c.name || se.File != c.file {
			t.Errorf("%+v: %v, want a setting error for %s", c.o, err, c.name)
		}
	}
}

func TestOptionsSelfSigned(t *testing.T) {
	cfg, err := (&Options{Mode: "echo", SelfSigned: true}).Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Certificates) != 1 || len(cfg.Certificates[0].Certificate) != 2 {
		t.Fatalf("certificates %v", cfg.Certificates)
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Issuer.CommonName != certgen.DemoCA || leaf.VerifyHostname("localhost") != nil {
		t.Errorf("leaf for %v issued by %v", leaf.DNSNames, leaf.Issuer)
	}
	if d := time.Until(leaf.NotAfter); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("valid until %v", leaf.NotAfter)
	}
}
