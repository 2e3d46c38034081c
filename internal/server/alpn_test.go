package server

import (
	"context"
	"crypto/tls"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestH2ProhibitedSuite serves www with an RSA certificate to clients
// that offer h2 and http/1.1 in TLS 1.2 with ECDHE-RSA-AES128-SHA alone,
// a suite HTTP/2 prohibits (RFC 9113, Section 9.2.2), which net/http's
// HTTP/2 server refuses with a GOAWAY INADEQUATE_SECURITY: the server
// picks http/1.1 and curl and openssl s_client get their response. With
// an AEAD suite h2 is still chosen, and a client offering h2 alone still
// gets it.
func TestH2ProhibitedSuite(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "openssl")
	var mu sync.Mutex
	var events []*trace.Event
	s, err := New(Config{Certificates: []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, true))}, Mode: "www", Trace: true,
		ALPN: []string{"h2", "http/1.1"}}, func(ev *trace.Event) {
		mu.Lock()
		events = append(events, ev.Clone())
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := ln.Addr().String()

	curl := func(ciphers string) string {
		t.Helper()
		out, err := exec.Command("curl", "-sk", "-m", "10", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", ciphers, "-o", "/dev/null", "-w", "%{http_code} %{http_version}", "https://"+addr+"/").CombinedOutput()
		if err != nil {
			t.Errorf("curl --ciphers %s: %v: %s", ciphers, err, out)
		}
		return string(out)
	}
	if got := curl("ECDHE-RSA-AES128-SHA"); got != "200 1.1" {
		t.Errorf("curl --ciphers ECDHE-RSA-AES128-SHA: %q, want 200 over HTTP/1.1", got)
	}
	if got := curl("ECDHE-RSA-AES128-GCM-SHA256"); got != "200 2" {
		t.Errorf("curl --ciphers ECDHE-RSA-AES128-GCM-SHA256: %q, want 200 over HTTP/2", got)
	}
	sClient := func(alpn string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", addr, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA", "-alpn", alpn, "-ign_eof")
		if alpn != "h2" {
			cmd.Stdin = strings.NewReader("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		}
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := sClient("h2,http/1.1"); !strings.Contains(out, "ALPN protocol: http/1.1") || !strings.Contains(out, "HTTP/1.1 200") {
		t.Errorf("s_client -alpn h2,http/1.1: want http/1.1 and a response:\n%s", out)
	}
	goaways := func() (n int) {
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range events {
			if f, ok := ev.Payload.(*trace.H2Frame); ok && ev.From == trace.Server && f.ErrorCode != nil && f.ErrorCode.Name == "INADEQUATE_SECURITY" {
				n++
			}
		}
		return n
	}
	if n := goaways(); n > 0 {
		t.Errorf("%d GOAWAY INADEQUATE_SECURITY sent to clients that offered http/1.1 too", n)
	}
	// said returns the notes and the warnings of the handshakes so far.
	said := func() (notes []string, warnings []trace.Warning) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range events {
			if h, ok := ev.Payload.(*trace.Handshake); ok && !h.Failed {
				notes, warnings = append(notes, h.Notes...), append(warnings, h.Warnings...)
			}
		}
		return notes, warnings
	}
	// Both clients that got http/1.1 are told why; the one that got h2
	// over a suite HTTP/2 allows is told nothing.
	notes, warnings := said()
	if len(notes) != 2 || len(warnings) != 0 {
		t.Errorf("notes %q, warnings %q; want two notes, no warning", notes, warnings)
	}
	for _, n := range notes {
		if !strings.Contains(n, "h2 was left out") || !strings.Contains(n, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") || !strings.Contains(n, "got http/1.1") {
			t.Errorf("note %q: want h2 left out, the suite and http/1.1", n)
		}
	}
	// A client that offers h2 alone gets it, and the refusal.
	if out := sClient("h2"); !strings.Contains(out, "ALPN protocol: h2") {
		t.Errorf("s_client -alpn h2: want h2, the client's only protocol:\n%s", out)
	}
	if n := goaways(); n != 1 {
		t.Errorf("%d GOAWAY INADEQUATE_SECURITY sent, want 1 to the client that offered h2 alone", n)
	}
	// That one is warned of the refusal, with its cause and fix.
	if _, warnings = said(); len(warnings) != 1 ||
		!strings.Contains(warnings[0].Cause, "h2 was negotiated over TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") ||
		!strings.Contains(warnings[0].Cause, "GOAWAY INADEQUATE_SECURITY") || !strings.Contains(warnings[0].Fix, "TLS 1.3") {
		t.Errorf("warnings %q; want one, for the client that offered h2 alone", warnings)
	}
}
