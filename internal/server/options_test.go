package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

func TestOptionsConfig(t *testing.T) {
	dir := t.TempDir()
	cfg, err := (&Options{Mode: "file:" + dir, MinVersion: "1.2", MaxVersion: "1.3"}).Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != "file" || cfg.Dir != dir || !slices.Equal(cfg.ALPN, []string{"h2", "http/1.1"}) ||
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
	for _, c := range []struct {
		o    Options
		name string
		file bool
	}{
		{Options{MaxVersion: "1.4"}, "MaxVersion", false},
		{Options{CertFiles: []string{dir + "/c.pem"}, KeyFiles: []string{dir + "/k.pem"}}, "CertFiles", true},
		{Options{ClientCAFiles: []string{dir + "/ca.pem"}}, "ClientCAFiles", true},
		{Options{OCSPStapleFile: dir + "/ocsp.der"}, "OCSPStapleFile", true},
		{Options{Ciphers: "AES128-SHA:NO-SUCH-SUITE"}, "Ciphers", false},
		{Options{TLS13Ciphers: "TLS_AES_128_GCM_SHA256:AES128-SHA"}, "TLS13Ciphers", false},
		{Options{Curves: "X25519:P-999"}, "Curves", false},
		{Options{Mode: "bogus"}, "Mode", false},
		{Options{Mode: "file", Dir: dir + "/none"}, "Dir", true},
		{Options{Mode: "file:" + dir + "/none"}, "Dir", true},
		{Options{MinVersion: "1.3", MaxVersion: "1.2"}, "MaxVersion", false},
	} {
		var se *setting.Error
		if _, err := c.o.Config(); !errors.As(err, &se) || se.Name != c.name || se.File != c.file {
			t.Errorf("%+v: %v, want a setting error for %s", c.o, err, c.name)
		}
	}
}

// TestOptionsSuites reads the suites and groups by name, those only the
// own engine serves among them.
func TestOptionsSuites(t *testing.T) {
	cfg, err := (&Options{Mode: "echo", Ciphers: "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256", TLS13Ciphers: "TLS_AES_128_CCM_SHA256",
		Curves: "ffdhe2048:X25519"}).Config()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.CipherSuites, []uint16{0xc02f, 0x009e}) || !slices.Equal(cfg.TLS13Suites, []uint16{0x1304}) || !slices.Equal(cfg.Groups, []uint16{256, 29}) {
		t.Errorf("suites %#04x, TLS 1.3 suites %#04x, groups %v", cfg.CipherSuites, cfg.TLS13Suites, cfg.Groups)
	}
	if cfg, _ := (&Options{Mode: "echo"}).Config(); cfg.CipherSuites != nil || cfg.TLS13Suites != nil || cfg.Groups != nil {
		t.Errorf("no names: suites %v, TLS 1.3 suites %v, groups %v", cfg.CipherSuites, cfg.TLS13Suites, cfg.Groups)
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

// seed001Files makes an Ed448 CA and an Ed448 server certificate for
// localhost (no subjectAltName) with openssl, as a user does, and returns
// the directory holding ca_cert.pem, server_cert.pem and
// server_keypair.pem.
func seed001Files(t *testing.T) string {
	t.Helper()
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"genpkey", "-algorithm", "ED448", "-out", "ca_keypair.pem"},
		{"req", "-new", "-x509", "-key", "ca_keypair.pem", "-subj", "/CN=Test CA", "-days", "365", "-out", "ca_cert.pem"},
		{"genpkey", "-algorithm", "ED448", "-out", "server_keypair.pem"},
		{"req", "-new", "-key", "server_keypair.pem", "-subj", "/CN=localhost", "-out", "server.csr"},
		{"x509", "-req", "-in", "server.csr", "-CA", "ca_cert.pem", "-CAkey", "ca_keypair.pem", "-CAcreateserial", "-days", "365", "-out", "server_cert.pem"},
	} {
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir
}

// TestOptionsEd448 checks that serve reads OpenSSL's Ed448 certificate and
// key (RFC 8410 PKCS #8, which crypto/tls cannot) for the own engine, and
// refuses a key that is not the certificate's.
func TestOptionsEd448(t *testing.T) {
	dir := seed001Files(t)
	o := Options{Mode: "echo", CertFiles: []string{filepath.Join(dir, "server_cert.pem")}, KeyFiles: []string{filepath.Join(dir, "server_keypair.pem")}}
	cfg, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Certificates) != 0 || len(cfg.OwnCertificates) != 1 || len(cfg.OwnCertificates[0].Chain) != 1 {
		t.Fatalf("%d crypto/tls certificates, own %+v", len(cfg.Certificates), cfg.OwnCertificates)
	}
	if _, ok := cfg.OwnCertificates[0].Key.(ed448.PrivateKey); !ok {
		t.Errorf("key %T, want ed448.PrivateKey", cfg.OwnCertificates[0].Key)
	}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Engine() != "own" {
		t.Errorf("an Ed448 certificate is served by %s", s.Engine())
	}
	cfg.Engine = "go"
	var se *setting.Error
	if _, err := New(cfg, nil); !errors.As(err, &se) || se.Name != "Engine" {
		t.Errorf("crypto/tls asked to serve Ed448: %v", err)
	}

	o.KeyFiles = []string{filepath.Join(dir, "ca_keypair.pem")}
	if _, err := o.Config(); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("the CA's key with the server's certificate: %v", err)
	}
}

func TestUseOwn(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want bool
	}{
		{Config{}, false},
		{Config{MinVersion: tls.VersionTLS12}, false},
		{Config{MinVersion: tls.VersionTLS10}, true},
		{Config{MaxVersion: tls.VersionTLS11}, true},
		{Config{CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}, false},
		{Config{CipherSuites: []uint16{0x009E}}, true}, // DHE-RSA-AES128-GCM-SHA256
		{Config{Engine: "own"}, true},
		{Config{TLS13Suites: []uint16{0x1304}}, true},
		{Config{Groups: []uint16{29, 23}}, false},
		{Config{Groups: []uint16{29, 256}}, true},
	} {
		if got, _, err := useOwn(&c.cfg); got != c.want || err != nil {
			t.Errorf("%+v: own engine %v, %v; want %v", c.cfg, got, err, c.want)
		}
	}
	if _, _, err := useOwn(&Config{Engine: "go", MinVersion: tls.VersionTLS10}); err == nil {
		t.Error("crypto/tls asked to serve TLS 1.0")
	}
}

// TestDescribe checks how a server says what it serves: the mode, the
// URL (the STARTTLS protocol's scheme when clients upgrade) and the own
// engine when it serves.
func TestDescribe(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2525}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Mode: "www", SelfSigned: true}, "www on https://127.0.0.1:2525/"},
		{Options{Mode: "echo", SelfSigned: true, StartTLS: "smtp", MinVersion: "1.0"}, "echo after STARTTLS on smtp://127.0.0.1:2525/ with tlstrace's own TLS engine"},
	} {
		cfg, err := c.o.Config()
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.Describe(addr); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
}
