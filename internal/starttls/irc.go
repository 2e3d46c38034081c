package starttls

import (
	"fmt"
	"strings"
)

func init() {
	register(&Protocol{
		Name: "irc", Title: "IRC", Port: 6667, TLSPort: 6697, ALPN: "irc",
		Upgrade: ircUpgrade,
	})
}

// IRC numerics of the STARTTLS extension (IRCv3 tls-3.1, and the
// unregistered-command answers of RFC 2812, Section 5.2).
const (
	ircStartTLS      = "670" // RPL_STARTTLS
	ircErrStartTLS   = "691" // ERR_STARTTLS
	ircUnknown       = "421" // ERR_UNKNOWNCOMMAND
	ircNotRegistered = "451" // ERR_NOTREGISTERED
)

// ircCommand is a line's command or numeric: the word after the optional
// ":prefix" (RFC 2812, Section 2.3.1).
func ircCommand(line string) string {
	f := strings.Fields(line)
	if len(f) > 0 && strings.HasPrefix(f[0], ":") {
		f = f[1:]
	}
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// ircUpgrade is IRC's STARTTLS as openssl s_client -starttls irc speaks
// it: the command before registering, then the server's lines up to
// numeric 670. Notices the server sends first (host and ident lookups)
// are shown and passed over; 691, or 421 or 451 about STARTTLS, refuse.
// A server that never answers leaves the connection's deadline to end
// the dialog.
func ircUpgrade(d *Dialog) error {
	if err := d.Send("STARTTLS"); err != nil {
		return err
	}
	for range maxLines {
		line, err := d.ReadLine()
		if err != nil {
			return err
		}
		switch ircCommand(line) {
		case ircStartTLS:
			return nil
		case ircErrStartTLS:
			return &RefusedError{Protocol: d.Protocol.Name, Step: "STARTTLS", Answer: line, Want: ircStartTLS}
		case ircUnknown, ircNotRegistered:
			if strings.Contains(line, "STARTTLS") {
				return &RefusedError{Protocol: d.Protocol.Name, Step: "STARTTLS", Answer: line, Want: ircStartTLS}
			}
		case "ERROR":
			// The server closes the link (RFC 2812, Section 3.7.4).
			return &RefusedError{Protocol: d.Protocol.Name, Step: "STARTTLS", Answer: line, Want: ircStartTLS}
		}
	}
	return &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server sent %d lines without answering STARTTLS", maxLines)}
}
