package client

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadInputCRLF checks the CR LF translation of --crlf, also when a
// CR LF is split between two reads.
func TestReadInputCRLF(t *testing.T) {
	for _, c := range []struct {
		in   string
		crlf bool
		want string
	}{
		{"a\nb\r\nc\n\n", true, "a\r\nb\r\nc\r\n\r\n"},
		{"a\nb\r\nc", false, "a\nb\r\nc"},
		{"\r\r\n\n", true, "\r\r\n\r\n"},
	} {
		stop := make(chan struct{})
		// One byte a read: each CR LF is cut in two.
		chunks, errc := readInput(iotest.OneByteReader(strings.NewReader(c.in)), c.crlf, stop)
		var got strings.Builder
	loop:
		for {
			select {
			case b := <-chunks:
				got.Write(b)
			case err := <-errc:
				if err != io.EOF {
					t.Fatal(err)
				}
				break loop
			}
		}
		close(stop)
		if got.String() != c.want {
			t.Errorf("%q (crlf %v): sent %q, want %q", c.in, c.crlf, got.String(), c.want)
		}
	}
}

func TestCheckStartTLS(t *testing.T) {
	for _, p := range []string{"", "smtp", "imap", "pop3", "ftp", "ldap", "xmpp", "xmpp-server", "nntp", "irc"} {
		if err := CheckStartTLS(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"SMTP", "smtps", "ldaps", "xmpps"} {
		if err := CheckStartTLS(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}
