package trace

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Limits that keep a hostile peer or capture from growing a Conn's memory.
const (
	// maxPending is how many bytes of records a Conn keeps while it waits
	// for secrets that a live TLS stack has not logged yet. Past it, the
	// records are shown as encrypted.
	maxPending = 1 << 20
	// maxResync is how far the framer looks for the next record header
	// after bytes that are not a record.
	maxResync = 64 << 10
	// maxKeptBuffer is the largest read buffer a direction keeps between
	// feeds; a larger one, grown by a big chunk, is released.
	maxKeptBuffer = 256 << 10
	// maxTranscript bounds the TLS 1.2 handshake kept for the session hash
	// of RFC 7627 (certificate chains make up most of it).
	maxTranscript = 512 << 10
)

// Key log labels (NSS key log format).
const (
	labelClientRandom   = "CLIENT_RANDOM"
	labelClientEarly    = "CLIENT_EARLY_TRAFFIC_SECRET"
	labelClientHS       = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	labelServerHS       = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	labelClientTraffic0 = "CLIENT_TRAFFIC_SECRET_0"
	labelServerTraffic0 = "SERVER_TRAFFIC_SECRET_0"
)

// extSessionTicket is the session_ticket extension (RFC 5077).
const extSessionTicket = 35

// Session holds what the connections of one run share: the start time that
// event times count from, the secrets, and where events go.
type Session struct {
	// Start is the time that Event.T counts from.
	Start time.Time
	// Keys holds the secrets known so far.
	Keys *keylog.Log
	emit func(*Event)
	// conns lists the connections waiting for secrets, so that AddSecret
	// can let them go on.
	waiting map[*Conn]struct{}
	// ForgetOnClose drops a connection's secrets from Keys when it closes
	// (live tracers run for long; a capture keeps them).
	ForgetOnClose bool
	// masters maps TLS 1.2 session IDs and tickets to the master secret of
	// the session they resume: a TLS stack need not log the secret again
	// for an abbreviated handshake (crypto/tls does not).
	masters map[string][]byte
}

// maxSessions bounds the session IDs and tickets remembered per run.
const maxSessions = 1 << 16

// NewSession returns a Session whose events go to emit, in order.
func NewSession(start time.Time, keys *keylog.Log, emit func(*Event)) *Session {
	if keys == nil {
		keys = keylog.New()
	}
	return &Session{Start: start, Keys: keys, emit: emit, waiting: map[*Conn]struct{}{}, masters: map[string][]byte{}}
}

// Emit sends an event of any layer, setting its relative time.
func (s *Session) Emit(ev *Event) {
	if ev.Time.IsZero() {
		ev.Time = s.Start
	}
	ev.T = ev.Time.Sub(s.Start).Seconds()
	s.emit(ev)
}

// AddSecret adds one key log secret, and lets connections that were waiting
// for it go on.
func (s *Session) AddSecret(label string, clientRandom, secret []byte) {
	s.Keys.Add(label, clientRandom, secret)
	for c := range s.waiting {
		c.resume(false)
	}
}

// NewConn starts the decoder of connection number id. With wait set, records
// that need a secret not yet known are held (up to maxPending bytes) until
// AddSecret brings it or Close is called: a live TLS stack logs its secrets
// just after the bytes they protect may have been read.
func (s *Session) NewConn(id int, wait bool) *Conn {
	c := &Conn{s: s, id: id, wait: wait}
	c.dirs[Client].side = Client
	c.dirs[Server].side = Server
	return c
}

// Conn decodes one TLS connection.
type Conn struct {
	s    *Session
	id   int
	wait bool
	dirs [2]direction

	version      uint16 // negotiated; 0 until the ServerHello
	suite        uint16
	clientRandom []byte
	serverRandom []byte
	etm          bool // encrypt_then_mac negotiated (RFC 7366)
	earlyData    bool // the client offered early_data (RFC 8446, Section 4.2.10)
	offered      []uint16
	ems          bool // extended_master_secret negotiated (RFC 7627)
	// transcript holds the handshake messages up to the ClientKeyExchange
	// of a TLS 1.0-1.2 handshake, for the RFC 7627 session hash that an
	// "RSA" key log line needs; encPremaster is the RSA-encrypted
	// premaster secret the client sent.
	transcript   []byte
	encPremaster []byte
	// TLS 1.2 session resumption (RFC 5246, Section 7.3; RFC 5077): the
	// ticket and session ID the client offered, the session ID the server
	// chose, tickets the server issued, and the master secret once known.
	offeredTicket    []byte
	offeredSessionID []byte
	sessionID        []byte
	tickets          [][]byte
	master           []byte
	notTLS           bool
	evidence         Evidence

	// pending holds records waiting for secrets, in arrival order.
	pending      []pendingRecord
	pendingBytes int
}

type pendingRecord struct {
	side  Side
	at    Stamp
	bytes []byte
}

// direction is the state of one direction of a connection.
type direction struct {
	side Side
	// buf holds bytes of a record not yet complete.
	buf []byte
	// at is the stamp of the bytes that completed the record being
	// processed.
	at Stamp
	// started is set once the first bytes were seen.
	started bool
	// lost is set when bytes went missing (a capture gap) or could not be
	// framed; the record sequence numbers are then unknown.
	lost bool

	// protected is set once this direction's records are encrypted.
	protected bool
	// cur decrypts records; next is a key that may take over (TLS 1.3
	// early data then handshake keys) when cur fails.
	cur, next *keyState
	// keyErr says why no key is in place, shown on encrypted records.
	keyErr string
	// epoch names the key generation for TLS 1.3 ("handshake",
	// "application", "application+N").
	appKeys    bool
	generation int

	// hs holds a handshake message not yet complete, across records.
	hs []byte
}

type keyState struct {
	d      *tlscrypt.Decrypter
	secret []byte // TLS 1.3 traffic secret, for KeyUpdate
	name   string
}

// Feed gives the decoder bytes sent by one side, in order, in any chunking.
func (c *Conn) Feed(from Side, at Stamp, b []byte) {
	d := &c.dirs[from]
	if c.notTLS {
		return
	}
	if d.started && c.version != 0 && c.pending == nil {
		// Copy only what completes a record begun earlier, then decode
		// whole records straight from b; keep only what is left of a
		// record that continues later.
		d.at = at
		b = c.complete(d, from, at, b)
		if len(d.buf) == 0 {
			b = c.direct(d, from, at, b)
			if len(b) == 0 {
				return
			}
		}
	}
	d.buf = append(d.buf, b...)
	if !d.started {
		// Three bytes tell a TLS record header or an SSL 2.0 hello apart
		// from anything else.
		if len(d.buf) < 3 {
			return
		}
		d.started = true
		if !c.looksLikeTLS(d.buf) {
			c.notTLS = true
			c.evidence.framing(from, notTLSError(d.buf))
			c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeNotTLS, Frame: at.Frame, Time: at.Time,
				Error: fmt.Sprintf("the first bytes (%s) are not a TLS record; not decoded further", hex.EncodeToString(first(d.buf, 8)))})
			d.buf = nil
			return
		}
	}
	d.at = at
	off := 0
	for {
		n, ok := c.frame(d, off)
		if !ok {
			break
		}
		rec := d.buf[off : off+n]
		if c.pending != nil || !c.processRecord(from, at, rec, false) {
			c.hold(from, at, rec)
		}
		off += n
	}
	// Keep the partial record at the front of the buffer, which is reused;
	// events never point into it (what they keep is copied).
	d.buf = d.buf[:copy(d.buf, d.buf[off:])]
	if cap(d.buf) > maxKeptBuffer && len(d.buf) < maxKeptBuffer/2 {
		d.buf = append([]byte(nil), d.buf...)
	}
}

// complete adds to the partial record in d.buf the bytes of b that finish
// it, processes it, and returns the rest of b. A buffer that does not
// start with a record header is left to the buffered path.
func (c *Conn) complete(d *direction, from Side, at Stamp, b []byte) []byte {
	if len(d.buf) == 0 {
		return b
	}
	if len(d.buf) < wire.RecordHeaderLen {
		k := min(wire.RecordHeaderLen-len(d.buf), len(b))
		d.buf = append(d.buf, b[:k]...)
		b = b[k:]
		if len(d.buf) < wire.RecordHeaderLen {
			return b
		}
	}
	h, err := wire.ParseRecordHeader(d.buf)
	if err != nil {
		return b
	}
	n := wire.RecordHeaderLen + h.Length
	k := min(n-len(d.buf), len(b))
	d.buf = append(d.buf, b[:k]...)
	b = b[k:]
	if len(d.buf) == n {
		if !c.processRecord(from, at, d.buf, false) {
			c.hold(from, at, d.buf)
		}
		d.buf = d.buf[:0]
	}
	return b
}

// direct processes the whole, well-formed records at the start of b
// without copying them, and returns the rest. Anything unusual (a header
// that is not a record's) is left to the buffered path.
func (c *Conn) direct(d *direction, from Side, at Stamp, b []byte) []byte {
	for len(b) >= wire.RecordHeaderLen {
		h, err := wire.ParseRecordHeader(b)
		if err != nil {
			return b
		}
		n := wire.RecordHeaderLen + h.Length
		if len(b) < n {
			return b
		}
		if c.pending != nil || !c.processRecord(from, at, b[:n], false) {
			c.hold(from, at, b[:n])
		}
		b = b[n:]
	}
	return b
}

func first(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// looksLikeTLS reports whether b can start a TLS stream: a record header or
// an SSL 2.0 compatible ClientHello.
func (c *Conn) looksLikeTLS(b []byte) bool {
	if len(b) >= 3 {
		if _, ok := wire.SSLv2HelloLen(b); ok {
			return true
		}
		return b[0] >= byte(wire.ContentChangeCipherSpec) && b[0] <= byte(wire.ContentHeartbeat) && b[1] == 3 && b[2] <= 4
	}
	return false
}

// frame returns the length of the complete record at the start of d.buf, if
// there is one. Bytes that cannot be a record are skipped up to the next
// plausible header, with an event saying so.
func (c *Conn) frame(d *direction, off int) (int, bool) {
	for {
		b := d.buf[off:]
		if len(b) < wire.RecordHeaderLen {
			return 0, false
		}
		if !d.protected && c.version == 0 && d.side == Client {
			if n, ok := wire.SSLv2HelloLen(b); ok {
				if len(b) < n {
					return 0, false
				}
				return n, true
			}
		}
		h, err := wire.ParseRecordHeader(b)
		if err == nil {
			n := wire.RecordHeaderLen + h.Length
			if len(b) < n {
				return 0, false
			}
			return n, true
		}
		c.evidence.framing(d.side, err)
		skip := resync(b[1:]) + 1
		if skip == 0 {
			if len(b) <= maxResync {
				return 0, false
			}
			skip = len(b) - wire.RecordHeaderLen
		}
		c.emit(&Event{From: d.side, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: d.at.Frame, Time: d.at.Time,
			Error: fmt.Sprintf("%d bytes are not a TLS record (%v); skipped to the next record header", skip, err)})
		d.lost = true
		// Drop the skipped bytes from the buffer, keeping what precedes
		// them for the caller.
		d.buf = append(d.buf[:off], d.buf[off+skip:]...)
	}
}

// resync returns the offset of the first plausible record header in b, or -1.
func resync(b []byte) int {
	for i := 0; i+wire.RecordHeaderLen <= len(b); i++ {
		if b[i] >= byte(wire.ContentChangeCipherSpec) && b[i] <= byte(wire.ContentHeartbeat) && b[i+1] == 3 && b[i+2] <= 4 {
			if _, err := wire.ParseRecordHeader(b[i:]); err == nil {
				return i
			}
		}
	}
	return -1
}

// Gap tells the decoder that n bytes sent by one side are missing (a capture
// that lost packets). What was buffered is dropped; since the record
// sequence numbers are then unknown, later records of that side are shown
// as encrypted.
func (c *Conn) Gap(from Side, at Stamp, n int) {
	d := &c.dirs[from]
	d.buf = nil
	d.hs = nil
	d.lost = true
	c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
		Error: fmt.Sprintf("%d bytes are missing from the capture; records of this side after the gap cannot be decrypted", n)})
}

// Close flushes what is held: records waiting for secrets are shown as
// encrypted, partial records and messages are reported.
func (c *Conn) Close() {
	c.resume(true)
	delete(c.s.waiting, c)
	for s := range c.dirs {
		d := &c.dirs[s]
		if !c.notTLS {
			c.evidence.Truncated[s] = d.truncated()
		}
		if len(d.buf) > 0 && !c.notTLS {
			c.emit(&Event{From: d.side, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: d.at.Frame, Time: d.at.Time,
				Error: fmt.Sprintf("the connection ended inside a record (%d bytes of it seen)", len(d.buf))})
		}
		if len(d.hs) > 0 {
			c.emit(&Event{From: d.side, Layer: LayerTLS, Type: wire.HandshakeType(d.hs[0]).String(), Frame: d.at.Frame, Time: d.at.Time,
				Error: fmt.Sprintf("the connection ended inside a handshake message (%d bytes of it seen)", len(d.hs))})
		}
		d.buf, d.hs = nil, nil
	}
	if c.s.ForgetOnClose && c.clientRandom != nil {
		c.s.Keys.Forget(c.clientRandom)
	}
}

// hold keeps a record until secrets arrive.
func (c *Conn) hold(from Side, at Stamp, rec []byte) {
	if c.pendingBytes+len(rec) > maxPending {
		c.resume(true)
		c.processRecord(from, at, rec, true)
		return
	}
	c.pending = append(c.pending, pendingRecord{side: from, at: at, bytes: append([]byte(nil), rec...)})
	c.pendingBytes += len(rec)
	c.s.waiting[c] = struct{}{}
}

// resume processes the held records in order; with force, records whose
// secrets are still unknown are shown as encrypted.
func (c *Conn) resume(force bool) {
	for len(c.pending) > 0 {
		p := c.pending[0]
		if !c.processRecord(p.side, p.at, p.bytes, force) {
			return
		}
		c.pending = c.pending[1:]
		c.pendingBytes -= len(p.bytes)
	}
	c.pending = nil
	c.pendingBytes = 0
	delete(c.s.waiting, c)
}

func (c *Conn) emit(ev *Event) {
	ev.Conn = c.id
	c.s.Emit(ev)
}

func recordInfo(h wire.RecordHeader) *Record {
	return &Record{
		Type:    Enum{Name: h.Type.String(), Value: uint64(h.Type)},
		Version: Enum{Name: wire.VersionName(h.Version), Value: uint64(h.Version)},
		Length:  h.Length,
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
	encrypted := d.protected && (c.version != wire.VersionTLS13 || h.Type == wire.ContentApplicationData)
	if !encrypted {
		c.content(from, at, info, h.Type, body, false)
		return true
	}
	info.Encrypted = true
	if d.cur == nil && d.next == nil && !d.lost {
		c.loadKeys(d)
		if d.cur == nil && c.wait && !force {
			return false
		}
	}
	ctype, plain, seq, err := c.decrypt(d, rec[:wire.RecordHeaderLen], body)
	if err != nil {
		fields := field.NewObject("")
		fields.AddUint("length", uint64(len(body)))
		c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Error: err.Error(), Payload: &Data{Length: len(body)}})
		return true
	}
	info.Seq = &seq
	ct := wire.ContentType(ctype)
	if c.version == wire.VersionTLS13 {
		info.InnerType = &Enum{Name: ct.String(), Value: uint64(ct)}
	}
	// The plaintext is in the decrypter's reused buffer: application data
	// is shown from it (events are valid only while they are emitted);
	// what the decoder keeps (handshake messages) is copied.
	c.content(from, at, info, ct, plain, ct == wire.ContentApplicationData)
	return true
}

// decrypt opens an encrypted record with the direction's key, trying the
// next key when the current one fails (TLS 1.3 early data, then handshake
// keys).
func (c *Conn) decrypt(d *direction, hdr, body []byte) (uint8, []byte, uint64, error) {
	if d.lost {
		return 0, nil, 0, fmt.Errorf("bytes of this side were lost earlier, so the record sequence number is unknown")
	}
	if d.cur == nil && d.next == nil {
		if d.side == Client && c.version == 0 {
			return c.decryptEarly(d, hdr, body)
		}
		c.loadKeys(d)
		if d.cur == nil {
			return 0, nil, 0, fmt.Errorf("%s", d.keyErr)
		}
	}
	var firstErr error
	if d.cur != nil {
		seq := d.cur.d.Seq()
		ct, p, err := d.cur.d.Open(hdr, body)
		if err == nil {
			return ct, p, seq, nil
		}
		firstErr = err
	}
	if d.next != nil {
		seq := d.next.d.Seq()
		ct, p, err := d.next.d.Open(hdr, body)
		if err == nil {
			d.cur, d.next = d.next, nil
			return ct, p, seq, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return 0, nil, 0, fmt.Errorf("decryption failed: %v", firstErr)
}

// loadKeys sets the direction's key from the key log once it is known. For
// TLS 1.3 the key depends on how far the handshake went; for TLS 1.0-1.2 it
// is the key block of the master secret.
func (c *Conn) loadKeys(d *direction) {
	if d.side == Client && c.version == 0 {
		// 0-RTT data: the key is found by decryptEarly.
		d.keyErr = "no key for early data yet"
		return
	}
	suite, ok := tlscrypt.SuiteByID(c.suite)
	if !ok {
		d.keyErr = fmt.Sprintf("records of cipher suite %s cannot be decrypted by tlstrace", suiteName(c.suite))
		return
	}
	if c.version == wire.VersionTLS13 {
		label := labelServerHS
		switch {
		case d.side == Client && d.appKeys:
			label = labelClientTraffic0
		case d.side == Client:
			label = labelClientHS
		case d.appKeys:
			label = labelServerTraffic0
		}
		secret := c.s.Keys.Secret(c.clientRandom, label)
		if secret == nil {
			d.keyErr = fmt.Sprintf("no key: the key log has no %s for client random %x", label, c.clientRandom)
			return
		}
		for i := 0; i < d.generation; i++ {
			secret = tlscrypt.NextSecret13(suite, secret)
		}
		k, err := newKey13(suite, secret, label)
		if err != nil {
			d.keyErr = err.Error()
			return
		}
		d.cur, d.keyErr = k, ""
		return
	}
	master := c.s.Keys.Secret(c.clientRandom, labelClientRandom)
	if master == nil {
		master = c.masterFromRSA(suite)
	}
	if master == nil {
		master = c.resumedMaster()
	}
	if master != nil {
		c.master = master
		c.rememberMaster()
	}
	if master == nil {
		d.keyErr = fmt.Sprintf("no key: the key log has no CLIENT_RANDOM line for client random %x", c.clientRandom)
		return
	}
	ck, sk := tlscrypt.KeyBlock(c.version, suite, master, c.clientRandom, c.serverRandom)
	k := ck
	if d.side == Server {
		k = sk
	}
	dec, err := tlscrypt.NewDecrypter12(c.version, suite, k, c.etm)
	if err != nil {
		d.keyErr = err.Error()
		return
	}
	dec.ReuseBuffer = true
	d.cur, d.keyErr = &keyState{d: dec, name: "key block"}, ""
}

// resumedMaster returns the master secret of the session an abbreviated
// handshake resumes: by the ticket the client offered, or by the session ID
// the server echoed (RFC 5246, Section 7.4.1.3).
func (c *Conn) resumedMaster() []byte {
	if len(c.offeredTicket) > 0 {
		if m := c.s.masters["ticket:"+string(c.offeredTicket)]; m != nil {
			return m
		}
	}
	if len(c.sessionID) > 0 && string(c.sessionID) == string(c.offeredSessionID) {
		return c.s.masters["id:"+string(c.sessionID)]
	}
	return nil
}

// rememberMaster files the master secret under the session ID and tickets
// of this connection, for later abbreviated handshakes.
func (c *Conn) rememberMaster() {
	if c.master == nil || len(c.s.masters) >= maxSessions {
		return
	}
	if len(c.sessionID) > 0 {
		c.s.masters["id:"+string(c.sessionID)] = c.master
	}
	for _, t := range c.tickets {
		c.s.masters["ticket:"+string(t)] = c.master
	}
	c.tickets = nil
}

// masterFromRSA derives the master secret from an "RSA" key log line, which
// gives the premaster secret by the first 8 bytes of its RSA encryption
// (the form Wireshark reads). With extended_master_secret the session hash
// covers the handshake up to the ClientKeyExchange (RFC 7627, Section 3).
func (c *Conn) masterFromRSA(suite *tlscrypt.Suite) []byte {
	if len(c.encPremaster) < 8 {
		return nil
	}
	pms := c.s.Keys.RSAPremaster(c.encPremaster[:8])
	if pms == nil {
		return nil
	}
	if !c.ems {
		return tlscrypt.MasterSecret(c.version, suite, pms, c.clientRandom, c.serverRandom)
	}
	var sum []byte
	if c.version < wire.VersionTLS12 {
		m, s := md5.Sum(c.transcript), sha1.Sum(c.transcript)
		sum = append(m[:], s[:]...)
	} else {
		h := suite.PRFHash.New()
		h.Write(c.transcript)
		sum = h.Sum(nil)
	}
	return tlscrypt.ExtendedMasterSecret(c.version, suite, pms, sum)
}

func newKey13(suite *tlscrypt.Suite, secret []byte, name string) (*keyState, error) {
	dec, err := tlscrypt.NewDecrypter13(suite, secret)
	if err != nil {
		return nil, err
	}
	dec.ReuseBuffer = true
	return &keyState{d: dec, secret: secret, name: name}, nil
}

func suiteName(id uint16) string {
	if n := wire.CipherSuiteName(id); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", id)
}

// setProtected switches a direction to encrypted records, keys to be looked
// up when the first record arrives (so that secrets logged late still work).
func (d *direction) setProtected() {
	d.protected = true
	d.cur, d.next, d.keyErr = nil, nil, ""
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
		if c.version != 0 && c.version != wire.VersionTLS13 {
			d.setProtected()
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
		fields := field.NewObject("")
		fields.AddUint("length", uint64(len(b)))
		data := b
		if !owned {
			data = clone(b)
		}
		fields.AddBytes("data", data)
		c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeApplicationData, Frame: at.Frame, Time: at.Time,
			Record: info, Fields: fields, Raw: data, Payload: &Data{Length: len(data), Bytes: data}})
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

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// handshake reassembles handshake messages from record contents: a record
// can hold several messages and a message can span several records (RFC
// 8446, Section 5.1).
func (c *Conn) handshake(from Side, at Stamp, info *Record, b []byte) {
	d := &c.dirs[from]
	if len(d.hs) > 0 {
		d.hs = append(d.hs, b...)
		b = d.hs
	}
	for len(b) >= wire.HandshakeHeaderLen {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if n > wire.MaxHandshake {
			c.emit(&Event{From: from, Layer: LayerTLS, Type: wire.HandshakeType(b[0]).String(), Frame: at.Frame, Time: at.Time, Record: info,
				Error: fmt.Sprintf("handshake message of %d bytes is larger than tlstrace accepts (%d); the rest of this side's handshake is not decoded", n, wire.MaxHandshake)})
			d.hs = nil
			return
		}
		if len(b) < wire.HandshakeHeaderLen+n {
			break
		}
		msg := clone(b[:wire.HandshakeHeaderLen+n])
		b = b[wire.HandshakeHeaderLen+n:]
		c.message(from, at, info, msg)
	}
	if len(b) == 0 {
		d.hs = nil
	} else {
		d.hs = clone(b)
	}
}

func (c *Conn) message(from Side, at Stamp, info *Record, raw []byte) {
	ctx := wire.Context{Version: c.version, CipherSuite: c.suite, FromServer: from == Server}
	m := wire.ParseHandshake(ctx, raw)
	ev := &Event{From: from, Layer: LayerTLS, Type: m.Type.String(), Frame: at.Frame, Time: at.Time,
		Record: info, Fields: m.Fields, Anomalies: m.Anomalies, Raw: raw, Payload: NewMessage(m, int(raw[0]))}
	if m.Err != nil {
		ev.Error = m.Err.Error()
	}
	c.emit(ev)
	c.evidence.message(from, m.Type)
	if c.version != wire.VersionTLS13 && c.encPremaster == nil && len(c.transcript)+len(raw) <= maxTranscript {
		c.transcript = append(c.transcript, raw...)
	}
	c.advance(from, m)
}

// advance moves the key schedule on after a handshake message.
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
			if ch.EarlyData && c.version == 0 {
				// 0-RTT records follow, under the client early traffic
				// secret (RFC 8446, Section 2.3).
				c.earlyKeys(d)
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
		if c.version == wire.VersionTLS13 {
			// Both directions switch to handshake keys after the
			// ServerHello (RFC 8446, Section 7.1); the client may still
			// be sending early data, so its handshake key only takes
			// over when the early key fails.
			c.dirs[Server].setProtected()
			cd := &c.dirs[Client]
			if cd.protected && cd.cur != nil {
				cd.next = c.key13(cd, labelClientHS)
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
		if p := m.Fields.Get("encrypted_pre_master_secret"); p != nil {
			c.encPremaster = p.Bytes
		}
	case wire.TypeNewSessionTicket:
		if c.version != wire.VersionTLS13 {
			if t := m.Fields.Get("ticket"); t != nil && len(t.Bytes) > 0 {
				c.tickets = append(c.tickets, t.Bytes)
				c.rememberMaster()
			}
		}
	case wire.TypeEndOfEarlyData:
		d.cur, d.next = c.key13(d, labelClientHS), nil
	case wire.TypeFinished:
		if c.version == wire.VersionTLS13 && !d.appKeys {
			// After its Finished, each side sends with its application
			// traffic secret (RFC 8446, Section 7.1).
			d.appKeys = true
			d.cur, d.next, d.keyErr = nil, nil, ""
		}
	case wire.TypeKeyUpdate:
		if c.version == wire.VersionTLS13 && d.cur != nil && d.cur.secret != nil {
			// RFC 8446, Section 7.2: the next generation of the sender's
			// traffic secret protects the records after KeyUpdate.
			suite, _ := tlscrypt.SuiteByID(c.suite)
			d.generation++
			secret := tlscrypt.NextSecret13(suite, d.cur.secret)
			if k, err := newKey13(suite, secret, fmt.Sprintf("application+%d", d.generation)); err == nil {
				d.cur, d.next = k, nil
			}
		}
	}
}

// decryptEarly opens a 0-RTT record, sent before the ServerHello says which
// cipher suite the connection uses: the early traffic secret is tried with
// each TLS 1.3 suite the ClientHello offered whose hash fits the secret's
// length, and the one whose tag verifies is kept.
func (c *Conn) decryptEarly(d *direction, hdr, body []byte) (uint8, []byte, uint64, error) {
	secret := c.s.Keys.Secret(c.clientRandom, labelClientEarly)
	if secret == nil {
		return 0, nil, 0, fmt.Errorf("no key: the key log has no %s for client random %x", labelClientEarly, c.clientRandom)
	}
	for _, id := range c.offered {
		suite, ok := tlscrypt.SuiteByID(id)
		if !ok || !suite.TLS13 || suite.PRFHash.Size() != len(secret) {
			continue
		}
		k, err := newKey13(suite, secret, labelClientEarly)
		if err != nil {
			continue
		}
		if ct, p, err := k.d.Open(hdr, body); err == nil {
			d.cur = k
			return ct, p, 0, nil
		}
	}
	return 0, nil, 0, fmt.Errorf("decryption failed: the %s does not open this record with any offered TLS 1.3 cipher suite", labelClientEarly)
}

// earlyKeys protects the client's records after a ClientHello that offered
// early data with the client early traffic secret.
func (c *Conn) earlyKeys(d *direction) {
	d.protected = true
	d.cur, d.next = nil, nil
	// The suite of 0-RTT is that of the PSK, unknown until the ServerHello;
	// the decoder tries it when the ServerHello arrives or at Close.
}

// key13 returns the TLS 1.3 key of a direction for label, or nil.
func (c *Conn) key13(d *direction, label string) *keyState {
	suite, ok := tlscrypt.SuiteByID(c.suite)
	if !ok {
		return nil
	}
	secret := c.s.Keys.Secret(c.clientRandom, label)
	if secret == nil {
		return nil
	}
	k, err := newKey13(suite, secret, label)
	if err != nil {
		return nil
	}
	return k
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
