package scan

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// goErrorWords are pieces of Go's error text that a feature line or a
// version's reason must not show: what happened is said from the wire.
var goErrorWords = []string{"read tcp", "write tcp", "dial tcp", "by peer", "i/o timeout", "deadline exceeded", "broken pipe"}

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
// that it closed it, nor Go's "connection reset by peer" with the ports;
// heartbleed and ccs_injection, whose probes read on to the
// ServerHelloDone, say that the server answered with a ServerHello and
// then reset the connection before it, not that the probe was not
// answered, nor that its first flight did not end with one.
func TestLabResetWords(t *testing.T) {
	r := labScan(t, "reset", 5*time.Second)
	for _, name := range []string{"session_id_resumption", "ticket_resumption", "client_renegotiation", "hsts"} {
		f := r.Feature(name)
		if f == nil || !strings.Contains(f.Detail, "the server reset the connection") {
			t.Errorf("%s: %+v, want the server reset the connection", name, f)
		}
	}
	for _, name := range []string{"heartbleed", "ccs_injection"} {
		f := r.Feature(name)
		if f == nil {
			t.Errorf("%s: none", name)
			continue
		}
		want := "the probe in " + wire.VersionName(f.Version) + " was answered with a ServerHello, then the server reset the connection before the ServerHelloDone that ends its first flight"
		if f.Known || f.Detail != want {
			t.Errorf("%s: %+v, want not known: %s", name, f, want)
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

// TestScanClosedPort: a scan of a port nothing listens on (the kernel
// answers the SYN with a RST, as a plain dial to it shows: ECONNREFUSED)
// is unreachable, said as the network answered, not in Go's words with
// the address; the error still wraps ECONNREFUSED.
func TestScanClosedPort(t *testing.T) {
	var addr string
	for port := 45900; port < 46000 && addr == ""; port++ {
		a := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if l, err := net.Listen("tcp", a); err == nil {
			l.Close()
			addr = a
		}
	}
	if addr == "" {
		t.Fatal("no free port from 45900")
	}
	if c, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
	_, err := Scan(context.Background(), Options{Addr: addr, Timeout: 2 * time.Second})
	const want = ": the connection was refused: a TCP RST answered its SYN (nothing listens on the port, or a firewall rejects it)"
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) || !strings.HasSuffix(err.Error(), want) || goWords(err.Error()) {
		t.Errorf("scan: %v, want unreachable%s", err, want)
	}
}

// TestUnexpectedEndWords: an error the heartbleed and CCS injection
// probes do not expect (no route to the host, once connected) is said in
// the system's words, without Go's account of the connection; a TCP
// time-out (ETIMEDOUT) is a time-out.
func TestUnexpectedEndWords(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 45001},
			Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443}, Err: os.NewSyscallError("read", errno)}
	}
	unreachable := opErr(syscall.EHOSTUNREACH)
	if got := (bleedAnswer{}).ended(unreachable); got.end != "the connection then failed: no route to host" || got.timedOut {
		t.Errorf("heartbleed: %+v", got)
	}
	var r ccsReply
	r.ended(unreachable)
	if got := r.String(); got != "gave no answer before the connection failed (no route to host)" {
		t.Errorf("ccs: %q", got)
	}
	if a := readFailure(unreachable); a.outcome != Refused || a.err.Error() != "the connection failed: no route to host" {
		t.Errorf("readFailure: %s %v", a.outcome, a.err)
	}
	timeout := opErr(syscall.ETIMEDOUT)
	if got := (bleedAnswer{}).ended(timeout); !got.timedOut {
		t.Errorf("heartbleed, ETIMEDOUT: %+v", got)
	}
	r = ccsReply{}
	r.ended(timeout)
	if !r.timedOut {
		t.Errorf("ccs, ETIMEDOUT: %+v", r)
	}
	if cut := flightCut(answer{outcome: Accepted, end: os.ErrDeadlineExceeded}); cut.outcome != TimedOut || cut.err.Error() != "the server said nothing more within the probe's time before the ServerHelloDone that ends its first flight" {
		t.Errorf("flightCut, time-out: %s %v", cut.outcome, cut.err)
	}
	cut := flightCut(answer{outcome: Accepted, end: opErr(syscall.EHOSTUNREACH)})
	if cut.outcome != Refused || cut.err.Error() != "the connection failed before the ServerHelloDone that ends its first flight: no route to host" {
		t.Errorf("flightCut: %s %v", cut.outcome, cut.err)
	}
}

// TestFlightWords: the heartbleed and ccs_injection details say what
// became of their probe: answered with a ServerHello and then cut, with
// an alert, or with something else; not answered (the server closed or
// reset the connection first, or said nothing in time); not sent (no
// connection).
func TestFlightWords(t *testing.T) {
	const probe = "the probe in TLS 1.2 "
	for _, c := range []struct {
		a    answer
		want string
	}{
		{flightCut(answer{outcome: Accepted, end: syscall.ECONNRESET}),
			"was answered with a ServerHello, then the server reset the connection before the ServerHelloDone that ends its first flight"},
		{flightCut(answer{outcome: Accepted, end: io.EOF}),
			"was answered with a ServerHello, then the server closed the connection before the ServerHelloDone that ends its first flight"},
		{flightCut(answer{outcome: Accepted, end: os.ErrDeadlineExceeded}),
			"was answered with a ServerHello, then the server said nothing more within the probe's time before the ServerHelloDone that ends its first flight"},
		{flightCut(answer{outcome: Accepted}),
			"was answered with a ServerHello, then the server's first flight did not end with a ServerHelloDone"},
		{answer{outcome: Refused, alert: wire.AlertHandshakeFailure, hasAlert: true, err: errors.New("alert handshake_failure")},
			"was answered with the alert handshake_failure"},
		{readFailure(syscall.ECONNRESET), "was not answered: the server reset the connection"},
		{readFailure(io.EOF), "was not answered: the server closed the connection"},
		{readFailure(os.ErrDeadlineExceeded), "was not answered: no answer in time"},
		{answer{outcome: Refused, err: errors.New("the server answered with certificate, not a server_hello")},
			"was not answered with a ServerHello: the server answered with certificate, not a server_hello"},
		{answer{outcome: Failed, err: &connectError{err: syscall.ECONNREFUSED}},
			"was not sent: the connection was refused: a TCP RST answered its SYN (nothing listens on the port, or a firewall rejects it)"},
	} {
		if got := flightWords(wire.VersionTLS12, c.a); got != probe+c.want {
			t.Errorf("%+v: %q, want %q", c.a, got, probe+c.want)
		}
	}
}

// TestAlertAfterServerHelloWords: a server that answers the hello with a
// ServerHello, then a fatal alert (internal_error) instead of the rest of
// its first flight: heartbleed and ccs_injection name the alert, not a
// flight that "did not end with a ServerHelloDone".
func TestAlertAfterServerHelloWords(t *testing.T) {
	sh := &wire.ServerHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuite: 0xc02f}
	b, err := sh.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	flight := append(mustRecord(t, wire.ContentHandshake, b), mustRecord(t, wire.ContentAlert, []byte{2, byte(wire.AlertInternalError)})...)
	addr := tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if readClientHello(c) == nil {
			return
		}
		_, _ = c.Write(flight)
	})
	p := &prober{addr: addr, timeout: 2 * time.Second, sem: make(chan struct{}, 2)}
	r := &Result{Versions: []VersionResult{{Version: wire.VersionTLS12, Outcome: Accepted, Suites: []uint16{0xc02f}}}}
	want := "the probe in TLS 1.2 was answered with a ServerHello, then the server sent the alert internal_error before the ServerHelloDone that ends its first flight"
	for name, f := range map[string]*Feature{
		"heartbleed":    scanHeartbleed(context.Background(), r, p),
		"ccs_injection": scanCCSInjection(context.Background(), r, p),
	} {
		if f == nil || f.Known || f.Detail != want {
			t.Errorf("%s: %+v, want not known: %s", name, f, want)
		}
	}
}
