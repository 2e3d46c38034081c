package starttls

import "strings"

func init() {
	// ManageSieve (RFC 5804) has no implicit TLS port; its sieve:// URLs
	// name scripts, and curl has no such scheme.
	register(&Protocol{
		Name: "sieve", Title: "ManageSieve", Port: 4190,
		Upgrade: sieveUpgrade, After: sieveAfter,
	})
}

// sieveEnd says whether line ends a ManageSieve response: OK, NO or BYE,
// alone or followed by a space (RFC 5804, Section 4). The capability
// lines before it are quoted strings.
func sieveEnd(line string) bool {
	word, _, _ := strings.Cut(line, " ")
	switch strings.ToUpper(word) {
	case "OK", "NO", "BYE":
		return true
	}
	return false
}

// sieveUpgrade is ManageSieve's STARTTLS (RFC 5804, Section 2.2): the
// server's capabilities, which end in OK, then STARTTLS.
func sieveUpgrade(d *Dialog) error {
	if _, err := d.Expect("greeting", "OK", sieveEnd); err != nil {
		return err
	}
	if err := d.Send("STARTTLS"); err != nil {
		return err
	}
	_, err := d.Expect("STARTTLS", "OK", sieveEnd)
	return err
}

// sieveAfter reads the capabilities the server sends again inside TLS
// (RFC 5804, Section 2.2; the greeting of an implicit session), then
// logs out.
func sieveAfter(d *Dialog, _ bool) error {
	if _, err := d.Expect("capabilities", "OK", sieveEnd); err != nil {
		return err
	}
	return quit(d, "LOGOUT", "OK", sieveEnd)
}
