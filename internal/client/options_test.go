package client

import (
	"crypto/tls"
	"errors"
	"slices"
	"testing"

	"github.com/tlstrace/tlstrace/internal/setting"
)

func TestOptionsBuild(t *testing.T) {
	o := Options{Resolve: []string{"a.test:443:127.0.0.1,::1"}, ConnectTo: []string{"a.test:443:b.test:8443"}, MinVersion: "1.2", MaxVersion: "1.3",
		Ciphers: "ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Curves: "x25519:P-256",
		Pinned: "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
	n, tl, err := o.Build()
	if err != nil {
		t.Fatal(err)
	}
	if n.Family != "tcp" || !slices.EqualFunc(n.Resolve, []ResolveEntry{{"a.test", "443", []string{"127.0.0.1", "::1"}}}, eqResolve) ||
		!slices.Equal(n.ConnectTo, []ConnectToEntry{{"a.test", "443", "b.test", "8443"}}) {
		t.Errorf("network %+v", n)
	}
	if tl.MinVersion != tls.VersionTLS12 || tl.MaxVersion != tls.VersionTLS13 || len(tl.Pins) != 1 ||
		!slices.Equal(tl.CipherSuites, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}) ||
		!slices.Equal(tl.Curves, []tls.CurveID{tls.X25519, tls.CurveP256}) {
		t.Errorf("TLS %+v", tl)
	}
	for _, c := range []struct {
		o    Options
		name string
		file bool
	}{
		{Options{Resolve: []string{"x"}}, "Resolve", false},
		// curl: "Couldn't parse CURLOPT_RESOLVE entry" (exit 49); it
		// looks no name up there.
		{Options{Resolve: []string{"localhost:42010:notanip"}}, "Resolve", false},
		{Options{Resolve: []string{"localhost:http:127.0.0.1"}}, "Resolve", false},
		{Options{Resolve: []string{"localhost:443:"}}, "Resolve", false},
		{Options{Resolve: []string{"localhost:443:[::1"}}, "Resolve", false},
		{Options{ConnectTo: []string{"a:x:b:1"}}, "ConnectTo", false},
		{Options{ConnectTo: []string{"a:1:b:x"}}, "ConnectTo", false},
		{Options{ConnectTo: []string{"a:1"}}, "ConnectTo", false},
		{Options{MaxVersion: "ssl3"}, "MaxVersion", false},
		{Options{Ciphers: "DHE-DSS-AES128-SHA"}, "Ciphers", false},
		{Options{TLS13Ciphers: "TLS_AES_128_GCM_SHA256:TLS_AES_512"}, "TLS13Ciphers", false},
		{Options{Engine: "boring"}, "Engine", false},
		{Options{Engine: "go", Ciphers: "DHE-RSA-AES128-SHA"}, "Engine", false},
		{Options{Engine: "go", TLS13Ciphers: "TLS_AES_128_GCM_SHA256"}, "Engine", false},
		{Options{Engine: "go", Curves: "ffdhe2048"}, "Engine", false},
		{Options{Curves: "X448"}, "Curves", false},
		{Options{Pinned: "sha256//short"}, "Pinned", false},
		{Options{Cert: "c.pem", CertType: "DER"}, "CertType", false},
		{Options{Cert: t.TempDir() + "/none.pem"}, "Cert", true},
		{Options{CACert: t.TempDir() + "/none.pem"}, "CACert", true},
	} {
		var se *setting.Error
		if _, _, err := c.o.Build(); !errors.As(err, &se) || se.Name != c.name || se.File != c.file {
			t.Errorf("%+v: %v, want a setting error for %s (file %v)", c.o, err, c.name, c.file)
		}
	}
	if _, _, err := (&Options{MinVersion: "1.3", MaxVersion: "1.2"}).Build(); !errors.Is(err, ErrVersionRange) {
		t.Errorf("1.3 to 1.2: %v", err)
	}
}

func TestCAsFromEnv(t *testing.T) {
	t.Setenv("CURL_CA_BUNDLE", "")
	t.Setenv("SSL_CERT_FILE", "file.pem")
	t.Setenv("SSL_CERT_DIR", "dir")
	o := Options{}
	o.CAsFromEnv()
	if o.CACert != "file.pem" || o.CAPath != "" {
		t.Errorf("SSL_CERT_FILE: %q, %q", o.CACert, o.CAPath)
	}
	t.Setenv("CURL_CA_BUNDLE", "bundle.pem")
	o = Options{}
	o.CAsFromEnv()
	if o.CACert != "bundle.pem" {
		t.Errorf("CURL_CA_BUNDLE: %q", o.CACert)
	}
	t.Setenv("CURL_CA_BUNDLE", "")
	t.Setenv("SSL_CERT_FILE", "")
	o = Options{}
	o.CAsFromEnv()
	if o.CACert != "" || o.CAPath != "dir" {
		t.Errorf("SSL_CERT_DIR: %q, %q", o.CACert, o.CAPath)
	}
	o = Options{CAPath: "given"}
	o.CAsFromEnv()
	if o.CACert != "" || o.CAPath != "given" {
		t.Errorf("with --capath: %q, %q", o.CACert, o.CAPath)
	}
}

func eqResolve(a, b ResolveEntry) bool {
	return a.Host == b.Host && a.Port == b.Port && slices.Equal(a.Addrs, b.Addrs)
}

// TestResolveConnectTo: curl's forms of --resolve (a wildcard host, a host
// in any case, IPv6 in brackets, "+" and "-" prefixes, the last entry of
// a host and port winning, a host's entry before the wildcard's) and of
// --connect-to (empty HOST1 and PORT1 match any, empty HOST2 and PORT2
// keep the original, the first entry that matches wins).
func TestResolveConnectTo(t *testing.T) {
	o := Options{
		Resolve: []string{"*:443:192.0.2.1", "Example.COM:443:192.0.2.2", "+example.com:443:[2001:db8::1],192.0.2.3",
			"gone.test:80:192.0.2.4", "-gone.test:80", "[::1]:8443:127.0.0.1"},
		ConnectTo: []string{"a.test:443:b.test:", "::127.0.0.1:8443", "a.test:443:c.test:1"},
	}
	n, _, err := o.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, port string
		want       []string
	}{
		{"EXAMPLE.com", "443", []string{"2001:db8::1", "192.0.2.3"}},
		{"other.test", "443", []string{"192.0.2.1"}},
		{"other.test", "80", nil},
		{"gone.test", "80", nil},
		{"::1", "8443", []string{"127.0.0.1"}},
	} {
		if got, ok := n.resolved(c.host, c.port); !slices.Equal(got, c.want) || ok != (c.want != nil) {
			t.Errorf("resolved(%s, %s) = %v, %v; want %v", c.host, c.port, got, ok, c.want)
		}
	}
	for _, c := range []struct{ host, port, toHost, toPort string }{
		{"A.TEST", "443", "b.test", "443"},
		{"x.test", "80", "127.0.0.1", "8443"},
	} {
		if h, p, ok := n.connectTo(c.host, c.port); !ok || h != c.toHost || p != c.toPort {
			t.Errorf("connectTo(%s, %s) = %s, %s; want %s, %s", c.host, c.port, h, p, c.toHost, c.toPort)
		}
	}
}
