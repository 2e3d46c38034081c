package scan

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/lab"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// labScan serves one of the lab's faults on a port the system chooses
// and scans it, trusting the lab's root CA.
func labScan(t *testing.T, name string, timeout time.Duration) *Result {
	t.Helper()
	r, _ := labScanEvents(t, name, timeout)
	return r
}

// labScanEvents is labScan, with the payloads of the events the scan
// emitted, in their order.
func labScanEvents(t *testing.T, name string, timeout time.Duration) (*Result, []Payload) {
	t.Helper()
	l, err := lab.New()
	if err != nil {
		t.Fatal(err)
	}
	servers, err := l.Listen(0, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Serve(ctx, func() []byte { return nil })
		}()
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
	defer scancel()
	var events []Payload
	r, err := Scan(sctx, Options{Addr: servers[0].Host(), Timeout: timeout, Roots: []*x509.Certificate{l.Root},
		Emit: func(p Payload) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	return r, events
}

// eventsOf returns the payloads of events of type T.
func eventsOf[T any](events []Payload) []T {
	var out []T
	for _, p := range events {
		if x, ok := p.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

func rules(r *Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule)
	}
	return out
}

// TestLabSameServerHello: the lab's servers that answer every hello with
// the same ServerHello (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, then a
// reset, a flood of alerts, or a certificate that does not parse) send
// no ServerKeyExchange, so no curve is accepted: the curves are unknown.
// The suite chosen in a hello that did not offer it is a finding.
func TestLabSameServerHello(t *testing.T) {
	for _, name := range []string{"reset", "alert-storm", "corrupt-cert"} {
		r := labScan(t, name, 5*time.Second)
		if len(r.Groups12) > 0 || r.Groups12Unknown == "" {
			t.Errorf("%s: curves %v (unknown: %q), want none and a reason", name, r.Groups12, r.Groups12Unknown)
		}
		if vr := r.Version(wire.VersionTLS12); vr == nil || !vr.HasUnoffered || vr.Unoffered != 0xc02f {
			t.Errorf("%s: TLS 1.2 %+v, want the unoffered suite", name, vr)
		}
		if !slices.Contains(rules(r), "unoffered-suite") {
			t.Errorf("%s: findings %v lack unoffered-suite", name, rules(r))
		}
	}
}

// TestLabCurvesUnknownEvent: the lab's reset answers every hello with the
// same ServerHello and no ServerKeyExchange: the curves before TLS 1.3
// are unknown, and an event says so with the reason the text gives.
func TestLabCurvesUnknownEvent(t *testing.T) {
	r, events := labScanEvents(t, "reset", 5*time.Second)
	cu := eventsOf[*CurvesUnknown](events)
	if r.Groups12Unknown == "" || len(cu) != 1 || cu[0].Reason != r.Groups12Unknown || cu[0].Version != wire.VersionTLS12 {
		t.Errorf("curves_unknown events %+v, want one in TLS 1.2 saying %q", cu, r.Groups12Unknown)
	}
}

// TestLabIndexNoExpiry: the lab's server with nothing wrong gets no
// finding that its certificate expires soon.
func TestLabIndexNoExpiry(t *testing.T) {
	r := labScan(t, "index", 5*time.Second)
	if slices.Contains(rules(r), "expires-soon") {
		t.Errorf("findings %v, want no expires-soon", rules(r))
	}
}

// TestLabSNIRequiredRetryOnly: the lab's sni-required answers every TLS
// 1.3 hello without a server name with a HelloRetryRequest, and every
// full handshake ends in unrecognized_name, as TLS 1.2's hellos do: TLS
// 1.3 is marked as answered by HelloRetryRequests only, not confirmed.
func TestLabSNIRequiredRetryOnly(t *testing.T) {
	r, events := labScanEvents(t, "sni-required", 5*time.Second)
	vr := r.Version(wire.VersionTLS13)
	if vr == nil || !vr.RetryOnly || !strings.Contains(vr.Unconfirmed, "unrecognized_name") {
		t.Errorf("TLS 1.3: %+v, want answered by HelloRetryRequests only, unconfirmed by unrecognized_name", vr)
	}
	// The events say it too: TLS 1.3's version event comes once, after
	// the full handshakes, not accepted.
	var found []*VersionFound
	for _, vf := range eventsOf[*VersionFound](events) {
		if vf.Version == wire.VersionTLS13 {
			found = append(found, vf)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d version events for TLS 1.3, want 1", len(found))
	}
	tree := found[0].Tree()
	accepted, outcome, reason := tree.Get("accepted"), tree.Get("outcome"), tree.Get("reason")
	if accepted == nil || accepted.Uint != 0 || outcome == nil || outcome.Str != "unconfirmed" || reason == nil || !strings.Contains(reason.Str, "unrecognized_name") {
		t.Errorf("TLS 1.3 version event %+v, want not accepted, unconfirmed, with unrecognized_name", found[0])
	}
}

// TestLabSSLv2Only: the lab's sslv2 answers every hello in SSL 2.0. No
// TLS suite is accepted, so no finding speaks of the suites' key
// exchange; no-tls13 says the answer was not TLS, not a refusal; no TLS
// feature is probed in SSL 2.0.
func TestLabSSLv2Only(t *testing.T) {
	r := labScan(t, "sslv2", 5*time.Second)
	for _, f := range r.Findings {
		if f.Rule == "no-forward-secrecy" || f.Rule == "no-tls13" && strings.Contains(f.Cause, "refused") {
			t.Errorf("finding %s: %s", f.Rule, f.Cause)
		}
	}
	if len(r.Features) > 0 {
		t.Errorf("features %+v, want none", r.Features)
	}
}

// TestLabSlow: the lab's slow sends one byte a second, so no answer is
// whole within a probe's time: the versions time out saying bytes came,
// without Go's error text, and the summary says the server answers too
// slowly, not that it accepted no version.
func TestLabSlow(t *testing.T) {
	r := labScan(t, "slow", 2*time.Second)
	vr := r.Version(wire.VersionTLS12)
	if vr.Outcome != TimedOut || !strings.Contains(vr.Reason, "too slowly") || strings.Contains(vr.Reason, "i/o timeout") {
		t.Errorf("TLS 1.2: %s (%s), want timed out, too slowly", vr.Outcome, vr.Reason)
	}
	if r.Grade != "" || !strings.Contains(r.Ungraded, "answered too slowly") {
		t.Errorf("grade %q, ungraded %q", r.Grade, r.Ungraded)
	}
}

// TestLabALPNMismatch: the lab's alpn-mismatch refuses every protocol
// offered, h2 and http/1.1 among them, with no_application_protocol,
// which stops browsers and curl: a finding says so.
func TestLabALPNMismatch(t *testing.T) {
	r, events := labScanEvents(t, "alpn-mismatch", 5*time.Second)
	if !slices.Contains(r.ALPNRefused, "h2") || !slices.Contains(r.ALPNRefused, "http/1.1") || !slices.Contains(rules(r), "alpn-refused") {
		t.Errorf("ALPN refused %v, findings %v; want h2 and http/1.1 refused, alpn-refused", r.ALPNRefused, rules(r))
	}
	var refused []string
	for _, p := range eventsOf[*ALPNRefused](events) {
		refused = append(refused, p.Protocol)
	}
	if !slices.Equal(refused, r.ALPNRefused) {
		t.Errorf("alpn_refused events %v, want %v", refused, r.ALPNRefused)
	}
}

// TestLabCorruptCertNumbering: the lab's corrupt-cert sends a leaf that
// does not parse. The scan names it as the client does, from 0, the
// leaf, as its listing of a chain numbers the certificates.
func TestLabCorruptCertNumbering(t *testing.T) {
	r := labScan(t, "corrupt-cert", 5*time.Second)
	want := "certificate 0 (the leaf) does not parse"
	if len(r.Chains) == 0 || !strings.Contains(r.Chains[0].Err, want) {
		t.Errorf("chains %+v, want an error saying %q", r.Chains, want)
	}
}
