// Package scan finds what a TLS server accepts: the protocol versions, the
// cipher suites of each version in the server's order, and the groups, by
// probes that each send one ClientHello and stop at the server's answer
// (its ServerHello or HelloRetryRequest, an alert, or the connection
// closed), as sslscan and nmap's ssl-enum-ciphers do. The ClientHello is
// written with package wire's encoders, so any suite of the IANA registry
// can be offered, not only those tlstrace's engine implements.
package scan

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// hello is what one probe offers.
type hello struct {
	// version is the highest version offered: legacy_version up to TLS
	// 1.2; TLS 1.3 is offered alone through supported_versions.
	version uint16
	suites  []uint16
	// groups is the supported_groups extension (none for SSL 3.0).
	groups []uint16
	// schemes is the signature_algorithms extension of a TLS 1.2 or 1.3
	// hello; nil offers every scheme (tls12Schemes).
	schemes []uint16
	// keyShare says whether a TLS 1.3 hello carries an x25519 key share;
	// without it a server that accepts answers with a HelloRetryRequest
	// naming the group it wants.
	keyShare bool
	// extra are extensions added after the usual ones; compression is
	// legacy_compression_methods (nil: null alone).
	extra       []wire.Extension
	compression []uint8
	// wantCert makes a TLS 1.0-1.2 probe read on to the server's
	// Certificate message, and on to its CertificateStatus when the
	// ServerHello has status_request; wantKeyExchange on to its
	// ServerKeyExchange (through the Certificate and CertificateStatus,
	// if sent).
	wantCert, wantKeyExchange bool
	// wantDone makes it read on to the ServerHelloDone, where the server
	// waits for the client's next flight.
	wantDone bool
	// sslv2 sends an SSL 2.0 CLIENT-HELLO instead (the rest is unused).
	sslv2 bool
}

// answer is what the server answered a probe.
type answer struct {
	outcome Outcome
	// hello is the ServerHello or HelloRetryRequest when Accepted.
	hello *wire.ServerHello
	// alert is the alert that refused the probe, when one did.
	alert    wire.AlertDescription
	hasAlert bool
	// err says why the probe was refused, timed out or failed.
	err error
	// sslv2 lists the cipher kinds of an SSL 2.0 SERVER-HELLO.
	sslv2 []uint32
	// certs is the certificate chain the server sent (DER, leaf first),
	// when the probe asked for it.
	certs [][]byte
	// staple is the OCSP response of the CertificateStatus that follows
	// the chain (RFC 6066, Section 8), when the server sent one.
	staple []byte
	// keyExchange is the ServerKeyExchange's signature and parameters,
	// when the probe asked for it and the server sent one.
	keyExchange *wire.Signed
	// done is set when the probe read on to the ServerHelloDone.
	done bool
	// end is the error that stopped the reading after the ServerHello
	// (the server's end of the connection, a time-out, an alert it sent:
	// *alertError), nil when the probe read all it asked for or stopped
	// at a message.
	end error
}

// version returns the version the server chose.
func (a *answer) version() uint16 { return a.hello.NegotiatedVersion() }

// tls12Schemes are the signature_algorithms of a TLS 1.2 or 1.3 probe:
// every scheme a server may sign with, so that no suite is refused for
// want of one.
var tls12Schemes = []uint16{
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
	0x0809, 0x080a, 0x080b, 0x081a, 0x081b, 0x081c, 0x0401, 0x0501, 0x0601,
	0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202,
}

// ecGroups are the elliptic curve groups offered to TLS 1.0-1.2 (RFC 8422
// and RFC 7027, the deprecated ones included: a scan asks what is
// accepted, not what is wise).
var ecGroups = []uint16{29, 23, 30, 24, 25, 26, 27, 28, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}

// tls13Groups are the groups probed for TLS 1.3: ECDHE, FFDHE (RFC 7919)
// and the ML-KEM hybrids and pure ML-KEM.
var tls13Groups = []uint16{29, 23, 24, 25, 30, 31, 32, 33, 256, 257, 258, 259, 260, 0x11EC, 0x11EB, 0x11ED, 0x0200, 0x0201, 0x0202, 0x6399}

// marshal returns the ClientHello record of h.
func (h *hello) marshal(serverName string) ([]byte, error) {
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	ch := &wire.ClientHello{Version: h.version, Random: random, CipherSuites: h.suites, Compression: h.compression}
	recordVersion := wire.VersionTLS10
	if h.version == wire.VersionSSL30 {
		recordVersion = wire.VersionSSL30
	} else {
		var exts []wire.Extension
		add := func(e wire.Extension, err error) error {
			if err == nil {
				exts = append(exts, e)
			}
			return err
		}
		if serverName != "" {
			if err := add(wire.ServerNameExtension(serverName)); err != nil {
				return nil, err
			}
		}
		if len(h.groups) > 0 {
			if err := add(wire.SupportedGroupsExtension(h.groups)); err != nil {
				return nil, err
			}
			exts = append(exts, wire.ECPointFormatsExtension())
		}
		if h.version >= wire.VersionTLS12 {
			schemes := h.schemes
			if schemes == nil {
				schemes = tls12Schemes
			}
			if err := add(wire.SignatureAlgorithmsExtension(13, schemes)); err != nil {
				return nil, err
			}
		}
		// Secure renegotiation (RFC 5746): servers may refuse a hello
		// without it.
		if err := add(wire.RenegotiationInfoExtension(nil)); err != nil {
			return nil, err
		}
		if h.version == wire.VersionTLS13 {
			ch.Version = wire.VersionTLS12
			ch.SessionID = random // a legacy session ID, as middlebox compatibility mode sends
			if err := add(wire.SupportedVersionsExtension([]uint16{wire.VersionTLS13})); err != nil {
				return nil, err
			}
			var shares []wire.KeyShare
			if h.keyShare {
				key, err := ecdh.X25519().GenerateKey(rand.Reader)
				if err != nil {
					return nil, err
				}
				shares = append(shares, wire.KeyShare{Group: 29, Data: key.PublicKey().Bytes()})
			}
			if err := add(wire.ClientKeyShareExtension(shares)); err != nil {
				return nil, err
			}
			if err := add(wire.PSKModesExtension([]uint8{1})); err != nil {
				return nil, err
			}
		}
		exts = append(exts, h.extra...)
		if exts == nil {
			exts = []wire.Extension{}
		}
		ch.Extensions = exts
	}
	msg, err := ch.Marshal()
	if err != nil {
		return nil, err
	}
	return wire.AppendRecord(nil, wire.ContentHandshake, recordVersion, msg)
}

// prober makes probes to one address.
type prober struct {
	addr       string
	serverName string
	timeout    time.Duration
	dialer     net.Dialer
	// starttls is the STARTTLS protocol spoken before each hello, "" for
	// none.
	starttls string
	// sem bounds the connections open at once.
	sem chan struct{}
	// onProbe, when set, is called as each probe starts.
	onProbe func()
	// interval is the least time between the starts of two probes (0:
	// none); next is when the next may start.
	interval time.Duration
	mu       sync.Mutex
	next     time.Time
	// nameRefused: some probe or handshake was refused with an
	// unrecognized_name alert (RFC 6066, Section 3).
	nameRefused atomic.Bool
	// trickled: some probe timed out with part of an answer read, the
	// server sending too slowly.
	trickled atomic.Bool
}

// probe sends h and reads the server's answer.
func (p *prober) probe(ctx context.Context, h *hello) answer {
	return p.with(ctx, func(conn net.Conn) answer {
		var record []byte
		var err error
		if h.sslv2 {
			record, err = sslv2Hello()
		} else {
			record, err = h.marshal(p.serverName)
		}
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
		if _, err := conn.Write(record); err != nil {
			return readFailure(err)
		}
		cr := &countingReader{r: conn}
		var a answer
		if h.sslv2 {
			a = readSSLv2(cr)
		} else {
			a = readAnswer(cr, h)
		}
		if te := (*timeoutError)(nil); a.outcome == TimedOut && cr.n > 0 && errors.As(a.err, &te) {
			te.bytes = cr.n
			p.trickled.Store(true)
		}
		return a
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// timeoutError is a probe whose answer was not whole when its time ran
// out; bytes counts what the server had sent of it (0: nothing).
// handshake: the probe was a full handshake on the engine, in which the
// server's bytes may be whole messages, after which it sent nothing the
// handshake waited for.
type timeoutError struct {
	err       error
	bytes     int
	handshake bool
}

func (e *timeoutError) Error() string {
	switch {
	case e.bytes > 0 && e.handshake:
		return fmt.Sprintf("the server sent %d bytes, then nothing the handshake waited for before its time ran out", e.bytes)
	case e.bytes > 0:
		return fmt.Sprintf("the server had sent %d bytes, not a whole answer, when the probe's time ran out: it answers too slowly", e.bytes)
	}
	return "no answer in time"
}

func (e *timeoutError) Unwrap() error { return e.err }

// with runs fn on a new connection to the server, within the bounds of
// every probe: a connection slot, the rate, the probe's time (the
// connection's deadline), and the STARTTLS dialog first when asked. A
// connection that cannot be made is Failed, or TimedOut.
func (p *prober) with(ctx context.Context, fn func(net.Conn) answer) answer {
	return p.withDeadline(ctx, func(conn net.Conn, _ time.Time) answer { return fn(conn) })
}

// withDeadline is with, fn also given the connection's deadline, for a
// probe that reads with a shorter one first and then restores it.
func (p *prober) withDeadline(ctx context.Context, fn func(net.Conn, time.Time) answer) answer {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return answer{outcome: Failed, err: ctx.Err()}
	}
	defer func() { <-p.sem }()
	if err := p.wait(ctx); err != nil {
		return answer{outcome: Failed, err: err}
	}
	if p.onProbe != nil {
		p.onProbe()
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	conn, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		if timedOut(err) {
			return answer{outcome: TimedOut, err: &connectError{err: err}}
		}
		return answer{outcome: Failed, err: &connectError{err: err}}
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if p.starttls != "" {
		if err := startTLS(conn, p.starttls, p.host()); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return answer{outcome: TimedOut, err: err}
			}
			return answer{outcome: Failed, err: err}
		}
	}
	a := fn(conn, deadline)
	if a.hasAlert && a.alert == wire.AlertUnrecognizedName {
		p.nameRefused.Store(true)
	}
	return a
}

// wait holds a probe until the rate allows it to start.
func (p *prober) wait(ctx context.Context) error {
	if p.interval <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readFailure classifies an I/O error: a deadline is a time-out, anything
// else a refusal, said as the server's end of the connection (closed or
// reset) when it is one.
func readFailure(err error) answer {
	if timedOut(err) {
		return answer{outcome: TimedOut, err: &timeoutError{err: err}}
	}
	if ce := connEnd(err); ce != nil {
		return answer{outcome: Refused, err: ce}
	}
	return answer{outcome: Refused, err: fmt.Errorf("the connection failed: %s", failedWords(err))}
}

// maxCertBytes bounds the handshake bytes read for a certificate chain.
const maxCertBytes = 1 << 18

// readAnswer reads records until the first handshake message or an
// alert; after an SSL 3.0 to TLS 1.2 ServerHello, with h.wantCert on to
// the Certificate message, with h.wantKeyExchange on to the
// ServerKeyExchange.
func readAnswer(conn io.Reader, h *hello) answer {
	wantCert, wantKeyExchange, wantDone := h.wantCert, h.wantKeyExchange, h.wantDone
	// wantStatus: the chain is asked for and the ServerHello says a
	// CertificateStatus follows it (RFC 6066, Section 8).
	wantStatus := false
	var hs []byte
	var got answer
	header := make([]byte, wire.RecordHeaderLen)
	for {
		if n, err := io.ReadFull(conn, header); err != nil {
			if got.hello != nil {
				got.end = err
				return got
			}
			// Fewer than 5 bytes, then the end: not TLS when the first
			// cannot start a record ("hi\n").
			if he := wire.NewRecordHeaderError(header[:n], wire.HeaderShort); n > 0 && notRecord(he) {
				return answer{outcome: Refused, err: fmt.Errorf("the answer is not TLS: %w", he)}
			}
			return readFailure(err)
		}
		h, err := wire.ParseRecordHeader(header)
		if err == nil && h.Length > wire.MaxPlaintext {
			// Within the 2^14+2048 bytes of any record, over the 2^14
			// of one before encryption: a client ends the connection
			// with record_overflow (RFC 8446, Section 5.1; RFC 5246,
			// Section 6.2.1), and so does the probe.
			err = wire.NewRecordHeaderError(header, wire.HeaderOversized)
		}
		if err != nil {
			if got.hello != nil {
				return got
			}
			var he *wire.RecordHeaderError
			if errors.As(err, &he) && he.Problem == wire.HeaderOversized {
				// A record of TLS's, too long: held to the limit of
				// a record before encryption, as every record read
				// here is (a client's decoder holds it to the same).
				he.SetLimit(false, false)
				return answer{outcome: Refused, err: fmt.Errorf("the answer is a record header that claims %d bytes, more than TLS allows (%s)", he.Length(), he.LimitRule())}
			}
			return answer{outcome: Refused, err: fmt.Errorf("the answer is not TLS: %w", err)}
		}
		body := make([]byte, h.Length)
		if _, err := io.ReadFull(conn, body); err != nil {
			if got.hello != nil {
				got.end = err
				return got
			}
			return readFailure(err)
		}
		switch h.Type {
		case wire.ContentAlert:
			if got.hello != nil {
				// The flight the probe reads on in ends with it.
				if len(body) == 2 {
					got.end = &alertError{wire.AlertDescription(body[1])}
				}
				return got
			}
			if len(body) != 2 {
				return answer{outcome: Refused, err: fmt.Errorf("an alert of %d bytes", len(body))}
			}
			d := wire.AlertDescription(body[1])
			return answer{outcome: Refused, alert: d, hasAlert: true, err: fmt.Errorf("alert %s", d)}
		case wire.ContentHandshake:
			hs = append(hs, body...)
			for len(hs) >= wire.HandshakeHeaderLen {
				n := wire.HandshakeHeaderLen + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
				if most, ok := wire.MaxBodyLen(wire.HandshakeType(hs[0])); ok && n-wire.HandshakeHeaderLen > most {
					// Its length lies: the bytes it claims would never
					// make a message.
					if got.hello != nil {
						return got
					}
					return answer{outcome: Refused, err: fmt.Errorf("the server's %s claims %d bytes, more than one can hold (%d)", wire.HandshakeType(hs[0]), n-wire.HandshakeHeaderLen, most)}
				}
				if n > maxCertBytes {
					return got
				}
				if len(hs) < n {
					break
				}
				msg := hs[:n]
				hs = hs[n:]
				if got.hello == nil {
					m := wire.ParseHandshake(wire.Context{FromServer: true}, msg)
					if m.ServerHello == nil || m.Err != nil || m.ServerHello.Has&wire.HasCipherSuite == 0 {
						return answer{outcome: Refused, err: fmt.Errorf("the server answered with %s, not a server_hello", m.Type)}
					}
					got = answer{outcome: Accepted, hello: m.ServerHello}
					wantStatus = wantCert && slices.ContainsFunc(m.ServerHello.Extensions, func(e wire.Extension) bool { return e.Type == extStatusRequest })
					v := got.version()
					if m.Type != wire.TypeServerHello || v == wire.VersionTLS13 || !wantDone && !wantKeyExchange && (!wantCert || v == wire.VersionSSL30) {
						return got
					}
					continue
				}
				ctx := wire.Context{FromServer: true, Version: got.version(), CipherSuite: got.hello.CipherSuite}
				switch wire.HandshakeType(msg[0]) {
				case wire.TypeCertificate:
					m := wire.ParseHandshake(ctx, msg)
					if m.Certificate != nil {
						for _, c := range m.Certificate.Certs {
							got.certs = append(got.certs, bytes.Clone(c))
						}
					}
					if !wantStatus && !wantKeyExchange && !wantDone {
						return got
					}
				case wire.TypeCertificateStatus:
					// RFC 6066, Section 8: between the Certificate and
					// the ServerKeyExchange.
					if m := wire.ParseHandshake(ctx, msg); m.CertificateStatus != nil && m.CertificateStatus.StatusType == 1 {
						got.staple = bytes.Clone(m.CertificateStatus.OCSPResponse)
					}
					if !wantKeyExchange && !wantDone {
						return got
					}
				case wire.TypeServerKeyExchange:
					if m := wire.ParseHandshake(ctx, msg); m.Signed != nil {
						ske := *m.Signed
						got.keyExchange = &ske
					}
					if !wantDone {
						return got
					}
				case wire.TypeServerHelloDone:
					got.done = true
					return got
				default:
					// A CertificateRequest comes before the
					// ServerHelloDone.
					if !wantDone || wire.HandshakeType(msg[0]) != wire.TypeCertificateRequest {
						return got
					}
				}
			}
		default:
			if got.hello != nil {
				return got
			}
			return answer{outcome: Refused, err: fmt.Errorf("the server answered with a %s record", h.Type)}
		}
	}
}
