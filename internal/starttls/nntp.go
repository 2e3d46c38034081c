package starttls

import "strings"

// curl has no NNTP URLs, so no dialog inside TLS is needed.
func init() {
	register(&Protocol{
		Name: "nntp", Title: "NNTP", Port: 119, TLSPort: 563, ALPN: "nntp",
		Upgrade: nntpUpgrade,
	})
}

// nntpGreeting reads the greeting: 200 (posting allowed) or 201 (not),
// RFC 3977, Section 5.1.1.
func nntpGreeting(d *Dialog) error {
	lines, err := d.Reply(nil)
	if err != nil {
		return err
	}
	if l := lines[0]; !strings.HasPrefix(l, "200") && !strings.HasPrefix(l, "201") {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "greeting", Answer: l, Want: "200"}
	}
	return nil
}

// nntpCapabilities lists the capabilities (RFC 3977, Section 5.2): a 101
// answer and its lines up to ".", or one line of a server without the
// command, which the session survives.
func nntpCapabilities(d *Dialog) error {
	if err := d.Send("CAPABILITIES"); err != nil {
		return err
	}
	first := true
	_, err := d.Reply(func(line string) bool {
		if first {
			first = false
			return !strings.HasPrefix(line, "101")
		}
		return line == "."
	})
	return err
}

// nntpUpgrade is NNTP's STARTTLS (RFC 4642, Section 2.2): the greeting,
// the capabilities, then STARTTLS and its 382. Like openssl s_client, it
// asks for TLS even when the capabilities do not list STARTTLS: the
// server's answer says whether it has it.
func nntpUpgrade(d *Dialog) error {
	if err := nntpGreeting(d); err != nil {
		return err
	}
	if err := nntpCapabilities(d); err != nil {
		return err
	}
	if err := d.Send("STARTTLS"); err != nil {
		return err
	}
	_, err := d.Expect("STARTTLS", "382", nil)
	return err
}
