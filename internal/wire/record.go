package wire

import (
	"fmt"

	"github.com/tlstrace/tlstrace/internal/field"
)

// RecordHeader is the 5-byte header of a TLS record (RFC 8446, Section 5.1;
// RFC 5246, Section 6.2.1).
type RecordHeader struct {
	Type    ContentType
	Version uint16
	Length  int
}

// ParseRecordHeader reads a record header from the first 5 bytes of b. It
// returns a *RecordHeaderError when the bytes cannot be a TLS record: fewer
// than 5 bytes, an unknown content type, a major version other than 3, or a
// length above MaxCiphertext.
func ParseRecordHeader(b []byte) (RecordHeader, error) {
	if len(b) < RecordHeaderLen {
		return RecordHeader{}, NewRecordHeaderError(b, HeaderShort)
	}
	h := RecordHeader{Type: ContentType(b[0]), Version: uint16(b[1])<<8 | uint16(b[2]), Length: int(b[3])<<8 | int(b[4])}
	if h.Type < ContentChangeCipherSpec || h.Type > ContentACK {
		return h, NewRecordHeaderError(b, HeaderContentType)
	}
	if b[1] != 3 {
		return h, NewRecordHeaderError(b, HeaderVersion)
	}
	if h.Length > MaxCiphertext {
		return h, NewRecordHeaderError(b, HeaderOversized)
	}
	return h, nil
}

// HeaderProblem says why bytes are not a TLS record header.
type HeaderProblem uint8

const (
	// HeaderShort: fewer than 5 bytes.
	HeaderShort HeaderProblem = iota + 1
	// HeaderContentType: the first byte is no record content type.
	HeaderContentType
	// HeaderVersion: the major version is not 3.
	HeaderVersion
	// HeaderOversized: the length is above MaxCiphertext (RFC 5246,
	// Section 6.2.3; RFC 8446, Section 5.2).
	HeaderOversized
	// HeaderImplausible: a header that no TLS stream starts with, though
	// each of its fields could occur later in one.
	HeaderImplausible
)

// RecordHeaderError is a record header that cannot be a TLS record's. It
// carries the header bytes as they were on the wire.
type RecordHeaderError struct {
	// Header holds the first 5 bytes (fewer when fewer were there).
	Header []byte
	// Problem says what is wrong with them.
	Problem HeaderProblem
	// Limit is, for HeaderOversized, the largest length allowed to the
	// record where it was read, when its reader knew whether the record
	// was protected (SetLimit): MaxPlaintext before encryption,
	// MaxCiphertextTLS13 for a protected TLS 1.3 record, MaxCiphertext
	// for a protected record of an earlier version. 0 when unknown: the
	// header is then held to MaxCiphertext, the largest of them.
	Limit int
}

// SetLimit records the limit that applies to the record of an oversized
// header: whether it was protected, and in TLS 1.3 or an earlier version.
func (e *RecordHeaderError) SetLimit(protected, tls13 bool) {
	switch {
	case !protected:
		e.Limit = MaxPlaintext
	case tls13:
		e.Limit = MaxCiphertextTLS13
	default:
		e.Limit = MaxCiphertext
	}
}

// LimitRule says the limit an oversized record broke, with its source:
// "at most 16384 bytes in a record before encryption, RFC 5246, Section
// 6.2.1; RFC 8446, Section 5.1".
func (e *RecordHeaderError) LimitRule() string {
	switch e.Limit {
	case MaxPlaintext:
		return fmt.Sprintf("at most %d bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1", MaxPlaintext)
	case MaxCiphertextTLS13:
		return fmt.Sprintf("at most %d bytes in a protected TLS 1.3 record, RFC 8446, Section 5.2", MaxCiphertextTLS13)
	case MaxCiphertext:
		return fmt.Sprintf("at most %d bytes in an encrypted record, RFC 5246, Section 6.2.3", MaxCiphertext)
	}
	return fmt.Sprintf("at most %d bytes in any record, RFC 5246, Section 6.2.3", MaxCiphertext)
}

// NewRecordHeaderError returns the error for header, whose first bytes (up
// to 5) it copies.
func NewRecordHeaderError(header []byte, p HeaderProblem) *RecordHeaderError {
	return &RecordHeaderError{Header: append([]byte(nil), header[:min(len(header), RecordHeaderLen)]...), Problem: p}
}

// Length is the record length the header claims (0 when it is short).
func (e *RecordHeaderError) Length() int {
	if len(e.Header) < RecordHeaderLen {
		return 0
	}
	return int(e.Header[3])<<8 | int(e.Header[4])
}

func (e *RecordHeaderError) Error() string {
	b := e.Header
	switch e.Problem {
	case HeaderShort:
		return fmt.Sprintf("wire: record header needs 5 bytes, have %d", len(b))
	case HeaderContentType:
		return fmt.Sprintf("wire: not a TLS record: content type %d", b[0])
	case HeaderVersion:
		return fmt.Sprintf("wire: not a TLS record: version 0x%02x%02x", b[1], b[2])
	case HeaderOversized:
		return fmt.Sprintf("wire: record length %d exceeds the maximum (%s)", e.Length(), e.LimitRule())
	}
	return fmt.Sprintf("wire: not a TLS record header: % x", b)
}

// PlausibleRecordHeader reports whether b starts the way a TLS stack's
// record header starts: a content type of TLS (change_cipher_spec to
// heartbeat; RFC 8446, Section 5.1; RFC 6520), major version 3 with a minor
// version of at most 4, and, when b holds the length (5 bytes or more), a
// length of at most MaxCiphertext. It needs the 3 bytes of content type and
// version. It decides where a stream of unknown bytes starts or resumes, and
// is stricter than ParseRecordHeader, which frames any record of major
// version 3 once the stream is in step (ACK and tls12_cid records, later
// minor versions).
func PlausibleRecordHeader(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	if t := ContentType(b[0]); t < ContentChangeCipherSpec || t > ContentHeartbeat || b[1] != 3 || b[2] > 4 {
		return false
	}
	return len(b) < RecordHeaderLen || int(b[3])<<8|int(b[4]) <= MaxCiphertext
}

// SSLv2HelloLen reports whether b starts with an SSL 2.0 compatible
// ClientHello (RFC 5246, Appendix E.2) and, if so, the length of the whole
// record including its 2-byte header. It needs at least 3 bytes, and
// judges by the first 5 when it has them. A length too short for the
// hello's fixed fields (msg_type, version and three lengths: 9 bytes) is
// not an SSL 2.0 hello, nor is one whose version is neither SSL 2.0's
// (0x0002) nor of the form 3.x: random bytes (a capture that began
// inside an encrypted record) pass the high bit and msg_type 1 once in
// 512, and the version too only once in 255 of those.
func SSLv2HelloLen(b []byte) (int, bool) {
	if len(b) < 3 || b[0]&0x80 == 0 || b[2] != 1 {
		return 0, false
	}
	if len(b) >= 5 && !(b[3] == 0 && b[4] == 2) && b[3] != 3 {
		return 0, false
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	if n < sslv2HelloFixed {
		return 0, false
	}
	return n + 2, true
}

// IsSSLv2ServerHello reports whether b starts with an SSL 2.0 record (a
// two-byte header with the high bit set) holding a SERVER-HELLO (message
// type 4).
func IsSSLv2ServerHello(b []byte) bool {
	return len(b) >= 3 && b[0]&0x80 != 0 && b[2] == 4
}

// SSLv2HeaderLen is the size of the header of an SSL 2.0 record without
// padding, as an SSL 2.0 compatible ClientHello has (RFC 5246, Appendix
// E.2): the high bit set, then 15 bits of length.
const SSLv2HeaderLen = 2

// sslv2HelloFixed is the size of an SSL 2.0 ClientHello's fixed fields.
const sslv2HelloFixed = 9

// ParseAlert decodes an alert record body (RFC 8446, Section 6).
func ParseAlert(b []byte) (*field.Node, []field.Anomaly, error) {
	d := &decoder{msg: "alert"}
	n := field.NewObject("")
	r := newReader(d, b, 0, n)
	if _, ok := r.enum8("level", func(v uint64) string { return AlertLevel(v).String() }); ok {
		r.enum8("description", func(v uint64) string { return AlertDescription(v).String() })
	}
	if d.err == nil {
		r.done("alert")
	}
	if d.err != nil {
		return n, d.anomalies, d.err
	}
	return n, d.anomalies, nil
}

// ParseChangeCipherSpec decodes a change_cipher_spec record body (RFC 5246,
// Section 7.1).
func ParseChangeCipherSpec(b []byte) (*field.Node, []field.Anomaly, error) {
	d := &decoder{msg: "change_cipher_spec"}
	n := field.NewObject("")
	r := newReader(d, b, 0, n)
	if v, ok := r.u8("type"); ok && v != 1 {
		d.anomaly(0, "change_cipher_spec type is %d, not 1", v)
	}
	if d.err == nil {
		r.done("change_cipher_spec")
	}
	if d.err != nil {
		return n, d.anomalies, d.err
	}
	return n, d.anomalies, nil
}
