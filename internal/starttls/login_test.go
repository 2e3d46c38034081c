package starttls

import "testing"

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
