// This file holds the Session, which the connections of one run share, and
// the Conn, the decoder of one connection: the bytes each side sends (a TLS
// record stream, RFC 8446, Section 5; RFC 5246, Section 6.2) in through
// Feed, Gap and Close, events out. The decoder's jobs are in their own
// files: the record framer (framer.go), the key state (keys.go), handshake
// reassembly (handshake.go) and the state machine of records and handshake
// messages (state.go).

package trace

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
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
)

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
	// NoDataFields leaves the field tree (length, data) out of
	// application data events, for an output that never shows it: only
	// JSON does; the bytes stay in the event's payload.
	NoDataFields bool
	// Out, when set, gives the buffer each record is decrypted into
	// (storage of the caller's) instead of one buffer per key that each
	// record reuses, so that application data events may be kept past
	// their emission (a parallel read renders them on other goroutines).
	Out func(n int) []byte
	// masters maps TLS 1.2 session IDs and tickets to the master secret of
	// the session they resume: a TLS stack need not log the secret again
	// for an abbreviated handshake (crypto/tls does not).
	masters map[string][]byte
	// Resume, when set, keeps those master secrets instead of masters:
	// the Sessions that decode the connections of one capture in
	// parallel share one.
	Resume Resumer
	// Resumed, when set, is given the client random and the master
	// secret of each TLS 1.0-1.2 connection that resumed a session
	// whose secret was known, when no key log line gave it: TLS stacks
	// (crypto/tls, client and server) log no key for an abbreviated
	// handshake, so a live tracer writes the line itself and its key
	// log opens every connection in Wireshark.
	Resumed func(clientRandom, master []byte)
}

// Resumer keeps the master secrets of TLS 1.2 sessions, filed by
// "id:"+session ID and "ticket:"+ticket.
type Resumer interface {
	// Master returns the master secret filed under key, or nil.
	Master(key string) []byte
	// Remember files a master secret under key.
	Remember(key string, master []byte)
}

// master returns the master secret filed under key.
func (s *Session) master(key string) []byte {
	if s.Resume != nil {
		return s.Resume.Master(key)
	}
	return s.masters[key]
}

// remember files a master secret under key, up to maxSessions keys.
func (s *Session) remember(key string, master []byte) {
	if s.Resume != nil {
		s.Resume.Remember(key, master)
		return
	}
	if len(s.masters) < maxSessions {
		s.masters[key] = master
	}
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
	// stopped marks the sides whose bytes the local end stopped reading
	// (StoppedReading).
	stopped [2]bool

	version uint16 // negotiated; 0 until the ServerHello
	suite   uint16
	// secrets is what the keys are derived from; heldRecords the records
	// that wait for secrets (keys.go).
	secrets
	heldRecords
	// recordErrs holds the distinct reasons given so far why records
	// could not be decrypted (a few; see Data.ErrorSaid).
	recordErrs []string
	notTLS     bool
	// midStream is set when the capture began after the connection did
	// (BeganMidStream); closing while Close reads what is left.
	midStream, closing bool
	// followStartTLS and dialog follow a plaintext dialog upgraded to
	// TLS (starttls.go).
	followStartTLS bool
	dialog         *dialog
	evidence       Evidence
}

// direction is the state of one direction of a connection.
type direction struct {
	side Side
	// framer cuts the bytes into records.
	framer framer
	// oversized is set while the framer waits behind a record header
	// that claims more than TLS allows; oversizedSaid, once its bytes
	// were reported because the other side went on (the other side's
	// answer to them is shown after them), and saidLen how many bytes of
	// it that report counted.
	oversized, oversizedSaid bool
	saidLen                  int
	// at is the stamp of the bytes that completed the record being
	// processed.
	at Stamp
	// lost is set when bytes went missing (a capture gap) or could not be
	// framed; the record sequence numbers are then unknown.
	lost bool
	// missing counts the bytes lost since the last record decrypted, and
	// tries the records tried since, to bound the search for the
	// sequence number (keys.go).
	missing, tries int
	// resynced is set when the last record decrypted was the first after
	// missing bytes, its sequence number found again, to say so.
	resynced bool
	// updatedInGap is how many KeyUpdates of this side the missing bytes
	// held, found when the record after them opened under a later
	// generation of the traffic secret, to say so with resynced.
	updatedInGap int
	// cut is set from missing bytes to the next record framed: bytes
	// before the next record header are the rest of a record the missing
	// bytes cut, not bytes that are not TLS. cutHeader says the header
	// of that record was seen before them (and shown, as partial), the
	// record going on past them.
	cut, cutHeader bool
	// unreassembled says that the last bytes lost were held in IP
	// fragments that could not be reassembled, not missing from the
	// capture.
	unreassembled bool
	// lastBlock holds, after missing bytes, the end of the last
	// ciphertext captured (the rest of the record they cut, or a record
	// that did not open): with a suite that chains records (TLS 1.0 CBC),
	// it holds the IV of the next record (RFC 2246, Section 6.2.3.2).
	lastBlock []byte
	// uncheckedIV is set when the next record takes its IV from the
	// last block of a record that did not authenticate, which its MAC
	// does not cover (TLS 1.0 CBC with encrypt_then_mac).
	uncheckedIV bool
	// awaiting is set while the first record under a key that did not
	// open waits, held, for the side's next record (keys.go, judge).
	awaiting bool
	// dirKeys decrypt the direction's records.
	dirKeys
	// hs reassembles handshake messages across records.
	hs reassembler
}

// BeganMidStream says that the capture holds no SYN of this connection: it
// began after the connection did, so a side's first bytes may be inside a
// record. Such a side's records are then read from its first record header
// on, instead of the stream being taken for one that is not TLS.
func (c *Conn) BeganMidStream() { c.midStream = true }

// Feed gives the decoder bytes sent by one side, in order, in any chunking.
func (c *Conn) Feed(from Side, at Stamp, b []byte) {
	d := &c.dirs[from]
	if from <= Server && len(b) > 0 {
		if o := &c.dirs[from.Other()]; o.oversized && !o.oversizedSaid && len(o.framer.buf) > 0 {
			c.sayOversized(o)
		}
	}
	if from <= Server && !c.closing {
		c.evidence.Received[from].add(at.Time, len(b))
	}
	if c.notTLS {
		return
	}
	f := &d.framer
	if !f.started {
		// Three bytes tell a TLS record header or an SSL 2.0 hello apart
		// from anything else; the decision waits for a record header's
		// worth, which is what the report shows, so that it does not
		// depend on how the bytes were cut.
		f.buf = append(f.buf, b...)
		if c.dialog == nil && c.followStartTLS && from == Server && len(f.buf) >= wire.RecordHeaderLen && !c.dirs[Client].framer.started &&
			len(c.dirs[Client].framer.buf) == 0 && !looksLikeTLS(f.buf) {
			// The server speaks first: a greeting of a protocol that
			// can go on with STARTTLS.
			if p := greeting(f.buf); p != "" {
				c.dialog = &dialog{protocol: p}
			} else if c.midStream {
				// The weaker signs below (a byte or two) are not
				// looked for in a connection whose start the capture
				// lacks: its first bytes may be inside a record.
			} else if bytes.HasPrefix(f.buf, []byte(":")) || bytes.HasPrefix(f.buf, []byte("NOTICE ")) {
				// An IRC server's notices, before the client's
				// STARTTLS (IRCv3 tls extension).
				c.dialog = &dialog{protocol: "irc"}
			} else if p, more := binaryServerStart(f.buf); p != "" || more {
				if more {
					d.at = at
					return
				}
				c.dialog = &dialog{protocol: p, binary: true}
			}
		}
		if c.dialog == nil && c.followStartTLS && from == Client && !c.dirs[Server].framer.started && len(c.dirs[Server].framer.buf) == 0 {
			// The client speaks first: an HTTP CONNECT request to a
			// proxy, whose tunnel may carry TLS.
			if n := min(len(f.buf), len(connectMethod)); string(f.buf[:n]) == connectMethod[:n] {
				if n < len(connectMethod) {
					d.at = at
					return
				}
				c.dialog = &dialog{protocol: ProtocolHTTPConnect, connect: true}
			} else if c.midStream {
				// As for the server: no weak signs mid-stream.
			} else if p, more := binaryClientStart(f.buf); p != "" || more {
				if more {
					d.at = at
					return
				}
				c.dialog = &dialog{protocol: p, binary: true}
			} else if p, more := socksClientStart(f.buf); p != "" || more {
				if more {
					d.at = at
					return
				}
				c.dialog = &dialog{protocol: p, binary: true}
			} else if p, more := xmppClientStart(f.buf); p != "" || more {
				if more {
					d.at = at
					return
				}
				c.dialog = &dialog{protocol: p, xmpp: true}
			} else if n := min(len(f.buf), len(ircStartTLS)); string(f.buf[:n]) == ircStartTLS[:n] {
				// IRC: the client asks first (IRCv3 tls extension).
				if n < len(ircStartTLS) {
					d.at = at
					return
				}
				c.dialog = &dialog{protocol: "irc"}
			}
		}
		if c.dialog != nil {
			d.at = at
			if !c.dialogFeed(d, at) {
				return
			}
			f.started = true
			b = nil
			goto framing
		}
		if len(f.buf) < wire.RecordHeaderLen {
			return
		}
		if c.midStream && !looksLikeTLS(f.buf) {
			k, decided := joinAt(f.buf, c.closing)
			if !decided {
				d.at = at
				return
			}
			if k > 0 {
				// The capture began inside a record: the bytes before
				// the first record header are said to be missing, as
				// after a gap, and the records after them are read.
				c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
					Payload: &Data{Length: k},
					Error:   fmt.Sprintf("%d bytes before the first record header of this side: the capture began inside a record", k)})
				f.buf = append(f.buf[:0], f.buf[k:]...)
				d.lost = true
				d.missing += k
			}
		}
		f.started = true
		if !looksLikeTLS(f.buf) {
			c.notTLS = true
			c.evidence.framing(from, notTLSError(f.buf))
			// A stream, not TLS: a tcp step that names its first bytes.
			head := clone(first(f.buf, wire.RecordHeaderLen))
			c.emit(&Event{From: from, Layer: LayerTCP, Type: TypeNotTLS, Frame: at.Frame, Time: at.Time,
				Payload: &Data{Length: len(head), Bytes: head},
				Error:   fmt.Sprintf("the first bytes (%s) are not a TLS record; not decoded further", hex.EncodeToString(head))})
			f.reset()
			return
		}
		b = nil
	}
framing:
	d.at = at
	f.feed(b)
	for {
		kind, rec, skipped, err := f.next(!d.protected && c.version == 0 && from == Client)
		if err != nil {
			var he *wire.RecordHeaderError
			if errors.As(err, &he) && he.Problem == wire.HeaderOversized {
				// The limit of this record: before encryption or
				// after, in TLS 1.3 or before.
				he.SetLimit(c.protectedRecord(d, wire.ContentType(he.Header[0])), c.version == wire.VersionTLS13)
			}
			if !d.cut {
				c.evidence.framing(from, err)
			}
		}
		var he *wire.RecordHeaderError
		d.oversized = kind == frameMore && errors.As(err, &he) && he.Problem == wire.HeaderOversized
		if kind != frameMore {
			d.oversizedSaid = false
		}
		switch kind {
		case frameMore:
			return
		case frameSkip:
			c.flushAwaiting()
			if d.cut {
				// As tshark's "Continuation Data": the start of this
				// record, where its header gives its length, is in
				// the bytes missing before these.
				c.emit(&Event{From: from, Layer: LayerTLS, Type: TypePartialRecord, Frame: at.Frame, Time: at.Time,
					Payload: &Data{Length: skipped}, Error: continuation(skipped, d.cutHeader, d.unreassembled)})
				d.keepLastBlock(rec)
			} else {
				c.emit(&Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
					Error: fmt.Sprintf("%d bytes are not a TLS record (%v); skipped to the next record header", skipped, err)})
				d.lastBlock = d.lastBlock[:0]
			}
			d.lost = true
			d.missing += skipped
		case frameRecord:
			d.cut = false
			if c.pending != nil || !c.processRecord(from, at, rec, false) {
				c.hold(from, at, rec)
				if d.awaiting {
					// A record after the one that waits for it.
					c.resume(false)
				}
			}
		}
	}
}

// maxChainTail is how much of the end of a record holds the IV of the
// next with a suite that chains records: the largest CBC block (AES,
// Camellia, ARIA: 16 bytes) and, with encrypt_then_mac, the largest MAC
// after it (HMAC-SHA384: 48 bytes).
const maxChainTail = 16 + 48

// keepLastBlock keeps the end of b, the last ciphertext bytes captured
// after missing bytes, for the IV of the next record of a suite that
// chains them.
func (d *direction) keepLastBlock(b []byte) {
	d.lastBlock = append(d.lastBlock[:0], b[max(0, len(b)-maxChainTail):]...)
}

// continuation says what the n bytes that follow missing bytes, up to the
// next record header, are: the rest of the record the missing bytes cut.
// header says whether that record's header was seen before them, frags
// that the missing bytes were in IP fragments not reassembled.
func continuation(n int, header, frags bool) string {
	if header {
		return fmt.Sprintf("%d bytes that end the record the missing bytes before them cut (its header was seen before the missing bytes); the next record is read from its header", n)
	}
	where := "is missing from the capture"
	if frags {
		where = "was in IP fragments that could not be reassembled"
	}
	return fmt.Sprintf("%d bytes that end a record whose start, its header with it, %s; the next record is read from its header", n, where)
}

func first(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Gap tells the decoder that n bytes sent by one side are missing (a capture
// that lost packets). What was buffered is dropped; since the record
// sequence numbers are then unknown, later records of that side are shown
// as encrypted.
func (c *Conn) Gap(from Side, at Stamp, n int) { c.GapOf(from, at, n, Unreassembled{}) }

// GapOf is Gap for bytes that u says the capture holds in IP fragments
// that could not be reassembled (when u.Datagrams > 0): the events say
// so, rather than that the bytes are missing from the capture.
func (c *Conn) GapOf(from Side, at Stamp, n int, u Unreassembled) {
	c.flushAwaiting()
	d := &c.dirs[from]
	after := "a record of this side after them is decrypted only if it authenticates with a sequence number found again"
	why := u.Text()
	ev := &Event{From: from, Layer: LayerTLS, Type: TypeEncryptedRecord, Frame: at.Frame, Time: at.Time,
		Error: fmt.Sprintf("%d bytes are missing from the capture; %s", n, after)}
	if why != "" {
		ev.Error = fmt.Sprintf("%d bytes are not decoded: %s; %s", n, why, after)
	}
	if len(d.framer.buf) > 0 && !c.notTLS {
		// The bytes went missing inside a record: it is shown as
		// partial, with its header when that was captured, as tshark
		// shows the header of a record cut short.
		ev = c.partialRecord(d, d.framer.buf)
		ev.Frame, ev.Time = at.Frame, at.Time
		what, seen := c.partial(d, d.framer.buf)
		this := "this record"
		if what != "a record" {
			this = "this SSL 2.0 ClientHello"
		}
		ev.Error = fmt.Sprintf("%d bytes are missing from the capture inside %s (%s seen); %s", n, this, seen, after)
		if why != "" {
			ev.Error = fmt.Sprintf("%d bytes inside %s (%s seen) are not decoded: %s; %s", n, this, seen, why, after)
		}
	}
	// What follows the missing bytes up to the next record header is the
	// rest of a record they cut (nothing, when they ended at a record's
	// end): the one whose header was seen before them when it goes on
	// past them, else one whose header they hold.
	h, ok := framedHeader(d.framer.buf)
	d.cut, d.cutHeader = true, ok && wire.RecordHeaderLen+h.Length > len(d.framer.buf)+n
	d.lastBlock = d.lastBlock[:0]
	d.framer.reset()
	d.hs.reset()
	d.lost = true
	d.unreassembled = why != ""
	d.missing += n
	c.emit(ev)
}

// Settle lets the records held for a verdict on an earlier record that
// did not open (the side's next records under its key tell whether it was
// altered) go, judged with what came, before a step of the connection
// that is not a record (a TCP step of a capture) is emitted, so that
// events stay in order.
func (c *Conn) Settle() { c.flushAwaiting() }

// flushAwaiting lets records held for the side's next record (judge) go,
// judged with what came, before an event that is not a record: events stay
// in order.
func (c *Conn) flushAwaiting() {
	if c.dirs[Client].awaiting || c.dirs[Server].awaiting {
		c.resume(true)
	}
}

// StoppedReading says that the local end stopped reading side's bytes
// before side ended the connection (a live client that closed first): a
// record or message left partial was then not cut short by side, and is
// reported so.
func (c *Conn) StoppedReading(side Side) {
	if side <= Server {
		c.stopped[side] = true
	}
}

// EndedAt says when the connection was seen to end, live: what Close
// reports of it (a record or message it ended inside) is known then, so
// those events have that time rather than that of the side's last bytes,
// which may come before what the other side sent since (a server's alert
// at a record header it refuses), and events stay in time order.
func (c *Conn) EndedAt(t time.Time) {
	c.evidence.Ended = t
	for s := range c.dirs {
		if d := &c.dirs[s]; t.After(d.at.Time) {
			d.at.Time = t
		}
	}
}

// ended says how the bytes of d ended inside what (a record, a message, a
// line; n says how much of it was seen): cut by the connection's end, or
// not read further because the other side closed first.
func (c *Conn) ended(d *direction, what, n string) string {
	if c.stopped[d.side] {
		return fmt.Sprintf("the rest of %s was not read: the %s closed the connection first (%s)", what, d.side.Other(), n)
	}
	return fmt.Sprintf("the connection ended inside %s (%s)", what, n)
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
		if len(d.framer.buf) >= wire.RecordHeaderLen && !c.notTLS && c.midStream && !d.framer.started {
			// A side whose capture began inside a record, still
			// waiting to see where records start: its bytes end here.
			c.closing = true
			c.Feed(d.side, d.at, nil)
		}
		if n := len(d.framer.buf); n > 0 && !c.notTLS && c.dialog != nil && !d.framer.started {
			// The dialog ended inside a line.
			ev := NewEvent(c.id, d.side, &StartTLS{Protocol: c.dialog.protocol, Line: string(d.framer.buf)})
			ev.Frame, ev.Time = d.at.Frame, d.at.Time
			ev.Error = c.ended(d, "a line", fmt.Sprintf("%d bytes of it seen", n))
			c.emit(ev)
		} else if n > 0 && !c.notTLS && !(d.oversizedSaid && n == d.saidLen) {
			c.emit(c.partialRecord(d, d.framer.buf))
		}
		if t, n, ok := d.hs.held(); ok {
			c.emit(&Event{From: d.side, Layer: LayerTLS, Type: t.String(), Frame: d.at.Frame, Time: d.at.Time,
				Error: c.ended(d, "a handshake message", amount(len(d.hs.buf), n, wire.HandshakeHeaderLen)+" seen")})
		}
		d.framer.reset()
		d.hs.reset()
	}
	if c.s.ForgetOnClose && c.clientRandom != nil {
		c.s.Keys.Forget(c.clientRandom)
	}
}

// sayOversized reports the bytes of d held behind a record header that
// claims more than TLS allows, when the other side goes on: they came
// before what it sends, which may be its answer to them (a record_overflow
// alert), and are shown before it, at their own time. The record is
// reported again at the end only if more of its bytes came.
func (c *Conn) sayOversized(d *direction) {
	b := d.framer.buf
	_, err := wire.ParseRecordHeader(b)
	var he *wire.RecordHeaderError
	if !errors.As(err, &he) || he.Problem != wire.HeaderOversized {
		return
	}
	he.SetLimit(c.protectedRecord(d, wire.ContentType(b[0])), c.version == wire.VersionTLS13)
	c.flushAwaiting()
	c.emit(&Event{From: d.side, Layer: LayerTLS, Type: TypePartialRecord, Frame: d.at.Frame, Time: d.at.Time,
		Payload: &Data{Length: len(b)},
		Error: fmt.Sprintf("a record header that claims %d bytes, more than TLS allows (%s), and %d bytes after it, before the %s sent more; not decoded",
			he.Length(), he.LimitRule(), len(b)-wire.RecordHeaderLen, d.side.Other())})
	d.oversizedSaid, d.saidLen = true, len(b)
}

// partialRecord is the event of the bytes of a record the connection ended
// inside: with its header, when that was seen, the record as the header
// gives it, protected or not as the direction's records are at that point.
func (c *Conn) partialRecord(d *direction, b []byte) *Event {
	what, seen := c.partial(d, b)
	ev := &Event{From: d.side, Layer: LayerTLS, Type: TypePartialRecord, Frame: d.at.Frame, Time: d.at.Time,
		Payload: &Data{Length: len(b)},
		Error:   c.ended(d, what, seen+" seen")}
	if what != "a record" || len(b) < wire.RecordHeaderLen {
		return ev
	}
	if h, ok := framedHeader(b); ok {
		ev.Record = recordInfo(h)
		ev.Record.Encrypted = c.protectedRecord(d, h.Type)
	}
	return ev
}

// framedHeader reads the header of a record the framer framed: one whose
// length is over the limit is framed too (frameAt).
func framedHeader(b []byte) (wire.RecordHeader, bool) {
	h, err := wire.ParseRecordHeader(b)
	var he *wire.RecordHeaderError
	return h, err == nil || errors.As(err, &he) && he.Problem == wire.HeaderOversized
}

// partial says what the bytes b of d that end inside a record are part
// of ("a record", or "an SSL 2.0 ClientHello", which is none), and how
// much of it they are (TruncatedError.Amount).
func (c *Conn) partial(d *direction, b []byte) (what, seen string) {
	if n, ok := wire.SSLv2HelloLen(b); ok && !d.protected && c.version == 0 && d.side == Client {
		// An SSL 2.0 compatible ClientHello (RFC 5246, Appendix E.2):
		// its 2-byte header gives its length.
		return "an SSL 2.0 ClientHello", amount(len(b), n, wire.SSLv2HeaderLen)
	}
	length := 0
	if h, ok := framedHeader(b); ok {
		length = wire.RecordHeaderLen + h.Length
	}
	return "a record", amount(len(b), length, wire.RecordHeaderLen)
}

func (c *Conn) emit(ev *Event) {
	ev.Conn = c.id
	c.s.Emit(ev)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
