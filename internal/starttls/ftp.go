package starttls

func init() {
	register(&Protocol{
		Name: "ftp", Title: "FTP", Port: 21, TLSPort: 990, Scheme: "ftp", TLSScheme: "ftps", ALPN: "ftp",
		Upgrade: ftpUpgrade, After: ftpAfter,
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

// ftpAfter lists the features inside TLS (RFC 2389), then quits.
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
	return quit(d, "QUIT", "221", ftpLast())
}
