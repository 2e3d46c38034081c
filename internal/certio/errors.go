package certio

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// Base64Error is a PEM block whose body is not base64.
type Base64Error struct {
	Type string // the block's type: CERTIFICATE, PRIVATE KEY, …
	Line int    // the line of its BEGIN, from 1
	// Offset is the offset of the first byte that is not base64, counted
	// in the block's body with its line breaks removed.
	Offset int64
	// BadLine is the line of that byte, from 1.
	BadLine int
}

func (e *Base64Error) Error() string {
	return fmt.Sprintf("bad base64 in the PEM block %q (BEGIN at line %d): byte %d of its body, on line %d, is not base64", e.Type, e.Line, e.Offset, e.BadLine)
}

// MissingEndError is a PEM block with no END line: a file cut short.
type MissingEndError struct {
	Type string
	Line int // the line of its BEGIN, from 1
}

func (e *MissingEndError) Error() string {
	return fmt.Sprintf("truncated PEM: the block %q (BEGIN at line %d) has no END line", e.Type, e.Line)
}

// TruncatedError is DER cut short: an element whose header says it is
// longer than the bytes left.
type TruncatedError struct {
	Offset int // where the element starts
	Want   int // its length, header and content (-1: the header itself is cut)
	Have   int // the bytes there are from Offset
}

func (e *TruncatedError) Error() string {
	if e.Want < 0 {
		return fmt.Sprintf("truncated DER: the length of the element at offset %d is cut (%d bytes left)", e.Offset, e.Have)
	}
	return fmt.Sprintf("truncated DER: the element at offset %d is %d bytes long, only %d are there", e.Offset, e.Want, e.Have)
}

// ErrNotCertificate is an input that is neither PEM, DER, PKCS#7 nor
// PKCS#12.
var ErrNotCertificate = errors.New("not a certificate: neither PEM, DER, PKCS#7 nor PKCS#12")

// checkDER returns a *TruncatedError when b, read as DER, is cut short:
// its outer element, or the first element inside it that runs past the end
// (a certificate is a SEQUENCE of SEQUENCEs). It returns nil when b is
// not cut, or does not look like DER at all.
func checkDER(b []byte) error {
	if len(b) == 0 || b[0] != 0x30 { // every certificate form is a SEQUENCE
		return nil
	}
	off := 0
	// Walk down the first constructed elements: a certificate cut in
	// its middle shows at the outer SEQUENCE already, but a file whose
	// outer length was rewritten shows only inside.
	for depth := 0; depth < 4 && off < len(b); depth++ {
		hdr, n, ok := derHeader(b[off:])
		if !ok {
			if depth == 0 {
				return nil
			}
			return &TruncatedError{Offset: off, Want: -1, Have: len(b) - off}
		}
		if hdr+n > len(b)-off {
			return &TruncatedError{Offset: off, Want: hdr + n, Have: len(b) - off}
		}
		if b[off]&0x20 == 0 { // primitive: nothing inside
			return nil
		}
		off += hdr
	}
	return nil
}

// derHeader reads the header of a DER element: its length and that of the
// content. ok is false when the header is cut or is not DER (a tag of more
// than one byte, an indefinite or over-long length).
func derHeader(b []byte) (hdr, n int, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, 0, false
	}
	l := int(b[1])
	if l < 0x80 {
		return 2, l, true
	}
	k := l & 0x7f
	if k == 0 || k > 4 || len(b) < 2+k {
		return 0, 0, false
	}
	n = 0
	for _, c := range b[2 : 2+k] {
		n = n<<8 | int(c)
	}
	return 2 + k, n, true
}

// FindPEM returns the first PEM block of b whose type match accepts. When
// there is none, it says why if a block could not be read (no END line,
// bad base64), else it returns nil, nil.
func FindPEM(b []byte, match func(typ string) bool) (*pem.Block, error) {
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if match(blk.Type) {
			return blk, nil
		}
	}
	return nil, pemError(b)
}

// pemError explains why pem.Decode skipped a block of b: the first block
// whose body is not base64, or that has no END line. It returns nil when
// it finds no such block.
func pemError(b []byte) error {
	line := 1
	for {
		i := bytes.Index(b, []byte("-----BEGIN "))
		if i < 0 {
			return nil
		}
		line += bytes.Count(b[:i], []byte("\n"))
		b = b[i+len("-----BEGIN "):]
		j := bytes.Index(b, []byte("-----"))
		if j < 0 || bytes.IndexByte(b[:j], '\n') >= 0 {
			continue
		}
		typ := string(b[:j])
		b = b[j+len("-----"):]
		endLine := []byte("-----END " + typ + "-----")
		end := bytes.Index(b, endLine)
		if end < 0 {
			return &MissingEndError{Type: typ, Line: line}
		}
		if off, at := checkBase64(b[:end]); off >= 0 {
			return &Base64Error{Type: typ, Line: line, Offset: off, BadLine: line + bytes.Count(b[:at], []byte("\n"))}
		}
		line += bytes.Count(b[:end], []byte("\n"))
		b = b[end+len(endLine):]
	}
}

// checkBase64 returns the offset of the first byte of a PEM body that is
// not base64 (line breaks removed) and its index in body, or -1.
func checkBase64(body []byte) (off int64, at int) {
	start := 0
	// Headers (Proc-Type: …) end at an empty line.
	if bytes.Contains(body, []byte(":")) {
		if e := bytes.Index(body, []byte("\n\n")); e >= 0 {
			start = e + 2
		} else if e := bytes.Index(body, []byte("\r\n\r\n")); e >= 0 {
			start = e + 4
		}
	}
	clean := make([]byte, 0, len(body))
	index := make([]int, 0, len(body)) // where each byte of clean is in body
	for i, c := range body[start:] {
		if c != '\n' && c != '\r' && c != ' ' && c != '\t' {
			clean = append(clean, c)
			index = append(index, start+i)
		}
	}
	_, err := base64.StdEncoding.DecodeString(string(clean))
	var ce base64.CorruptInputError
	if !errors.As(err, &ce) {
		return -1, 0
	}
	at = len(body)
	if int(ce) < len(index) {
		at = index[ce]
	}
	return int64(ce), at
}
