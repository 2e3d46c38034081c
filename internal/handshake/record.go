// This file holds the record layer (RFC 8446, Section 5; RFC 5246, Section
// 6): reading and writing records, protected with tlscrypt's Encrypter and
// Decrypter once keys are set, handshake message reassembly, the
// transcript, alerts and key log lines.

package handshake

import (
	"bufio"
	"crypto"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Record content types (RFC 8446, Section 5.1).
const (
	recordChangeCipherSpec uint8 = 20
	recordAlert            uint8 = 21
	recordHandshake        uint8 = 22
	recordApplicationData  uint8 = 23
)

const (
	alertLevelWarning = wire.AlertWarning
	alertLevelFatal   = wire.AlertFatal
	// maxIgnoredRecords bounds the records in a row that carry nothing
	// (empty records, warning alerts, TLS 1.3 change_cipher_spec), so
	// that a peer cannot keep a handshake busy with them.
	maxIgnoredRecords = 16
)

func recordTypeName(t uint8) string { return wire.ContentType(t).String() }

// recordReader is the reading half of the record layer.
type recordReader struct {
	r   *bufio.Reader
	dec *tlscrypt.Decrypter
	// tls13 is set once TLS 1.3 is negotiated: records are then
	// protected with inner content types, and a plaintext
	// change_cipher_spec is ignored during the handshake (RFC 8446,
	// Section 5).
	tls13 bool
	// ccsAllowed allows those change_cipher_spec records.
	ccsAllowed bool
	// hsBuf holds handshake bytes read but not yet returned as whole
	// messages.
	hsBuf []byte
	// buf is reused to read record bodies.
	buf []byte
	// ignored counts the records in a row that carried nothing.
	ignored int
}

// recordWriter is the writing half.
type recordWriter struct {
	w   io.Writer
	enc *tlscrypt.Encrypter
	// version is the record version of plaintext records (0x0301 for a
	// first ClientHello, as most clients send, then the negotiated one;
	// TLS 1.3 sends 0x0303).
	version uint16
	buf     []byte
}

// setReadKeys switches the reading half to new keys. A handshake message
// may not span a key change (RFC 8446, Section 5.1).
func (c *Conn) setReadKeys(d *tlscrypt.Decrypter) error {
	if len(c.in.hsBuf) != 0 {
		return c.fail(wire.AlertUnexpectedMessage, errors.New("a handshake message spans a change of keys"))
	}
	c.in.dec = d
	return nil
}

// setWriteKeys switches the writing half to new keys.
func (c *Conn) setWriteKeys(e *tlscrypt.Encrypter) {
	c.out.enc = e
}

// readRecord reads one record and returns its content type and
// plaintext. Alerts end reading: close_notify as io.EOF, others as an
// *AlertError (TLS 1.0-1.2 warnings other than close_notify are skipped).
// A record that does not decrypt, or that is too long, is answered with
// the alert the RFCs name.
func (c *Conn) readRecord() (uint8, []byte, error) {
	for {
		typ, data, err := c.readOneRecord()
		if err != nil {
			return 0, nil, err
		}
		switch {
		case typ == recordAlert:
			if len(data) != 2 {
				return 0, nil, c.fail(wire.AlertDecodeError, fmt.Errorf("an alert of %d bytes", len(data)))
			}
			desc := data[1]
			if wire.AlertDescription(desc) == wire.AlertCloseNotify {
				return 0, nil, io.EOF
			}
			if wire.AlertLevel(data[0]) == wire.AlertWarning && !c.in.tls13 {
				if err := c.countIgnored(); err != nil {
					return 0, nil, err
				}
				continue
			}
			// An error alert closes the connection at once (RFC 5246,
			// Section 7.2.2; RFC 8446, Section 6.2): nothing more is
			// sent on it, close_notify included.
			c.closedByPeer()
			return 0, nil, &AlertError{Alert: desc}
		case len(data) == 0 && typ != recordApplicationData:
			// Empty handshake or alert records are not allowed (RFC
			// 8446, Section 5.1); before TLS 1.3 they are tolerated,
			// within bounds.
			if c.in.tls13 {
				return 0, nil, c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("an empty %s record", recordTypeName(typ)))
			}
			if err := c.countIgnored(); err != nil {
				return 0, nil, err
			}
			continue
		}
		c.in.ignored = 0
		return typ, data, nil
	}
}

func (c *Conn) countIgnored() error {
	c.in.ignored++
	if c.in.ignored > maxIgnoredRecords {
		return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("more than %d records in a row carry nothing", maxIgnoredRecords))
	}
	return nil
}

// readOneRecord reads and opens one record, skipping a TLS 1.3
// change_cipher_spec.
func (c *Conn) readOneRecord() (uint8, []byte, error) {
	for {
		var hdr [tlscrypt.RecordHeaderLen]byte
		if _, err := io.ReadFull(c.in.r, hdr[:]); err != nil {
			if err == io.ErrUnexpectedEOF {
				return 0, nil, fmt.Errorf("tls: the connection closed inside a record header: %w", err)
			}
			return 0, nil, err
		}
		typ := hdr[0]
		n := int(binary.BigEndian.Uint16(hdr[3:]))
		if typ < recordChangeCipherSpec || typ > recordApplicationData || hdr[1] != 3 {
			return 0, nil, c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("the peer's bytes %x are not a TLS record header", hdr))
		}
		limit := wire.MaxPlaintext
		if c.in.dec != nil {
			limit = tlscrypt.MaxCiphertext
			if c.in.tls13 {
				limit = wire.MaxCiphertextTLS13
			}
		}
		if n > limit {
			return 0, nil, c.fail(wire.AlertRecordOverflow, fmt.Errorf("a %s record of %d bytes, over the limit of %d", recordTypeName(typ), n, limit))
		}
		if cap(c.in.buf) < n {
			c.in.buf = make([]byte, n)
		}
		body := c.in.buf[:n]
		if _, err := io.ReadFull(c.in.r, body); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, fmt.Errorf("tls: the connection closed inside a record (%d bytes announced): %w", n, err)
		}
		if typ == recordChangeCipherSpec && c.in.tls13 {
			// RFC 8446, Section 5: a change_cipher_spec of one byte 1
			// during the handshake is dropped; any other is fatal.
			if !c.in.ccsAllowed || n != 1 || body[0] != 1 {
				return 0, nil, c.fail(wire.AlertUnexpectedMessage, errors.New("a change_cipher_spec record in TLS 1.3 outside the handshake or malformed"))
			}
			if err := c.countIgnored(); err != nil {
				return 0, nil, err
			}
			continue
		}
		if c.in.dec == nil {
			if c.in.tls13 && typ != recordHandshake && typ != recordAlert {
				return 0, nil, c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("a plaintext %s record in TLS 1.3", recordTypeName(typ)))
			}
			out := make([]byte, n)
			copy(out, body)
			return typ, out, nil
		}
		if c.in.tls13 && typ != recordApplicationData {
			if typ == recordAlert && n == 2 {
				// A plaintext alert from a peer that failed to
				// decrypt or parse (RFC 8446, Section 6 permits it
				// before it has keys).
				out := append([]byte(nil), body...)
				return typ, out, nil
			}
			return 0, nil, c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("a protected TLS 1.3 record of type %s", recordTypeName(typ)))
		}
		inner, pt, err := c.in.dec.Open(hdr[:], body)
		if err != nil {
			return 0, nil, c.fail(wire.AlertBadRecordMAC, fmt.Errorf("a record from the peer does not decrypt: %w", err))
		}
		if len(pt) > wire.MaxPlaintext {
			return 0, nil, c.fail(wire.AlertRecordOverflow, fmt.Errorf("a record of %d bytes of plaintext", len(pt)))
		}
		return inner, pt, nil
	}
}

// readHandshake returns the next whole handshake message (header and
// body), reading records as needed. The caller adds it to the transcript.
func (c *Conn) readHandshake() ([]byte, error) {
	for {
		msg, ok, err := c.nextBufferedMessage()
		if err != nil || ok {
			return msg, err
		}
		typ, data, err := c.readRecord()
		if err != nil {
			return nil, err
		}
		if typ != recordHandshake {
			return nil, c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("a %s record where a handshake message was expected", recordTypeName(typ)))
		}
		c.in.hsBuf = append(c.in.hsBuf, data...)
	}
}

// nextBufferedMessage returns a whole message from the buffer, if one is
// there.
func (c *Conn) nextBufferedMessage() ([]byte, bool, error) {
	b := c.in.hsBuf
	if len(b) < wire.HandshakeHeaderLen {
		return nil, false, nil
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if most, ok := wire.MaxBodyLen(wire.HandshakeType(b[0])); ok && n > most {
		// Its length lies: waiting for the bytes it claims would wait
		// for what no peer should send.
		return nil, false, c.fail(wire.AlertDecodeError, fmt.Errorf("a %s message claims %d bytes, more than one can hold (%d)", wire.HandshakeType(b[0]), n, most))
	}
	if n > wire.MaxHandshake {
		return nil, false, c.fail(wire.AlertDecodeError, fmt.Errorf("a %s message of %d bytes, over the limit of %d", wire.HandshakeType(b[0]), n, wire.MaxHandshake))
	}
	if len(b) < wire.HandshakeHeaderLen+n {
		return nil, false, nil
	}
	msg := append([]byte(nil), b[:wire.HandshakeHeaderLen+n]...)
	c.in.hsBuf = b[wire.HandshakeHeaderLen+n:]
	if len(c.in.hsBuf) == 0 {
		c.in.hsBuf = nil
	}
	return msg, true, nil
}

// readChangeCipherSpec reads the change_cipher_spec record of TLS 1.0-1.2
// (RFC 5246, Section 7.1), which must not interrupt a handshake message.
func (c *Conn) readChangeCipherSpec() error {
	if len(c.in.hsBuf) != 0 {
		return c.fail(wire.AlertUnexpectedMessage, errors.New("change_cipher_spec inside a handshake message"))
	}
	typ, data, err := c.readRecord()
	if err != nil {
		return err
	}
	if typ != recordChangeCipherSpec || len(data) != 1 || data[0] != 1 {
		return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("a %s record where change_cipher_spec was expected", recordTypeName(typ)))
	}
	return nil
}

// writeRecord writes data as records of content type typ, protected if
// keys are set, in one write to the connection.
func (c *Conn) writeRecord(typ uint8, data []byte) error {
	out := c.out.buf[:0]
	for first := true; first || len(data) > 0; first = false {
		chunk := data[:min(len(data), wire.MaxPlaintext)]
		data = data[len(chunk):]
		var err error
		if c.out.enc != nil {
			out, err = c.out.enc.Seal(out, typ, c.out.version, chunk)
		} else {
			out, err = wire.AppendRecord(out, wire.ContentType(typ), c.out.version, chunk)
		}
		if err != nil {
			return fmt.Errorf("tls: sealing a record: %w", err)
		}
	}
	c.out.buf = out
	if _, err := c.out.w.Write(out); err != nil {
		return fmt.Errorf("tls: writing a %s record: %w", recordTypeName(typ), err)
	}
	return nil
}

// writeHandshake writes handshake messages, in one record when they fit,
// and adds them to the transcript.
func (c *Conn) writeHandshake(msgs ...[]byte) error {
	var all []byte
	for _, m := range msgs {
		c.transcript.add(m)
		all = append(all, m...)
	}
	return c.writeRecord(recordHandshake, all)
}

// writeChangeCipherSpec writes a change_cipher_spec record.
func (c *Conn) writeChangeCipherSpec() error {
	return c.writeRecord(recordChangeCipherSpec, []byte{1})
}

// fail sends a fatal alert, best effort, and returns the *AlertError that
// ends the handshake: err says which check failed and why.
func (c *Conn) fail(desc wire.AlertDescription, err error) error {
	if !c.handshaking {
		// After the handshake, reading and writing run apart.
		c.outMu.Lock()
		defer c.outMu.Unlock()
	}
	if !c.closeSent {
		c.sendAlertLocked(alertLevelFatal, desc)
		c.closeSent = true
	}
	return &AlertError{Alert: uint8(desc), Sent: true, Err: err}
}

// closedByPeer records that the peer ended the connection with an error
// alert, after which this side sends nothing (Write and CloseWrite then
// send no record).
func (c *Conn) closedByPeer() {
	if !c.handshaking {
		c.outMu.Lock()
		defer c.outMu.Unlock()
	}
	c.closeSent = true
}

// sendAlertLocked writes an alert record; the caller holds the write side.
func (c *Conn) sendAlertLocked(level wire.AlertLevel, desc wire.AlertDescription) error {
	return c.writeRecord(recordAlert, wire.MarshalAlert(level, desc))
}

// transcript holds the handshake messages of a handshake, hashed on demand
// with the hash of the negotiated suite.
type transcript struct {
	msgs []byte
}

func (t *transcript) add(msgs ...[]byte) {
	for _, m := range msgs {
		t.msgs = append(t.msgs, m...)
	}
}

// sum returns Hash(messages so far).
func (t *transcript) sum(h crypto.Hash) []byte {
	w := h.New()
	w.Write(t.msgs)
	return w.Sum(nil)
}

// sumWith returns Hash(messages so far + more), leaving the transcript as
// it is.
func (t *transcript) sumWith(h crypto.Hash, more []byte) []byte {
	w := h.New()
	w.Write(t.msgs)
	w.Write(more)
	return w.Sum(nil)
}

// restartForHelloRetry replaces the transcript, which holds the first
// ClientHello alone, by the synthetic message_hash message that stands for
// it (RFC 8446, Section 4.4.1).
func (t *transcript) restartForHelloRetry(h crypto.Hash) {
	sum := t.sum(h)
	t.msgs = append([]byte{byte(wire.TypeMessageHash), 0, 0, byte(len(sum))}, sum...)
}

// logKey writes one NSS key log line, if a key log is configured.
func (c *Conn) logKey(label string, clientRandom, secret []byte) error {
	if c.cfg.KeyLog == nil {
		return nil
	}
	if err := keylog.WriteLine(c.cfg.KeyLog, label, clientRandom, secret); err != nil {
		return c.fail(wire.AlertInternalError, fmt.Errorf("writing the key log: %w", err))
	}
	return nil
}

// macEqual compares two MACs in constant time.
func macEqual(a, b []byte) bool { return hmac.Equal(a, b) }
