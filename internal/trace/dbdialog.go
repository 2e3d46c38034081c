// This file follows the binary upgrades to TLS that a capture may hold:
// PostgreSQL's SSLRequest (the documentation's Frontend/Backend Protocol
// chapter, "SSL Session Encryption"), MySQL's SSLRequest after the
// server's greeting (the MySQL client/server protocol,
// "Protocol::SSLRequest"), and LDAP's StartTLS extended operation (RFC
// 4511, Section 4.14). Each message is one info starttls event, worded as
// the live dialogs word it (internal/starttls), and TLS starts where the
// server accepted it.

package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Protocols of the binary dialogs (the StartTLS events' Protocol).
const (
	protocolPostgres = "postgres"
	protocolMySQL    = "mysql"
	protocolLDAP     = "ldap"
)

const (
	// pgSSLRequest and pgGSSENCRequest are PostgreSQL's 8-byte requests:
	// the length, then the code (1234 in the high 16 bits, 5679 or 5680
	// in the low).
	pgSSLRequest    = 80877103
	pgGSSENCRequest = 80877104
	// mysqlClientSSL is CLIENT_SSL, the capability flag of a MySQL
	// greeting that offers TLS and of the SSLRequest that asks for it.
	mysqlClientSSL = 0x0800
	// ldapStartTLSOID names LDAP's StartTLS extended request (RFC 4511,
	// Section 4.14.1).
	ldapStartTLSOID = "1.3.6.1.4.1.1466.20037"
)

// binaryClientStart reports whether the client's first bytes b start a
// binary upgrade (more reports that more bytes are needed to tell), and
// which protocol's.
func binaryClientStart(b []byte) (protocol string, more bool) {
	// PostgreSQL: 00 00 00 08, then the code.
	var pg [8]byte
	binary.BigEndian.PutUint32(pg[:], 8)
	binary.BigEndian.PutUint32(pg[4:], pgSSLRequest)
	n := min(len(b), 8)
	if string(b[:n]) == string(pg[:n]) || (n == 8 && string(b[:7]) == string(pg[:7]) && binary.BigEndian.Uint32(b[4:]) == pgGSSENCRequest) {
		return protocolPostgres, n < 8
	}
	// LDAP: an LDAPMessage, a SEQUENCE (RFC 4511, Section 4.1.1).
	if len(b) > 0 && b[0] == 0x30 {
		msg, ok, need := berElement(b)
		if need {
			return "", len(b) < 64
		}
		if ok && ldapIsStartTLS(msg) {
			return protocolLDAP, false
		}
	}
	return "", false
}

// binaryServerStart reports whether the server's first bytes b are a
// MySQL greeting (protocol 10), with more when more bytes are needed.
func binaryServerStart(b []byte) (protocol string, more bool) {
	if len(b) < 5 {
		return "", false
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if b[3] != 0 || b[4] != 10 || n < 30 || n > 1024 {
		return "", false
	}
	return protocolMySQL, false
}

// binaryFeed reads side d's messages of a binary dialog, each an event,
// until its TLS starts: as dialogFeed.
func (c *Conn) binaryFeed(d *direction, at Stamp) bool {
	f := &d.framer
	for len(f.buf) > 0 {
		if c.dialog.upgrade {
			if len(f.buf) < 3 {
				return false
			}
			if looksLikeTLS(f.buf) {
				return true
			}
			c.endDialogWhy(d, fmt.Sprintf("the %s dialog agreed on TLS, and the %s's next bytes (%x…) are not a TLS record; not decoded further", c.dialog.protocol, d.side, f.buf[:3]))
			return false
		}
		var line, refused string
		var n int
		switch c.dialog.protocol {
		case protocolPostgres:
			n, line, refused = c.postgresMessage(d.side, f.buf)
		case protocolMySQL:
			n, line, refused = c.mysqlMessage(d.side, f.buf)
		case protocolLDAP:
			n, line, refused = c.ldapMessage(d.side, f.buf)
		case protocolSOCKS5, protocolSOCKS4:
			n, line, refused = c.socksMessage(d.side, f.buf)
		}
		if n == 0 && refused == "" {
			if len(f.buf) > maxDialogLine {
				c.endDialogWhy(d, fmt.Sprintf("a %s message of more than %d bytes before TLS; not decoded further", c.dialog.protocol, maxDialogLine))
			}
			return false
		}
		f.buf = f.buf[:copy(f.buf, f.buf[n:])]
		if line != "" {
			c.dialogLine(d.side, at, line)
		}
		if refused != "" {
			c.endDialogWhy(d, refused)
			return false
		}
		if c.dialog.lines > maxDialogLines {
			c.endDialogWhy(d, fmt.Sprintf("the %s dialog did not turn into TLS within %d messages; not decoded further", c.dialog.protocol, maxDialogLines))
			return false
		}
	}
	return false
}

// postgresMessage reads a PostgreSQL message of the upgrade: the client's
// SSLRequest or GSSENCRequest, the server's one-byte answer. n is 0 when
// more bytes are needed; refused says why the stream is not TLS.
func (c *Conn) postgresMessage(side Side, b []byte) (n int, line, refused string) {
	if side == Client {
		if len(b) < 8 {
			return 0, "", ""
		}
		code := binary.BigEndian.Uint32(b[4:])
		switch {
		case binary.BigEndian.Uint32(b) == 8 && code == pgSSLRequest:
			c.dialog.asked = "SSLRequest"
		case binary.BigEndian.Uint32(b) == 8 && code == pgGSSENCRequest:
			c.dialog.asked = "GSSENCRequest"
		default:
			return 0, "", fmt.Sprintf("the PostgreSQL client went on without TLS (%x); not decoded further", b[:8])
		}
		return 8, fmt.Sprintf("%s (8 bytes, code %d)", c.dialog.asked, code), ""
	}
	asked := c.dialog.asked
	c.dialog.asked = ""
	switch {
	case asked == "":
		return 1, "", fmt.Sprintf("the PostgreSQL server sent 0x%02x before a request; not decoded further", b[0])
	case b[0] == 'S' && asked == "SSLRequest":
		c.dialog.upgrade = true
		return 1, "S (TLS accepted)", ""
	case b[0] == 'N' && asked == "GSSENCRequest":
		// The client may ask for TLS next.
		return 1, "N (GSSAPI encryption refused)", ""
	case b[0] == 'N':
		return 1, "N (TLS refused)", "the PostgreSQL server refused TLS ('N'): the session goes on in clear text; not decoded further"
	case b[0] == 'G' && asked == "GSSENCRequest":
		return 1, "G (GSSAPI encryption accepted)", "the PostgreSQL session is encrypted with GSSAPI, not TLS; not decoded further"
	case b[0] == 'E':
		return 1, "E (an ErrorResponse, not an answer to " + asked + ")", "the PostgreSQL server answered the " + asked + " with an ErrorResponse; not decoded further"
	}
	return 1, fmt.Sprintf("0x%02x (neither S nor N)", b[0]), fmt.Sprintf("the PostgreSQL server answered the %s with the byte 0x%02x; not decoded further", asked, b[0])
}

// mysqlMessage reads a MySQL packet of the upgrade (a 3-byte length and a
// sequence number, then the payload): the server's greeting, the
// client's SSLRequest.
func (c *Conn) mysqlMessage(side Side, b []byte) (n int, line, refused string) {
	if len(b) < 4 {
		return 0, "", ""
	}
	size := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if len(b) < 4+size {
		if 4+size > maxDialogLine {
			return 0, "", fmt.Sprintf("a MySQL packet of %d bytes before TLS; not decoded further", size)
		}
		return 0, "", ""
	}
	seq, p := b[3], b[4:4+size]
	n = 4 + size
	if side == Server {
		if c.dialog.asked != "" {
			return n, "", fmt.Sprintf("the MySQL server sent a packet (seq %d) after its greeting, before TLS; not decoded further", seq)
		}
		h, e, err := ParseMySQLGreeting(p)
		switch {
		case err != nil:
			return n, fmt.Sprintf("a packet of %d bytes (seq %d) that is no Handshake v10: %v", size, seq, err), "the MySQL server's greeting does not parse; not decoded further"
		case e != nil:
			return n, fmt.Sprintf("ERR packet (%d bytes, seq %d): error %d: %q", size, seq, e.Code, e.Message), "the MySQL server refused the connection; not decoded further"
		}
		c.dialog.asked = "greeting"
		if h.Capabilities&mysqlClientSSL == 0 {
			return n, h.Line(size, seq), "the MySQL server does not offer TLS (no CLIENT_SSL): the session goes on in clear text; not decoded further"
		}
		return n, h.Line(size, seq), ""
	}
	// Protocol::SSLRequest: 32 bytes, capabilities first.
	if c.dialog.asked != "greeting" || size != 32 {
		return n, "", fmt.Sprintf("the MySQL client answered the greeting with a packet of %d bytes, not an SSLRequest: the session goes on in clear text; not decoded further", size)
	}
	if binary.LittleEndian.Uint32(p)&mysqlClientSSL == 0 {
		return n, "", "the MySQL client's answer to the greeting does not ask for TLS (no CLIENT_SSL); not decoded further"
	}
	c.dialog.upgrade = true
	return n, MySQLSSLRequestLine(p, seq), ""
}

// ldapMessage reads an LDAPMessage of the upgrade: the client's StartTLS
// extended request, the server's extended response.
func (c *Conn) ldapMessage(side Side, b []byte) (n int, line, refused string) {
	msg, ok, need := berElement(b)
	if need {
		return 0, "", ""
	}
	if !ok || b[0] != 0x30 {
		return 0, "", fmt.Sprintf("the %s's bytes (%x…) are not an LDAP message; not decoded further", side, b[:2])
	}
	n = len(msg)
	id, op, body, ok := ldapParts(msg)
	if !ok {
		return n, "", "an LDAP message that does not parse; not decoded further"
	}
	if side == Client {
		if op != 0x77 || !ldapIsStartTLS(msg) {
			return n, "", "the LDAP client sent another request than StartTLS first: the session goes on in clear text; not decoded further"
		}
		c.dialog.asked = "StartTLS"
		return n, fmt.Sprintf("ExtendedRequest (message %d, %d bytes): StartTLS %s", id, n, ldapStartTLSOID), ""
	}
	if op != 0x78 || c.dialog.asked == "" {
		return n, "", "the LDAP server sent another message than the answer to StartTLS; not decoded further"
	}
	// LDAPResult (RFC 4511, Section 4.1.9): resultCode (ENUMERATED),
	// matchedDN, diagnosticMessage, then the ExtendedResponse's
	// responseName ([10]) when there is one.
	var parts [][]byte
	for rest := body; len(rest) > 0; {
		el, ok, _ := berElement(rest)
		if !ok {
			break
		}
		parts = append(parts, el)
		rest = rest[len(el):]
	}
	if len(parts) < 3 || parts[0][0] != 0x0a || len(parts[0]) < 3 || len(parts[0]) > 6 {
		return n, "", "the LDAP server's ExtendedResponse has no result; not decoded further"
	}
	var result int64
	for _, v := range parts[0][2:] {
		result = result<<8 | int64(v)
	}
	line = fmt.Sprintf("ExtendedResponse (message %d, %d bytes): %s", id, n, LDAPResultName(result))
	for _, p := range parts[3:] {
		if p[0] == 0x8a {
			line += ", responseName " + QuoteAll([]string{string(berContent(p))})[0]
		}
	}
	if dn := berContent(parts[1]); len(dn) > 0 {
		line += ", matchedDN " + strconv.Quote(string(dn))
	}
	if diag := berContent(parts[2]); len(diag) > 0 {
		line += ", " + strconv.Quote(string(diag))
	}
	if result != 0 {
		return n, line, fmt.Sprintf("the LDAP server refused StartTLS (%s): the session goes on in clear text; not decoded further", LDAPResultName(result))
	}
	c.dialog.upgrade = true
	return n, line, ""
}

// berContent returns a whole BER element's content.
func berContent(el []byte) []byte {
	if el[1]&0x80 != 0 {
		return el[2+int(el[1]&0x7f):]
	}
	return el[2:]
}

// MySQLHandshake is what the upgrade reads of a server's Handshake v10
// packet (MySQL's Client/Server Protocol, "Protocol::HandshakeV10").
type MySQLHandshake struct {
	// Version is the server's version string ("11.8.3-MariaDB-0+deb13u1").
	Version string
	// ConnID is the connection's id.
	ConnID uint32
	// Capabilities holds the lower 16 bits of the flags, and the upper
	// 16 when the packet has them.
	Capabilities uint32
	// Charset is the server's character set, 0 when the packet ends
	// before it.
	Charset uint8
	// Long says whether the packet goes past the lower capability flags.
	Long bool
}

// MySQLError is a server's ERR packet in place of its greeting (MySQL's
// Client/Server Protocol, "ERR_Packet"): too many connections, a host
// not allowed to connect.
type MySQLError struct {
	Code    uint16
	Message string
}

// errMySQLShort is a packet that ends inside a field.
var errMySQLShort = errors.New("the packet ends inside a field")

// ParseMySQLGreeting reads the payload of a server's first packet: a
// Handshake v10 or an ERR packet (one of the two is nil).
func ParseMySQLGreeting(b []byte) (*MySQLHandshake, *MySQLError, error) {
	if len(b) == 0 {
		return nil, nil, errMySQLShort
	}
	switch b[0] {
	case 0xff: // ERR_Packet
		if len(b) < 3 {
			return nil, nil, errMySQLShort
		}
		e := &MySQLError{Code: binary.LittleEndian.Uint16(b[1:3])}
		msg := b[3:]
		// A '#' and a five-character SQL state come before the message.
		if len(msg) >= 6 && msg[0] == '#' {
			msg = msg[6:]
		}
		e.Message = string(msg)
		return nil, e, nil
	case 10: // Protocol::HandshakeV10
	default:
		return nil, nil, fmt.Errorf("protocol version %d, not 10", b[0])
	}
	b = b[1:]
	end := bytes.IndexByte(b, 0)
	if end < 0 {
		return nil, nil, errors.New("the server version has no terminating NUL")
	}
	h := &MySQLHandshake{Version: string(b[:end])}
	b = b[end+1:]
	// connection id (4), auth-plugin-data-part-1 (8), filler (1),
	// capability flags, lower 2 bytes.
	if len(b) < 4+8+1+2 {
		return nil, nil, errMySQLShort
	}
	h.ConnID = binary.LittleEndian.Uint32(b[0:4])
	h.Capabilities = uint32(binary.LittleEndian.Uint16(b[13:15]))
	b = b[15:]
	if len(b) == 0 {
		return h, nil, nil
	}
	// character set (1), status flags (2), capability flags, upper 2
	// bytes; the rest (the authentication data and plugin) is not read.
	if len(b) < 1+2+2 {
		return nil, nil, errMySQLShort
	}
	h.Long = true
	h.Charset = b[0]
	h.Capabilities |= uint32(binary.LittleEndian.Uint16(b[3:5])) << 16
	return h, nil, nil
}

// Line words a greeting as the dialogs show it: its size and sequence
// number, the server's version, connection id and capabilities, and
// whether it offers TLS.
func (h *MySQLHandshake) Line(size int, seq byte) string {
	ssl := "SSL offered (CLIENT_SSL)"
	if h.Capabilities&mysqlClientSSL == 0 {
		ssl = "SSL not offered (no CLIENT_SSL)"
	}
	return fmt.Sprintf("Handshake v10 (%d bytes, seq %d): server %q, connection %d, capabilities 0x%08x, %s",
		size, seq, h.Version, h.ConnID, h.Capabilities, ssl)
}

// MySQLSSLRequestLine words an SSLRequest's payload (Protocol::SSLRequest:
// capabilities, max packet size, character set; 32 bytes) as the dialogs
// show it.
func MySQLSSLRequestLine(p []byte, seq byte) string {
	return fmt.Sprintf("SSLRequest (%d bytes, seq %d): capabilities 0x%08x with CLIENT_SSL, max packet %d, character set %d",
		len(p), seq, binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:]), p[8])
}

// ldapResultNames are the LDAPResult codes of RFC 4511, Appendix A.1.
var ldapResultNames = map[int64]string{
	0: "success", 1: "operationsError", 2: "protocolError", 3: "timeLimitExceeded",
	4: "sizeLimitExceeded", 5: "compareFalse", 6: "compareTrue", 7: "authMethodNotSupported",
	8: "strongerAuthRequired", 10: "referral", 11: "adminLimitExceeded",
	12: "unavailableCriticalExtension", 13: "confidentialityRequired", 14: "saslBindInProgress",
	16: "noSuchAttribute", 17: "undefinedAttributeType", 18: "inappropriateMatching",
	19: "constraintViolation", 20: "attributeOrValueExists", 21: "invalidAttributeSyntax",
	32: "noSuchObject", 33: "aliasProblem", 34: "invalidDNSyntax", 36: "aliasDereferencingProblem",
	48: "inappropriateAuthentication", 49: "invalidCredentials", 50: "insufficientAccessRights",
	51: "busy", 52: "unavailable", 53: "unwillingToPerform", 54: "loopDetect",
	64: "namingViolation", 65: "objectClassViolation", 66: "notAllowedOnNonLeaf",
	67: "notAllowedOnRDN", 68: "entryAlreadyExists", 69: "objectClassModsProhibited",
	71: "affectsMultipleDSAs", 80: "other",
}

// LDAPResultName is a result code's name and number: "success (0)".
func LDAPResultName(code int64) string {
	if n, ok := ldapResultNames[code]; ok {
		return fmt.Sprintf("%s (%d)", n, code)
	}
	return fmt.Sprintf("result code %d", code)
}

// QuoteAll quotes each value that is not plain printable ASCII without
// spaces or commas, so a value cannot pass for two.
func QuoteAll(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v
		if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' || r == ',' || r == ';' || r == '"' }) {
			out[i] = strconv.Quote(v)
		}
	}
	return out
}

// berElement returns the first BER element of b (tag, definite length,
// content) whole: ok false when b does not start with one, need true
// when it is not all there yet.
func berElement(b []byte) (el []byte, ok, need bool) {
	if len(b) < 2 {
		return nil, false, true
	}
	size, hdr := int(b[1]), 2
	if b[1]&0x80 != 0 {
		k := int(b[1] & 0x7f)
		if k == 0 || k > 3 {
			return nil, false, false
		}
		if len(b) < 2+k {
			return nil, false, true
		}
		size = 0
		for _, v := range b[2 : 2+k] {
			size = size<<8 | int(v)
		}
		hdr += k
	}
	if hdr+size > maxDialogLine {
		return nil, false, false
	}
	if len(b) < hdr+size {
		return nil, false, true
	}
	return b[:hdr+size], true, false
}

// ldapParts splits an LDAPMessage into its messageID, the tag of its
// protocolOp and that op's content.
func ldapParts(msg []byte) (id int, op byte, body []byte, ok bool) {
	rest := berContent(msg)
	idEl, ok, _ := berElement(rest)
	if !ok || idEl[0] != 0x02 || len(idEl) < 3 || len(idEl) > 6 {
		return 0, 0, nil, false
	}
	for _, v := range idEl[2:] {
		id = id<<8 | int(v)
	}
	opEl, ok, _ := berElement(rest[len(idEl):])
	if !ok {
		return 0, 0, nil, false
	}
	return id, opEl[0], berContent(opEl), true
}

// ldapIsStartTLS reports whether an LDAPMessage is an ExtendedRequest
// whose requestName ([0], an LDAPOID) is StartTLS's.
func ldapIsStartTLS(msg []byte) bool {
	_, op, body, ok := ldapParts(msg)
	if !ok || op != 0x77 {
		return false
	}
	name, ok, _ := berElement(body)
	return ok && name[0] == 0x80 && string(name[2:]) == ldapStartTLSOID
}
