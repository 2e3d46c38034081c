package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/failure"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/suites"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestEngineChoice checks which settings need tlstrace's own engine under
// EngineAuto (and are refused with EngineGo), and that the reason names
// what crypto/tls lacks.
func TestEngineChoice(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string // part of the reason; "" for crypto/tls
	}{
		{Options{}, ""},
		{Options{Ciphers: "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"}, ""},
		{Options{TLS13Ciphers: "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"}, ""},
		{Options{Curves: "X25519:P-256"}, ""},
		{Options{Ciphers: "DHE-RSA-AES128-GCM-SHA256"}, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
		{Options{Ciphers: "ECDHE-RSA-AES128-GCM-SHA256:TLS_RSA_WITH_AES_128_CCM"}, "TLS_RSA_WITH_AES_128_CCM"},
		{Options{Ciphers: "EDH-RSA-AES256-SHA256"}, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
		{Options{TLS13Ciphers: "TLS_CHACHA20_POLY1305_SHA256"}, "only TLS_CHACHA20_POLY1305_SHA256"},
		{Options{TLS13Ciphers: "TLS_AES_128_CCM_SHA256"}, "TLS_AES_128_CCM_SHA256, which crypto/tls does not implement"},
		{Options{Curves: "X25519:ffdhe2048"}, "ffdhe2048"},
	} {
		_, o, err := c.o.Build()
		if err != nil {
			t.Errorf("%+v: %v", c.o, err)
			continue
		}
		got := o.ownReason()
		if (got == "") != (c.want == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: reason %q, want %q", c.o, got, c.want)
		}
		own := c.o
		own.Engine = "own"
		if _, o, err := own.Build(); err != nil || o.Engine != EngineOwn || o.ownReason() != "" {
			t.Errorf("%+v with own: %v, %+v", c.o, err, o)
		}
	}
}

// TestRetrySuites checks that the suites the own engine offers on a retry
// are each implemented by crypto/tls or by the own engine.
func TestRetrySuites(t *testing.T) {
	for _, id := range retrySuites12 {
		if !suites.Go(id) && !suites.Own(id) {
			t.Errorf("the retry offers 0x%04X, a suite neither stack implements", id)
		}
	}
}

// TestRetryReason checks when a failed crypto/tls handshake is tried
// again with the own engine: a server that refused the ClientHello with
// handshake_failure or insufficient_security, under EngineAuto only; not
// a server that wants a client certificate, nor a refused chain.
func TestRetryReason(t *testing.T) {
	alert := func(from trace.Side, d wire.AlertDescription) *AlertError {
		return &failure.AlertError{From: from, Alert: &trace.Alert{Level: &trace.Enum{Name: "fatal", Value: 2}, Description: &trace.Enum{Name: d.String(), Value: uint64(d)}}}
	}
	wrap := func(a *AlertError) error { return failure.Explained("cause", a, errors.New("crypto/tls")) }
	for _, c := range []struct {
		name   string
		engine Engine
		err    error
		retry  bool
	}{
		{"handshake_failure", EngineAuto, advise(StepTLS, wrap(alert(trace.Server, wire.AlertHandshakeFailure)), AdviseSuites), true},
		{"insufficient_security", EngineAuto, stepErr(StepTLS, wrap(alert(trace.Server, wire.AlertInsufficientSecurity)), "x"), true},
		{"engine go", EngineGo, advise(StepTLS, wrap(alert(trace.Server, wire.AlertHandshakeFailure)), AdviseSuites), false},
		{"engine own", EngineOwn, advise(StepTLS, wrap(alert(trace.Server, wire.AlertHandshakeFailure)), AdviseSuites), false},
		{"client certificate", EngineAuto, advise(StepTLS, wrap(alert(trace.Server, wire.AlertHandshakeFailure)), AdviseClientCert), false},
		{"client's alert", EngineAuto, advise(StepTLS, wrap(alert(trace.Client, wire.AlertHandshakeFailure)), AdviseSuites), false},
		{"protocol_version", EngineAuto, advise(StepTLS, wrap(alert(trace.Server, wire.AlertProtocolVersion)), AdviseVersions), false},
		{"verify", EngineAuto, stepErr(StepVerify, errors.New("untrusted"), ""), false},
		{"none", EngineAuto, nil, false},
	} {
		o := &TLSOptions{Engine: c.engine}
		if c.name == "handshake_failure" {
			// Suites limited to crypto/tls's: the limit is the cause.
			limited := &TLSOptions{CipherSuites: []uint16{0xC02F}}
			if _, retry := limited.retryReason(c.err); retry {
				t.Errorf("retried with the suites limited to crypto/tls's")
			}
			// Settings only the own engine speaks: it ran first, and
			// crypto/tls was never refused.
			own := &TLSOptions{TLS13Suites: []uint16{0x1303}}
			if why, retry := own.retryReason(c.err); retry {
				t.Errorf("the own engine's refusal retried with the own engine: %q", why)
			}
		}
		why, retry := o.retryReason(c.err)
		if retry != c.retry || (retry && !strings.Contains(why, "refused crypto/tls's ClientHello")) {
			t.Errorf("%s: retry %v (%q), want %v", c.name, retry, why, c.retry)
		}
	}
}

// TestRetryUnreachable checks a retry with the own engine that cannot
// reach the server again (a server that accepts one connection): the
// error is crypto/tls's refusal, with the advice to run the own engine from
// the start, and the trace shows the second connect that failed.
func TestRetryUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		ln.Close() // nothing listens when the own engine dials again
		if err != nil {
			return
		}
		defer c.Close()
		if readHello(c) == nil {
			c.Write([]byte{21, 3, 3, 0, 2, 2, byte(wire.AlertHandshakeFailure)})
		}
	}()
	e, events := get(t, ln.Addr().String(), TLSOptions{Insecure: true})
	checkCause(t, e, StepTLS, "the server found no cipher suite, group or signature algorithm in common (handshake_failure alert)", AdviseRetryOwn)
	refused := false
	for _, ev := range events {
		if _, ok := ev.Payload.(*trace.TCPConnect); ok && ev.Conn == 2 && ev.Error != "" {
			refused = true
		}
	}
	if !refused {
		t.Errorf("the trace does not show the second connection refused")
	}
}

// TestEngineEventOwn checks that a handshake on the own engine because
// the user asked for it (EngineOwn) is announced by an engine event, as
// one the settings or a retry need is, with the reason in the user's
// words (EngineWith).
func TestEngineEventOwn(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	for _, with := range []string{"--engine own", ""} {
		var choices []*trace.EngineChoice
		var conns []int
		tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
			if c, ok := ev.Payload.(*trace.EngineChoice); ok {
				choices, conns = append(choices, c), append(conns, ev.Conn)
			}
		})
		_, err := Get(context.Background(), tr, &Request{URL: srv.URL + "/", UserAgent: "test", MaxTime: 10 * time.Second, Output: io.Discard,
			TLS: TLSOptions{Insecure: true, Engine: EngineOwn, EngineWith: with}})
		if err != nil {
			t.Fatal(err)
		}
		want := "asked for with " + with
		if with == "" {
			want = "asked for"
		}
		if len(choices) != 1 || conns[0] != 1 || choices[0].Engine != trace.EngineOwn || choices[0].Reason != want {
			t.Errorf("EngineWith %q: engine events %+v on connections %v, want one saying %q", with, choices, conns, want)
		}
	}
}
