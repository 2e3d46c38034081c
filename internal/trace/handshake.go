// This file holds handshake reassembly: handshake messages are cut from the
// contents of handshake records, where a record can hold several messages
// and a message can span several records (RFC 8446, Section 5.1; RFC 5246,
// Section 6.2.1). Each message has a 4-byte header, its type and a 24-bit
// length (RFC 8446, Section 4; RFC 5246, Section 7.4).

package trace

import (
	"fmt"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// reassembler is the handshake reassembly state of one direction.
type reassembler struct {
	// buf holds the start of a message not yet complete, across records.
	buf []byte
	// in is what is left of the record content being reassembled.
	in []byte
}

// feed starts reassembling the content of one handshake record.
func (r *reassembler) feed(b []byte) {
	if len(r.buf) > 0 {
		r.buf = append(r.buf, b...)
		b = r.buf
	}
	r.in = b
}

// next returns the next whole message (header and body) of what was fed,
// as a copy that the caller may keep, or nil at the end of it; the start of
// a message that continues in a later record is then kept. A message
// longer than wire.MaxHandshake ends the reassembly of what was fed with a
// *messageTooLargeError, and one whose header claims more than its type
// can hold with a *LengthError; what was held is then dropped.
func (r *reassembler) next() ([]byte, error) {
	b := r.in
	if len(b) >= wire.HandshakeHeaderLen {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if most, ok := wire.MaxBodyLen(wire.HandshakeType(b[0])); ok && n > most {
			r.buf, r.in = nil, nil
			return nil, &LengthError{Type: wire.HandshakeType(b[0]), Claimed: n, Max: most, Held: min(n, len(b)-wire.HandshakeHeaderLen)}
		}
		if n > wire.MaxHandshake {
			r.buf, r.in = nil, nil
			return nil, &messageTooLargeError{Type: wire.HandshakeType(b[0]), Length: n}
		}
		if len(b) >= wire.HandshakeHeaderLen+n {
			r.in = b[wire.HandshakeHeaderLen+n:]
			return clone(b[:wire.HandshakeHeaderLen+n]), nil
		}
	}
	if len(b) == 0 {
		r.buf = nil
	} else {
		r.buf = clone(b)
	}
	r.in = nil
	return nil, nil
}

// reset drops what is held (bytes went missing).
func (r *reassembler) reset() { r.buf, r.in = nil, nil }

// held returns the type of the message held and the length its header
// announces (0 when the header itself is cut), and whether one is held.
func (r *reassembler) held() (wire.HandshakeType, int, bool) {
	if len(r.buf) == 0 {
		return 0, 0, false
	}
	n := 0
	if len(r.buf) >= wire.HandshakeHeaderLen {
		n = wire.HandshakeHeaderLen + (int(r.buf[1])<<16 | int(r.buf[2])<<8 | int(r.buf[3]))
	}
	return wire.HandshakeType(r.buf[0]), n, true
}

// messageTooLargeError is a handshake message longer than tlstrace
// reassembles.
type messageTooLargeError struct {
	Type   wire.HandshakeType
	Length int
}

func (e *messageTooLargeError) Error() string {
	return fmt.Sprintf("handshake message of %d bytes is larger than tlstrace accepts (%d); the rest of this side's handshake is not decoded", e.Length, wire.MaxHandshake)
}
