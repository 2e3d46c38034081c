// This file holds the state machine of a connection: what each record and
// handshake message does to it. Plaintext records are decoded by content
// type (RFC 8446, Section 5; RFC 5246, Section 6.2); encrypted ones are
// opened first (RFC 8446, Section 5.2; RFC 5246, Section 6.2.3). The
// ClientHello and ServerHello set the version, suite and randoms (RFC 8446,
// Section 4.1; RFC 5246, Section 7.4.1), after which a TLS 1.3 connection
// switches to handshake keys and each Finished to application keys (RFC
// 8446, Section 7.1); change_cipher_spec protects the records after it
// before TLS 1.3 (RFC 5246, Section 7.1); a HelloRetryRequest rejects early
// data (RFC 8446, Section 4.2.10); EndOfEarlyData and KeyUpdate change the
// client's and the sender's keys (RFC 8446, Sections 4.5 and 7.2); a
// ClientKeyExchange and NewSessionTicket carry what TLS 1.2 keys and
// resumption need (RFC 5246, Section 7.4.7; RFC 5077).

package trace

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

func recordInfo(h wire.RecordHeader) *Record {
	return &Record{
		Type:    Enum{Name: h.Type.String(), Value: uint64(h.Type)},
		Version: Enum{Name: wire.VersionName(h.Version), Value: uint64(h.Version)},
		Length:  h.Length,
	}
}

// checkPlaintextLength notes a record whose plaintext is over 2^14 bytes,
// which no version allows (RFC 8446, Section 5.1; RFC 5246, Section
// 6.2.1).
func checkPlaintextLength(info *Record, n int) {
	if n > wire.MaxPlaintext {
		info.Anomalies = append(info.Anomalies, field.Anomaly{Offset: 3, Text: fmt.Sprintf(
			"%d bytes of plaintext in one record, more than the %d any TLS version allows (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1): the peer must end the connection with record_overflow",
			n, wire.MaxPlaintext)})
	}
}

// checkCiphertextLength notes a protected record longer than its version
// allows: 2^14+256 bytes in TLS 1.3 (RFC 8446, Section 5.2), 2^14+2048
// before it (RFC 5246, Section 6.2.3), the larger of the two when the
// version is unknown.
func checkCiphertextLength(info *Record, version uint16, n int) {
	switch {
	case version == wire.VersionTLS13 && n > wire.MaxCiphertextTLS13:
		info.Anomalies = append(info.Anomalies, field.Anomaly{Offset: 3, Text: fmt.Sprintf(
			"a protected record of %d bytes, more than TLS 1.3 allows (%d; RFC 8446, Section 5.2): the peer must end the connection with record_overflow",
			n, wire.MaxCiphertextTLS13)})
	case version != wire.VersionTLS13 && n > wire.MaxCiphertext:
		info.Anomalies = append(info.Anomalies, field.Anomaly{Offset: 3, Text: fmt.Sprintf(
			"a protected record of %d bytes, more than any TLS version allows (%d; RFC 5246, Section 6.2.3; RFC 8446, Section 5.2): the peer must end the connection with record_overflow",
			n, wire.MaxCiphertext)})
	}
}

// checkInnerLength notes a TLS 1.3 record whose TLSInnerPlaintext
// (content, content type and zero padding) is over 2^14+1 bytes (RFC 8446,
// Section 5.4), when its content alone is not over 2^14 (which
// checkPlaintextLength notes): padding too long.
func checkInnerLength(info *Record, inner, content int) {
	if inner > wire.MaxPlaintext+1 && content <= wire.MaxPlaintext {
		info.Anomalies = append(info.Anomalies, field.Anomaly{Offset: 3, Text: fmt.Sprintf(
			"%d bytes of TLSInnerPlaintext in one record (%d of content, the content type and %d of zero padding), more than the %d TLS 1.3 allows (RFC 8446, Section 5.4): the peer must end the connection with record_overflow",
			inner, content, inner-content-1, wire.MaxPlaintext+1)})
	}
}

// processRecord handles one complete record. It returns false, without
// doing anything, when the record needs a secret that is not known yet and
// the connection waits for secrets (unless force is set).
func (c *Conn) processRecord(from Side, at Stamp, rec []byte, force bool) bool {
	d := &c.dirs[from]
	if n, ok := wire.SSLv2HelloLen(rec); ok && n == len(rec) && !d.protected && c.version == 0 {
		c.sslv2Hello(from, at, rec)
		return true
	}
	h, _ := wire.ParseRecordHeader(rec)
	body := rec[wire.RecordHeaderLen:]
	info := recordInfo(h)
	encrypted := c.protectedRecord(d, h.Type)
	if !encrypted && c.midStream && c.version == 0 && c.clientRandom == nil && !plainAfterGap(h.Type, body) && !helloGoesOn(h.Type, body, &d.hs) {
		// No hello of this connection was seen, and the capture began
		// after the connection did (after its handshake): what does
		// not read as plaintext is the protected record it most likely
		// is, never plaintext, and no key can be looked up without the
		// client random. A connection whose start was seen sends
		// nothing protected before a hello: its records are plaintext,
		// however odd.
		info.Encrypted = true
		fields := field.NewObject("")
		fields.AddUint("length", uint64(len(body)))
		c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Error: ErrNoHandshake, Payload: &Data{Length: len(body), ErrorSaid: c.recordErrSaid(ErrNoHandshake)}})
		return true
	}
	if encrypted && d.unknownSuite && plainAfterGap(h.Type, body) {
		// Protected before any ServerHello was seen, so the version is
		// unknown: a record that cannot be ciphertext is plaintext (a
		// TLS 1.3 change_cipher_spec or alert, whose protected records
		// are application_data on the outside; a second ClientHello
		// after the middlebox compatibility change_cipher_spec of RFC
		// 8446, Appendix D.4, when the HelloRetryRequest is missing; a
		// two-byte alert, shorter than any TLS 1.0-1.2 protected
		// record).
		encrypted = false
	}
	if d.lost && !encrypted && !plainAfterGap(h.Type, body) {
		// Bytes of this side went missing, and with them perhaps the
		// change to protected records: what does not read as plaintext
		// is shown as the encrypted record it most likely is, never as
		// plaintext.
		encrypted = true
	}
	if !encrypted {
		checkPlaintextLength(info, len(body))
		c.content(from, at, info, h.Type, body, false)
		return true
	}
	checkCiphertextLength(info, c.version, len(body))
	info.Encrypted = true
	if c.version == 0 && !d.protected {
		// Application data before any ServerHello: the side's records
		// are protected from here on.
		d.setProtected()
		d.unknownSuite = true
	}
	if msg := c.keyless(d, h.Type); msg != "" {
		// No key can open it, and none will: it is shown as the
		// protected record it is, never as plaintext, and not held for
		// secrets.
		fields := field.NewObject("")
		fields.AddUint("length", uint64(len(body)))
		c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Error: msg, Payload: &Data{Length: len(body), ErrorSaid: c.recordErrSaid(msg)}})
		return true
	}
	if d.cur == nil && d.next == nil {
		c.loadKeys(d)
		if d.cur == nil && c.wait && !force {
			return false
		}
	}
	null := c.nullSuite()
	if null != nil && d.cur == nil && d.next == nil && !d.lost {
		// A NULL suite hides nothing: without keys the content is
		// shown, its MAC unchecked.
		if n := len(body) - null.MAC.Size(); n >= 0 {
			info.Encrypted, info.MAC = false, MACUnchecked
			checkPlaintextLength(info, n)
			c.content(from, at, info, h.Type, body[:n], false)
			return true
		}
	}
	ctype, plain, seq, err := c.decrypt(d, rec[:wire.RecordHeaderLen], body)
	var m *SecretMismatchError
	if err != nil && errors.As(err, &m) && m.key != nil && !m.key.wrong {
		// The first record under a secret's key does not open: the
		// side's next records tell whether the secret is wrong or the
		// record was altered. Until one comes, this one is held, and
		// the connection's records after it.
		var later []pendingRecord
		if len(c.pending) > 0 {
			later = c.pending[1:]
		}
		v, next, altered := c.judge(d, m, body, later, force)
		if v == verdictWait {
			d.awaiting = true
			return false
		}
		d.awaiting = false
		err = c.judged(d, m, body, v, next, altered)
	}
	if err != nil {
		fields := field.NewObject("")
		fields.AddUint("length", uint64(len(body)))
		c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Error: err.Error(), Payload: &Data{Length: len(body), ErrorSaid: c.recordErrSaid(err.Error())}})
		return true
	}
	info.seq = seq
	info.Seq = &info.seq
	if d.cur != nil {
		info.Key = d.cur.use
		info.EarlyData = d.cur.use != nil && d.cur.use.Secret == keylog.LabelClientEarlyTrafficSecret
	}
	if null != nil {
		info.Encrypted, info.MAC = false, MACVerified
	}
	if d.uncheckedIV {
		d.uncheckedIV = false
		info.Anomalies = append(info.Anomalies, field.Anomaly{Text: "its IV is the last ciphertext block of the record before, which did not authenticate and which this record's MAC does not cover (TLS 1.0 with encrypt_then_mac, RFC 7366): its first block of plaintext may be altered"})
	}
	if d.resynced {
		d.resynced = false
		missing := "bytes missing from the capture"
		if d.unreassembled {
			missing = "bytes in IP fragments that could not be reassembled"
		}
		if g := d.updatedInGap; g > 0 {
			d.updatedInGap = 0
			info.Anomalies = append(info.Anomalies, field.Anomaly{Text: fmt.Sprintf(
				"decrypted after %s, which held %d KeyUpdate%s of this side (RFC 8446, Section 7.2): the record authenticated under the traffic secret %d generation%s on, with sequence number %d",
				missing, g, map[bool]string{true: "s"}[g > 1], g, map[bool]string{true: "s"}[g > 1], seq)})
		} else {
			info.Anomalies = append(info.Anomalies, field.Anomaly{Text: fmt.Sprintf(
				"decrypted after %s: its sequence number (%d) was found again by trying those after the last one known, and the record authenticated with it", missing, seq)})
		}
	}
	checkPlaintextLength(info, len(plain))
	ct := wire.ContentType(ctype)
	if c.version == wire.VersionTLS13 || c.version == 0 {
		// A record decrypted before the ServerHello is 0-RTT data,
		// which is TLS 1.3: its content type is inside too.
		info.inner = Enum{Name: ct.String(), Value: uint64(ct)}
		info.InnerType = &info.inner
		if d.cur != nil {
			if s := d.cur.d.Suite(); s != nil {
				checkInnerLength(info, len(body)-s.TagLen(), len(plain))
			}
		}
	}
	// The plaintext is in the decrypter's reused buffer: application data
	// is shown from it (events are valid only while they are emitted);
	// what the decoder keeps (handshake messages) is copied.
	c.content(from, at, info, ct, plain, ct == wire.ContentApplicationData)
	return true
}

// nullSuite returns the connection's cipher suite when it is a NULL one,
// which protects records with a MAC only (RFC 5246, Section 6.2.3.1), or
// nil.
func (c *Conn) nullSuite() *tlscrypt.Suite {
	if c.version == 0 || c.version == wire.VersionTLS13 {
		return nil
	}
	if s, ok := tlscrypt.SuiteByID(c.suite); ok && s.Cipher == tlscrypt.Null {
		return s
	}
	return nil
}

// protectedRecord reports whether a record of type t from d's side is
// protected. A TLS 1.3 protected record is application_data on the outside
// (RFC 8446, Section 5.2); a side protected before the ServerHello sends
// 0-RTT data, which is TLS 1.3 too, and its change_cipher_spec (the
// middlebox compatibility one, Appendix D.4) is plaintext, unless the
// ServerHello is missing and the side went on past its change_cipher_spec
// or application data (unknownSuite). Application data is always
// protected: no version sends it before keys are in force (RFC 5246,
// Section 7.4.9; RFC 8446, Section 2), and a record of that type on a
// side not yet protected is one whose change to protected records the
// capture lacks (a ServerHello lost), not plaintext.
func (c *Conn) protectedRecord(d *direction, t wire.ContentType) bool {
	if t == wire.ContentApplicationData || d.unknownSuite {
		return true
	}
	tls13 := c.version == wire.VersionTLS13 || c.version == 0
	return d.protected && !tls13
}

// keyless returns why a protected record of type t from d's side cannot be
// decrypted whatever the secrets, or "": the ServerHello that names the
// cipher suite was not seen (but for the client's 0-RTT data, whose suite
// is found by trial), or application data came before the side's keys
// were in force.
func (c *Conn) keyless(d *direction, t wire.ContentType) string {
	switch {
	case c.version == 0 && d.side == Client && d.protected && !d.unknownSuite:
		// 0-RTT data under the early traffic secret (decryptEarly).
		return ""
	case c.version == 0 && c.clientRandom == nil && c.midStream:
		return ErrNoHandshake
	case c.version == 0 && c.clientRandom == nil:
		return ErrNoHello
	case c.version == 0:
		return ErrNoServerHello
	case !d.protected && !d.lost && t == wire.ContentApplicationData:
		return fmt.Sprintf("not decrypted: application data from the %s before the handshake put keys in force for its records (its change_cipher_spec in TLS 1.0-1.2, the ServerHello in TLS 1.3), and application data is never plaintext", d.side)
	}
	return ""
}

// maxRecordErrs bounds the reasons a connection remembers for
// Data.ErrorSaid; past it a new reason is shown every time.
const maxRecordErrs = 8

// recordErrSaid reports whether an earlier record of the connection failed
// to decrypt for the reason msg, and notes it otherwise.
func (c *Conn) recordErrSaid(msg string) bool {
	if slices.Contains(c.recordErrs, msg) {
		return true
	}
	if len(c.recordErrs) < maxRecordErrs {
		c.recordErrs = append(c.recordErrs, msg)
	}
	return false
}

// content handles the plaintext content of one record. owned says whether b
// is a fresh buffer (a decrypted record) that events may keep as it is.
func (c *Conn) content(from Side, at Stamp, info *Record, ct wire.ContentType, b []byte, owned bool) {
	d := &c.dirs[from]
	switch ct {
	case wire.ContentHandshake:
		c.handshake(from, at, info, b)
	case wire.ContentChangeCipherSpec:
		fields, anomalies, err := wire.ParseChangeCipherSpec(b)
		ev := &Event{From: from, Layer: LayerTLS, Type: TypeChangeCipherSpec, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Anomalies: anomalies, Raw: clone(b)}
		if err != nil {
			ev.Error = err.Error()
		}
		c.emit(ev)
		// In TLS 1.3 change_cipher_spec is only for middlebox
		// compatibility and changes nothing (RFC 8446, Section 5). In
		// TLS 1.2 and earlier the records after it are protected
		// (RFC 5246, Section 7.1).
		// Before any ServerHello the version is unknown: either way the
		// side's records from here on are protected (TLS 1.0-1.2), or
		// follow the client's middlebox compatibility change_cipher_spec
		// of RFC 8446, Appendix D.4, sent before its encrypted flight
		// (TLS 1.3), or that of a server after its first handshake
		// message; a 0-RTT client is protected already.
		switch {
		case c.version != 0 && c.version != wire.VersionTLS13:
			d.setProtected()
		case c.version == 0 && !d.protected:
			d.setProtected()
			d.unknownSuite = true
		}
	case wire.ContentAlert:
		fields, anomalies, err := wire.ParseAlert(b)
		ev := &Event{From: from, Layer: LayerTLS, Type: TypeAlert, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Anomalies: anomalies, Raw: clone(b), Payload: alertPayload(b)}
		if err != nil {
			ev.Error = err.Error()
		} else {
			c.evidence.alert(from, ev.Payload.(*Alert))
		}
		c.emit(ev)
	case wire.ContentApplicationData:
		if from <= Server {
			c.evidence.Data[from] += int64(len(b))
		}
		data := b
		if !owned {
			data = clone(b)
		}
		var fields *field.Node
		if !c.s.NoDataFields {
			fields = field.NewObject("")
			fields.AddUint("length", uint64(len(b)))
			fields.AddBytes("data", data)
		}
		// The most common event: it and its payload are made in one
		// allocation.
		e := &struct {
			ev Event
			p  Data
		}{Event{From: from, Layer: LayerTLS, Type: TypeApplicationData, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Raw: data}, Data{Length: len(data), Bytes: data}}
		e.ev.Payload = &e.p
		c.emit(&e.ev)
	default:
		data := clone(b)
		fields := field.NewObject("")
		fields.AddUint("length", uint64(len(b)))
		fields.AddBytes("data", data)
		typ := TypeHeartbeat
		if ct != wire.ContentHeartbeat {
			typ = ct.String()
		}
		c.emit(&Event{From: from, Layer: LayerTLS, Type: typ, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Raw: data, Payload: &Data{Length: len(data), Bytes: data}})
	}
}

// handshake passes the messages that the content of one handshake record
// completes to message.
func (c *Conn) handshake(from Side, at Stamp, info *Record, b []byte) {
	r := &c.dirs[from].hs
	r.feed(b)
	for whole := false; ; whole = true {
		msg, err := r.next()
		if err != nil {
			typ := wire.HandshakeType(0)
			var e *messageTooLargeError
			var le *LengthError
			var payload any
			switch {
			case errors.As(err, &e):
				typ = e.Type
				payload = &Message{MsgType: Enum{Name: typ.String(), Value: uint64(typ)}, HasMsgType: true}
			case errors.As(err, &le):
				typ, le.Side = le.Type, from
				payload = &Message{MsgType: Enum{Name: typ.String(), Value: uint64(typ)}, HasMsgType: true}
				if c.evidence.Length[from] == nil {
					c.evidence.Length[from] = le
				}
			}
			// The message's type is known from its header: its payload
			// says it (curl's view numbers the message by it).
			c.emit(&Event{From: from, Layer: LayerTLS, Type: typ.String(), Frame: at.Frame, Time: at.Time, Record: info,
				Payload: payload, Error: err.Error()})
			return
		}
		if msg == nil {
			if !whole {
				c.fragment(from, at, info, b)
			}
			return
		}
		c.message(from, at, info, msg)
	}
}

// earlyDataAnswer says, on the EncryptedExtensions of a connection whose
// ClientHello offered early data, whether the server took it: with an
// early_data extension there, or not, and then the client's 0-RTT records
// were discarded (RFC 8446, Section 4.2.10).
func (c *Conn) earlyDataAnswer(ev *Event, ee *EncryptedExtensions, m *wire.Message) {
	accepted := slices.ContainsFunc(m.EncryptedExtensions.Extensions, func(x wire.Extension) bool { return x.Type == wire.ExtEarlyData })
	ee.EarlyData = &accepted
	if ev.Fields != nil {
		ev.Fields.Note = "the server accepted the client's early data (0-RTT)"
		if !accepted {
			ev.Fields.Note = "the server rejected the client's early data: no early_data extension here, so its 0-RTT records were discarded, and their data is no part of the application data the server read (RFC 8446, Section 4.2.10)"
		}
	}
}

// fragment shows a handshake record that completed no message: every
// record is shown, and this one's bytes are part of a message a later
// record completes. An empty one, which the RFCs forbid, is shown too,
// with that said.
func (c *Conn) fragment(from Side, at Stamp, info *Record, b []byte) {
	hs := &c.dirs[from].hs
	typ, n, held := hs.held()
	if len(b) == 0 {
		info.Anomalies = append(info.Anomalies, field.Anomaly{Offset: 3,
			Text: "a handshake record with no content, which RFC 8446 (Section 5.1) and RFC 5246 (Section 6.2.1) forbid"})
	} else if !held {
		return // cannot be: bytes that complete no message are held
	}
	p := &HandshakeFragment{Bytes: len(b), Held: len(hs.buf), Length: n}
	if held {
		p.Message = Enum{Name: typ.String(), Value: uint64(typ)}
	}
	c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeHandshakeFragment, Frame: at.Frame, Time: at.Time, Record: info,
		Fields: p.Tree(), Raw: clone(b), Payload: p})
}

// message decodes one handshake message, emits it and applies it.
func (c *Conn) message(from Side, at Stamp, info *Record, raw []byte) {
	ctx := wire.Context{Version: c.version, CipherSuite: c.suite, FromServer: from == Server}
	m := wire.ParseHandshake(ctx, raw)
	ev := &Event{From: from, Layer: LayerTLS, Type: m.Type.String(), Frame: at.Frame, Time: at.Time,
		Record: info, Fields: m.Fields, Anomalies: m.Anomalies, Raw: raw, Payload: NewMessage(m, int(raw[0]))}
	if m.Err != nil {
		ev.Error = m.Err.Error()
	}
	if p := ev.Payload.(*Message); p.EncryptedExtensions != nil && from == Server && c.earlyOffered {
		c.earlyDataAnswer(ev, p.EncryptedExtensions, m)
	}
	if c.version != wire.VersionTLS13 {
		if m.Type == wire.TypeClientHello && c.version != 0 {
			// A renegotiation: its Finished and session hash cover
			// its own messages only (RFC 5246, Section 7.4.9).
			c.sessionHash, c.cke, c.emsHash, c.clientLeaf = tlscrypt.SessionHash{}, false, nil, nil
		}
		switch {
		case m.Type == wire.TypeFinished && m.Err == nil:
			c.checkFinished(from, ev, m)
		case m.Type == wire.TypeCertificateVerify && m.Err == nil:
			c.checkCertificateVerify(from, ev, m)
		case m.Type == wire.TypeCertificate && from == Client && m.Certificate != nil && len(m.Certificate.Certs) > 0:
			c.clientLeaf = clone(m.Certificate.Certs[0])
		}
		// HelloRequest is left out of the handshake hashes (RFC 5246,
		// Section 7.4.1.1).
		if m.Type != wire.TypeHelloRequest {
			c.sessionHash.Write(raw)
		}
	}
	c.emit(ev)
	c.evidence.message(from, m)
	c.advance(from, m)
}

// checkCertificateVerify checks the signature of an SSL 3.0, TLS 1.0 or
// TLS 1.1 client's CertificateVerify with the key of its certificate (RSA
// or ECDSA) over what the version signs: MD5 and SHA-1 of the handshake
// messages keyed with the master secret, which must then be known, in SSL
// 3.0 (RFC 6101, Section 5.6.8), MD5 and SHA-1 of the handshake messages
// in TLS 1.0 and 1.1 (RFC 2246, Section 7.4.8); an ECDSA key signs the
// SHA-1 part only (RFC 4492, Section 5.8). The fields say that it
// verified (a note on the message and on its signature), the event's
// error that it did not. TLS 1.2 signatures, which hash the messages with
// the scheme's hash, are not checked.
func (c *Conn) checkCertificateVerify(from Side, ev *Event, m *wire.Message) {
	if from != Client || c.version > wire.VersionTLS11 || c.clientLeaf == nil || m.Signed == nil || m.Signed.SignatureField == nil {
		return
	}
	cert, err := x509.ParseCertificate(c.clientLeaf)
	if err != nil {
		return
	}
	hashes, section := c.sessionHash.Sum(), "RFC 2246, Section 7.4.8"
	if c.version == wire.VersionSSL30 {
		suite, ok := tlscrypt.SuiteByID(c.suite)
		if !ok {
			return
		}
		master, _, _ := c.masterSecret(suite)
		if master == nil {
			return
		}
		hashes, section = c.sessionHash.SSL3CertificateVerify(master), "RFC 6101, Section 5.6.8"
	}
	if len(hashes) != md5.Size+sha1.Size {
		return
	}
	sig := m.Signed.Signature
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(k, crypto.MD5SHA1, hashes, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, hashes[md5.Size:], sig) {
			err = errors.New("the ECDSA signature does not verify")
		}
	default:
		return
	}
	if err != nil {
		ev.Error = fmt.Sprintf("the client's CertificateVerify does not verify with the public key of its certificate over the handshake messages (%s): %v", section, err)
		return
	}
	note := "verified with the client certificate's key over the handshake messages (" + section + ")"
	m.Fields.Note = "signature " + note
	m.Signed.SignatureField.Note = note
}

// checkFinished checks the verify_data of an SSL 3.0 or TLS 1.0-1.2
// Finished against the one the master secret and the handshake messages
// before it give (RFC 6101, Section 5.6.9; RFC 5246, Section 7.4.9), when
// the master secret is known: the fields say that it matches (a note on
// the message and on its verify_data), the event's error that it does
// not.
func (c *Conn) checkFinished(from Side, ev *Event, m *wire.Message) {
	suite, ok := tlscrypt.SuiteByID(c.suite)
	if !ok || c.master == nil || m.Finished == nil || from > Server {
		return
	}
	want := c.sessionHash.Finished(c.version, suite, c.master, from == Client)
	if want == nil {
		return
	}
	section := "RFC 5246, Section 7.4.9"
	if c.version == wire.VersionSSL30 {
		section = "RFC 6101, Section 5.6.9"
	}
	if !hmac.Equal(want, m.Finished.VerifyData) {
		ev.Error = fmt.Sprintf("the %s's Finished does not match the handshake: it holds %x where the master secret and the handshake messages give %x (%s)",
			from, m.Finished.VerifyData, want, section)
		return
	}
	note := "matches the master secret and the handshake messages (" + section + ")"
	m.Fields.Note = "verify_data " + note
	for _, f := range m.Finished.Fields {
		f.Note = note
	}
	if p, ok := ev.Payload.(*Message); ok {
		p.FinishedVerified = true
	}
}

// extSessionTicket is the session_ticket extension (RFC 5077).
const extSessionTicket = 35

// advance applies a handshake message to the connection: it moves the key
// schedule on.
func (c *Conn) advance(from Side, m *wire.Message) {
	d := &c.dirs[from]
	switch m.Type {
	case wire.TypeClientHello:
		if ch := m.ClientHello; ch != nil {
			// A TLS 1.2 renegotiation brings new randoms; its keys take
			// over at the next change_cipher_spec.
			c.clientRandom = ch.Random
			c.offered = ch.CipherSuites
			c.offeredSessionID = ch.SessionID
			c.offeredTicket = nil
			for _, e := range ch.Extensions {
				if e.Type == extSessionTicket && len(e.Data) > 0 {
					c.offeredTicket = e.Data
				}
			}
			c.earlyData = ch.EarlyData
			// After a HelloRetryRequest the second ClientHello offers
			// no early data (RFC 8446, Section 4.1.2), but the first
			// one's 0-RTT records were sent, and rejected.
			c.earlyOffered = c.earlyOffered || ch.EarlyData
			if ch.EarlyData && c.version == 0 {
				// 0-RTT records follow, under the client early traffic
				// secret (RFC 8446, Section 2.3).
				d.earlyKeys()
			}
		}
	case wire.TypeServerHello:
		sh := m.ServerHello
		if sh == nil {
			return
		}
		c.version = sh.NegotiatedVersion()
		c.suite = sh.CipherSuite
		c.serverRandom = sh.Random
		c.etm = sh.EncryptThenMAC
		c.ems = sh.ExtendedMasterSecret
		c.sessionID = sh.SessionID
		suite, _ := tlscrypt.SuiteByID(c.suite)
		c.sessionHash.Start(c.version, suite)
		if c.version == wire.VersionTLS13 {
			// Both directions switch to handshake keys after the
			// ServerHello (RFC 8446, Section 7.1); the client may still
			// be sending early data, so its handshake key only takes
			// over when the early key fails.
			c.dirs[Server].setProtected()
			cd := &c.dirs[Client]
			if cd.protected && cd.cur != nil {
				cd.next = c.key13(keylog.LabelClientHandshakeTrafficSecret)
			} else {
				cd.setProtected()
			}
		}
	case wire.TypeHelloRetryRequest:
		if sh := m.ServerHello; sh != nil {
			c.version = sh.NegotiatedVersion()
			c.suite = sh.CipherSuite
		}
		// Early data is always rejected after a HelloRetryRequest (RFC
		// 8446, Section 4.2.10).
		cd := &c.dirs[Client]
		cd.protected, cd.cur, cd.next = false, nil, nil
	case wire.TypeClientKeyExchange:
		c.cke = true
		// The session hash of the extended master secret ends here (RFC
		// 7627, Section 3).
		c.emsHash = c.sessionHash.Sum()
		if k := m.ClientKeyExchange; k != nil && k.EncryptedPreMasterSecret != nil {
			c.encPremaster = k.EncryptedPreMasterSecret
		}
	case wire.TypeNewSessionTicket:
		if c.version != wire.VersionTLS13 {
			if t := m.Ticket; t != nil && len(t.Ticket) > 0 {
				c.tickets = append(c.tickets, t.Ticket)
				c.rememberMaster()
			}
		}
	case wire.TypeEndOfEarlyData:
		d.cur, d.next = c.key13(keylog.LabelClientHandshakeTrafficSecret), nil
		if c.version == 0 {
			// The client's handshake records follow, under the suite
			// of a ServerHello the capture lacks.
			d.unknownSuite = true
		}
	case wire.TypeFinished:
		if c.version == wire.VersionTLS13 && !d.appKeys {
			// After its Finished, each side sends with its application
			// traffic secret (RFC 8446, Section 7.1).
			d.appKeys = true
			d.cur, d.next, d.keyErr = nil, nil, ""
		}
	case wire.TypeKeyUpdate:
		// RFC 8446, Section 7.2: the next generation of the sender's
		// traffic secret protects the records after KeyUpdate.
		c.nextGeneration(d)
	}
}

// sslv2Hello decodes an SSL 2.0 compatible ClientHello (RFC 5246, Appendix
// E.2).
func (c *Conn) sslv2Hello(from Side, at Stamp, rec []byte) {
	raw := clone(rec)
	m := wire.ParseSSLv2ClientHello(raw)
	info := &Record{Type: Enum{Name: "sslv2", Value: 0}, Version: Enum{Name: "SSL 2.0", Value: 2}, Length: len(rec) - 2}
	msgType := -1
	if len(raw) > 2 {
		msgType = int(raw[2])
	}
	ev := &Event{From: from, Layer: LayerTLS, Type: wire.TypeClientHello.String(), Frame: at.Frame, Time: at.Time,
		Record: info, Fields: m.Fields, Anomalies: m.Anomalies, Raw: raw, Payload: NewMessage(m, msgType)}
	if m.Err != nil {
		ev.Error = m.Err.Error()
	}
	c.emit(ev)
	c.advance(from, m)
}

func suiteName(id uint16) string {
	if n := wire.CipherSuiteName(id); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", id)
}

// helloGoesOn reports whether a handshake record begins a ClientHello or
// ServerHello, or goes on with the message hs holds the start of: a hello
// may span records (one of thousands of cipher suites, or one cut into
// small records), and is plaintext in each.
func helloGoesOn(t wire.ContentType, body []byte, hs *reassembler) bool {
	if t != wire.ContentHandshake {
		return false
	}
	if len(hs.buf) > 0 {
		return true
	}
	return len(body) > 0 && (wire.HandshakeType(body[0]) == wire.TypeClientHello || wire.HandshakeType(body[0]) == wire.TypeServerHello)
}

// plainAfterGap reports whether a record that follows missing bytes of an
// unprotected direction still reads as plaintext: a change_cipher_spec, an
// alert of two bytes, or handshake messages that fill the record exactly.
// Application data is always protected.
func plainAfterGap(t wire.ContentType, body []byte) bool {
	switch t {
	case wire.ContentChangeCipherSpec:
		return len(body) == 1 && body[0] == 1
	case wire.ContentAlert:
		return len(body) == 2 && body[0] >= 1 && body[0] <= 2
	case wire.ContentHandshake:
		for len(body) >= 4 {
			n := int(body[1])<<16 | int(body[2])<<8 | int(body[3])
			if strings.HasPrefix(wire.HandshakeType(body[0]).String(), "unknown_") || 4+n > len(body) {
				return false
			}
			body = body[4+n:]
		}
		return len(body) == 0
	}
	return false
}
