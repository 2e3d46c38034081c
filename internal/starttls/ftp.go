package starttls

import "strings"

func init() {
	register(&Protocol{
		Name: "ftp", Title: "FTP", Port: 21, TLSPort: 990, Scheme: "ftp", TLSScheme: "ftps", ALPN: "ftp",
		Upgrade: ftpUpgrade, After: ftpAfter, Login: true,
	})
}

// ftpLast ends an FTP reply (RFC 959, Section 4.2): a multi-line reply
// opens with its code and a hyphen ("211-Features:") and ends at the line
// of the same code and a space; the lines between may be anything (FEAT's
// start with a space, RFC 2389, Section 3.2). Each reply needs its own.
func ftpLast() func(line string) bool {
	code := ""
	return func(line string) bool {
		if code == "" {
			if len(line) >= 4 && line[3] == '-' {
				code = line[:3]
				return false
			}
			return true
		}
		return len(line) >= 4 && line[:3] == code && line[3] == ' '
	}
}

// ftpUpgrade is FTP's AUTH TLS (RFC 4217, Section 4).
func ftpUpgrade(d *Dialog) error {
	if _, err := d.Expect("greeting", "220", ftpLast()); err != nil {
		return err
	}
	if err := d.Send("AUTH TLS"); err != nil {
		return err
	}
	_, err := d.Expect("AUTH TLS", "234", ftpLast())
	return err
}

// ftpAfter lists the features inside TLS (RFC 2389), logs in when the
// dialog has credentials, then quits.
func ftpAfter(d *Dialog, implicit bool) error {
	if implicit {
		if _, err := d.Expect("greeting", "220", ftpLast()); err != nil {
			return err
		}
	}
	if err := d.Send("FEAT"); err != nil {
		return err
	}
	// A server without FEAT answers 500 or 502: the session goes on.
	if _, err := d.Reply(ftpLast()); err != nil {
		return err
	}
	if d.Credentials != nil {
		if err := ftpLogin(d); err != nil {
			return err
		}
	}
	return quit(d, "QUIT", "221", ftpLast())
}

// ftpLogin protects the data connections as RFC 4217 (Section 9) wants
// before anything else is said inside TLS (PBSZ 0, then PROT P), logs in
// with USER and PASS (RFC 959, Section 4.1.1), then asks for the working
// directory (PWD), as curl does for a URL without a path: it reads, it
// changes nothing. A refused login (a 5xx answer to USER or PASS: 530
// for a wrong password) quits, then returns a *LoginError.
func ftpLogin(d *Dialog) error {
	for _, cmd := range []string{"PBSZ 0", "PROT P"} {
		if err := d.Send(cmd); err != nil {
			return err
		}
		if _, err := d.Expect(cmd, "200", ftpLast()); err != nil {
			return err
		}
	}
	c := d.Credentials
	if err := d.Send("USER " + c.User); err != nil {
		return err
	}
	lines, err := d.Reply(ftpLast())
	if err != nil {
		return err
	}
	got := lines[len(lines)-1]
	if strings.HasPrefix(got, "331") {
		if err := d.SendSecret("PASS "+c.Password, "PASS "+Withheld); err != nil {
			return err
		}
		if lines, err = d.Reply(ftpLast()); err != nil {
			return err
		}
		got = lines[len(lines)-1]
	}
	switch {
	case strings.HasPrefix(got, "230"):
	case strings.HasPrefix(got, "5"):
		return refusedLogin(d, got, "QUIT", "221", ftpLast())
	default:
		// 332 (an account wanted) and the like: not a refusal of the
		// credentials, and not a login tlstrace can finish.
		return &RefusedError{Protocol: d.Protocol.Name, Step: "login", Answer: got, Want: "230"}
	}
	if err := d.Send("PWD"); err != nil {
		return err
	}
	_, err = d.Expect("PWD", "257", ftpLast())
	return err
}
