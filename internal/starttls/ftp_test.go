package starttls

import (
	"strings"
	"testing"
)

// TestFTPMultiLine reads FTP's multi-line replies whose inner lines do
// not start with the code (RFC 959, Section 4.2): a banner, and FEAT's
// list of features, each line starting with a space (RFC 2389).
func TestFTPMultiLine(t *testing.T) {
	shown, sent, err := upgrade(t, "ftp", "220-Welcome\r\n    to the server\r\n220 ready\r\n234 Proceed\r\n")
	if err != nil || sent != "AUTH TLS\r\n" || len(shown) != 5 {
		t.Errorf("upgrade: %v, sent %q, shown %q", err, sent, shown)
	}
	feat := "211-Features:\r\n EPRT\r\n PBSZ\r\n UTF8\r\n211 End\r\n"
	shown, sent, err = after(t, "ftp", "220 (vsFTPd 3.0.3)\r\n"+feat+"221 Goodbye.\r\n", true)
	if err != nil {
		t.Fatalf("%v (shown %q)", err, shown)
	}
	if sent != "FEAT\r\nQUIT\r\n" {
		t.Errorf("sent %q", sent)
	}
	if got := strings.Join(shown, "|"); got != "S: 220 (vsFTPd 3.0.3)|C: FEAT|S: 211-Features:|S:  EPRT|S:  PBSZ|S:  UTF8|S: 211 End|C: QUIT|S: 221 Goodbye." {
		t.Errorf("shown %s", got)
	}
	// A server without FEAT: one line of 500, then the quit.
	if _, _, err := after(t, "ftp", "500 Unknown command.\r\n221 Goodbye.\r\n", false); err != nil {
		t.Errorf("no FEAT: %v", err)
	}
	// Another code's line inside a reply does not end it.
	last := ftpLast()
	for i, line := range []string{"211-Features:", "221 not this one", "211-still", "211 End"} {
		if got, want := last(line), i == 3; got != want {
			t.Errorf("line %q ends the reply: %v, want %v", line, got, want)
		}
	}
}
