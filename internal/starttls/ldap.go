package starttls

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// LDAP's StartTLS extended operation (RFC 4511, Section 4.14) and, inside
// TLS, a simple bind when the dialog has credentials (RFC 4511, Section
// 4.2), a read of the root DSE (RFC 4512, Section 5.1) and an unbind.
// LDAP messages are BER (RFC 4511, Section 5.1: definite lengths only);
// they are read here by hand, with every length checked against the bytes
// there are, since a server may send any bytes.

func init() {
	register(&Protocol{
		Name: "ldap", Title: "LDAP", Port: 389, TLSPort: 636, Scheme: "ldap", TLSScheme: "ldaps",
		Upgrade: ldapUpgrade, After: ldapAfter, Login: true, checkLogin: ldapCheckLogin,
	})
}

// ldapStartTLSOID is the StartTLS extended operation's name (RFC 4511,
// Section 4.14.1).
const ldapStartTLSOID = "1.3.6.1.4.1.1466.20037"

// ldapNoticeOfDisconnection is the unsolicited notification a server sends
// (message ID 0) before it closes the connection (RFC 4511, Section
// 4.4.1).
const ldapNoticeOfDisconnection = "1.3.6.1.4.1.1466.20036"

// maxLDAPMessage bounds one LDAP message of the server: the StartTLS
// response and the root DSE are a few hundred bytes; 256 KiB leaves room
// for a root DSE that lists many controls and extensions, and not for a
// server that sends without end.
const maxLDAPMessage = 256 << 10

// BER identifier octets of the LDAP protocol operations used (RFC 4511,
// Section 4.2 to 4.14; class APPLICATION, constructed except UnbindRequest).
const (
	ldapTagBindRequest       = 0x60
	ldapTagBindResponse      = 0x61
	ldapTagUnbindRequest     = 0x42
	ldapTagSearchRequest     = 0x63
	ldapTagSearchResultEntry = 0x64
	ldapTagSearchResultDone  = 0x65
	ldapTagSearchResultRef   = 0x73
	ldapTagExtendedRequest   = 0x77
	ldapTagExtendedResponse  = 0x78
)

// Universal BER tags (X.690, Section 8).
const (
	berBoolean     = 0x01
	berInteger     = 0x02
	berOctetString = 0x04
	berEnumerated  = 0x0a
	berSequence    = 0x30
	berSet         = 0x31
)

// Result codes and values are worded by the decoder's functions, which
// word them in captures too.
var (
	ldapResultName = trace.LDAPResultName
	quoteAll       = trace.QuoteAll
)

// berTLV appends one BER element of a single-octet tag with a definite
// length in its shortest form (X.690, Section 10.1): the short form below
// 128, else the long form of as many octets as the length needs.
func berTLV(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	n := len(content)
	if n < 0x80 {
		b = append(b, byte(n))
		return append(b, content...)
	}
	k := 0
	for v := n; v > 0; v >>= 8 {
		k++
	}
	b = append(b, 0x80|byte(k))
	for i := k - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return append(b, content...)
}

// berInt is the content octets of a small non-negative INTEGER or
// ENUMERATED.
func berInt(v int) []byte {
	if v < 0x80 {
		return []byte{byte(v)}
	}
	return []byte{byte(v >> 8), byte(v)}
}

// ldapMessage wraps a protocol operation in an LDAPMessage (RFC 4511,
// Section 4.1.1) with no controls.
func ldapMessage(id int, op []byte) []byte {
	return berTLV(nil, berSequence, append(berTLV(nil, berInteger, berInt(id)), op...))
}

// ldapStartTLSRequest is the ExtendedRequest of StartTLS: requestName
// [0] the OID, no requestValue (RFC 4511, Section 4.14.1).
func ldapStartTLSRequest(id int) []byte {
	return ldapMessage(id, berTLV(nil, ldapTagExtendedRequest, berTLV(nil, 0x80, []byte(ldapStartTLSOID))))
}

// ldapBindRequest is a simple BindRequest (RFC 4511, Section 4.2):
// version 3, the name (a DN), and the password as the simple
// authentication [0].
func ldapBindRequest(id int, name, password string) []byte {
	var body []byte
	body = berTLV(body, berInteger, berInt(3))
	body = berTLV(body, berOctetString, []byte(name))
	body = berTLV(body, 0x80, []byte(password))
	return ldapMessage(id, berTLV(nil, ldapTagBindRequest, body))
}

// ldapRootDSEAttributes are the root DSE's attributes read inside TLS
// (RFC 4512, Section 5.1).
var ldapRootDSEAttributes = []string{"supportedLDAPVersion", "supportedExtension"}

// ldapRootDSESearch is a SearchRequest of the root DSE (RFC 4511, Section
// 4.5.1): base "", scope baseObject, no alias dereferencing, no limits,
// filter (objectClass=*), the attributes above.
func ldapRootDSESearch(id int) []byte {
	var body []byte
	body = berTLV(body, berOctetString, nil)         // baseObject ""
	body = berTLV(body, berEnumerated, berInt(0))    // scope baseObject
	body = berTLV(body, berEnumerated, berInt(0))    // derefAliases neverDerefAliases
	body = berTLV(body, berInteger, berInt(0))       // sizeLimit
	body = berTLV(body, berInteger, berInt(0))       // timeLimit
	body = berTLV(body, berBoolean, []byte{0})       // typesOnly FALSE
	body = berTLV(body, 0x87, []byte("objectClass")) // filter present [7]
	var attrs []byte
	for _, a := range ldapRootDSEAttributes {
		attrs = berTLV(attrs, berOctetString, []byte(a))
	}
	body = berTLV(body, berSequence, attrs)
	return ldapMessage(id, berTLV(nil, ldapTagSearchRequest, body))
}

// ldapUnbind is an UnbindRequest (RFC 4511, Section 4.3): no answer comes,
// the server closes the connection.
func ldapUnbind(id int) []byte {
	return ldapMessage(id, berTLV(nil, ldapTagUnbindRequest, nil))
}

// berReader reads BER elements from a byte slice; every read checks the
// length against the bytes left.
type berReader struct {
	b []byte
}

// errBER is a malformed element; the caller wraps it in a ProtocolError.
var errBER = errors.New("malformed BER element")

// berLength reads a definite length from b (X.690, Section 8.1.3): the
// short form, or the long form of up to 4 octets. It returns the length
// and the octets it took, or ok false.
func berLength(b []byte) (n int, size int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, true
	}
	k := int(b[0] & 0x7f)
	// 0x80 is the indefinite form, which LDAP does not use (RFC 4511,
	// Section 5.1); more than 4 octets is beyond any message read here.
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, 0, false
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, 1 + k, n >= 0
}

// next reads one element: its tag (one octet: the tags of LDAP are all
// below 31) and its contents.
func (r *berReader) next() (tag byte, content []byte, err error) {
	if len(r.b) < 2 {
		return 0, nil, errBER
	}
	tag = r.b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, fmt.Errorf("%w: a multi-octet tag", errBER)
	}
	n, size, ok := berLength(r.b[1:])
	if !ok || n > len(r.b)-1-size {
		return 0, nil, fmt.Errorf("%w: its length runs past the message", errBER)
	}
	content = r.b[1+size : 1+size+n]
	r.b = r.b[1+size+n:]
	return tag, content, nil
}

// expect reads one element and checks its tag.
func (r *berReader) expect(tag byte, what string) ([]byte, error) {
	t, c, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if t != tag {
		return nil, fmt.Errorf("%s: tag 0x%02x, want 0x%02x", what, t, tag)
	}
	return c, nil
}

// berIntValue reads the content octets of an INTEGER or ENUMERATED of up
// to 8 octets, two's complement.
func berIntValue(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, fmt.Errorf("%w: an integer of %d octets", errBER, len(c))
	}
	v := int64(int8(c[0]))
	for _, b := range c[1:] {
		v = v<<8 | int64(b)
	}
	return v, nil
}

// ldapResponse is one LDAP message of a server, decoded as far as the
// dialog needs it.
type ldapResponse struct {
	// MessageID is the messageID (0 for an unsolicited notification).
	MessageID int64
	// Op is the protocol operation's BER tag (ldapTag…).
	Op byte
	// ResultCode, MatchedDN and Diagnostic are the LDAPResult of an
	// ExtendedResponse or SearchResultDone.
	ResultCode            int64
	MatchedDN, Diagnostic string
	// ResponseName is an ExtendedResponse's responseName, "" when absent.
	ResponseName string
	// ObjectName and Attributes are a SearchResultEntry's: each attribute
	// with its values, in the server's order.
	ObjectName string
	Attributes []ldapAttribute
	// Size is the message's length in bytes.
	Size int
}

// ldapAttribute is one attribute of a SearchResultEntry.
type ldapAttribute struct {
	Type   string
	Values []string
}

// parseLDAPMessage decodes one whole LDAPMessage (RFC 4511, Section
// 4.1.1) of a server: its ID and, for the operations the dialog reads, its
// result or entry. Trailing bytes, lengths past the end and unknown
// operations are errors.
func parseLDAPMessage(b []byte) (*ldapResponse, error) {
	top := berReader{b: b}
	msg, err := top.expect(berSequence, "LDAPMessage")
	if err != nil {
		return nil, err
	}
	if len(top.b) != 0 {
		return nil, fmt.Errorf("%d bytes after the LDAPMessage", len(top.b))
	}
	r := berReader{b: msg}
	idBytes, err := r.expect(berInteger, "messageID")
	if err != nil {
		return nil, err
	}
	m := &ldapResponse{Size: len(b)}
	if m.MessageID, err = berIntValue(idBytes); err != nil {
		return nil, fmt.Errorf("messageID: %w", err)
	}
	op, body, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("protocolOp: %w", err)
	}
	m.Op = op
	// Any controls ([0], RFC 4511, Section 4.1.11) that follow are not
	// read.
	ops := berReader{b: body}
	switch op {
	case ldapTagExtendedResponse, ldapTagSearchResultDone, ldapTagBindResponse:
		if err := m.readResult(&ops); err != nil {
			return nil, err
		}
		// The elements after the LDAPResult's three are read with their
		// lengths checked: a referral [3] of any response, a
		// BindResponse's serverSaslCreds [7] (RFC 4511, Section 4.2.2).
		if op == ldapTagBindResponse {
			for len(ops.b) > 0 {
				if _, _, err := ops.next(); err != nil {
					return nil, fmt.Errorf("BindResponse: %w", err)
				}
			}
		}
		if op == ldapTagExtendedResponse {
			// ExtendedResponse (RFC 4511, Section 4.12): referral [3],
			// responseName [10], responseValue [11], all optional.
			for len(ops.b) > 0 {
				t, c, err := ops.next()
				if err != nil {
					return nil, fmt.Errorf("ExtendedResponse: %w", err)
				}
				if t == 0x8a {
					m.ResponseName = string(c)
				}
			}
		}
	case ldapTagSearchResultEntry:
		if err := m.readEntry(&ops); err != nil {
			return nil, err
		}
	case ldapTagSearchResultRef:
	default:
		return nil, fmt.Errorf("protocolOp: an operation of tag 0x%02x, not a response the dialog reads", op)
	}
	return m, nil
}

// readResult reads the LDAPResult's first three fields (RFC 4511, Section
// 4.1.9); a referral after them is left to the caller.
func (m *ldapResponse) readResult(r *berReader) error {
	code, err := r.expect(berEnumerated, "resultCode")
	if err != nil {
		return err
	}
	if m.ResultCode, err = berIntValue(code); err != nil {
		return fmt.Errorf("resultCode: %w", err)
	}
	dn, err := r.expect(berOctetString, "matchedDN")
	if err != nil {
		return err
	}
	diag, err := r.expect(berOctetString, "diagnosticMessage")
	if err != nil {
		return err
	}
	m.MatchedDN, m.Diagnostic = string(dn), string(diag)
	return nil
}

// readEntry reads a SearchResultEntry (RFC 4511, Section 4.5.2).
func (m *ldapResponse) readEntry(r *berReader) error {
	name, err := r.expect(berOctetString, "objectName")
	if err != nil {
		return err
	}
	m.ObjectName = string(name)
	list, err := r.expect(berSequence, "attributes")
	if err != nil {
		return err
	}
	attrs := berReader{b: list}
	for len(attrs.b) > 0 {
		pa, err := attrs.expect(berSequence, "PartialAttribute")
		if err != nil {
			return err
		}
		par := berReader{b: pa}
		typ, err := par.expect(berOctetString, "type")
		if err != nil {
			return err
		}
		set, err := par.expect(berSet, "vals")
		if err != nil {
			return err
		}
		a := ldapAttribute{Type: string(typ)}
		vals := berReader{b: set}
		for len(vals.b) > 0 {
			v, err := vals.expect(berOctetString, "value")
			if err != nil {
				return err
			}
			a.Values = append(a.Values, string(v))
		}
		m.Attributes = append(m.Attributes, a)
	}
	return nil
}

// String is the message as one line of the dialog.
func (m *ldapResponse) String() string {
	var b strings.Builder
	switch m.Op {
	case ldapTagExtendedResponse:
		fmt.Fprintf(&b, "ExtendedResponse (message %d, %d bytes): %s", m.MessageID, m.Size, ldapResultName(m.ResultCode))
		if m.ResponseName != "" {
			fmt.Fprintf(&b, ", responseName %s", quoteAll([]string{m.ResponseName})[0])
		}
	case ldapTagBindResponse:
		fmt.Fprintf(&b, "BindResponse (message %d, %d bytes): %s", m.MessageID, m.Size, ldapResultName(m.ResultCode))
	case ldapTagSearchResultDone:
		fmt.Fprintf(&b, "SearchResultDone (message %d, %d bytes): %s", m.MessageID, m.Size, ldapResultName(m.ResultCode))
	case ldapTagSearchResultEntry:
		fmt.Fprintf(&b, "SearchResultEntry (message %d, %d bytes): %s", m.MessageID, m.Size, strconv.Quote(m.ObjectName))
		for _, a := range m.Attributes {
			fmt.Fprintf(&b, "; %s: %s", quoteAll([]string{a.Type})[0], strings.Join(quoteAll(a.Values), ", "))
		}
	case ldapTagSearchResultRef:
		fmt.Fprintf(&b, "SearchResultReference (message %d, %d bytes)", m.MessageID, m.Size)
	}
	if m.MatchedDN != "" {
		fmt.Fprintf(&b, ", matchedDN %s", strconv.Quote(m.MatchedDN))
	}
	if m.Diagnostic != "" {
		fmt.Fprintf(&b, ", %s", strconv.Quote(m.Diagnostic))
	}
	return b.String()
}

// readLDAP reads one LDAPMessage of the server: its BER header byte by
// byte, then exactly its length, so nothing after it is taken.
func (d *Dialog) readLDAP() (*ldapResponse, error) {
	r := d.Reader()
	hdr := make([]byte, 0, 6)
	for len(hdr) < 2 || (hdr[1]&0x80 != 0 && len(hdr) < 2+int(hdr[1]&0x7f)) {
		c, err := r.ReadByte()
		if err != nil {
			return nil, &ClosedError{Protocol: d.Protocol.Name, Err: err}
		}
		hdr = append(hdr, c)
		if len(hdr) == 1 && c != berSequence {
			return nil, &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server sent a message starting with 0x%02x, not an LDAPMessage (0x30)", c)}
		}
		if len(hdr) == 2 && (c == 0x80 || (c&0x80 != 0 && c&0x7f > 4)) {
			return nil, &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server's LDAPMessage has a length of form 0x%02x", c)}
		}
	}
	n, _, _ := berLength(hdr[1:])
	if n > maxLDAPMessage {
		return nil, &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server sent an LDAPMessage of %d bytes, more than %d", n, maxLDAPMessage)}
	}
	b := make([]byte, len(hdr)+n)
	copy(b, hdr)
	if _, err := io.ReadFull(r, b[len(hdr):]); err != nil {
		return nil, &ClosedError{Protocol: d.Protocol.Name, Err: err}
	}
	m, err := parseLDAPMessage(b)
	if err != nil {
		d.Show(trace.Server, fmt.Sprintf("LDAPMessage (%d bytes) not understood: %v", len(b), err))
		return nil, &ProtocolError{Protocol: d.Protocol.Name, Reason: "the server's LDAPMessage: " + err.Error()}
	}
	d.Show(trace.Server, m.String())
	return m, nil
}

// sendLDAP sends request id, shown as its operation and what it asks.
func (d *Dialog) sendLDAP(b []byte, id int, op, what string) error {
	line := fmt.Sprintf("%s (message %d, %d bytes)", op, id, len(b))
	if what != "" {
		line += ": " + what
	}
	d.Show(trace.Client, line)
	return d.Write(b)
}

// ldapUpgrade is the StartTLS extended operation (RFC 4511, Section
// 4.14): the request, then an ExtendedResponse of resultCode success.
func ldapUpgrade(d *Dialog) error {
	if err := d.sendLDAP(ldapStartTLSRequest(1), 1, "ExtendedRequest", "StartTLS "+ldapStartTLSOID); err != nil {
		return err
	}
	m, err := d.readLDAP()
	if err != nil {
		return err
	}
	if m.MessageID == 0 && m.ResponseName == ldapNoticeOfDisconnection {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "StartTLS", Answer: m.String(), Want: "success (0)"}
	}
	if m.Op != ldapTagExtendedResponse || m.MessageID != 1 {
		return &ProtocolError{Protocol: d.Protocol.Name, Reason: "the server answered StartTLS with " + m.String()}
	}
	if m.ResultCode != 0 {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "StartTLS", Answer: m.String(), Want: "success (0)"}
	}
	return nil
}

// ldapAfter binds with the dialog's credentials when it has them, reads
// the root DSE's supported versions and extensions inside TLS (it reads,
// it changes nothing), then unbinds. The server sends no greeting,
// implicit TLS or not.
func ldapAfter(d *Dialog, _ bool) error {
	id := 2
	if d.Credentials != nil {
		if err := ldapLogin(d, id); err != nil {
			return err
		}
		id++
	}
	what := `base "", scope baseObject, filter (objectClass=*), attributes ` + strings.Join(ldapRootDSEAttributes, ", ")
	if err := d.sendLDAP(ldapRootDSESearch(id), id, "SearchRequest", what); err != nil {
		return err
	}
	for range maxLines {
		m, err := d.readLDAP()
		if err != nil {
			return err
		}
		if m.MessageID == 0 && m.ResponseName == ldapNoticeOfDisconnection {
			return &RefusedError{Protocol: d.Protocol.Name, Step: "root DSE search", Answer: m.String(), Want: "SearchResultDone (message 2)"}
		}
		if m.MessageID != int64(id) || m.Op == ldapTagBindResponse || m.Op == ldapTagExtendedResponse {
			return &ProtocolError{Protocol: d.Protocol.Name, Reason: "the server answered the search with " + m.String()}
		}
		if m.Op == ldapTagSearchResultDone {
			// A refusal (confidentialityRequired, insufficientAccessRights, …)
			// is shown; the session still ends politely.
			return d.sendLDAP(ldapUnbind(id+1), id+1, "UnbindRequest", "")
		}
	}
	return &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server's answer to the search ran past %d messages", maxLines)}
}

// ldapLogin is a simple bind as message id (RFC 4511, Section 4.2) with
// the credentials' user as the DN, its password withheld from the line
// shown. A result other than success is a *LoginError naming the result
// code, after an unbind.
func ldapLogin(d *Dialog, id int) error {
	c := d.Credentials
	if err := ldapCheckLogin(c); err != nil {
		return err
	}
	b := ldapBindRequest(id, c.User, c.Password)
	if err := d.sendLDAP(b, id, "BindRequest", fmt.Sprintf("version 3, name %s, simple %s", strconv.Quote(c.User), Withheld)); err != nil {
		return err
	}
	m, err := d.readLDAP()
	if err != nil {
		return err
	}
	if m.MessageID == 0 && m.ResponseName == ldapNoticeOfDisconnection {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "bind", Answer: m.String(), Want: "success (0)"}
	}
	if m.Op != ldapTagBindResponse || m.MessageID != int64(id) {
		return &ProtocolError{Protocol: d.Protocol.Name, Reason: "the server answered the bind with " + m.String()}
	}
	if m.ResultCode != 0 {
		lerr := &LoginError{Protocol: d.Protocol.Name, User: c.User, Answer: m.String()}
		if err := d.sendLDAP(ldapUnbind(id+1), id+1, "UnbindRequest", ""); err != nil {
			return fmt.Errorf("%w; then %w", lerr, err)
		}
		return lerr
	}
	return nil
}

// ldapCheckLogin refuses an empty password: a simple bind of a name
// without one is an unauthenticated bind (RFC 4513, Section 5.1.2), which
// servers that allow it answer with success and log no one in.
func ldapCheckLogin(c *Credentials) error {
	if c.Password == "" {
		return errors.New("an LDAP simple bind without a password logs no one in (an unauthenticated bind, RFC 4513, Section 5.1.2)")
	}
	return nil
}
