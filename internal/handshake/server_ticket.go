package handshake

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TLS 1.3 resumption on the server (RFC 8446, Sections 4.2.11 and
// 4.6.1): after a full handshake the server sends one NewSessionTicket
// whose ticket is the session (suite, PSK, time, ALPN) sealed with
// Config.SessionTicketKey; a later ClientHello that offers it back, with
// a binder that proves the PSK, resumes with (EC)DHE (psk_dhe_ke). A
// ticket that does not open, is too old or was made for another hash is
// ignored: the handshake is a full one.

// ticketLifetime is how long a ticket may be used (at most 7 days, RFC
// 8446, Section 4.6.1).
const ticketLifetime = 24 * time.Hour

// pskDHEKE is psk_dhe_ke (RFC 8446, Section 4.2.9).
const pskDHEKE = 1

// serverSession is what a ticket holds.
type serverSession struct {
	suite   uint16
	created time.Time
	ageAdd  uint32
	psk     []byte
	alpn    string
}

func (s *serverSession) marshal() []byte {
	var b cryptobyte.Builder
	b.AddUint16(s.suite)
	b.AddUint64(uint64(s.created.Unix()))
	b.AddUint32(s.ageAdd)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.psk) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.alpn)) })
	return b.BytesOrPanic()
}

func unmarshalSession(b []byte) (*serverSession, bool) {
	s := cryptobyte.String(b)
	var sess serverSession
	var created uint64
	var psk, alpn cryptobyte.String
	if !s.ReadUint16(&sess.suite) || !s.ReadUint64(&created) || !s.ReadUint32(&sess.ageAdd) ||
		!s.ReadUint8LengthPrefixed(&psk) || !s.ReadUint8LengthPrefixed(&alpn) || !s.Empty() {
		return nil, false
	}
	sess.created, sess.psk, sess.alpn = time.Unix(int64(created), 0), psk, string(alpn)
	return &sess, true
}

func ticketAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("the session ticket key is not 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealTicket seals a session with the ticket key: a random nonce, then
// the AES-256-GCM ciphertext.
func sealTicket(key []byte, rnd io.Reader, s *serverSession) ([]byte, error) {
	aead, err := ticketAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, s.marshal(), nil), nil
}

func openTicket(key, ticket []byte) (*serverSession, bool) {
	aead, err := ticketAEAD(key)
	if err != nil || len(ticket) < aead.NonceSize() {
		return nil, false
	}
	pt, err := aead.Open(nil, ticket[:aead.NonceSize()], ticket[aead.NonceSize():], nil)
	if err != nil {
		return nil, false
	}
	return unmarshalSession(pt)
}

// offeredPSK is the first identity of a ClientHello's pre_shared_key,
// its binder, and the length of the binders list at the end of the hello.
type offeredPSK struct {
	identity   []byte
	age        uint32
	binder     []byte
	bindersLen int
}

// readPSK reads the pre_shared_key extension (RFC 8446, Section 4.2.11).
func readPSK(data []byte) (*offeredPSK, error) {
	s := cryptobyte.String(data)
	var ids, binders cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&ids) || !s.ReadUint16LengthPrefixed(&binders) || !s.Empty() {
		return nil, refuse(wire.AlertDecodeError, "the ClientHello's pre_shared_key does not decode")
	}
	p := &offeredPSK{bindersLen: 2 + len(binders)}
	var id, binder cryptobyte.String
	if !ids.ReadUint16LengthPrefixed(&id) || !ids.ReadUint32(&p.age) || len(id) == 0 ||
		!binders.ReadUint8LengthPrefixed(&binder) || len(binder) == 0 {
		return nil, refuse(wire.AlertDecodeError, "the ClientHello's pre_shared_key has no identity or binder")
	}
	p.identity, p.binder = id, binder
	// Every identity has its binder (Section 4.2.11).
	n := 1
	for !ids.Empty() {
		if !ids.ReadUint16LengthPrefixed(&id) || !ids.ReadUint32(new(uint32)) || len(id) == 0 {
			return nil, refuse(wire.AlertDecodeError, "a pre_shared_key identity does not decode")
		}
		n++
	}
	for !binders.Empty() {
		if !binders.ReadUint8LengthPrefixed(&binder) || len(binder) == 0 {
			return nil, refuse(wire.AlertDecodeError, "a pre_shared_key binder does not decode")
		}
		n--
	}
	if n != 1 {
		return nil, refuse(wire.AlertIllegalParameter, "the pre_shared_key identities and binders differ in number")
	}
	return p, nil
}

// acceptPSK decides whether the ClientHello (not yet in the transcript)
// resumes a session: it returns the PSK when its first identity is a
// ticket of ours, fit for the suite and still valid, and its binder
// proves it; nil for a full handshake. A binder that does not verify
// ends the handshake (decrypt_error).
func (hs *server13) acceptPSK(ch *clientHello) ([]byte, error) {
	c, cfg := hs.c, hs.cfg
	if !ch.hasPSK || cfg.SessionTicketKey == nil || cfg.ClientAuth || !slices.Contains(ch.pskModes, pskDHEKE) {
		return nil, nil
	}
	var data []byte
	for _, e := range ch.Extensions {
		if e.Type == wire.ExtPreSharedKey {
			data = e.Data
		}
	}
	p, err := readPSK(data)
	if err != nil {
		return nil, err
	}
	sess, ok := openTicket(cfg.SessionTicketKey, p.identity)
	if !ok {
		return nil, nil
	}
	s, ok := tlscrypt.SuiteByID(sess.suite)
	if !ok || s.PRFHash != hs.suite.PRFHash {
		return nil, nil
	}
	age := c.now().Sub(sess.created)
	if age < -time.Minute || age > ticketLifetime {
		return nil, nil
	}
	if len(ch.raw) < p.bindersLen {
		return nil, refuse(wire.AlertDecodeError, "the ClientHello is shorter than its binders")
	}
	sc := hs.sched
	early := sc.extract(sess.psk, nil)
	binderKey := sc.derive(early, "res binder", sc.h.New().Sum(nil))
	want := sc.finishedMAC(binderKey, c.transcript.sumWith(sc.h, ch.raw[:len(ch.raw)-p.bindersLen]))
	if !macEqual(p.binder, want) {
		return nil, refuse(wire.AlertDecryptError, "the binder of the session the client resumes does not verify")
	}
	return sess.psk, nil
}

// sendTicket sends a NewSessionTicket after the handshake (Section 4.6.1),
// when the server has a ticket key and the client can resume with it.
func (hs *server13) sendTicket(master []byte) error {
	c, cfg, sc := hs.c, hs.cfg, hs.sched
	if cfg.SessionTicketKey == nil || cfg.ClientAuth || !slices.Contains(hs.ch.pskModes, pskDHEKE) {
		return nil
	}
	resumption := sc.derive(master, "res master", c.transcript.sum(sc.h))
	nonce := []byte{0}
	var ageAdd [4]byte
	if _, err := io.ReadFull(c.rand(), ageAdd[:]); err != nil {
		return err
	}
	sess := &serverSession{suite: hs.suite.ID, created: c.now(), ageAdd: binary.BigEndian.Uint32(ageAdd[:]),
		psk: tlscrypt.ExpandLabel(sc.h, resumption, "resumption", nonce, sc.h.Size()), alpn: hs.alpn}
	ticket, err := sealTicket(cfg.SessionTicketKey, c.rand(), sess)
	if err != nil {
		return refuse(wire.AlertInternalError, "sealing a session ticket: %w", err)
	}
	nst := &wire.NewSessionTicket13{Lifetime: uint32(ticketLifetime / time.Second), AgeAdd: sess.ageAdd, Nonce: nonce, Ticket: ticket}
	raw, err := nst.Marshal()
	if err != nil {
		return err
	}
	return c.writeHandshake(raw)
}
