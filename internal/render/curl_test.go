package render

import "testing"

// TestCurlSANLine checks curl's subjectAltName line (OpenSSL's backend):
// the name that matched, a wildcard for one label only, an address, a
// mismatch, and the names when no host was checked.
func TestCurlSANLine(t *testing.T) {
	sans := []string{"*.example.test", "example.test", "192.0.2.1", "2001:db8::1"}
	for _, c := range []struct{ host, want string }{
		{"www.example.test", `subjectAltName: host "www.example.test" matched cert's "*.example.test"`},
		{"EXAMPLE.test", `subjectAltName: host "EXAMPLE.test" matched cert's "example.test"`},
		{"a.b.example.test", "subjectAltName does not match a.b.example.test"},
		{"192.0.2.1", `subjectAltName: host "192.0.2.1" matched cert's IP address!`},
		{"[2001:db8::1]", `subjectAltName: host "[2001:db8::1]" matched cert's IP address!`},
		{"192.0.2.2", "subjectAltName does not match 192.0.2.2"},
		{"", "subjectAltName: *.example.test, example.test, 192.0.2.1, 2001:db8::1"},
	} {
		if got := curlSANLine(c.host, sans); got != c.want {
			t.Errorf("host %q: %q, want %q", c.host, got, c.want)
		}
	}
}
