package scan

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
)

// startTLSDialogs is the plaintext dialog of each STARTTLS protocol, as
// `tlstrace connect --starttls` speaks it: what the server answers (a
// prefix) and what the client sends, in turn, up to the reply after which
// TLS starts.
var startTLSDialogs = map[string][]string{
	"smtp": {"220", "EHLO tlstrace.invalid", "250", "STARTTLS", "220"},
	"imap": {"* OK", "a001 STARTTLS", "a001 OK"},
	"pop3": {"+OK", "STLS", "+OK"},
	"ftp":  {"220", "AUTH TLS", "234"},
}

// startTLS runs the dialog of proto on c, before a probe's hello.
func startTLS(c net.Conn, proto string) error {
	steps, ok := startTLSDialogs[proto]
	if !ok {
		return fmt.Errorf("scan: STARTTLS protocol %q: want smtp, imap, pop3 or ftp", proto)
	}
	r := bufio.NewReader(io.LimitReader(c, 1<<16))
	for i, s := range steps {
		if i%2 == 1 {
			if _, err := io.WriteString(c, s+"\r\n"); err != nil {
				return fmt.Errorf("STARTTLS (%s): %w", proto, err)
			}
			continue
		}
		var line string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("STARTTLS (%s): the server closed or timed out: %w", proto, err)
			}
			// Multi-line SMTP and FTP replies end with a line whose code
			// is followed by a space.
			if (proto == "smtp" || proto == "ftp") && len(l) >= 4 && l[3] == '-' {
				continue
			}
			line = l
			break
		}
		if !strings.HasPrefix(line, s) {
			return fmt.Errorf("STARTTLS (%s): the server answered %q, not %q", proto, strings.TrimSpace(line), s)
		}
	}
	if r.Buffered() > 0 {
		return fmt.Errorf("STARTTLS (%s): the server sent %d bytes before the TLS handshake", proto, r.Buffered())
	}
	return nil
}
