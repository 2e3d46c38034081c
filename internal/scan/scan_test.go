package scan

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// goServer serves crypto/tls with cfg on 127.0.0.1 until the test ends.
func goServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	if cfg.Certificates == nil {
		cfg.Certificates = []tls.Certificate{tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost")}
	}
	return tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
		tc.Close()
	})
}

func scanOf(t *testing.T, addr string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Scan(ctx, Options{Addr: addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestScanGoTLS12OneSuite scans crypto/tls limited to TLS 1.2 and one
// suite: exactly that version and suite are accepted, and the findings
// say TLS 1.3 is missing.
func TestScanGoTLS12OneSuite(t *testing.T) {
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	r := scanOf(t, addr)
	for _, vr := range r.Versions {
		want := vr.Version == wire.VersionTLS12
		if (vr.Outcome == Accepted) != want {
			t.Errorf("%s: %s (%s), want accepted %v", wire.VersionName(vr.Version), vr.Outcome, vr.Reason, want)
		}
	}
	if got := r.Version(wire.VersionTLS12).Suites; !slices.Equal(got, []uint16{0xC02B}) {
		t.Errorf("TLS 1.2 suites %04X, want [C02B]", got)
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "no-tls13" }) {
		t.Errorf("findings %v lack no-tls13", r.Findings)
	}
	if r.Grade != "A-" {
		t.Errorf("grade %q, want A-", r.Grade)
	}
	if !slices.Contains(r.Groups12, 29) || !slices.Contains(r.Groups12, 23) || slices.Contains(r.Groups12, 1) {
		t.Errorf("TLS 1.2 groups %v, want x25519 and secp256r1 and no sect163k1", r.Groups12)
	}
}

// TestScanGoServerOrder checks the suites and the order verdict against
// crypto/tls, which picks by its own order (AES-GCM first on hardware
// with AES) whatever the client prefers, and the TLS 1.3 suites and
// groups it has.
func TestScanGoServerOrder(t *testing.T) {
	suites := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: suites,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}})
	r := scanOf(t, addr)
	v12 := r.Version(wire.VersionTLS12)
	got := slices.Sorted(slices.Values(v12.Suites))
	if !slices.Equal(got, slices.Sorted(slices.Values(suites))) {
		t.Errorf("TLS 1.2 suites %04X, want %04X", v12.Suites, suites)
	}
	if v12.Order != OrderServer {
		t.Errorf("TLS 1.2 order %s, want server (crypto/tls ignores the client's order)", v12.Order)
	}
	v13 := r.Version(wire.VersionTLS13)
	if len(v13.Suites) != 3 {
		t.Errorf("TLS 1.3 suites %04X, want the three of crypto/tls", v13.Suites)
	}
	if !slices.Equal(r.Groups13, []uint16{29, 23}) {
		t.Errorf("TLS 1.3 groups %v, want [29 23]", r.Groups13)
	}
}

// TestScanTimeout checks that a server that accepts the connection and
// never answers is reported as timed out, not as refusing or accepting.
func TestScanTimeout(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		time.Sleep(2 * time.Second)
		c.Close()
	})
	r, err := Scan(context.Background(), Options{Addr: addr, Timeout: 200 * time.Millisecond, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, vr := range r.Versions {
		if vr.Outcome != TimedOut {
			t.Errorf("%s: %s, want timed out", wire.VersionName(vr.Version), vr.Outcome)
		}
	}
	if r.Grade != "" {
		t.Errorf("grade %q with no version accepted", r.Grade)
	}
}

// TestScanClosed checks that a server that closes at once refuses every
// version, and that an address where nothing listens is an error.
func TestScanClosed(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) { c.Close() })
	r := scanOf(t, addr)
	for _, vr := range r.Versions {
		if vr.Outcome != Refused {
			t.Errorf("%s: %s, want refused", wire.VersionName(vr.Version), vr.Outcome)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if _, err := Scan(context.Background(), Options{Addr: dead, Timeout: time.Second}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("scan of a closed port: %v, want ErrUnreachable", err)
	}
}

func TestBits(t *testing.T) {
	for s, want := range map[uint16]int{
		0x003C: 128, // TLS_RSA_WITH_AES_128_CBC_SHA256
		0x003D: 256, // TLS_RSA_WITH_AES_256_CBC_SHA256
		0x000A: 112, // 3DES
		0x0009: 56,  // DES
		0x0003: 40,  // RC4_40 export
		0x0002: 0,   // NULL
		0xCCA8: 256, // ChaCha20
		0x1301: 128,
		0x1302: 256,
		0x0005: 128, // RC4_128
	} {
		if got := Bits(s); got != want {
			t.Errorf("Bits(%s) = %d, want %d", wire.CipherSuiteName(s), got, want)
		}
	}
}
