package scan

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// goErrorWords are pieces of Go's error text that a feature line or a
// version's reason must not show: what happened is said from the wire.
var goErrorWords = []string{"read tcp", "write tcp", "by peer", "i/o timeout", "deadline exceeded", "broken pipe"}

func goWords(s string) bool {
	for _, w := range goErrorWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// TestLabResetWords: the lab's reset answers every hello with a
// ServerHello and then resets the connection (RST). The features whose
// full handshakes it cuts say that the server reset the connection, not
// that it closed it, nor Go's "connection reset by peer" with the ports.
func TestLabResetWords(t *testing.T) {
	r := labScan(t, "reset", 5*time.Second)
	for _, name := range []string{"session_id_resumption", "ticket_resumption", "client_renegotiation", "hsts"} {
		f := r.Feature(name)
		if f == nil || !strings.Contains(f.Detail, "the server reset the connection") {
			t.Errorf("%s: %+v, want the server reset the connection", name, f)
		}
	}
	for _, f := range r.Features {
		if goWords(f.Detail) {
			t.Errorf("%s: %q has Go's error text", f.Name, f.Detail)
		}
	}
	for _, vr := range r.Versions {
		if goWords(vr.Reason) || goWords(vr.Incomplete) {
			t.Errorf("%s: %q, %q have Go's error text", wire.VersionName(vr.Version), vr.Reason, vr.Incomplete)
		}
	}
}

// stallAfterServerHello answers a TLS 1.2 ClientHello with a ServerHello
// choosing its first suite, then sends nothing more until the client
// closes; it returns its address and the size of what it sends.
func stallAfterServerHello(t *testing.T) (string, int) {
	sh := &wire.ServerHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuite: 0xc02f}
	b, err := sh.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec := mustRecord(t, wire.ContentHandshake, b)
	return tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if readClientHello(c) == nil {
			return
		}
		_, _ = c.Write(rec)
		_, _ = io.Copy(io.Discard, c)
	}), len(rec)
}

// TestFullHandshakeTimeoutWords: a full handshake, and the one before a
// renegotiation, whose time runs out after the server's ServerHello say
// how many bytes came and that nothing followed, not Go's "context
// deadline exceeded".
func TestFullHandshakeTimeoutWords(t *testing.T) {
	addr, n := stallAfterServerHello(t)
	want := "the server sent " + strconv.Itoa(n) + " bytes, then nothing the handshake waited for before its time ran out"
	p := &prober{addr: addr, timeout: time.Second, sem: make(chan struct{}, 2)}
	cfg := &handshake.Config{MinVersion: wire.VersionTLS12, MaxVersion: wire.VersionTLS12, CipherSuites: []uint16{0xc02f}}
	fr := p.handshake(context.Background(), cfg, false)
	if fr.outcome != TimedOut || fr.err == nil || fr.err.Error() != want {
		t.Errorf("full handshake: %s (%v), want timed out: %s", fr.outcome, fr.err, want)
	}
	r := &Result{Versions: []VersionResult{{Version: wire.VersionTLS12, Outcome: Accepted, Suites: []uint16{0xc02f}}}}
	f := scanRenegotiation(context.Background(), r, p, &Options{})
	if f == nil || !strings.Contains(f.Detail, want) || goWords(f.Detail) {
		t.Errorf("client_renegotiation %+v, want %q", f, want)
	}
}

// TestRenegotiationResetWords: crypto/tls completes a TLS 1.2 handshake,
// and the connection is reset (RST) when the renegotiation's ClientHello
// comes: client_renegotiation says the server reset it, not closed it.
func TestRenegotiationResetWords(t *testing.T) {
	cfg := &tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, true))}}
	addr := tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		var b [1]byte
		if _, err := c.Read(b[:]); err == nil {
			_ = c.(*net.TCPConn).SetLinger(0)
		}
	})
	p := &prober{addr: addr, timeout: 2 * time.Second, sem: make(chan struct{}, 1)}
	r := &Result{Versions: []VersionResult{{Version: wire.VersionTLS12, Outcome: Accepted, Suites: []uint16{0xc02f}}}}
	f := scanRenegotiation(context.Background(), r, p, &Options{})
	if f == nil || !f.Known || f.Supported || !strings.Contains(f.Detail, "the server reset the connection when a ClientHello was sent") {
		t.Errorf("client_renegotiation %+v, want known, refused: the server reset the connection", f)
	}
}
