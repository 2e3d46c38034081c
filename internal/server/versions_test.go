package server

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestMaxVersionBelowDefaultMin checks a server given only a maximum
// below TLS 1.2, the default minimum: it serves that version (as openssl
// s_server -tls1_1 does) on the own engine, and not an older one.
func TestMaxVersionBelowDefaultMin(t *testing.T) {
	addr, _ := hostileServer(t, Config{MaxVersion: tls.VersionTLS11})
	dial := func(v uint16) (uint16, error) {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.ConnectionState().Version, nil
	}
	if v, err := dial(tls.VersionTLS11); err != nil || v != tls.VersionTLS11 {
		t.Errorf("TLS 1.1: %#x, %v", v, err)
	}
	if _, err := dial(tls.VersionTLS10); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.0: %v, want a protocol_version alert", err)
	}
}

// TestInternalErrorIsTheServers checks the cause of an internal_error the
// server sent: its own failure (here a range of versions that holds none,
// which the own engine cannot serve), not something the client did.
func TestInternalErrorIsTheServers(t *testing.T) {
	addr, failures := hostileServer(t, Config{Engine: "own", MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS12})
	if c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}); err == nil {
		c.Close()
		t.Fatal("the handshake succeeded")
	}
	var h *trace.Handshake
	for deadline := time.Now().Add(5 * time.Second); h == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if f := failures(); len(f) > 0 {
			h = f[0]
		}
	}
	if h == nil {
		t.Fatal("no failed handshake")
	}
	if !strings.HasPrefix(h.Cause, "the server failed on its own side and ended the handshake with an internal_error alert, which says the fault is not the client's: no TLS version between") ||
		!strings.Contains(h.Fix, "nothing the client sent caused this") {
		t.Errorf("cause %q, fix %q", h.Cause, h.Fix)
	}
}
