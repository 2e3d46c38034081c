package starttls

import (
	"errors"
	"strings"
	"testing"
)

// TestIMAPQuote checks LOGIN's quoted strings: a quote and a backslash
// are escaped, nothing else changes.
func TestIMAPQuote(t *testing.T) {
	for in, want := range map[string]string{
		`alice`:    `"alice"`,
		`a"b`:      `"a\"b"`,
		`a\b`:      `"a\\b"`,
		`\"`:       `"\\\""`,
		`pä ss{3}`: `"pä ss{3}"`,
	} {
		if got := imapQuote(in); got != want {
			t.Errorf("imapQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCheckCredentials refuses what would end or split a command line.
func TestCheckCredentials(t *testing.T) {
	for _, c := range []Credentials{{"a\r", "p"}, {"a", "p\n"}, {"a", "p\x00q"}} {
		if err := CheckCredentials(&c); err == nil {
			t.Errorf("%q accepted", c)
		}
	}
	if err := CheckCredentials(&Credentials{"alice", `p"\ w`}); err != nil {
		t.Error(err)
	}
	s := Secrets(&Credentials{"alice", "pw"})
	if len(s) != 2 || s[0] != "AGFsaWNlAHB3" || s[1] != "pw" {
		t.Errorf("Secrets = %q, want AUTH PLAIN's base64 then the password", s)
	}
}

// TestFTPLogin logs in to a scripted FTP server inside TLS: PBSZ 0 and
// PROT P first (RFC 4217), then USER and PASS with the password sent and
// never shown, then PWD and QUIT; a 530 is a *LoginError after a QUIT.
func TestFTPLogin(t *testing.T) {
	c := &Credentials{User: "alice", Password: "s3cret pw"}
	feat := "211-Features:\r\n PBSZ\r\n PROT\r\n211 End\r\n"
	ok := feat + "200 PBSZ set to 0.\r\n200 PROT now Private.\r\n331 Please specify the password.\r\n230 Login successful.\r\n257 \"/home/alice\" is the current directory\r\n221 Goodbye.\r\n"
	shown, sent, err := afterLogin(t, "ftp", "220 (vsFTPd 3.0.3)\r\n"+ok, true, c)
	if err != nil {
		t.Fatalf("%v (shown %q)", err, shown)
	}
	if want := "FEAT\r\nPBSZ 0\r\nPROT P\r\nUSER alice\r\nPASS s3cret pw\r\nPWD\r\nQUIT\r\n"; sent != want {
		t.Errorf("sent %q, want %q", sent, want)
	}
	got := strings.Join(shown, "|")
	if strings.Contains(got, c.Password) || !strings.Contains(got, "C: PASS "+Withheld+"|S: 230 Login successful.|C: PWD|S: 257 ") {
		t.Errorf("shown %s", got)
	}
	// A server that logs the user in at USER gets no PASS.
	_, sent, err = afterLogin(t, "ftp", feat+"200 ok\r\n200 ok\r\n230 Already in.\r\n257 \"/\"\r\n221 Bye\r\n", false, c)
	if err != nil || strings.Contains(sent, "PASS") {
		t.Errorf("230 at USER: %v, sent %q", err, sent)
	}

	for _, tc := range []struct {
		name, server, answer string
		login                bool
	}{
		{"wrong password", "331 Password?\r\n530 Login incorrect.\r\n221 Goodbye.\r\n", "530 Login incorrect.", true},
		{"user refused", "530-Not\r\n530 for you.\r\n221 Goodbye.\r\n", "530 for you.", true},
		{"account wanted", "331 Password?\r\n332 Need account for login.\r\n", "332 Need account for login.", false},
	} {
		shown, sent, err := afterLogin(t, "ftp", feat+"200 ok\r\n200 ok\r\n"+tc.server, false, c)
		var le *LoginError
		var re *RefusedError
		switch {
		case tc.login && (!errors.As(err, &le) || le.Answer != tc.answer || le.User != "alice" || le.Protocol != "ftp"):
			t.Errorf("%s: %v, want a LoginError answered %q", tc.name, err, tc.answer)
		case tc.login && !strings.HasSuffix(sent, "QUIT\r\n"):
			t.Errorf("%s: sent %q, want a QUIT last", tc.name, sent)
		case !tc.login && (!errors.As(err, &re) || re.Answer != tc.answer || errors.As(err, &le)):
			t.Errorf("%s: %v, want a RefusedError answered %q", tc.name, err, tc.answer)
		}
		if strings.Contains(strings.Join(shown, "|"), c.Password) || strings.Contains(sent, "PWD") {
			t.Errorf("%s: shown %q, sent %q", tc.name, shown, sent)
		}
	}
	// PROT P refused: no USER is sent, the password goes nowhere.
	_, sent, err = afterLogin(t, "ftp", feat+"200 ok\r\n536 Requested PROT level not supported.\r\n", false, c)
	var re *RefusedError
	if !errors.As(err, &re) || re.Step != "PROT P" || strings.Contains(sent, "USER") {
		t.Errorf("PROT refused: %v, sent %q", err, sent)
	}
}
