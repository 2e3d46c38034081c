package dnsname

import (
	"crypto/x509"
	"strings"
	"testing"
)

// TestCheck: names in the preferred name syntax, with a wildcard as the
// leftmost label or within it, pass; each malformed one is refused with
// what is wrong with it.
func TestCheck(t *testing.T) {
	for _, ok := range []string{"example.test", "a.b", "localhost", "Example.TEST", "1password.test", "xn--bcher-kva.test",
		"*.example.test", "f*.example.test", "*f.example.test", "*.test", "x_y.test", "a-b.test", strings.Repeat("a", 63) + ".test"} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q): %v", ok, err)
		}
	}
	for _, c := range []struct{ name, want string }{
		{"", "empty"},
		{"a..b", "two dots with no label between them"},
		{".lead.test", "starts with a dot"},
		{"example.test.", "without the final dot"},
		{"*.*.example.test", "a wildcard may only be the leftmost label"},
		{"a.*.test", "a wildcard may only be the leftmost label"},
		{"**.example.test", "a wildcard may only be the leftmost label"},
		{"*", "a wildcard alone names no domain"},
		{"f*", "a wildcard alone names no domain"},
		{"ex ample.test", "no spaces"},
		{"-bad.test", `the label "-bad" starts with a hyphen`},
		{"bad-.test", `the label "bad-" ends with a hyphen`},
		{"10.0.0.1/8", `'/' is not allowed`},
		{"host:443", `':' is not allowed`},
		{"bücher.test", "not ASCII"},
		{strings.Repeat("a", 64) + ".test", "64 characters long, over the 63"},
		{strings.Repeat("abcdefghi.", 26) + "test", "over the 253"},
	} {
		err := Check(c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%q): %v; want an error saying %q", c.name, err, c.want)
		}
	}
}

// TestWildcardsAsCryptoX509: what Partial calls a partial wildcard
// matches no host in crypto/x509 (so tlstrace verify refuses it), and a
// wildcard over one label, which OverOneLabel reports, is one that
// crypto/x509 matches; a whole leftmost "*" over two labels matches and
// is neither.
func TestWildcardsAsCryptoX509(t *testing.T) {
	for _, c := range []struct {
		pattern, host           string
		partial, oneLabel, x509 bool
	}{
		{"*.example.test", "www.example.test", false, false, true},
		{"f*.example.test", "foo.example.test", true, false, false},
		{"f*.example.test", "f.example.test", true, false, false},
		{"*o.example.test", "foo.example.test", true, false, false},
		{"*.test", "leaf.test", false, true, true},
		{"www.example.test", "www.example.test", false, false, true},
	} {
		if got := Partial(c.pattern); got != c.partial {
			t.Errorf("Partial(%q) = %v", c.pattern, got)
		}
		if got := OverOneLabel(c.pattern); got != c.oneLabel {
			t.Errorf("OverOneLabel(%q) = %v", c.pattern, got)
		}
		cert := &x509.Certificate{DNSNames: []string{c.pattern}}
		if got := cert.VerifyHostname(c.host) == nil; got != c.x509 {
			t.Errorf("crypto/x509: %q matches %s: %v, want %v", c.pattern, c.host, got, c.x509)
		}
	}
	if !Underscore("x_y.test") || Underscore("x-y.test") {
		t.Error("Underscore")
	}
	for name, want := range map[string]bool{"xn--*.example.test": true, "XN--*.example.test": true, "xn--caf*.example.test": true,
		"*.xn--caf-dma.test": false, "xn--caf-dma.example.test": false, "x*.example.test": false, "*xn--a.example.test": false} {
		if got := InALabel(name); got != want {
			t.Errorf("InALabel(%q) = %v", name, got)
		}
	}
}
