// This file holds the key state of a connection: the secrets its keys come
// from (the randoms, the TLS 1.2 master secret and the sessions it resumes,
// the RFC 7627 session hash for an "RSA" key log line), the keys of each
// direction with their TLS 1.3 epochs (RFC 8446, Section 7: early,
// handshake and application traffic secrets, KeyUpdate in Section 7.2), the
// TLS 1.0-1.2 key block (RFC 5246, Section 6.3), and the records held while
// a live TLS stack has not logged their secrets yet.

package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// secrets is what a connection's keys are derived from, as the handshake
// reveals it.
type secrets struct {
	clientRandom []byte
	serverRandom []byte
	etm          bool // encrypt_then_mac negotiated (RFC 7366)
	earlyData    bool // the client offered early_data (RFC 8446, Section 4.2.10)
	// earlyOffered is set once any ClientHello of the connection
	// offered early_data, a HelloRetryRequest's second one aside.
	earlyOffered bool
	offered      []uint16
	ems          bool // extended_master_secret negotiated (RFC 7627)
	// sessionHash hashes the handshake messages of an SSL 3.0 or TLS
	// 1.0-1.2 handshake, for its Finished messages; emsHash is its sum
	// at the ClientKeyExchange, the RFC 7627 session hash that an "RSA"
	// key log line or a PSK needs with extended_master_secret;
	// encPremaster is the RSA-encrypted premaster secret the client sent.
	sessionHash tlscrypt.SessionHash
	emsHash     []byte
	// clientLeaf is the DER of the client's certificate in this
	// handshake, for its CertificateVerify.
	clientLeaf   []byte
	encPremaster []byte
	cke          bool // the ClientKeyExchange was seen
	// TLS 1.2 session resumption (RFC 5246, Section 7.3; RFC 5077): the
	// ticket and session ID the client offered, the session ID the server
	// chose, tickets the server issued, and the master secret once known.
	offeredTicket    []byte
	offeredSessionID []byte
	sessionID        []byte
	tickets          [][]byte
	master           []byte
}

// ErrNoSecrets is the error of an encrypted record when no secret at all
// was given: no key log line, no decryption secrets in the capture. It is
// short because every such record carries it.
const ErrNoSecrets = "no key: no secret was given (no key log line, no decryption secrets in the capture)"

// ErrNoHandshake is the error of a record that does not read as plaintext
// in a connection whose ClientHello and ServerHello were not seen: the
// capture began after them, and the keys are found by the client random.
const ErrNoHandshake = "not plaintext, and the capture holds no ClientHello or ServerHello of this connection (it began after the handshake): the keys that protect it cannot be known"

// ErrNoServerHello is the error of a protected record of a connection
// whose ClientHello was seen and whose ServerHello was not (a packet lost,
// IP fragments not reassembled, a capture cut short): the ServerHello names
// the version and cipher suite, without which no key can be made.
const ErrNoServerHello = "not decrypted: the capture holds no ServerHello of this connection (lost, or in IP fragments not reassembled), and the ServerHello names the cipher suite that protects this record"

// ErrNoHello is the error of a protected record of a connection whose start
// was seen but neither its ClientHello nor its ServerHello: the randoms and
// the cipher suite that its keys come from are unknown.
const ErrNoHello = "not decrypted: the capture holds no ClientHello or ServerHello of this connection, and they give the randoms and the cipher suite that protect this record"

// dirKeys is the key state of one direction.
type dirKeys struct {
	// protected is set once this direction's records are encrypted.
	protected bool
	// unknownSuite is set when the direction's records are protected
	// before any ServerHello was seen: after its change_cipher_spec, its
	// first application_data record, or its EndOfEarlyData. The suite
	// is unknown, so they cannot be decrypted, and every record is
	// protected (TLS 1.0-1.2 after change_cipher_spec; TLS 1.3, whose
	// protected records are all application_data on the outside).
	unknownSuite bool
	// cur decrypts records; next is a key that may take over (TLS 1.3
	// early data then handshake keys) when cur fails.
	cur, next *keyState
	// keyErr says why no key is in place, shown on encrypted records.
	keyErr string
	// appKeys is set once a TLS 1.3 direction uses its application
	// traffic secret; generation counts its KeyUpdates.
	appKeys    bool
	generation int
}

// setProtected switches a direction to encrypted records, keys to be looked
// up when the first record arrives (so that secrets logged late still work).
func (k *dirKeys) setProtected() {
	k.protected, k.unknownSuite = true, false
	k.cur, k.next, k.keyErr = nil, nil, ""
}

type keyState struct {
	d      *tlscrypt.Decrypter
	secret []byte // TLS 1.3 traffic secret, for KeyUpdate
	name   string
	// use is the key schedule step, given to the records it decrypts.
	use *KeyUse
	// source is the secret given for the connection that the key comes
	// straight from: a key log label (a TLS 1.3 traffic secret,
	// CLIENT_RANDOM, RSA) or sourcePSK; empty when it comes from a
	// secret that opened records before (a KeyUpdate generation) or
	// from another connection's (the session a handshake resumes).
	source string
	// opened is set once the key opened a record. wrong is set once the
	// records after the first one it did not open showed its secret not
	// to be this connection's (SecretMismatchError), judged once they
	// could not tell, or showed that record altered.
	opened, wrong, judged bool
	// alteredAhead is how many of the side's next records the judgement
	// of the first found altered too: they did not open at their
	// sequence numbers, and a record after them did.
	alteredAhead int
}

// sourcePSK is the keyState.source of keys from the pre-shared key.
const sourcePSK = "PSK"

// SecretMismatchError is the error of a record that the key made from a
// secret given for its connection (a key log line, the pre-shared key)
// does not open, when that key has opened none of the side's records:
// the tag or MAC covers the key, so the secret is not this session's. A
// key log line carries a client random, not a session: a key log of
// another run whose client random repeated (a test with a fixed random, a
// replayed ClientHello), or a line edited or corrupted, names this
// connection with a secret of another.
type SecretMismatchError struct {
	// Side is the side whose record did not open.
	Side Side
	// Secret is the key log label of the secret (CLIENT_RANDOM, RSA,
	// CLIENT_TRAFFIC_SECRET_0, …), or "PSK" for the pre-shared key.
	Secret string
	// ClientRandom is the connection's, by which the key log line was
	// found.
	ClientRandom []byte
	// Err is why the record did not open with the key.
	Err *tlscrypt.Error
	// key is the key that did not open the record.
	key *keyState
}

func (e *SecretMismatchError) Error() string {
	return fmt.Sprintf("decryption failed: %s does not open the %s's records (record %d: %s): %s", e.secret(), e.Side, e.Err.Seq, e.Err.Reason, e.notThis())
}

// secret names the secret the key came from.
func (e *SecretMismatchError) secret() string {
	switch e.Secret {
	case sourcePSK:
		return "the pre-shared key"
	case keylog.LabelRSA:
		return fmt.Sprintf("the premaster secret of the key log's %s line for this connection's encrypted premaster secret", e.Secret)
	case keylog.LabelClientRandom:
		return fmt.Sprintf("the key log's %s line for client random %x", e.Secret, e.ClientRandom)
	}
	return fmt.Sprintf("the key log's %s for client random %x", e.Secret, e.ClientRandom)
}

// notThis says that the secret is not this session's, and how that comes.
func (e *SecretMismatchError) notThis() string {
	switch e.Secret {
	case sourcePSK:
		return "it is not this connection's key"
	case keylog.LabelRSA:
		return "the line does not belong to this session (an edited or corrupted line)"
	}
	return "the line does not belong to this session (a key log of another run whose client random repeated, or an edited or corrupted line)"
}

func (e *SecretMismatchError) Unwrap() error { return e.Err }

// AlteredRecordError is the error of a protected record that does not
// authenticate under a key that opens the side's records around it: the
// records after it, at the sequence numbers after its own (After), or
// records before it. The key, and the secret it comes from, are right: the
// record's bytes differ from those its sender sealed, changed in the
// capture (a bad copy, a bit flipped in a file) or on the path (a
// middlebox). The side's records after it are opened with the sequence
// numbers that follow its own.
type AlteredRecordError struct {
	// Side is the side whose record did not authenticate.
	Side Side
	// After says that the records after it showed the key right (it had
	// opened none of the side's records before).
	After bool
	// Readable, when no record under the key opened, names the whole
	// handshake messages the record reads as, decrypted without its tag
	// with the key (TLS 1.3 AES-GCM and ChaCha20-Poly1305): bytes a key
	// of another session gives are random, so the key is right.
	Readable string
	// Err is why the record did not open; Err.Seq is its sequence
	// number.
	Err *tlscrypt.Error
}

func (e *AlteredRecordError) Error() string {
	if e.Readable != "" {
		return fmt.Sprintf("not authenticated: record %d of the %s (%s) does not open with its key, though the key is right: decrypted without its tag, the record reads as whole handshake messages (%s), which a key of another session would not give, so its bytes differ from those that were sent: changed in the capture or on the path (a bad copy, a flipped bit, a middlebox), not a wrong key",
			e.Err.Seq, e.Side, e.Err.Reason, e.Readable)
	}
	which := "that opened the " + e.Side.String() + "'s records before it"
	if e.After {
		which = "that opens the " + e.Side.String() + "'s records after it at the sequence numbers after its own"
	}
	return fmt.Sprintf("not authenticated: record %d of the %s (%s) does not open with the key %s, so its bytes differ from those that were sent: changed in the capture or on the path (a bad copy, a flipped bit, a middlebox), not a wrong key",
		e.Err.Seq, e.Side, e.Err.Reason, which)
}

func (e *AlteredRecordError) Unwrap() error { return e.Err }

// UndecidedRecordError is the error of a side's first record under the key
// of a secret given for the connection that does not authenticate when no
// other record of the side under that key is in the capture (it ended, or
// the side's next records are under another secret): a key of a secret
// not this session's and a record whose bytes were altered fail alike, and
// which it is cannot be told. Mismatch gives the secret. The side's later
// records under the same key, if any come, are opened with the sequence
// numbers after this one's.
type UndecidedRecordError struct {
	Mismatch *SecretMismatchError
	// Next is the key log label of the secret whose key opens the side's
	// records after it (TLS 1.3: the application traffic secret after
	// the handshake one), or "".
	Next string
}

func (e *UndecidedRecordError) Error() string {
	m := e.Mismatch
	only := "the capture holds no other record of the " + m.Side.String() + " under it"
	if e.Next != "" {
		only = fmt.Sprintf("the %s's records after it open with the key log's %s, and none is under the first", m.Side, e.Next)
	}
	return fmt.Sprintf("decryption failed, cause unknown: record %d of the %s (%s) does not open with %s, and %s, so two causes cannot be told apart: %s, or the record's bytes differ from those that were sent (changed in the capture or on the path)",
		m.Err.Seq, m.Side, m.Err.Reason, m.secret(), only, m.notThis())
}

func (e *UndecidedRecordError) Unwrap() error { return e.Mismatch }

// mismatch returns a SecretMismatchError when err, k's failure to open a
// record of d, says that k's secret is not this connection's: the record
// does not authenticate (a tag or MAC that does not verify, or CBC
// padding that does not, which a wrong key gives as often) and k, made
// from a secret given for the connection, opened none before it. A key
// that opened records before and fails later says nothing of the secret.
func (c *Conn) mismatch(d *direction, k *keyState, err error) error {
	var te *tlscrypt.Error
	if k == nil || k.source == "" || k.opened || k.judged || !errors.As(err, &te) || te.Seq != 0 || !unauthentic(te) {
		return nil
	}
	return &SecretMismatchError{Side: d.side, Secret: k.source, ClientRandom: c.clientRandom, Err: te, key: k}
}

// unauthentic reports whether a record failed to authenticate: a tag or
// MAC that does not verify, or CBC padding that does not, which a wrong
// key or altered bytes give as often.
func unauthentic(te *tlscrypt.Error) bool {
	switch te.Reason {
	case tlscrypt.ReasonBadTag, tlscrypt.ReasonBadMAC, tlscrypt.ReasonBadPadding:
		return true
	}
	return false
}

// maxLookAhead is how many of a side's records after its first that does
// not open are tried with the same key, at the sequence numbers after its
// own, to tell a wrong secret from altered records: up to maxLookAhead-1
// altered records after the first are judged altered when the next one
// opens.
const maxLookAhead = 4

// verdict is what the side's records after its first that did not open
// under a key say of it (judge).
type verdict uint8

const (
	// verdictWait: fewer than maxLookAhead records of the side came
	// after it, and none of them opens.
	verdictWait verdict = iota
	// verdictAltered: a record after it opens with the same key (the
	// records between, which did not, were altered too).
	verdictAltered
	// verdictWrong: none of the maxLookAhead records after it opens, or
	// none of those that came before the connection's records had to
	// go: the secret is not this session's.
	verdictWrong
	// verdictUndecided: no record of the side under the key came after
	// it (the capture ended, or the next key opens the records after).
	verdictUndecided
	// verdictReadable: as verdictUndecided, but the record, decrypted
	// without its tag, reads as whole handshake messages: the key is
	// right, and the record was altered.
	verdictReadable
)

// judge tells why the first record of d under the key of a secret given
// for the connection did not open (m), from the side's records that
// follow it in later (held records, in order; of both sides): when one of
// the next maxLookAhead opens with the same key at its sequence number
// after the record's, the key is right and the record was altered, and so
// were the side's records between them (altered, how many); when none
// does, the secret is not this session's. A TLS 1.3 side's handshake
// records may end with this one: when a record after it opens with the
// application traffic secret, nothing tells when it is the only one under
// its key (that key is returned), and the secret is not this session's
// when records between did not open either. Until maxLookAhead of the
// side's records came, the verdict waits unless final.
func (c *Conn) judge(d *direction, m *SecretMismatchError, body []byte, later []pendingRecord, final bool) (v verdict, next *keyState, altered int) {
	k := m.key
	trial := k.d.Clone()
	trial.Skip(body)
	app := c.appAfter(k)
	tried := 0
	for _, p := range later {
		if p.side != d.side || tried == maxLookAhead {
			continue
		}
		h, err := wire.ParseRecordHeader(p.bytes)
		if err != nil || len(p.bytes) != wire.RecordHeaderLen+h.Length || !c.protectedRecord(d, h.Type) {
			// A TLS 1.3 middlebox change_cipher_spec is plaintext.
			continue
		}
		hdr, pb := p.bytes[:wire.RecordHeaderLen], p.bytes[wire.RecordHeaderLen:]
		tried++
		if _, _, err := trial.Open(hdr, pb); err == nil {
			return verdictAltered, nil, tried - 1
		}
		if app != nil {
			if _, _, err := app.d.Clone().Open(hdr, pb); err == nil {
				if tried > 1 {
					// Records after it under the key did not
					// open either, and none did.
					return verdictWrong, nil, 0
				}
				return c.undecided(k, body), app, 0
			}
		}
		trial.Skip(pb)
	}
	switch {
	case tried == maxLookAhead || final && tried > 0:
		return verdictWrong, nil, 0
	case final:
		return c.undecided(k, body), nil, 0
	}
	return verdictWait, nil, 0
}

// undecided is the verdict on the only record of its side under k, which
// did not open: verdictReadable when, decrypted without its tag, it reads
// as whole TLS 1.3 handshake messages, which random bytes (a key of
// another session) would not give, else verdictUndecided.
func (c *Conn) undecided(k *keyState, body []byte) verdict {
	if readableHandshake(k, body) != "" {
		return verdictReadable
	}
	return verdictUndecided
}

// readableHandshake returns the names of the TLS 1.3 handshake messages
// body reads as, decrypted without its tag under k, when its inner content
// type is handshake and its content is whole messages of the types a
// protected record carries, their lengths adding up to it; else "".
func readableHandshake(k *keyState, body []byte) string {
	ctype, b, ok := k.d.Unauthenticated13(body)
	if !ok || wire.ContentType(ctype) != wire.ContentHandshake || len(b) == 0 {
		return ""
	}
	var names []string
	for len(b) > 0 {
		if len(b) < wire.HandshakeHeaderLen {
			return ""
		}
		t := wire.HandshakeType(b[0])
		switch t {
		case wire.TypeEncryptedExtensions, wire.TypeCertificate, wire.TypeCertificateRequest, wire.TypeCertificateVerify,
			wire.TypeFinished, wire.TypeNewSessionTicket, wire.TypeEndOfEarlyData, wire.TypeKeyUpdate, wire.TypeCompressedCertificate:
		default:
			return ""
		}
		n := wire.HandshakeHeaderLen + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
		if n > len(b) {
			return ""
		}
		names = append(names, t.String())
		b = b[n:]
	}
	return strings.Join(names, ", ")
}

// appAfter returns, for the key of a TLS 1.3 handshake traffic secret, the
// key of the side's application traffic secret, which protects its records
// after its Finished (RFC 8446, Section 7.1); else nil.
func (c *Conn) appAfter(k *keyState) *keyState {
	switch {
	case c.version != wire.VersionTLS13:
	case k.name == keylog.LabelClientHandshakeTrafficSecret:
		return c.key13(keylog.LabelClientTrafficSecret0)
	case k.name == keylog.LabelServerHandshakeTrafficSecret:
		return c.key13(keylog.LabelServerTrafficSecret0)
	}
	return nil
}

// isTraffic0 reports whether k is the key of a TLS 1.3 application traffic
// secret of generation 0.
func isTraffic0(k *keyState) bool {
	return k.name == keylog.LabelClientTrafficSecret0 || k.name == keylog.LabelServerTrafficSecret0
}

// judged applies the verdict on the first record of d that did not open
// under m's key, and returns the record's error. altered is how many of
// the side's records after it, before the one that opened, were altered
// too (verdictAltered).
func (c *Conn) judged(d *direction, m *SecretMismatchError, body []byte, v verdict, next *keyState, altered int) error {
	k := m.key
	switch v {
	case verdictWrong:
		// The side's later records carry the same error.
		k.wrong = true
		return m
	case verdictAltered:
		if k == d.next {
			d.cur, d.next = k, nil
			if isTraffic0(k) {
				d.appKeys, d.keyErr = true, ""
			}
		}
		k.judged, k.alteredAhead = true, altered
		d.uncheckedIV = k.d.Skip(body)
		return &AlteredRecordError{Side: d.side, After: true, Err: m.Err}
	}
	k.judged = true
	var err error = &UndecidedRecordError{Mismatch: m}
	if next != nil {
		err = &UndecidedRecordError{Mismatch: m, Next: next.name}
	}
	if v == verdictReadable {
		err = &AlteredRecordError{Side: d.side, Readable: readableHandshake(k, body), Err: m.Err}
	}
	if next != nil {
		// The next records open with the application traffic secret.
		d.next = next
		return err
	}
	d.uncheckedIV = k.d.Skip(body)
	return err
}

// fromKeyLog says where a TLS 1.3 traffic secret came from.
const fromKeyLog = "the key log"

func newKey13(suite *tlscrypt.Suite, secret []byte, name string) (*keyState, error) {
	dec, err := tlscrypt.NewDecrypter13(suite, secret)
	if err != nil {
		return nil, err
	}
	dec.ReuseBuffer = true
	use := &KeyUse{Secret: name, From: fromKeyLog, Value: secret,
		Keys: fmt.Sprintf("Each TLS 1.3 secret gives the %s write key and IV of its records by HKDF-Expand-Label(secret, \"key\" and \"iv\") with %s (RFC 8446, Section 7.3)", suite.Name, suite.PRFHash)}
	return &keyState{d: dec, secret: secret, name: name, use: use, source: name}, nil
}

// open opens a record with k: into the session's buffers when it gives
// some (Session.Out), else into the key's reused buffer.
func (c *Conn) open(k *keyState, hdr, body []byte) (uint8, []byte, error) {
	k.d.Out = c.s.Out
	return k.d.Open(hdr, body)
}

// decrypt opens an encrypted record with the direction's key, trying the
// next key when the current one fails (TLS 1.3 early data, then handshake
// keys).
func (c *Conn) decrypt(d *direction, hdr, body []byte) (uint8, []byte, uint64, error) {
	if d.lost {
		return c.decryptAfterGap(d, hdr, body)
	}
	if d.cur == nil && d.next == nil {
		if d.side == Client && c.version == 0 {
			return c.decryptEarly(d, hdr, body)
		}
		c.loadKeys(d)
		if d.cur == nil && d.next == nil {
			return 0, nil, 0, fmt.Errorf("%s", d.keyErr)
		}
	}
	var firstErr, mismatch error
	if d.cur != nil {
		seq := d.cur.d.Seq()
		ct, p, err := c.open(d.cur, hdr, body)
		if err == nil {
			d.cur.opened = true
			return ct, p, seq, nil
		}
		firstErr, mismatch = err, c.mismatch(d, d.cur, err)
	}
	if d.next != nil {
		seq := d.next.d.Seq()
		ct, p, err := c.open(d.next, hdr, body)
		if err == nil {
			if isTraffic0(d.next) {
				// The first record the traffic secret opens: the
				// side's application records start here.
				d.appKeys, d.keyErr = true, ""
			}
			d.next.opened = true
			d.cur, d.next = d.next, nil
			return ct, p, seq, nil
		}
		if d.cur == nil && d.keyErr != "" {
			return 0, nil, 0, fmt.Errorf("%s", d.keyErr)
		}
		if firstErr == nil {
			firstErr = err
		}
		if mismatch == nil {
			mismatch = c.mismatch(d, d.next, err)
		}
	}
	if err := c.earlyKeyMissing(d); err != nil {
		return 0, nil, 0, err
	}
	if mismatch != nil {
		return 0, nil, 0, mismatch
	}
	var te *tlscrypt.Error
	if k := d.cur; k != nil && k.alteredAhead > 0 && errors.As(firstErr, &te) && unauthentic(te) {
		// One of the records after the first under the key, which
		// did not open while a later one did (judge).
		k.alteredAhead--
		d.uncheckedIV = k.d.Skip(body)
		return 0, nil, 0, &AlteredRecordError{Side: d.side, After: true, Err: te}
	}
	if k := d.cur; k != nil && k.opened && (d.next == nil || isTraffic0(d.next)) && errors.As(firstErr, &te) && unauthentic(te) {
		// The key opened the side's records before: this one was
		// altered, and the next ones go on after its sequence number.
		// The side's TLS 1.3 handshake records may have ended with it
		// (its Finished): the next ones are tried with the application
		// traffic secret too.
		d.uncheckedIV = k.d.Skip(body)
		if d.next == nil {
			d.next = c.appAfter(k)
		}
		return 0, nil, 0, &AlteredRecordError{Side: d.side, Err: te}
	}
	return 0, nil, 0, fmt.Errorf("decryption failed: %w", firstErr)
}

// earlyKeyMissing explains a client record of a TLS 1.3 handshake that its
// handshake key does not open when the ClientHello offered early data and
// the key log has no early traffic secret: 0-RTT records that the server
// accepted go on after its ServerHello, up to EndOfEarlyData, under that
// secret (RFC 8446, Section 4.2.10), so the record is most likely one of
// them and what is missing is the key, not the record's integrity.
func (c *Conn) earlyKeyMissing(d *direction) error {
	label := keylog.LabelClientEarlyTrafficSecret
	if d.side != Client || c.version != wire.VersionTLS13 || d.appKeys || !c.earlyData ||
		c.s.Keys.Secret(c.clientRandom, label) != nil {
		return nil
	}
	return fmt.Errorf("no key: the ClientHello offered early data, whose records up to EndOfEarlyData need the %s, and the key log has none for client random %x (the %s does not open this record)",
		label, c.clientRandom, keylog.LabelClientHandshakeTrafficSecret)
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
	if c.s.Keys.Len() == 0 && c.s.Keys.PSK() == nil && (c.version == wire.VersionTLS13 || c.resumedMaster() == nil) {
		// A TLS 1.2 abbreviated handshake needs no secret of its own:
		// the session it resumes has its master secret (a live run
		// forgets each connection's secrets when it closes).
		d.keyErr = ErrNoSecrets
		return
	}
	if c.version == wire.VersionTLS13 {
		label := keylog.LabelServerHandshakeTrafficSecret
		switch {
		case d.side == Client && d.appKeys:
			label = keylog.LabelClientTrafficSecret0
		case d.side == Client:
			label = keylog.LabelClientHandshakeTrafficSecret
		case d.appKeys:
			label = keylog.LabelServerTrafficSecret0
		}
		secret := c.s.Keys.Secret(c.clientRandom, label)
		if secret == nil {
			d.keyErr = fmt.Sprintf("no key: the key log has no %s for client random %x", label, c.clientRandom)
			if !d.appKeys && d.generation == 0 {
				// The side's handshake records (the client's Finished
				// and certificate; the server's EncryptedExtensions to
				// Finished) need the missing secret; its application
				// records need only its traffic secret. Where the first
				// end is not known: each record is tried with the
				// application key at sequence number 0, and the first
				// whose tag authenticates is the first application
				// record (RFC 8446, Section 5.3).
				appLabel, what := keylog.LabelClientTrafficSecret0, "the client's handshake records (its Finished, after its Certificate and CertificateVerify when the server asked for one)"
				if d.side == Server {
					appLabel, what = keylog.LabelServerTrafficSecret0, "the server's handshake records (EncryptedExtensions to Finished)"
				}
				if app := c.key13(appLabel); app != nil {
					d.next = app
					d.keyErr = fmt.Sprintf("no key: the key log has no %s for client random %x, which protects %s; its %s does not open this record, so it is one of them",
						label, c.clientRandom, what, appLabel)
				}
			}
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
		if d.generation > 0 {
			k.source = ""
			k.use.Generation = d.generation
			k.use.From = fmt.Sprintf("the key log's %s, taken %d generation%s on by KeyUpdate: HKDF-Expand-Label(secret, \"traffic upd\") (RFC 8446, Section 7.2)",
				label, d.generation, map[bool]string{true: "s"}[d.generation > 1])
		}
		d.cur, d.keyErr = k, ""
		return
	}
	master, from, source := c.masterSecret(suite)
	if master != nil {
		if c.master == nil && from == fromResumed && c.s.Resumed != nil {
			c.s.Resumed(c.clientRandom, master)
		}
		c.master = master
		c.rememberMaster()
	}
	if master == nil {
		d.keyErr = fmt.Sprintf("no key: the key log has no %s line for client random %x", keylog.LabelClientRandom, c.clientRandom)
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
	write := "client_write"
	if d.side == Server {
		write = "server_write"
	}
	what := write + " key"
	if suite.FixedIVLen > 0 {
		what += " and IV"
	}
	if suite.MAC != 0 {
		what = write + " MAC key, " + strings.Replace(what, " and", ",", 1)
		if suite.FixedIVLen == 0 {
			what = write + " MAC key and " + write + " key"
		}
	}
	use := &KeyUse{Secret: "master secret", From: from, Value: master,
		Keys: fmt.Sprintf("The %s of %s come from the key block: PRF(master secret, \"key expansion\", server_random + client_random) (RFC 5246, Section 6.3)", what, suite.Name)}
	d.cur, d.keyErr = &keyState{d: dec, name: "key block", use: use, source: source}, ""
}

// masterSecret returns the master secret of an SSL 3.0 or TLS 1.0-1.2
// handshake from what was given: a CLIENT_RANDOM or RSA key log line, the
// pre-shared key of a plain PSK suite, or the session it resumes; nil if
// none gives it. from says which, for the key schedule (KeyUse); source
// is the keyState.source of its keys.
func (c *Conn) masterSecret(suite *tlscrypt.Suite) (master []byte, from, source string) {
	if master = c.s.Keys.Secret(c.clientRandom, keylog.LabelClientRandom); master != nil {
		return master, "the key log's " + keylog.LabelClientRandom + " line", keylog.LabelClientRandom
	}
	prf := "PRF(premaster secret, \"master secret\", client_random + server_random) (RFC 5246, Section 8.1)"
	if c.ems {
		prf = "PRF(premaster secret, \"extended master secret\", session_hash) (RFC 7627, Section 4)"
	}
	if master = c.masterFromRSA(suite); master != nil {
		return master, "the premaster secret of the key log's RSA line, by " + prf, keylog.LabelRSA
	}
	if master = c.masterFromPSK(suite); master != nil {
		return master, "the pre-shared key (RFC 4279, Section 2: its premaster secret), by " + prf, sourcePSK
	}
	if master = c.resumedMaster(); master != nil {
		return master, fromResumed, ""
	}
	return nil, "", ""
}

// fromResumed says where the master secret of an abbreviated handshake
// came from.
const fromResumed = "the session this handshake resumes (RFC 5246, Section 7.3)"

// resumedMaster returns the master secret of the session an abbreviated
// handshake resumes: by the ticket the client offered, or by the session ID
// the server echoed (RFC 5246, Section 7.4.1.3).
func (c *Conn) resumedMaster() []byte {
	if len(c.offeredTicket) > 0 {
		if m := c.s.master("ticket:" + string(c.offeredTicket)); m != nil {
			return m
		}
	}
	if len(c.sessionID) > 0 && string(c.sessionID) == string(c.offeredSessionID) {
		return c.s.master("id:" + string(c.sessionID))
	}
	return nil
}

// rememberMaster files the master secret under the session ID and tickets
// of this connection, for later abbreviated handshakes.
func (c *Conn) rememberMaster() {
	if c.master == nil {
		return
	}
	if len(c.sessionID) > 0 {
		c.s.remember("id:"+string(c.sessionID), c.master)
	}
	for _, t := range c.tickets {
		c.s.remember("ticket:"+string(t), c.master)
	}
	c.tickets = nil
}

// masterFromRSA derives the master secret from an "RSA" key log line, which
// gives the premaster secret by the first 8 bytes of its RSA encryption
// (the form Wireshark reads). With extended_master_secret the session hash
// covers the handshake up to the ClientKeyExchange (RFC 7627, Section 3).
func (c *Conn) masterFromRSA(suite *tlscrypt.Suite) []byte {
	if len(c.encPremaster) < keylog.RSAPrefixLen {
		return nil
	}
	pms := c.s.Keys.RSAPremaster(c.encPremaster[:keylog.RSAPrefixLen])
	if pms == nil {
		return nil
	}
	if !c.ems {
		return tlscrypt.MasterSecret(c.version, suite, pms, c.clientRandom, c.serverRandom)
	}
	return tlscrypt.ExtendedMasterSecret(c.version, suite, pms, c.emsHash)
}

// masterFromPSK derives the master secret of a plain PSK cipher suite
// (TLS_PSK_WITH_*) from the pre-shared key: the premaster secret is
// uint16 N, N zero bytes, uint16 N and the key (RFC 4279, Section 2).
func (c *Conn) masterFromPSK(suite *tlscrypt.Suite) []byte {
	psk := c.s.Keys.PSK()
	if psk == nil || !c.cke || !strings.HasPrefix(suiteName(c.suite), "TLS_PSK_WITH_") {
		return nil
	}
	n := len(psk)
	pms := make([]byte, 0, 4+2*n)
	pms = binary.BigEndian.AppendUint16(pms, uint16(n))
	pms = append(pms, make([]byte, n)...)
	pms = binary.BigEndian.AppendUint16(pms, uint16(n))
	pms = append(pms, psk...)
	if !c.ems {
		return tlscrypt.MasterSecret(c.version, suite, pms, c.clientRandom, c.serverRandom)
	}
	return tlscrypt.ExtendedMasterSecret(c.version, suite, pms, c.emsHash)
}

// decryptEarly opens a 0-RTT record, sent before the ServerHello says which
// cipher suite the connection uses: the early traffic secret is tried with
// each TLS 1.3 suite the ClientHello offered whose hash fits the secret's
// length, and the one whose tag verifies is kept.
func (c *Conn) decryptEarly(d *direction, hdr, body []byte) (uint8, []byte, uint64, error) {
	label := keylog.LabelClientEarlyTrafficSecret
	if c.s.Keys.Len() == 0 {
		return 0, nil, 0, errors.New(ErrNoSecrets)
	}
	secret := c.s.Keys.Secret(c.clientRandom, label)
	if secret == nil {
		return 0, nil, 0, fmt.Errorf("no key: the key log has no %s for client random %x", label, c.clientRandom)
	}
	for _, id := range c.offered {
		suite, ok := tlscrypt.SuiteByID(id)
		if !ok || !suite.TLS13 || suite.PRFHash.Size() != len(secret) {
			continue
		}
		k, err := newKey13(suite, secret, label)
		if err != nil {
			continue
		}
		if ct, p, err := c.open(k, hdr, body); err == nil {
			k.opened = true
			d.cur = k
			return ct, p, 0, nil
		}
	}
	return 0, nil, 0, fmt.Errorf("decryption failed: the %s does not open this record with any offered TLS 1.3 cipher suite", label)
}

// earlyKeys protects the client's records after a ClientHello that offered
// early data with the client early traffic secret.
func (k *dirKeys) earlyKeys() {
	k.protected = true
	k.cur, k.next = nil, nil
	// The suite of 0-RTT is that of the PSK, unknown until the ServerHello;
	// the decoder tries it when the ServerHello arrives or at Close.
}

// key13 returns the TLS 1.3 key for label, or nil.
func (c *Conn) key13(label string) *keyState {
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

// maxLostUpdates bounds the KeyUpdates tried for in missing bytes.
const maxLostUpdates = 4

// minKeyUpdate is the smallest protected record that holds a KeyUpdate: a
// header, the 5-byte message, its inner type and a 16-byte tag.
const minKeyUpdate = wire.RecordHeaderLen + 5 + 1 + 16

// openAfterLostUpdate tries a TLS 1.3 record after missing bytes of its side
// with the generations of the side's application traffic secret that
// follow the current one (RFC 8446, Section 7.2): the missing bytes may
// have held a KeyUpdate, after which the records use the next generation,
// their sequence numbers from 0. It returns the key that opened the
// record, how many generations on it is, and the record.
func (c *Conn) openAfterLostUpdate(d *direction, hdr, body []byte, skip uint64) (*keyState, int, uint8, []byte, uint64, bool) {
	if c.version != wire.VersionTLS13 || !d.appKeys || d.cur == nil || d.cur.secret == nil || d.cur.use == nil {
		return nil, 0, 0, nil, 0, false
	}
	suite, ok := tlscrypt.SuiteByID(c.suite)
	if !ok {
		return nil, 0, 0, nil, 0, false
	}
	secret := d.cur.secret
	for g := 1; g <= min(maxLostUpdates, d.missing/minKeyUpdate); g++ {
		secret = tlscrypt.NextSecret13(suite, secret)
		gen := d.generation + g
		k, err := newKey13(suite, secret, fmt.Sprintf("application+%d", gen))
		if err != nil {
			return nil, 0, 0, nil, 0, false
		}
		k.d.Out = c.s.Out
		ct, p, seq, err := k.d.OpenAfterGap(hdr, body, skip)
		if err != nil {
			continue
		}
		prev := d.cur.use
		k.source, k.opened = "", true
		k.use.Secret, k.use.Generation = prev.Secret, gen
		k.use.From = fmt.Sprintf("generation %d of %s, by %d KeyUpdate%s in bytes missing from the capture: HKDF-Expand-Label(secret, \"traffic upd\") (RFC 8446, Section 7.2)",
			gen, prev.Secret, g, map[bool]string{true: "s"}[g > 1])
		return k, g, ct, p, seq, true
	}
	return nil, 0, 0, nil, 0, false
}

// nextGeneration moves a TLS 1.3 direction to the next generation of its
// traffic secret after a KeyUpdate (RFC 8446, Section 7.2).
func (c *Conn) nextGeneration(d *direction) {
	if c.version != wire.VersionTLS13 || d.cur == nil || d.cur.secret == nil {
		return
	}
	suite, _ := tlscrypt.SuiteByID(c.suite)
	d.generation++
	secret := tlscrypt.NextSecret13(suite, d.cur.secret)
	if k, err := newKey13(suite, secret, fmt.Sprintf("application+%d", d.generation)); err == nil {
		k.source = ""
		prev := d.cur.use
		k.use.Secret, k.use.Generation = prev.Secret, d.generation
		k.use.From = fmt.Sprintf("generation %d of %s, by KeyUpdate: HKDF-Expand-Label(secret, \"traffic upd\") (RFC 8446, Section 7.2)", d.generation-1, prev.Secret)
		d.cur, d.next = k, nil
	}
}

// heldRecords holds a connection's records that wait for secrets, in arrival
// order.
type heldRecords struct {
	pending      []pendingRecord
	pendingBytes int
}

// pendingRecord is a record held until secrets arrive.
type pendingRecord struct {
	side  Side
	at    Stamp
	bytes []byte
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

// Bounds of the search for the sequence number after missing bytes.
const (
	// minProtected is the smallest protected record: a header, one byte
	// of TLS 1.3 inner type and a 16-byte tag (TLS 1.2 AEAD records are
	// larger).
	minProtected = wire.RecordHeaderLen + 1 + 16
	// maxSkip caps the sequence numbers tried for one record.
	maxSkip = 1024
	// maxTries is how many records after missing bytes are tried before
	// giving up until the next gap.
	maxTries = 8
)

// decryptAfterGap decrypts a record that follows missing bytes of its side.
// The missing bytes held an unknown number of records, so the sequence
// number is unknown; it is searched for, as many ahead as the missing bytes
// could hold records, and the record is decrypted only if it authenticates
// with one (the tag or MAC covers the sequence number). A TLS 1.0 CBC
// record also needs its IV, the last ciphertext block of the record before
// it, which is known when that block was captured. A stream cipher (RC4)
// cannot go on. The key must not have changed in the missing bytes.
func (c *Conn) decryptAfterGap(d *direction, hdr, body []byte) (uint8, []byte, uint64, error) {
	unknown := fmt.Errorf("bytes of this side were lost earlier, so the record sequence number is unknown")
	if d.tries >= maxTries || (d.cur == nil && d.next == nil) {
		return 0, nil, 0, unknown
	}
	d.tries++
	skip := uint64(min(d.missing/minProtected+1, maxSkip))
	tried, chained := false, false
	for i, k := range []*keyState{d.cur, d.next} {
		if k == nil {
			continue
		}
		k.d.Out = c.s.Out
		var ct uint8
		var p []byte
		var seq uint64
		var err error
		switch {
		case k.d.Resumable():
			ct, p, seq, err = k.d.OpenAfterGap(hdr, body, skip)
		case k.d.ChainsIV():
			// The IV is the last ciphertext block of the record
			// before (RFC 2246, Section 6.2.3.2): captured when the
			// missing bytes ended inside that record, or when it is
			// a record after them that did not open.
			chained = true
			if len(d.lastBlock) == 0 {
				continue
			}
			ct, p, seq, err = k.d.OpenAfterGapIV(hdr, body, d.lastBlock, skip)
		default:
			continue
		}
		tried = true
		if err != nil {
			continue
		}
		k.opened = true
		if i == 1 {
			d.cur, d.next = d.next, nil
		}
		// The record authenticated: this side is protected from here
		// on, even if the change to protected records was lost.
		d.lost, d.missing, d.tries, d.resynced, d.protected = false, 0, 0, true, true
		d.lastBlock = d.lastBlock[:0]
		return ct, p, seq, nil
	}
	if k, g, ct, p, seq, ok := c.openAfterLostUpdate(d, hdr, body, skip); ok {
		d.cur, d.next = k, nil
		d.generation += g
		d.lost, d.missing, d.tries, d.resynced, d.protected = false, 0, 0, true, true
		d.updatedInGap = g
		d.lastBlock = d.lastBlock[:0]
		return ct, p, seq, nil
	}
	// This record's last block is the IV of the next one.
	d.keepLastBlock(body)
	switch {
	case chained && !tried:
		return 0, nil, 0, fmt.Errorf("bytes of this side were lost earlier, so the record's IV is unknown: in TLS 1.0 it is the last ciphertext block of the record before (RFC 2246, Section 6.2.3.2), which is among the missing bytes; the next record is tried with this one's")
	case !tried:
		return 0, nil, 0, fmt.Errorf("bytes of this side were lost earlier, and the suite's stream cipher runs on from record to record through them, so the records after them cannot be decrypted")
	case chained:
		return 0, nil, 0, fmt.Errorf("bytes of this side were lost earlier, so the record sequence number is unknown (none of the %d after the last one known authenticates the record with the last ciphertext block before it as its IV)", skip+1)
	}
	return 0, nil, 0, fmt.Errorf("bytes of this side were lost earlier, so the record sequence number is unknown (none of the %d after the last one known authenticates the record)", skip+1)
}
