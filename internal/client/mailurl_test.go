package client

import (
	"errors"
	"strconv"
	"testing"

	"github.com/tlstrace/tlstrace/internal/starttls"
)

// TestConversationURL routes each scheme of the starttls registry to its
// protocol with its default port, and lets through only what can be run.
func TestConversationURL(t *testing.T) {
	schemes := 0
	for _, n := range starttls.Names() {
		p, _ := starttls.Lookup(n)
		for _, s := range []struct {
			scheme   string
			implicit bool
			port     int
		}{{p.Scheme, false, p.Port}, {p.TLSScheme, true, p.TLSPort}} {
			if s.scheme == "" {
				continue
			}
			schemes++
			c, err := ConversationURL(s.scheme+"://mail.example/", URLOptions{Upgrade: true})
			if p.After == nil {
				var ue *URLError
				if !errors.As(err, &ue) || ue.Problem != URLHandshakeOnly || ue.Protocol != p {
					t.Errorf("%s:// of %s, which has no After dialog: %v", s.scheme, n, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s://: %v", s.scheme, err)
				continue
			}
			if c.Protocol != n || c.Implicit != s.implicit || c.Port != strconv.Itoa(s.port) || c.Host != "mail.example" {
				t.Errorf("%s:// = %+v, want %s, implicit %v, port %d", s.scheme, c, n, s.implicit, s.port)
			}
		}
	}
	if schemes < 6 {
		t.Errorf("%d URL schemes in the registry, want smtp, smtps, imap, imaps, pop3, pop3s at least", schemes)
	}
	if c, err := ConversationURL("IMAPS://localhost:10993/INBOX", URLOptions{}); err != nil || c.Port != "10993" || !c.Implicit || c.Host != "localhost" {
		t.Errorf("IMAPS://localhost:10993/INBOX = %+v, %v", c, err)
	}
	for _, target := range []string{"https://localhost/", "localhost", "gopher://localhost/"} {
		if c, err := ConversationURL(target, URLOptions{}); c != nil || err != nil {
			t.Errorf("%s = %+v, %v; want no conversation", target, c, err)
		}
	}

	for _, tc := range []struct {
		url     string
		o       URLOptions
		problem URLProblem
		msg     string
		hint    string
	}{
		{"imap:///", URLOptions{Upgrade: true}, URLNoHost, `"imap:///" names no host`, "write it as imap://HOST[:PORT]/"},
		{"IMAP://", URLOptions{Upgrade: true}, URLNoHost, `"IMAP://" names no host`, "write it as imap://HOST[:PORT]/"},
		{"smtp://localhost:1/", URLOptions{Upgrade: true, HTTPOnly: []string{"body", "data"}}, URLHTTPOnly,
			"body, data applies to HTTP only: tlstrace sends SMTP servers nothing but the greeting, capabilities and quit", "drop it"},
		{"imaps://user:secret@localhost:1/", URLOptions{}, URLUser, `"imaps://user:xxxxx@localhost:1/" names a user`, ""},
		{"imap://localhost:1/", URLOptions{}, URLClearText, "the IMAP session with localhost:1 would stay in clear text: tlstrace traces TLS sessions", ""},
		// The first problem found is the one said.
		{"imap:///", URLOptions{HTTPOnly: []string{"data"}}, URLNoHost, `"imap:///" names no host`, "write it as imap://HOST[:PORT]/"},
		{"imap://u@localhost/", URLOptions{HTTPOnly: []string{"data"}}, URLHTTPOnly, "data applies to HTTP only: tlstrace sends IMAP servers nothing but the greeting, capabilities and quit", "drop it"},
		{"imap://u@localhost/", URLOptions{}, URLUser, `"imap://u@localhost/" names a user`, ""},
	} {
		c, err := ConversationURL(tc.url, tc.o)
		var ue *URLError
		if c != nil || !errors.As(err, &ue) {
			t.Errorf("%s %+v = %+v, %v; want a URLError", tc.url, tc.o, c, err)
			continue
		}
		if ue.Problem != tc.problem || ue.Error() != tc.msg || ue.Hint != tc.hint {
			t.Errorf("%s %+v: problem %d %q, hint %q; want %d %q, %q", tc.url, tc.o, ue.Problem, ue.Error(), ue.Hint, tc.problem, tc.msg, tc.hint)
		}
	}
}

// TestConversationURLUser checks the login given with a URL: USER:PASSWORD
// becomes the conversation's credentials, cut at the first colon, and a
// user the protocol cannot log in with is a URLError found before any
// connection.
func TestConversationURLUser(t *testing.T) {
	c, err := ConversationURL("imaps://localhost/", URLOptions{User: "user:se:cret"})
	if err != nil || c.Credentials == nil || *c.Credentials != (starttls.Credentials{User: "user", Password: "se:cret"}) {
		t.Errorf("imaps:// with user:se:cret = %+v, %v; want user and se:cret", c, err)
	}
	if c, err := ConversationURL("imaps://localhost/", URLOptions{}); err != nil || c.Credentials != nil {
		t.Errorf("imaps:// without a user = %+v, %v; want no credentials", c, err)
	}
	for _, tc := range []struct {
		url, user string
		problem   URLProblem
		msg       string
	}{
		{"imaps://localhost/", "user", URLUserForm, "the user wants the form USER:PASSWORD"},
		{"imaps://localhost/", ":secret", URLUserForm, "the user wants the form USER:PASSWORD"},
		{"imaps://localhost/", "user:a\r\nb", URLLogin, ""},
		{"ldaps://localhost/", "cn=admin,dc=example:", URLLogin, "an LDAP simple bind without a password logs no one in (an unauthenticated bind, RFC 4513, Section 5.1.2)"},
		// A problem of the URL is said before one of the user.
		{"imap://localhost/", "user", URLClearText, ""},
	} {
		c, err := ConversationURL(tc.url, URLOptions{User: tc.user})
		var ue *URLError
		if c != nil || !errors.As(err, &ue) || ue.Problem != tc.problem || tc.msg != "" && ue.Error() != tc.msg {
			t.Errorf("%s with %q = %+v, %v; want problem %d %q", tc.url, tc.user, c, err, tc.problem, tc.msg)
		}
		if tc.problem == URLLogin && (ue == nil || errors.Unwrap(ue) == nil) {
			t.Errorf("%s with %q: %v does not wrap why the protocol cannot log in", tc.url, tc.user, err)
		}
	}
	// No protocol with a URL scheme lacks a login today: a made-up one.
	if _, problem, _ := login(&starttls.Protocol{Title: "NNTP"}, "user:secret"); problem != URLNoLogin {
		t.Errorf("a protocol without login: problem %d, want %d", problem, URLNoLogin)
	}
}
