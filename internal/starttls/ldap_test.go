package starttls

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// after runs proto's After against a server that sends server, and
// returns the lines shown, what the client sent and the error.
func after(t *testing.T, proto, server string, implicit bool) ([]string, string, error) {
	t.Helper()
	return afterLogin(t, proto, server, implicit, nil)
}

// afterLogin is after with the dialog given credentials c.
func afterLogin(t *testing.T, proto, server string, implicit bool, c *Credentials) ([]string, string, error) {
	t.Helper()
	p, err := Lookup(proto)
	if err != nil {
		t.Fatal(err)
	}
	s := &script{in: strings.NewReader(server)}
	var shown []string
	d := NewDialog(s, p, "example.org", func(from trace.Side, line string) {
		mark := "S: "
		if from == trace.Client {
			mark = "C: "
		}
		shown = append(shown, mark+line)
	})
	d.Credentials = c
	err = p.After(d, implicit)
	return shown, s.sent.String(), err
}

// ldapResult is an LDAPMessage of id carrying an LDAPResult of code under
// op, then extra elements (a responseName).
func ldapResult(id int, op byte, code int, diag string, extra []byte) string {
	var body []byte
	body = berTLV(body, berEnumerated, berInt(code))
	body = berTLV(body, berOctetString, nil)
	body = berTLV(body, berOctetString, []byte(diag))
	body = append(body, extra...)
	return string(ldapMessage(id, berTLV(nil, op, body)))
}

// longForm rewrites a message's outer length in the 4-octet long form
// (0x84), as some servers write every length.
func longForm(msg string) string {
	n := len(msg) - 2
	return "\x30\x84" + string([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + msg[2:]
}

var (
	ldapOK       = ldapResult(1, ldapTagExtendedResponse, 0, "", berTLV(nil, 0x8a, []byte(ldapStartTLSOID)))
	ldapRootDSE  = ldapEntry(2, "", []ldapAttribute{{"supportedLDAPVersion", []string{"3", "2"}}, {"supportedExtension", []string{"1.2.3.4.5"}}})
	ldapDoneOK   = ldapResult(2, ldapTagSearchResultDone, 0, "", nil)
	ldapRefusal  = ldapResult(1, ldapTagExtendedResponse, 2, "unsupported extended operation", nil)
	ldapNotice   = ldapResult(0, ldapTagExtendedResponse, 52, "shutting down", berTLV(nil, 0x8a, []byte(ldapNoticeOfDisconnection)))
	ldapStartHex = "301d02010177188016" + hex.EncodeToString([]byte(ldapStartTLSOID))
)

func TestLDAPRequests(t *testing.T) {
	if got := hex.EncodeToString(ldapStartTLSRequest(1)); got != ldapStartHex {
		t.Errorf("StartTLS request %s, want %s", got, ldapStartHex)
	}
	// The unbind: LDAPMessage { 3, [APPLICATION 2] NULL }.
	if got := hex.EncodeToString(ldapUnbind(3)); got != "30050201034200" {
		t.Errorf("UnbindRequest %s", got)
	}
	// The search reads back as one SEQUENCE of the ID and a SearchRequest
	// that holds exactly its eight fields.
	r := berReader{b: ldapRootDSESearch(2)}
	msg, err := r.expect(berSequence, "LDAPMessage")
	if err != nil || len(r.b) != 0 {
		t.Fatalf("search: %v, %d bytes after", err, len(r.b))
	}
	mr := berReader{b: msg}
	if id, err := mr.expect(berInteger, "id"); err != nil || string(id) != "\x02" {
		t.Fatalf("search id %x, %v", id, err)
	}
	body, err := mr.expect(ldapTagSearchRequest, "SearchRequest")
	if err != nil {
		t.Fatal(err)
	}
	br := berReader{b: body}
	for i, tag := range []byte{berOctetString, berEnumerated, berEnumerated, berInteger, berInteger, berBoolean, 0x87, berSequence} {
		if _, err := br.expect(tag, "field"); err != nil {
			t.Fatalf("field %d: %v", i, err)
		}
	}
	if len(br.b) != 0 {
		t.Errorf("%d bytes after the SearchRequest's fields", len(br.b))
	}
}

func TestLDAPUpgrade(t *testing.T) {
	for _, server := range []string{ldapOK, longForm(ldapOK), ldapResult(1, ldapTagExtendedResponse, 0, "", nil)} {
		shown, sent, err := upgrade(t, "ldap", server)
		if err != nil {
			t.Fatalf("%v (shown %q)", err, shown)
		}
		if hex.EncodeToString([]byte(sent)) != ldapStartHex {
			t.Errorf("sent %x", sent)
		}
		want := []string{"C: ExtendedRequest (message 1, 31 bytes): StartTLS 1.3.6.1.4.1.1466.20037"}
		if len(shown) != 2 || shown[0] != want[0] || !strings.HasPrefix(shown[1], "S: ExtendedResponse (message 1, ") {
			t.Errorf("shown %q", shown)
		}
	}
	shown, _, _ := upgrade(t, "ldap", ldapOK)
	if want := "S: ExtendedResponse (message 1, 38 bytes): success (0), responseName 1.3.6.1.4.1.1466.20037"; shown[1] != want {
		t.Errorf("shown %q, want %q", shown[1], want)
	}

	var refused *RefusedError
	var closed *ClosedError
	var injection *InjectionError
	var protocol *ProtocolError
	for _, tc := range []struct {
		name, server string
		target       any
	}{
		{"refused", ldapRefusal, &refused},
		{"notice of disconnection", ldapNotice, &refused},
		{"silent", "", &closed},
		{"truncated", ldapOK[:len(ldapOK)-3], &closed},
		{"header cut", "\x30\x84\x00", &closed},
		{"injection", ldapOK + "\x16\x03\x01", &injection},
		{"not LDAP", "220 smtp.example ESMTP\r\n", &protocol},
		{"indefinite length", "\x30\x80\x02\x01\x01\x00\x00", &protocol},
		{"huge length", "\x30\x84\x7f\xff\xff\xff", &protocol},
		{"length past the message", "\x30\x05\x02\x09\x01\x78\x00", &protocol},
		{"other message ID", ldapResult(7, ldapTagExtendedResponse, 0, "", nil), &protocol},
		{"not a response", string(ldapStartTLSRequest(1)), &protocol},
		{"search done for StartTLS", ldapResult(1, ldapTagSearchResultDone, 0, "", nil), &protocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shown, _, err := upgrade(t, "ldap", tc.server)
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("error %v (%T), want a %T (shown %q)", err, err, tc.target, shown)
			}
		})
	}
	// A refusal shows the server's diagnostic, as it was sent.
	shown, _, err := upgrade(t, "ldap", ldapRefusal)
	if want := `S: ExtendedResponse (message 1, 44 bytes): protocolError (2), "unsupported extended operation"`; len(shown) != 2 || shown[1] != want {
		t.Errorf("shown %q, want %q", shown, want)
	}
	if err == nil || !strings.Contains(err.Error(), "protocolError (2)") {
		t.Errorf("error %v does not name the result", err)
	}
}

func TestLDAPAfter(t *testing.T) {
	shown, sent, err := after(t, "ldap", ldapRootDSE+ldapDoneOK, false)
	if err != nil {
		t.Fatalf("%v (shown %q)", err, shown)
	}
	want := []string{
		`C: SearchRequest (message 2, ` + strconv.Itoa(len(ldapRootDSESearch(2))) + ` bytes): base "", scope baseObject, filter (objectClass=*), attributes supportedLDAPVersion, supportedExtension`,
		`S: SearchResultEntry (message 2, 78 bytes): ""; supportedLDAPVersion: 3, 2; supportedExtension: 1.2.3.4.5`,
		`S: SearchResultDone (message 2, 14 bytes): success (0)`,
		`C: UnbindRequest (message 3, 7 bytes)`,
	}
	if strings.Join(shown, "\n") != strings.Join(want, "\n") {
		t.Errorf("shown\n%s\nwant\n%s", strings.Join(shown, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasSuffix(sent, string(ldapUnbind(3))) || !strings.HasPrefix(sent, string(ldapRootDSESearch(2))) {
		t.Errorf("sent %x", sent)
	}
	// A server that will not show its root DSE answers the search with a
	// refusal: shown, and the session ends with the unbind all the same.
	shown, _, err = after(t, "ldap", ldapResult(2, ldapTagSearchResultDone, 50, "", nil), true)
	if err != nil || len(shown) != 3 || !strings.Contains(shown[1], "insufficientAccessRights (50)") {
		t.Errorf("refused search: %v, shown %q", err, shown)
	}
	var protocol *ProtocolError
	if _, _, err := after(t, "ldap", ldapResult(9, ldapTagSearchResultDone, 0, "", nil), false); !errors.As(err, &protocol) {
		t.Errorf("answer of another message: %v, want a ProtocolError", err)
	}
}

// ldapEntry is a SearchResultEntry of id.
func ldapEntry(id int, dn string, attrs []ldapAttribute) string {
	var list []byte
	for _, a := range attrs {
		var vals []byte
		for _, v := range a.Values {
			vals = berTLV(vals, berOctetString, []byte(v))
		}
		list = berTLV(list, berSequence, berTLV(berTLV(nil, berOctetString, []byte(a.Type)), berSet, vals))
	}
	body := berTLV(berTLV(nil, berOctetString, []byte(dn)), berSequence, list)
	return string(ldapMessage(id, berTLV(nil, ldapTagSearchResultEntry, body)))
}

// FuzzLDAPMessage feeds the LDAP message parser any bytes: it never
// panics, a message it reads is shown as one line, and no strict prefix
// of a message it reads is read too (every length is checked).
func FuzzLDAPMessage(f *testing.F) {
	for _, s := range []string{ldapOK, longForm(ldapOK), ldapRootDSE, ldapDoneOK, ldapRefusal, ldapNotice, ldapResult(2, ldapTagBindResponse, 49, "", berTLV(nil, 0x87, nil)), "\x30\x80", "\x30\x84\x7f\xff\xff\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseLDAPMessage(b)
		if err != nil {
			return
		}
		if s := m.String(); s == "" || strings.ContainsAny(s, "\r\n") {
			t.Fatalf("message shown as %q", s)
		}
		for i := range b {
			if _, err := parseLDAPMessage(b[:i]); err == nil {
				t.Fatalf("the prefix of %d of %d bytes parses too", i, len(b))
			}
		}
	})
}
