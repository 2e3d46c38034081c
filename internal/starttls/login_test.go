package starttls

import (
	"errors"
	"strconv"
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

// TestLDAPLogin binds to a scripted LDAP server inside TLS: a simple
// BindRequest of version 3 with the DN as the user, the password sent and
// never shown, before the root DSE read, whose messages then take the
// next IDs; a result other than success is a *LoginError naming it,
// after an unbind.
func TestLDAPLogin(t *testing.T) {
	c := &Credentials{User: "cn=admin,dc=example,dc=org", Password: "s3cret pw"}
	bind := ldapBindRequest(2, c.User, c.Password)
	// LDAPMessage { 2, [APPLICATION 0] { 3, DN, [0] password } }, each
	// length checked by the reader.
	r := berReader{b: bind}
	msg, err := r.expect(berSequence, "LDAPMessage")
	if err != nil || len(r.b) != 0 {
		t.Fatalf("bind: %v, %d bytes after", err, len(r.b))
	}
	mr := berReader{b: msg}
	if id, err := mr.expect(berInteger, "id"); err != nil || string(id) != "\x02" {
		t.Fatalf("bind id %x, %v", id, err)
	}
	body, err := mr.expect(ldapTagBindRequest, "BindRequest")
	if err != nil || len(mr.b) != 0 {
		t.Fatalf("BindRequest: %v, %d bytes after", err, len(mr.b))
	}
	br := berReader{b: body}
	for _, f := range []struct {
		tag  byte
		want string
	}{{berInteger, "\x03"}, {berOctetString, c.User}, {0x80, c.Password}} {
		if got, err := br.expect(f.tag, "field"); err != nil || string(got) != f.want {
			t.Fatalf("field of tag 0x%02x: %q, %v, want %q", f.tag, got, err, f.want)
		}
	}
	if len(br.b) != 0 {
		t.Errorf("%d bytes after the BindRequest's fields", len(br.b))
	}
	// A password that needs the long form of 2 and of 3 octets.
	for _, n := range []int{300, 70000} {
		long := ldapBindRequest(2, c.User, strings.Repeat("p", n))
		if m, err := parseLDAPSequence(long); err != nil || m != len(long) {
			t.Errorf("bind with a password of %d bytes: %v", n, err)
		}
	}

	ok := ldapResult(2, ldapTagBindResponse, 0, "", nil)
	entry := ldapEntry(3, "", []ldapAttribute{{"supportedLDAPVersion", []string{"3"}}})
	done := ldapResult(3, ldapTagSearchResultDone, 0, "", nil)
	shown, sent, err := afterLogin(t, "ldap", ok+entry+done, true, c)
	if err != nil {
		t.Fatalf("%v (shown %q)", err, shown)
	}
	if want := string(bind) + string(ldapRootDSESearch(3)) + string(ldapUnbind(4)); sent != want {
		t.Errorf("sent %x, want %x", sent, want)
	}
	want := []string{
		`C: BindRequest (message 2, ` + strconv.Itoa(len(bind)) + ` bytes): version 3, name "cn=admin,dc=example,dc=org", simple ` + Withheld,
		`S: BindResponse (message 2, 14 bytes): success (0)`,
		`C: SearchRequest (message 3, `,
		`S: SearchResultEntry (message 3, `,
		`S: SearchResultDone (message 3, 14 bytes): success (0)`,
		`C: UnbindRequest (message 4, 7 bytes)`,
	}
	if len(shown) != len(want) {
		t.Fatalf("shown %q", shown)
	}
	for i, w := range want {
		if !strings.HasPrefix(shown[i], w) || strings.Contains(shown[i], c.Password) {
			t.Errorf("line %d: %q, want %q", i, shown[i], w)
		}
	}

	var le *LoginError
	var pe *ProtocolError
	for _, tc := range []struct {
		name, server, answer string
		login                bool
	}{
		{"wrong password", ldapResult(2, ldapTagBindResponse, 49, "", nil), "invalidCredentials (49)", true},
		{"unwilling", ldapResult(2, ldapTagBindResponse, 53, "unauthenticated bind (DN with no password) disallowed", nil), "unwillingToPerform (53)", true},
		{"SASL in progress", ldapResult(2, ldapTagBindResponse, 14, "", berTLV(nil, 0x87, []byte("creds"))), "saslBindInProgress (14)", true},
		{"another ID", ldapResult(5, ldapTagBindResponse, 0, "", nil), "", false},
		{"not a BindResponse", ldapDoneOK, "", false},
		{"serverSaslCreds past the message", ldapResult(2, ldapTagBindResponse, 0, "", []byte{0x87, 0x05, 'x'}), "", false},
	} {
		shown, sent, err := afterLogin(t, "ldap", tc.server, false, c)
		switch {
		case tc.login && (!errors.As(err, &le) || !strings.Contains(le.Answer, tc.answer) || !strings.Contains(err.Error(), tc.answer)):
			t.Errorf("%s: %v, want a LoginError naming %s", tc.name, err, tc.answer)
		case tc.login && sent != string(bind)+string(ldapUnbind(3)):
			t.Errorf("%s: sent %x, want the bind then an unbind", tc.name, sent)
		case !tc.login && (!errors.As(err, &pe) || errors.As(err, &le)):
			t.Errorf("%s: %v, want a ProtocolError", tc.name, err)
		}
		if strings.Contains(strings.Join(shown, "|"), c.Password) {
			t.Errorf("%s: shown %q", tc.name, shown)
		}
	}
	// A DN without a password would be an unauthenticated bind (RFC
	// 4513, Section 5.1.2): refused before the dialog, and by the dialog
	// itself, which sends nothing.
	empty := &Credentials{User: c.User}
	if _, sent, err := afterLogin(t, "ldap", ok, false, empty); err == nil || sent != "" {
		t.Errorf("empty password: %v, sent %x", err, sent)
	}
	p, _ := Lookup("ldap")
	if p.CheckLogin(empty) == nil || p.CheckLogin(c) != nil || p.CheckLogin(&Credentials{User: "a", Password: "p\n"}) == nil {
		t.Error("LDAP's CheckLogin does not refuse exactly an empty password and what CheckCredentials refuses")
	}
	if p, _ := Lookup("ftp"); p.CheckLogin(empty) != nil {
		t.Error("FTP refuses an empty password")
	}
}

// parseLDAPSequence reads b as one BER SEQUENCE and returns its length
// with its header.
func parseLDAPSequence(b []byte) (int, error) {
	r := berReader{b: b}
	if _, err := r.expect(berSequence, "LDAPMessage"); err != nil {
		return 0, err
	}
	return len(b) - len(r.b), nil
}
