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
		{"imaps://user:secret@localhost:1/", URLOptions{}, URLUser, `"imaps://user:secret@localhost:1/" names a user`, ""},
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
