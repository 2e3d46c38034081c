package handshake

// This file holds a scripted TLS 1.3 server: just enough of a server to
// send the engine's client a flight that is right except where a test
// (or the fuzzer) changes it, and to read the alert the client answers
// with.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// script13 describes what the scripted server sends.
type script13 struct {
	key     crypto.Signer
	certDER []byte
	// ee and cert, when set, replace the EncryptedExtensions and
	// Certificate messages (whole, header included).
	ee, cert []byte
	// corruptCV and corruptFinished flip a bit of the signature or of
	// verify_data.
	corruptCV, corruptFinished bool
	// extra is sent inside the flight before Finished.
	extra []byte
	// editHello edits the ServerHello before it is sent.
	editHello func(sh *wire.ServerHello)
	// helloOnly stops after the ServerHello.
	helloOnly bool
	// rawHello, when set, is sent in place of the ServerHello (whole
	// message), and the script stops there.
	rawHello []byte

	// After serve: the client's handshake traffic secret and the records
	// it sent after the ServerHello.
	clientHS []byte
	after    []byte
}

// newScriptKey returns an ECDSA P-256 key and a self-signed certificate
// for localhost.
func newScriptKey(t testing.TB) (crypto.Signer, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// readPlainHandshake reads plaintext records until a whole handshake
// message is there.
func readPlainHandshake(r io.Reader) ([]byte, error) {
	var buf []byte
	for {
		if len(buf) >= 4 {
			n := int(buf[1])<<16 | int(buf[2])<<8 | int(buf[3])
			if len(buf) >= 4+n {
				return buf[:4+n], nil
			}
		}
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		if hdr[0] != 22 {
			return nil, fmt.Errorf("record type %d", hdr[0])
		}
		buf = append(buf, body...)
	}
}

// clientShare returns the client's key share for group g.
func clientShare(ch *wire.ClientHello, g uint16) []byte {
	data, _ := findExtension(ch.Extensions, wire.ExtKeyShare)
	s := cryptobyte.String(data)
	var l cryptobyte.String
	s.ReadUint16LengthPrefixed(&l)
	for !l.Empty() {
		var group uint16
		var share cryptobyte.String
		if !l.ReadUint16(&group) || !l.ReadUint16LengthPrefixed(&share) {
			return nil
		}
		if group == g {
			return share
		}
	}
	return nil
}

// serve runs the script on conn.
func (s *script13) serve(conn net.Conn) error {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	chRaw, err := readPlainHandshake(conn)
	if err != nil {
		return err
	}
	m := wire.ParseHandshake(wire.Context{}, chRaw)
	if m.ClientHello == nil {
		return errors.New("no client hello")
	}
	ch := m.ClientHello
	share := clientShare(ch, groupX25519)
	if share == nil {
		return errors.New("no X25519 share")
	}
	serverShare, shared, err := serverKeyExchange(groupX25519, share, rand.Reader)
	if err != nil {
		return err
	}
	random := make([]byte, 32)
	rand.Read(random)
	ks, _ := wire.ServerKeyShareExtension(wire.KeyShare{Group: groupX25519, Data: serverShare})
	sh := &wire.ServerHello{Version: VersionTLS12, Random: random, SessionID: ch.SessionID, CipherSuite: 0x1301,
		Extensions: []wire.Extension{wire.SelectedVersionExtension(VersionTLS13), ks}}
	if s.editHello != nil {
		s.editHello(sh)
	}
	shRaw, err := sh.Marshal()
	if err != nil {
		return err
	}
	if s.rawHello != nil {
		shRaw, s.helloOnly = s.rawHello, true
	}
	var rec []byte
	for b := shRaw; len(b) > 0 || rec == nil; {
		chunk := b[:min(len(b), wire.MaxPlaintext)]
		b = b[len(chunk):]
		rec, _ = wire.AppendRecord(rec, wire.ContentHandshake, VersionTLS12, chunk)
	}
	if _, err := conn.Write(rec); err != nil {
		return err
	}
	// What the client sends from here on is kept, even when it stops
	// reading the flight and writing it fails.
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(conn)
		read <- b
	}()
	defer func() { s.after = <-read }()
	if s.helloOnly {
		// Nothing more comes.
		closeWrite(conn)
		return nil
	}
	suite, _ := tlscrypt.SuiteByID(0x1301)
	sched := schedule13{suite: suite, h: suite.PRFHash}
	var tr transcript
	tr.add(chRaw, shRaw)
	early := sched.extract(nil, nil)
	hsSecret := sched.extract(shared, sched.derive(early, "derived", sched.h.New().Sum(nil)))
	s.clientHS = sched.derive(hsSecret, "c hs traffic", tr.sum(sched.h))
	sHS := sched.derive(hsSecret, "s hs traffic", tr.sum(sched.h))

	ee := s.ee
	if ee == nil {
		ee, _ = (&wire.EncryptedExtensions{}).Marshal()
	}
	cert := s.cert
	if cert == nil {
		cert, _ = wire.MarshalCertificate13(nil, []wire.CertificateEntry{{Data: s.certDER}})
	}
	tr.add(ee, cert)
	sig, err := signMessage(s.key, schemeECDSAP256, rand.Reader, signedContent13(true, tr.sum(sched.h)))
	if err != nil {
		return err
	}
	if s.corruptCV {
		sig[len(sig)/2] ^= 1
	}
	cv, _ := wire.MarshalCertificateVerify(VersionTLS13, schemeECDSAP256, sig)
	tr.add(cv)
	flight := append(append(append(bytes.Clone(ee), cert...), cv...), s.extra...)
	tr.add(s.extra)
	vd := sched.finishedMAC(sHS, tr.sum(sched.h))
	if s.corruptFinished {
		vd[0] ^= 0x80
	}
	fin, _ := wire.MarshalFinished(vd)
	flight = append(flight, fin...)
	enc, err := tlscrypt.NewEncrypter13(suite, sHS)
	if err != nil {
		return err
	}
	var out []byte
	for len(flight) > 0 {
		chunk := flight[:min(len(flight), tlscrypt.MaxPlaintext)]
		flight = flight[len(chunk):]
		if out, err = enc.Seal(out, 22, VersionTLS12, chunk); err != nil {
			return err
		}
	}
	if _, err := conn.Write(out); err != nil {
		return err
	}
	// Nothing more comes: a client waiting for more reads the end.
	closeWrite(conn)
	return nil
}

func closeWrite(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

// clientAlert returns the alert the client sent after the ServerHello:
// the first record that is not change_cipher_spec, opened with the
// client's handshake keys if it is protected.
func (s *script13) clientAlert(t testing.TB) (wire.AlertDescription, bool) {
	t.Helper()
	b := s.after
	for len(b) >= 5 {
		n := int(binary.BigEndian.Uint16(b[3:]))
		if len(b) < 5+n {
			break
		}
		hdr, body := b[:5], b[5:5+n]
		b = b[5+n:]
		switch hdr[0] {
		case 20:
			continue
		case 21:
			return wire.AlertDescription(body[1]), true
		case 23:
			suite, _ := tlscrypt.SuiteByID(0x1301)
			d, err := tlscrypt.NewDecrypter13(suite, s.clientHS)
			if err != nil {
				t.Fatal(err)
			}
			typ, pt, err := d.Open(hdr, body)
			if err != nil || typ != 21 || len(pt) != 2 {
				t.Fatalf("the client's record after the flight: type %d, %x, %v", typ, pt, err)
			}
			return wire.AlertDescription(pt[1]), true
		}
	}
	return 0, false
}

// runScript runs the engine's client against the script over a pipe and
// returns its error.
func runScript(t testing.TB, s *script13, cfg *Config) error {
	t.Helper()
	// A TCP connection on loopback: net.Pipe does not buffer, and both
	// sides write at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		srv, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		done <- s.serve(srv)
	}()
	cli, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := Client(cli, cfg)
	err = c.HandshakeContext(ctx)
	cli.Close()
	if serr := <-done; serr != nil && !errors.Is(serr, io.ErrClosedPipe) && !errors.Is(serr, io.EOF) {
		t.Logf("script: %v", serr)
	}
	return err
}
