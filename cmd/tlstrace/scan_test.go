package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestScanJSON runs `tlstrace scan HOST:PORT --json` against crypto/tls
// with TLS 1.2 and one suite: one suite_accepted event, with the version
// and suite as enums, and exit 0; the text report names the suite, the
// finding and the grade.
func TestScanJSON(t *testing.T) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		Certificates: []tls.Certificate{tlstest.SelfSigned(t, tlstest.NewKey(t, true), "localhost")}}
	addr := tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
	})
	var out, errOut bytes.Buffer
	if code := run([]string{"scan", addr, "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	type enum struct {
		Name  string
		Value int
	}
	var accepted []string
	for line := range strings.Lines(out.String()) {
		var ev struct {
			Layer, Type string
			Fields      struct {
				Version     enum
				CipherSuite enum `json:"cipher_suite"`
			}
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if ev.Layer == "scan" && ev.Type == "suite_accepted" {
			f := ev.Fields
			if f.Version != (enum{"TLS 1.2", 771}) || f.CipherSuite != (enum{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 49199}) {
				t.Errorf("suite_accepted %+v", f)
			}
			accepted = append(accepted, line)
		}
	}
	if len(accepted) != 1 {
		t.Errorf("%d suite_accepted events, want 1:\n%s", len(accepted), out.String())
	}
	out.Reset()
	if code := run([]string{"scan", addr}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"TLS 1.2  accepted", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "[no-tls13]", "Grade A-"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
