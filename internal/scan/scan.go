package scan

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlstrace/tlstrace/internal/scan/scanev"
	"github.com/tlstrace/tlstrace/internal/starttls"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Versions lists the versions a scan probes with TLS hellos, oldest
// first; SSL 2.0 (VersionSSL20) is probed too, with its own hello, and
// comes first in Result.Versions.
var Versions = []uint16{wire.VersionSSL30, wire.VersionTLS10, wire.VersionTLS11, wire.VersionTLS12, wire.VersionTLS13}

// Options configure a scan.
type Options struct {
	// Addr is the server's HOST:PORT.
	Addr string
	// ServerName is sent as SNI; "" sends none. The chains are verified
	// for it, or, when it is "", for the address of Addr when that is an
	// IP address.
	ServerName string
	// Concurrency bounds the connections open to the server at once
	// (default 4).
	Concurrency int
	// Timeout bounds each probe, connect included (default 5 s).
	Timeout time.Duration
	// Rate bounds the probes started per second (0: no bound besides
	// Concurrency).
	Rate float64
	// StartTLS is the protocol (a name of package starttls) whose STARTTLS
	// dialog precedes each probe's hello; "" for TLS from the start.
	StartTLS string
	// Roots are the trusted CAs the chains are verified against; nil
	// uses the system's.
	Roots []*x509.Certificate
	// TrustWith words how the user trusts a CA, for the fixes of an
	// untrusted chain (chain.Options.TrustWith); "" is a generic wording.
	TrustWith string
	// At is the time the chains are judged at; zero means now.
	At time.Time
	// Emit, when set, receives each result as it is found (from several
	// goroutines, one call at a time).
	Emit func(Payload)
	// OnProbe, when set, is called as each probe starts with the number
	// started so far (from several goroutines), for a progress line.
	OnProbe func(n int)
}

// certName returns the name the chains are verified for: the server name
// sent, or, when none is sent to an address, the address itself, which
// crypto/x509 (Certificate.VerifyHostname) and curl check against the
// leaf's IP address subjectAltNames (RFC 5280, Section 4.2.1.6; RFC 6125
// gives no CN fallback for an address). testssl.sh and tlstrace URL check
// an address target the same way.
func (o *Options) certName() string {
	if o.ServerName != "" {
		return o.ServerName
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil || net.ParseIP(host) == nil {
		return ""
	}
	return host
}

// ErrUnreachable is returned when no probe could connect to the server.
var ErrUnreachable = errors.New("scan: no probe reached the TLS handshake of the server")

// NotTLSError is a server that answered every version's hello with bytes
// that are not a TLS record: something else listens on the port (a mail
// server before its STARTTLS, plain HTTP, SSH). It matches ErrUnreachable:
// no probe reached a TLS handshake.
type NotTLSError struct {
	Addr string
	// Start is the first bytes of the answer (up to 5).
	Start []byte
}

func (e *NotTLSError) Error() string {
	return fmt.Sprintf("scan: %s does not speak TLS: it answered every hello with bytes that are not a TLS record (%q)", e.Addr, e.Start)
}

func (e *NotTLSError) Unwrap() error { return ErrUnreachable }

// notRecord reports whether the answer he rejects is not a TLS record at
// all: a record too long for TLS is still TLS's, and an answer of fewer
// than 5 bytes is not a record only when its first byte is no content
// type ("hi\n" and a close).
func notRecord(he *wire.RecordHeaderError) bool {
	switch he.Problem {
	case wire.HeaderOversized:
		return false
	case wire.HeaderShort:
		return len(he.Header) > 0 && (he.Header[0] < 20 || he.Header[0] > 24)
	}
	return true
}

// notTLS reports whether every version was refused with an answer that
// is not TLS.
func notTLS(vrs []VersionResult) bool {
	return len(vrs) > 0 && !slices.ContainsFunc(vrs, func(vr VersionResult) bool { return vr.NotTLS == nil })
}

// suitesFor returns every IANA suite that may be offered in version v:
// the TLS 1.3 suites for TLS 1.3, all others for the versions before,
// signaling values (RFC 5746, RFC 7507) excluded.
func suitesFor(v uint16) []uint16 {
	var out []uint16
	for id := 0; id <= 0xffff; id++ {
		s := uint16(id)
		if wire.CipherSuiteName(s) == "" || s == 0x00ff || s == 0x5600 || s == 0 {
			continue
		}
		tls13 := wire.CipherSuiteKeyExchange(s) == wire.KexTLS13
		if tls13 == (v == wire.VersionTLS13) {
			out = append(out, s)
		}
	}
	return out
}

// Scan probes the server at o.Addr.
func Scan(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	var probes, connected atomic.Int64
	// lastFailure is why the last probe that failed could not connect.
	var lastFailure atomic.Pointer[error]
	if o.StartTLS != "" {
		if _, err := starttls.Lookup(o.StartTLS); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
	}
	if o.Rate < 0 {
		return nil, fmt.Errorf("scan: rate %g: want 0 or more", o.Rate)
	}
	p := &prober{addr: o.Addr, serverName: o.ServerName, timeout: o.Timeout, sem: make(chan struct{}, o.Concurrency), starttls: o.StartTLS}
	p.onProbe = func() {
		n := probes.Add(1)
		if o.OnProbe != nil {
			o.OnProbe(int(n))
		}
	}
	if o.Rate > 0 {
		p.interval = time.Duration(float64(time.Second) / o.Rate)
	}
	var mu sync.Mutex
	emit := func(pl Payload) {
		if o.Emit == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		o.Emit(pl)
	}
	probe := func(h *hello) answer {
		a := p.probe(ctx, h)
		if a.outcome != Failed {
			connected.Add(1)
		} else if a.err != nil {
			lastFailure.Store(&a.err)
		}
		return a
	}
	res := &Result{Addr: o.Addr, Versions: make([]VersionResult, len(Versions))}
	var wg sync.WaitGroup
	var ssl2 VersionResult
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssl2 = scanSSLv2(probe, emit)
	}()
	for i, v := range Versions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.Versions[i] = scanVersion(v, probe, emit)
		}()
	}
	var groups13, groups12 []uint16
	wg.Add(1)
	go func() {
		defer wg.Done()
		groups13 = scanGroups13(probe)
	}()
	wg.Wait()
	if connected.Load() == 0 {
		if why := lastFailure.Load(); why != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrUnreachable, o.Addr, *why)
		}
		return nil, fmt.Errorf("%w %s", ErrUnreachable, o.Addr)
	}
	if ssl2.Outcome != Accepted && notTLS(res.Versions) {
		return nil, &NotTLSError{Addr: o.Addr, Start: res.Versions[0].NotTLS}
	}
	res.Versions = append([]VersionResult{ssl2}, res.Versions...)
	// TLS 1.0-1.2 curves, asked with the ECDHE suites the server took.
	var ecdhe []uint16
	maxV := uint16(0)
	for _, vr := range res.Versions {
		if vr.Version == wire.VersionTLS13 || vr.Outcome != Accepted {
			continue
		}
		maxV = vr.Version
		for _, s := range vr.Suites {
			if k := wire.CipherSuiteKeyExchange(s); (k == wire.KexECDHE || k == wire.KexECDHAnon) && !slices.Contains(ecdhe, s) {
				ecdhe = append(ecdhe, s)
			}
		}
	}
	if len(ecdhe) > 0 {
		groups12, res.Groups12Unknown = scanGroups12(maxV, ecdhe, probe)
	}
	res.Groups13, res.Groups12 = groups13, groups12
	for _, g := range groups13 {
		emit(&GroupAccepted{Version: wire.VersionTLS13, Group: g})
	}
	for _, g := range groups12 {
		emit(&GroupAccepted{Version: maxV, Group: g})
	}
	if res.Groups12Unknown != "" {
		emit(&CurvesUnknown{Version: maxV, Reason: res.Groups12Unknown})
	}
	if o.At.IsZero() {
		o.At = time.Now()
	}
	res.At = o.At
	// The stages below read what the probes above found and nothing of
	// each other's: they run at once, within the same bound on
	// connections.
	var (
		dh         []DHGroup
		sigs       []SignatureAccepted
		sigNotes   []string
		alpn       []string
		noALPN     []string
		features   []Feature
		chains     []CertChain
		t13        tls13Found
		resumption []Feature
		reneg      *Feature
		bleed      *Feature
		ccs        *Feature
		robot      *Feature
		stages     sync.WaitGroup
	)
	stage := func(f func()) {
		stages.Add(1)
		go func() {
			defer stages.Done()
			f()
		}()
	}
	stage(func() {
		dh = scanDH(res, probe)
		for i := range dh {
			emit(&dh[i])
		}
	})
	stage(func() {
		if res.FFDHE = scanFFDHE(res, probe); res.FFDHE != nil {
			emit(res.FFDHE)
		}
	})
	stage(func() {
		sigs, sigNotes = scanSignatures12(res, probe)
		for i := range sigs {
			emit(&sigs[i])
		}
	})
	stage(func() { alpn, noALPN = scanALPN(res, probe) })
	stage(func() {
		features = scanFeatures(res, probe)
		if slices.ContainsFunc(res.Versions, func(vr VersionResult) bool {
			return vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10
		}) && o.StartTLS == "" {
			hsts, http := probeHSTS(ctx, res, p)
			if http != HTTPUnchecked {
				connected.Add(1)
			}
			res.HTTP = http
			features = append(features, hsts)
		}
		for i := range features {
			emit(&features[i])
		}
	})
	stage(func() {
		if bleed = scanHeartbleed(ctx, res, p); bleed != nil {
			emit(bleed)
		}
	})
	stage(func() {
		if ccs = scanCCSInjection(ctx, res, p); ccs != nil {
			emit(ccs)
		}
	})
	stage(func() {
		if robot = scanROBOT(ctx, res, p); robot != nil {
			emit(robot)
		}
	})
	stage(func() { chains = scanCerts(res, &o, probe) })
	stage(func() {
		t13 = scanTLS13(ctx, res, p, &o)
		for i := range t13.signatures {
			emit(&t13.signatures[i])
		}
		if t13.ocsp != nil {
			emit(t13.ocsp)
		}
	})
	stage(func() {
		if reneg = scanRenegotiation(ctx, res, p, &o); reneg != nil {
			emit(reneg)
		}
	})
	stage(func() {
		resumption = scanResumption(ctx, res, p, &o)
		for i := range resumption {
			emit(&resumption[i])
		}
	})
	stages.Wait()
	res.DH = dh
	res.Signatures = append(sigs, t13.signatures...)
	res.SignatureNotes = append(sigNotes, t13.unsure...)
	if vr := res.Version(wire.VersionTLS13); vr != nil && vr.RetryOnly {
		// Its verdict waited for the full handshakes (scanVersion).
		vr.Unconfirmed = t13.unconfirmed
		emit(scanev.NewVersionFound(vr))
	}
	for _, n := range res.SignatureNotes {
		emit(&SignatureNote{Note: n})
	}
	res.ALPN, res.ALPNRefused = alpn, noALPN
	if len(alpn) == 0 {
		res.ALPN = t13.alpn
	}
	for _, proto := range res.ALPN {
		emit(&ALPNAccepted{Protocol: proto})
	}
	for _, proto := range res.ALPNRefused {
		emit(&ALPNRefused{Protocol: proto})
	}
	res.Features = features
	if t13.ocsp != nil {
		res.Features = append(res.Features, *t13.ocsp)
	}
	res.Features = append(res.Features, resumption...)
	if reneg != nil {
		res.Features = append(res.Features, *reneg)
	}
	if bleed != nil {
		res.Features = append(res.Features, *bleed)
	}
	if ccs != nil {
		res.Features = append(res.Features, *ccs)
	}
	if robot != nil {
		res.Features = append(res.Features, *robot)
	}
	res.Chains = chains
	for _, cc := range t13.chains {
		// A leaf the earlier versions got already is one chain: what
		// TLS 1.3 stapled to it is checked with the earlier version's.
		i := slices.IndexFunc(res.Chains, func(c CertChain) bool { return len(c.Certs) > 0 && c.Certs[0].Equal(cc.Certs[0]) })
		switch {
		case i < 0:
			res.Chains = append(res.Chains, cc)
		case len(res.Chains[i].Staple) == 0:
			res.Chains[i].Staple = cc.Staple
		}
	}
	for i := range res.Chains {
		emit(&res.Chains[i])
	}
	res.Findings = findings(res)
	res.Grade = grade(res, res.Findings)
	if why := ungraded(res, p.nameRefused.Load() && o.ServerName == "", p.trickled.Load()); why != "" && res.Grade != "F" {
		// An F stands whatever the certificate: nothing it could show
		// makes the grade better.
		res.Grade, res.Ungraded = "", why
	}
	for i := range res.Findings {
		emit(&res.Findings[i])
	}
	res.Probes = int(probes.Load())
	res.Duration = time.Since(start)
	emit(&Summary{Addr: o.Addr, Grade: res.Grade, Ungraded: res.Ungraded, Probes: res.Probes, Duration: res.Duration})
	return res, nil
}

// scanVersion finds whether the server speaks v and the suites it accepts
// in it: it offers every suite, removes the one chosen and offers the
// rest again until the server refuses. The first probe is the version's.
func scanVersion(v uint16, probe func(*hello) answer, emit func(Payload)) VersionResult {
	vr := VersionResult{Version: v}
	offer := suitesFor(v)
	groups := ecGroups
	if v == wire.VersionSSL30 {
		groups = nil
	} else if v == wire.VersionTLS13 {
		groups = tls13Groups
	}
	mk := func(suites []uint16) *hello {
		return &hello{version: v, suites: suites, groups: groups, keyShare: true}
	}
	retryOnly := true
	for len(offer) > 0 {
		a := probe(mk(offer))
		if a.outcome != Accepted {
			if len(vr.Suites) == 0 {
				vr.Outcome, vr.Reason = a.outcome, reason(a)
				if he := (*wire.RecordHeaderError)(nil); errors.As(a.err, &he) && notRecord(he) {
					vr.NotTLS = he.Header
				}
			} else if a.outcome != Refused {
				vr.Incomplete = reason(a)
			}
			break
		}
		if a.version() != v {
			if len(vr.Suites) == 0 {
				vr.Outcome = Refused
				vr.Reason = "the server chose " + wire.VersionName(a.version())
			} else {
				vr.Incomplete = "the server chose " + wire.VersionName(a.version()) + " in a later probe"
			}
			break
		}
		s := a.hello.CipherSuite
		if !slices.Contains(offer, s) {
			vr.Unoffered, vr.HasUnoffered = s, true
			vr.Incomplete = fmt.Sprintf("the server chose %s in a hello that did not offer it, so it does not choose from the offer: the suites above are only those its ServerHellos named", suiteName(s))
			if len(vr.Suites) == 0 {
				vr.Outcome, vr.Reason = Refused, vr.Incomplete
			}
			break
		}
		vr.Outcome = Accepted
		retryOnly = retryOnly && a.hello.HelloRetry
		vr.Suites = append(vr.Suites, s)
		emit(&SuiteAccepted{Version: v, Suite: s})
		offer = slices.DeleteFunc(offer, func(x uint16) bool { return x == s })
	}
	if vr.Outcome == 0 {
		vr.Outcome = Refused
	}
	vr.RetryOnly = vr.Outcome == Accepted && retryOnly
	if len(vr.Suites) >= 2 {
		// The same suites reversed: a server that follows the client's
		// order now picks the last one found; one that keeps its own
		// order picks the first again.
		rev := slices.Clone(vr.Suites)
		slices.Reverse(rev)
		a := probe(mk(rev))
		if a.outcome == Accepted && a.version() == v {
			switch a.hello.CipherSuite {
			case vr.Suites[0]:
				vr.Order = OrderServer
			case rev[0]:
				vr.Order = OrderClient
			}
		}
	}
	if !vr.RetryOnly {
		// A version that HelloRetryRequests alone accepted has its
		// verdict once the full handshakes confirmed it or not (Scan).
		emit(scanev.NewVersionFound(&vr))
	}
	return vr
}

// scanSSLv2 sends one SSL 2.0 CLIENT-HELLO offering every cipher kind.
func scanSSLv2(probe func(*hello) answer, emit func(Payload)) VersionResult {
	vr := VersionResult{Version: VersionSSL20}
	a := probe(&hello{sslv2: true})
	vr.Outcome = a.outcome
	if a.outcome == Accepted {
		vr.SSLv2Ciphers = a.sslv2
		for _, k := range a.sslv2 {
			emit(&SSLv2CipherAccepted{Kind: k})
		}
	} else {
		vr.Reason = reason(a)
	}
	emit(scanev.NewVersionFound(&vr))
	return vr
}

// reason says in words why a probe was not accepted.
func reason(a answer) string {
	if a.hasAlert {
		return "alert " + a.alert.String()
	}
	if a.err != nil {
		return a.err.Error()
	}
	return a.outcome.String()
}

// scanGroups13 offers each group alone in supported_groups with no key
// share: a server that accepts the group asks for it in a
// HelloRetryRequest.
func scanGroups13(probe func(*hello) answer) []uint16 {
	accepted := make([]bool, len(tls13Groups))
	var wg sync.WaitGroup
	for i, g := range tls13Groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := probe(&hello{version: wire.VersionTLS13, suites: suitesFor(wire.VersionTLS13), groups: []uint16{g}})
			accepted[i] = a.outcome == Accepted && a.version() == wire.VersionTLS13 && a.hello.KeyShareGroup == g
		}()
	}
	wg.Wait()
	var out []uint16
	for i, ok := range accepted {
		if ok {
			out = append(out, tls13Groups[i])
		}
	}
	return out
}

// scanGroups12 offers the ECDHE suites the server accepted with one curve
// at a time, and reads on to the ServerKeyExchange: a curve is accepted
// when the ServerKeyExchange names it. A ServerHello alone says nothing
// of the curve (a server may answer every hello the same); when no probe
// got a ServerKeyExchange naming a curve, the curves are unknown and the
// reason is returned.
func scanGroups12(v uint16, suites []uint16, probe func(*hello) answer) ([]uint16, string) {
	answers := make([]answer, len(ecGroups))
	var wg sync.WaitGroup
	for i, g := range ecGroups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = probe(&hello{version: v, suites: suites, groups: []uint16{g}, wantKeyExchange: true})
		}()
	}
	wg.Wait()
	var out []uint16
	named, hellos := false, 0
	var why string
	for i, a := range answers {
		if a.outcome != Accepted || a.version() != v || !slices.Contains(suites, a.hello.CipherSuite) {
			continue
		}
		hellos++
		ske := a.keyExchange
		if ske == nil || !ske.HasGroup {
			if why == "" && a.err != nil {
				why = reason(a)
			}
			continue
		}
		named = true
		if ske.Group == ecGroups[i] {
			out = append(out, ecGroups[i])
		}
	}
	if named || hellos == 0 {
		return out, ""
	}
	msg := fmt.Sprintf("%d ServerHellos chose an ECDHE suite, but no ServerKeyExchange named a curve", hellos)
	if why != "" {
		msg += " (" + why + ")"
	}
	return nil, msg
}

// suiteName returns the IANA name of s, or its number.
func suiteName(s uint16) string {
	if n := wire.CipherSuiteName(s); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", s)
}

// SplitHostPort returns the address to dial and the SNI for target, which
// is HOST, HOST:PORT or an https:// URL (port 443 by default). No SNI is
// sent for an IP address.
func SplitHostPort(target string) (addr, serverName string, err error) {
	t := target
	if i := strings.Index(t, "://"); i >= 0 {
		t = t[i+3:]
	}
	if i := strings.IndexAny(t, "/?#"); i >= 0 {
		t = t[:i]
	}
	if strings.Contains(t, "@") {
		// Not quoted: what precedes the @ may be a password.
		return "", "", errors.New("scan: the target names a user (USER@ before the host): a scan sends the server no credentials")
	}
	host, port, err := net.SplitHostPort(t)
	if err != nil {
		host, port = strings.Trim(t, "[]"), "443"
	}
	if host == "" {
		return "", "", fmt.Errorf("scan: no host in %q", target)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", "", fmt.Errorf("scan: bad port %q in %q: want a number from 0 to 65535", port, target)
	}
	if net.ParseIP(host) == nil {
		serverName = host
	}
	return net.JoinHostPort(host, port), serverName, nil
}
