package client

import (
	"strings"
	"testing"
)

// TestRedactURL: the password of a URL's userinfo is replaced, the user
// and the rest kept as written, also in what does not parse as a URL.
func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://alice:s3cretPW@localhost:8443/", "https://alice:xxxxx@localhost:8443/"},
		{"https://alice@localhost/", "https://alice@localhost/"},
		{"https://localhost/a@b:c", "https://localhost/a@b:c"},
		{"https://localhost/?u=a:b@c", "https://localhost/?u=a:b@c"},
		{"https://a:b:c@d@host#x", "https://a:xxxxx@host#x"},
		{"https://alice:s3cretPW@[::1/", "https://alice:xxxxx@[::1/"},
		{"https://alice:@host/", "https://alice:xxxxx@host/"},
		{"localhost:8443", "localhost:8443"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// The errors that quote a URL quote it redacted.
	_, err := ConversationURL("imaps://alice:s3cretPW@mail.example/", URLOptions{})
	if err == nil || strings.Contains(err.Error(), "s3cretPW") || !strings.Contains(err.Error(), "alice:xxxxx@") {
		t.Errorf("ConversationURL's error: %v", err)
	}
	_, _, err = hop(t.Context(), nil, &Request{}, "GET", "https://alice:s3cretPW@[::1/", nil, nil)
	if err == nil || strings.Contains(err.Error(), "s3cretPW") {
		t.Errorf("hop's error: %v", err)
	}
}

// TestParseTargetUser: an https:// URL with a user is refused, not taken
// as a host name to look up (which would send its password to the DNS
// resolver and show it in the trace), and the error shows no password.
func TestParseTargetUser(t *testing.T) {
	for _, target := range []string{"https://alice:s3cretPW@127.0.0.1:8443/", "alice:s3cretPW@127.0.0.1:8443", "https://alice@localhost"} {
		host, _, err := ParseTarget(target)
		if err == nil || strings.Contains(err.Error(), "s3cretPW") || !strings.Contains(err.Error(), "names a user") {
			t.Errorf("ParseTarget(%q) = %q, %v", target, host, err)
		}
	}
}
