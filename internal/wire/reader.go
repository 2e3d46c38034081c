package wire

import (
	"fmt"

	"github.com/tlstrace/tlstrace/internal/field"
	"golang.org/x/crypto/cryptobyte"
)

// ParseError says where and why a message could not be decoded. The fields
// read before the failure are kept in the message.
type ParseError struct {
	// Message is the handshake message or structure being read.
	Message string
	// Field is the field that could not be read.
	Field string
	// Offset is the position of that field from the start of the message.
	Offset int
	// Reason says what was wrong.
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("wire: %s: %s at offset %d: %s", e.Message, e.Field, e.Offset, e.Reason)
}

// decoder holds what every reader of one message shares: the anomalies found
// and the first error.
type decoder struct {
	msg       string
	anomalies []field.Anomaly
	err       *ParseError
}

func (d *decoder) anomaly(off int, format string, args ...any) {
	if len(d.anomalies) >= maxAnomalies {
		return
	}
	d.anomalies = append(d.anomalies, field.Anomaly{Offset: off, Text: fmt.Sprintf(format, args...)})
}

func (d *decoder) fail(off int, name, reason string) {
	if d.err == nil {
		d.err = &ParseError{Message: d.msg, Field: name, Offset: off, Reason: reason}
	}
}

// reader reads fields from a cryptobyte.String and records each one, with its
// byte span, in a field tree. Every read reports whether it succeeded; after a
// failure the decoder holds a ParseError naming the field and offset, and the
// tree keeps what was read before it.
//
// A reader for a length-prefixed vector only ever sees the bytes inside the
// prefix, so an over-read cannot cross into the next field.
type reader struct {
	s    cryptobyte.String
	end  int // offset, in the message, of the byte just past s
	node *field.Node
	d    *decoder
}

func newReader(d *decoder, b []byte, base int, node *field.Node) *reader {
	return &reader{s: cryptobyte.String(b), end: base + len(b), node: node, d: d}
}

// off returns the offset in the message of the next unread byte.
func (r *reader) off() int { return r.end - len(r.s) }

func (r *reader) empty() bool { return len(r.s) == 0 }

func (r *reader) truncated(name string, want int) bool {
	r.d.fail(r.off(), name, fmt.Sprintf("need %d bytes, %d left", want, len(r.s)))
	return false
}

func (r *reader) add(n *field.Node, start int) *field.Node {
	n.Offset = start
	n.Length = r.off() - start
	return r.node.Add(n)
}

// uint reads an n-byte big-endian integer without recording it.
func (r *reader) rawUint(name string, n int) (uint64, bool) {
	if len(r.s) < n {
		return 0, r.truncated(name, n)
	}
	var v uint64
	for _, c := range r.s[:n] {
		v = v<<8 | uint64(c)
	}
	r.s = r.s[n:]
	return v, true
}

// uintField reads and records an n-byte integer.
func (r *reader) uintField(name string, n int) (uint64, bool) {
	start := r.off()
	v, ok := r.rawUint(name, n)
	if ok {
		r.add(&field.Node{Name: name, Kind: field.Uint, Uint: v}, start)
	}
	return v, ok
}

func (r *reader) u8(name string) (uint8, bool) {
	v, ok := r.uintField(name, 1)
	return uint8(v), ok
}

func (r *reader) u16(name string) (uint16, bool) {
	v, ok := r.uintField(name, 2)
	return uint16(v), ok
}

func (r *reader) u24(name string) (uint32, bool) {
	v, ok := r.uintField(name, 3)
	return uint32(v), ok
}

func (r *reader) u32(name string) (uint32, bool) {
	v, ok := r.uintField(name, 4)
	return uint32(v), ok
}

// enum reads and records an n-byte code point named by namer. It returns the
// node so that the caller can attach a note.
func (r *reader) enum(name string, n int, namer func(uint64) string) (uint64, *field.Node, bool) {
	start := r.off()
	v, ok := r.rawUint(name, n)
	if !ok {
		return 0, nil, false
	}
	node := r.add(&field.Node{Name: name, Kind: field.Enum, Uint: v, Str: namer(v)}, start)
	return v, node, true
}

func (r *reader) enum8(name string, namer func(uint64) string) (uint8, bool) {
	v, _, ok := r.enum(name, 1, namer)
	return uint8(v), ok
}

func (r *reader) enum16(name string, namer func(uint64) string) (uint16, bool) {
	v, n, ok := r.enum(name, 2, namer)
	if ok && isGREASE(uint16(v)) {
		n.Note = "GREASE"
	}
	return uint16(v), ok
}

// bytes reads and records n opaque bytes.
func (r *reader) bytes(name string, n int) ([]byte, bool) {
	start := r.off()
	var b []byte
	if !r.s.ReadBytes(&b, n) {
		return nil, r.truncated(name, n)
	}
	r.add(&field.Node{Name: name, Kind: field.Bytes, Bytes: b}, start)
	return b, true
}

// rest reads and records all remaining bytes.
func (r *reader) rest(name string) []byte {
	b, _ := r.bytes(name, len(r.s))
	return b
}

// prefixed reads a vector with an lenBytes-byte length prefix and returns its
// contents, without recording anything.
func (r *reader) prefixed(name string, lenBytes int) ([]byte, int, bool) {
	n, ok := r.rawUint(name+" length", lenBytes)
	if !ok {
		return nil, 0, false
	}
	start := r.off()
	if uint64(len(r.s)) < n {
		r.d.fail(start, name, fmt.Sprintf("length %d exceeds the %d bytes left", n, len(r.s)))
		return nil, 0, false
	}
	b := []byte(r.s[:n])
	r.s = r.s[n:]
	return b, start, true
}

// opaque reads and records a length-prefixed byte string.
func (r *reader) opaque(name string, lenBytes int) ([]byte, bool) {
	start := r.off()
	b, _, ok := r.prefixed(name, lenBytes)
	if ok {
		r.add(&field.Node{Name: name, Kind: field.Bytes, Bytes: b}, start)
	}
	return b, ok
}

// text reads and records a length-prefixed string (host names, protocols).
func (r *reader) text(name string, lenBytes int) (string, bool) {
	start := r.off()
	b, _, ok := r.prefixed(name, lenBytes)
	if ok {
		r.add(&field.Node{Name: name, Kind: field.String, Str: string(b)}, start)
	}
	return string(b), ok
}

// vector reads a length-prefixed vector and returns a reader over its contents
// that records into a new child node of the given kind.
func (r *reader) vector(name string, lenBytes int, kind field.Kind) (*reader, bool) {
	start := r.off()
	b, inner, ok := r.prefixed(name, lenBytes)
	if !ok {
		return nil, false
	}
	n := r.add(&field.Node{Name: name, Kind: kind}, start)
	return &reader{s: cryptobyte.String(b), end: inner + len(b), node: n, d: r.d}, true
}

// list reads a length-prefixed vector of items, recorded as a List.
func (r *reader) list(name string, lenBytes int) (*reader, bool) {
	return r.vector(name, lenBytes, field.List)
}

// object reads a length-prefixed structure, recorded as an Object.
func (r *reader) object(name string, lenBytes int) (*reader, bool) {
	return r.vector(name, lenBytes, field.Object)
}

// item starts a new unnamed Object item in a List reader; the item's span is
// fixed by finish.
func (r *reader) item() *reader {
	n := r.node.Add(&field.Node{Kind: field.Object, Offset: r.off()})
	return &reader{s: r.s, end: r.end, node: n, d: r.d}
}

// finish ends an item started with item: the parent continues after what the
// item read.
func (r *reader) finish(it *reader) {
	it.node.Length = it.off() - it.node.Offset
	r.s = it.s
}

// done reports trailing bytes as an anomaly (crypto/tls rejects them; an
// observer records them).
func (r *reader) done(what string) {
	if len(r.s) > 0 {
		r.d.anomaly(r.off(), "%d trailing bytes after %s", len(r.s), what)
	}
}

// note sets a remark on the node most recently added.
func (r *reader) note(text string) {
	if k := len(r.node.Children); k > 0 {
		r.node.Children[k-1].Note = text
	}
}

// last returns the node most recently added.
func (r *reader) last() *field.Node {
	if k := len(r.node.Children); k > 0 {
		return r.node.Children[k-1]
	}
	return nil
}
