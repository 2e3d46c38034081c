package starttls

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// helo is the name tlstrace gives itself in SMTP's EHLO: a name of the
// reserved .invalid domain (RFC 2606), since it has no name of its own
// to give.
const helo = "tlstrace.invalid"

func init() {
	register(&Protocol{
		Name: "smtp", Title: "SMTP", Port: 25, TLSPort: 465, Scheme: "smtp", TLSScheme: "smtps",
		Upgrade: func(d *Dialog) error { return smtpUpgrade(d, "EHLO") },
		After:   func(d *Dialog, implicit bool) error { return smtpAfter(d, "EHLO", implicit) },
		Login:   true,
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
		Upgrade: imapUpgrade, After: imapAfter, Login: true,
	})
	register(&Protocol{
		Name: "pop3", Title: "POP3", Port: 110, TLSPort: 995, Scheme: "pop3", TLSScheme: "pop3s", ALPN: "pop3",
		Upgrade: pop3Upgrade, After: pop3After, Login: true,
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
	lines, err := d.Expect(hello, "250", Coded)
	if err != nil {
		return err
	}
	if d.Credentials != nil {
		if err := smtpLogin(d, lines); err != nil {
			return err
		}
	}
	return quit(d, "QUIT", "221", Coded)
}

// smtpLogin logs in with AUTH PLAIN (RFC 4954, RFC 4616) when the hello's
// answer offers it; a refusal quits, then returns a *LoginError.
func smtpLogin(d *Dialog, hello []string) error {
	offered := false
	for _, l := range hello {
		if len(l) < 4 {
			continue
		}
		words := strings.Fields(strings.ToUpper(l[4:]))
		if len(words) > 0 && words[0] == "AUTH" && containsWord(words[1:], "PLAIN") {
			offered = true
		}
	}
	if !offered {
		return &ProtocolError{Protocol: d.Protocol.Name, Reason: "the server offers no AUTH PLAIN inside TLS: tlstrace cannot log in"}
	}
	resp := plainResponse(d.Credentials)
	if err := d.SendSecret("AUTH PLAIN "+resp, "AUTH PLAIN "+Withheld); err != nil {
		return err
	}
	lines, err := d.Reply(Coded)
	if err != nil {
		return err
	}
	if got := lines[len(lines)-1]; !strings.HasPrefix(got, "235") {
		return refusedLogin(d, got, "QUIT", "221", Coded)
	}
	return nil
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// refusedLogin quits after a refused login and returns the *LoginError.
func refusedLogin(d *Dialog, answer, cmd, want string, last func(string) bool) error {
	lerr := &LoginError{Protocol: d.Protocol.Name, User: d.Credentials.User, Answer: answer}
	if err := quit(d, cmd, want, last); err != nil {
		return fmt.Errorf("%w; then %w", lerr, err)
	}
	return lerr
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
	if d.Credentials == nil {
		return quit(d, "a003 LOGOUT", "a003 OK", tagged("a003"))
	}
	// LOGIN with quoted strings (RFC 9051, Sections 4.3 and 6.2.3).
	c := d.Credentials
	if err := d.SendSecret("a003 LOGIN "+imapQuote(c.User)+" "+imapQuote(c.Password), "a003 LOGIN "+imapQuote(c.User)+" "+Withheld); err != nil {
		return err
	}
	lines, err := d.Reply(tagged("a003"))
	if err != nil {
		return err
	}
	if got := lines[len(lines)-1]; !strings.HasPrefix(got, "a003 OK") {
		return refusedLogin(d, got, "a004 LOGOUT", "a004 OK", tagged("a004"))
	}
	return quit(d, "a004 LOGOUT", "a004 OK", tagged("a004"))
}

// imapQuote writes s as an IMAP quoted string: a backslash before each
// quote and backslash. s holds no CR, LF nor NUL (see CheckCredentials).
func imapQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
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
	if c := d.Credentials; c != nil {
		// USER and PASS (RFC 1939, Section 7).
		if err := d.Send("USER " + c.User); err != nil {
			return err
		}
		got, err := d.ReadLine()
		if err != nil {
			return err
		}
		if strings.HasPrefix(got, "+OK") {
			if err := d.SendSecret("PASS "+c.Password, "PASS "+Withheld); err != nil {
				return err
			}
			if got, err = d.ReadLine(); err != nil {
				return err
			}
		}
		if !strings.HasPrefix(got, "+OK") {
			return refusedLogin(d, got, "QUIT", "+OK", nil)
		}
	}
	return quit(d, "QUIT", "+OK", nil)
}

// CheckLogin says whether p can log in with c: c passes
// CheckCredentials, and the protocol's own check (LDAP's simple bind
// wants a password).
func (p *Protocol) CheckLogin(c *Credentials) error {
	if err := CheckCredentials(c); err != nil {
		return err
	}
	if p.checkLogin != nil {
		return p.checkLogin(c)
	}
	return nil
}

// CheckCredentials says whether c can be sent in the protocols' lines:
// a user or password with a CR, LF or NUL cannot.
func CheckCredentials(c *Credentials) error {
	if strings.ContainsAny(c.User+c.Password, "\r\n\x00") {
		return errors.New("a user or password with a CR, LF or NUL cannot be sent in a command line")
	}
	return nil
}

// Secrets lists the forms in which c's password goes on the wire inside
// TLS: the password itself, and AUTH PLAIN's base64 message, longest
// first. A trace masks them.
func Secrets(c *Credentials) []string {
	return []string{plainResponse(c), c.Password}
}

// plainResponse is the base64 of SASL PLAIN's message (RFC 4616): no
// authorization identity, the user, the password.
func plainResponse(c *Credentials) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + c.User + "\x00" + c.Password))
}
