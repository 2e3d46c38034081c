package starttls

import "strings"

// helo is the name tlstrace gives itself in SMTP's EHLO: a name of the
// reserved .invalid domain (RFC 2606), since it has no name of its own
// to give.
const helo = "tlstrace.invalid"

func init() {
	register(&Protocol{
		Name: "smtp", Title: "SMTP", Port: 25, TLSPort: 465, Scheme: "smtp", TLSScheme: "smtps",
		Upgrade: func(d *Dialog) error { return smtpUpgrade(d, "EHLO") },
		After:   func(d *Dialog, implicit bool) error { return smtpAfter(d, "EHLO", implicit) },
	})
	// LMTP (RFC 2033) is SMTP with LHLO for EHLO; it has no implicit TLS
	// port nor URL scheme.
	register(&Protocol{
		Name: "lmtp", Title: "LMTP", Port: 24,
		Upgrade: func(d *Dialog) error { return smtpUpgrade(d, "LHLO") },
		After:   func(d *Dialog, implicit bool) error { return smtpAfter(d, "LHLO", implicit) },
	})
	register(&Protocol{
		Name: "imap", Title: "IMAP", Port: 143, TLSPort: 993, Scheme: "imap", TLSScheme: "imaps", ALPN: "imap",
		Upgrade: imapUpgrade, After: imapAfter,
	})
	register(&Protocol{
		Name: "pop3", Title: "POP3", Port: 110, TLSPort: 995, Scheme: "pop3", TLSScheme: "pop3s", ALPN: "pop3",
		Upgrade: pop3Upgrade, After: pop3After,
	})
}

// smtpUpgrade is SMTP's STARTTLS (RFC 3207): the greeting, the client's
// hello (EHLO, or LHLO for LMTP), then STARTTLS.
func smtpUpgrade(d *Dialog, hello string) error {
	if _, err := d.Expect("greeting", "220", Coded); err != nil {
		return err
	}
	if err := d.Send(hello + " " + helo); err != nil {
		return err
	}
	if _, err := d.Expect(hello, "250", Coded); err != nil {
		return err
	}
	if err := d.Send("STARTTLS"); err != nil {
		return err
	}
	_, err := d.Expect("STARTTLS", "220", Coded)
	return err
}

// smtpAfter greets the server again inside TLS, as RFC 3207 wants (the
// capabilities may differ from the clear-text ones), then quits.
func smtpAfter(d *Dialog, hello string, implicit bool) error {
	if implicit {
		if _, err := d.Expect("greeting", "220", Coded); err != nil {
			return err
		}
	}
	if err := d.Send(hello + " " + helo); err != nil {
		return err
	}
	if _, err := d.Expect(hello, "250", Coded); err != nil {
		return err
	}
	return quit(d, "QUIT", "221", Coded)
}

// quit ends a session politely: the command, then its answer.
func quit(d *Dialog, cmd, want string, last func(string) bool) error {
	if err := d.Send(cmd); err != nil {
		return err
	}
	_, err := d.Expect(cmd, want, last)
	return err
}

// tagged ends an IMAP reply at the line of the command's tag (RFC 9051,
// Section 2.2.2).
func tagged(tag string) func(string) bool {
	return func(line string) bool { return strings.HasPrefix(line, tag+" ") }
}

// imapUpgrade is IMAP's STARTTLS (RFC 9051, Section 6.2.1).
func imapUpgrade(d *Dialog) error {
	if _, err := d.Expect("greeting", "* OK", nil); err != nil {
		return err
	}
	if err := d.Send("a001 STARTTLS"); err != nil {
		return err
	}
	_, err := d.Expect("STARTTLS", "a001 OK", tagged("a001"))
	return err
}

// imapAfter asks for the capabilities inside TLS, then logs out.
func imapAfter(d *Dialog, implicit bool) error {
	if implicit {
		if _, err := d.Expect("greeting", "* OK", nil); err != nil {
			return err
		}
	}
	if err := d.Send("a002 CAPABILITY"); err != nil {
		return err
	}
	if _, err := d.Expect("CAPABILITY", "a002 OK", tagged("a002")); err != nil {
		return err
	}
	return quit(d, "a003 LOGOUT", "a003 OK", tagged("a003"))
}

// pop3Upgrade is POP3's STLS (RFC 2595, Section 4).
func pop3Upgrade(d *Dialog) error {
	if _, err := d.Expect("greeting", "+OK", nil); err != nil {
		return err
	}
	if err := d.Send("STLS"); err != nil {
		return err
	}
	_, err := d.Expect("STLS", "+OK", nil)
	return err
}

// pop3After lists the capabilities inside TLS (RFC 2449), then quits.
func pop3After(d *Dialog, implicit bool) error {
	if implicit {
		if _, err := d.Expect("greeting", "+OK", nil); err != nil {
			return err
		}
	}
	if err := d.Send("CAPA"); err != nil {
		return err
	}
	// A server without CAPA answers -ERR, one line: the session goes on.
	first := true
	if _, err := d.Reply(func(line string) bool {
		if first {
			first = false
			return !strings.HasPrefix(line, "+OK")
		}
		return line == "."
	}); err != nil {
		return err
	}
	return quit(d, "QUIT", "+OK", nil)
}
