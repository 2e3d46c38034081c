package server

import (
	"crypto/tls"
	"strings"
	"testing"
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
