package starttls

func init() {
	register(&Protocol{
		Name: "ftp", Title: "FTP", Port: 21, TLSPort: 990, Scheme: "ftp", TLSScheme: "ftps", ALPN: "ftp",
		Upgrade: ftpUpgrade, After: ftpAfter,
	})
}

// ftpUpgrade is FTP's AUTH TLS (RFC 4217, Section 4).
func ftpUpgrade(d *Dialog) error {
	if _, err := d.Expect("greeting", "220", Coded); err != nil {
		return err
	}
	if err := d.Send("AUTH TLS"); err != nil {
		return err
	}
	_, err := d.Expect("AUTH TLS", "234", Coded)
	return err
}

// ftpAfter lists the features inside TLS (RFC 2389), then quits.
func ftpAfter(d *Dialog, implicit bool) error {
	if implicit {
		if _, err := d.Expect("greeting", "220", Coded); err != nil {
			return err
		}
	}
	if err := d.Send("FEAT"); err != nil {
		return err
	}
	// A server without FEAT answers 500 or 502: the session goes on.
	if _, err := d.Reply(Coded); err != nil {
		return err
	}
	return quit(d, "QUIT", "221", Coded)
}
