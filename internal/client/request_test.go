package client

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseHeaders(t *testing.T) {
	h, err := ParseHeaders([]string{"x-one: 1 ", "Accept:a", "accept: b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h.Get("X-One") != "1" || len(h["Accept"]) != 1 || h.Get("Accept") != "b" {
		t.Errorf("headers %v", h)
	}
	if _, err := ParseHeaders([]string{"no colon"}); err == nil || err.Error() != `header "no colon" has no ':'` {
		t.Errorf("a header without ':': %v", err)
	}
}

func TestReadBody(t *testing.T) {
	name := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(name, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	for data, want := range map[string]string{"a=1": "a=1", "@" + name: "from a file"} {
		if b, err := ReadBody(data); err != nil || string(b) != want {
			t.Errorf("ReadBody(%q) = %q, %v; want %q", data, b, err, want)
		}
	}
	if _, err := ReadBody("@" + name + ".missing"); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	for target, want := range map[string][2]string{
		"https://example.com/path": {"example.com", "443"},
		"https://[::1]:8443/":      {"::1", "8443"},
		"localhost:4433":           {"localhost", "4433"},
	} {
		if host, port, err := ParseTarget(target); err != nil || host != want[0] || port != want[1] {
			t.Errorf("ParseTarget(%q) = %q, %q, %v; want %q", target, host, port, err, want)
		}
	}
	if _, _, err := ParseTarget("host:port"); err == nil {
		t.Error("a port that is not a number")
	}
}

// TestNamesServer tells a server from a certificate file: a file that
// exists is read even with a colon in its name, as are names without one.
func TestNamesServer(t *testing.T) {
	dir := t.TempDir()
	colon := filepath.Join(dir, "host:443")
	if err := os.WriteFile(colon, []byte("a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]bool{
		"https://example.com/":            true,
		"example.com:443":                 true,
		"[::1]:8443":                      true,
		colon:                             false,
		"cert.pem":                        false,
		filepath.Join(dir, "missing.pem"): false,
	} {
		if got := NamesServer(target); got != want {
			t.Errorf("NamesServer(%q) = %v, want %v", target, got, want)
		}
	}
}

// TestCredentialsFor: the credentials of -H go to a redirect target of
// the URL's scheme, host (in any case) and port (written or the
// scheme's default) only, as curl sends them; Host to the URL's host.
func TestCredentialsFor(t *testing.T) {
	r := &Request{URL: "https://Example.com/a", Header: http.Header{"Authorization": {"Basic x"}, "Cookie": {"a=b"}, "Host": {"h"}}}
	for _, c := range []struct {
		target string
		want   []string
	}{
		{"https://example.COM:443/b", nil},
		{"https://example.com:8443/", []string{"Authorization", "Cookie"}},
		{"http://example.com/", []string{"Authorization", "Cookie"}},
		{"https://other.example/", []string{"Authorization", "Cookie", "Host"}},
		{"https://[::1/", []string{"Authorization", "Cookie", "Host"}},
	} {
		if got := r.credentialsFor(c.target); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.target, got, c.want)
		}
	}
	r.LocationTrusted = true
	if got := r.credentialsFor("http://other.example/"); got != nil {
		t.Errorf("LocationTrusted: %v withheld", got)
	}
}
