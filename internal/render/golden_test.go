package render_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/fingerprint"
	"github.com/tlstrace/tlstrace/internal/golden"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// The golden session: what a live run emits, with fixed times, addresses
// and keys. TLS records are those of the Illustrated TLS 1.3 connection,
// decoded by trace; chain links and verdicts come from chain.Verify of
// fixed certificates at a fixed time; fingerprints from fingerprint. The
// local steps the client, server and h2 packages emit (DNS, TCP, the
// handshake summary, the verification summary, HTTP, HTTP/2 frames,
// timing, STARTTLS, accept, client fingerprint) are built here the way
// those packages build them: when they change what they emit, the
// builders below must follow, and the golden files must not change except
// where docs/json.md says so.

var start = time.Date(2026, 2, 2, 8, 36, 39, 0, time.UTC)

// at is start plus ms milliseconds.
func at(ms float64) time.Time { return start.Add(time.Duration(ms * float64(time.Millisecond))) }

func readTestdata(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// session records events as a tracer's sink does, in order.
type session struct {
	t      *testing.T
	s      *trace.Session
	events []*trace.Event
}

func newSession(t *testing.T) *session {
	keys, warnings, err := keylog.Parse(bytes.NewReader(readTestdata(t, "illustrated-tls13", "keylog.txt")))
	if err != nil || len(warnings) > 0 {
		t.Fatalf("key log: %v %v", err, warnings)
	}
	ss := &session{t: t}
	ss.s = trace.NewSession(start, keys, func(ev *trace.Event) { ss.events = append(ss.events, ev.Clone()) })
	return ss
}

func (ss *session) emit(ms float64, ev *trace.Event) {
	ev.Time = at(ms)
	ss.s.Emit(ev)
}

// feed decodes one record of the Illustrated connection (caps/NAME).
func (ss *session) feed(c *trace.Conn, ms float64, from trace.Side, dir, name string) {
	c.Feed(from, trace.Stamp{Time: at(ms)}, readTestdata(ss.t, dir, "caps", name))
}

// Local steps, built as their producers build them: typed payloads, the
// field trees derived by trace.NewEvent.

func withError(ev *trace.Event, errText string) *trace.Event {
	ev.Error = errText
	return ev
}

// dnsLookup is a lookup event; resolver "" is addresses the settings gave.
func dnsLookup(conn int, name, resolver string, addrs []string, cname string, us int, errText string) *trace.Event {
	p := &trace.DNSLookup{Name: name, Resolver: resolver, Given: resolver == "", Addresses: addrs, CNAME: cname}
	if us >= 0 {
		d := time.Duration(us) * time.Microsecond
		p.Duration = &d
	}
	return withError(trace.NewEvent(conn, trace.Local, p), errText)
}

func tcpConnect(conn int, host, remote, local string, us, rtt int, errText string) *trace.Event {
	p := &trace.TCPConnect{Host: host, Remote: remote, Local: local, Duration: time.Duration(us) * time.Microsecond}
	if rtt > 0 {
		d := time.Duration(rtt) * time.Microsecond
		p.RTT = &d
	}
	return withError(trace.NewEvent(conn, trace.Local, p), errText)
}

func handshakeComplete(conn int, h trace.Handshake) *trace.Event {
	return trace.NewEvent(conn, trace.Local, &h)
}

// certSummary mirrors the client's summary of a certificate sent.
func certSummary(c *x509.Certificate) trace.CertSummary {
	s := trace.CertSummary{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		PublicKey: chain.KeyDescription(c), SignatureAlgorithm: chain.SignatureName(c)}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) > 0 {
		s.SANs = names
	}
	return s
}

// verifyEvents returns what the client emits when it verifies certs: the
// links of chain.Verify, then its x509 verify summary.
func verifyEvents(conn int, host string, certs []*x509.Certificate, o chain.Options, insecure bool) []*trace.Event {
	o.Name = host
	r := chain.Verify(certs[0], o)
	var out []*trace.Event
	for _, ev := range r.Events(conn) {
		if ev.Type == trace.TypeLink {
			out = append(out, ev)
		}
	}
	p := &trace.Verify{Host: host, Chain: []trace.CertSummary{}}
	for _, c := range certs {
		p.Chain = append(p.Chain, certSummary(c))
	}
	errText := ""
	switch {
	case r.Valid:
		p.VerifiedChain = []string{}
		for _, l := range r.Links {
			p.VerifiedChain = append(p.VerifiedChain, l.Cert.Subject.String())
		}
		p.Verdict, p.Trusted = "trusted", true
	case insecure:
		p.Verdict, p.Insecure = "not trusted", true
		errText = r.Cause
	default:
		p.Verdict = "not trusted"
		errText = r.Cause
		p.Fix = r.Fix
	}
	return append(out, withError(trace.NewEvent(conn, trace.Local, p), errText))
}

func httpRequest(conn int, method, url string, headers []string) *trace.Event {
	return trace.NewEvent(conn, trace.Client, &trace.HTTPRequest{Method: method, URL: url, Headers: headers})
}

func httpResponse(conn int, proto string, status int, reason string, headers []string) *trace.Event {
	return trace.NewEvent(conn, trace.Server, &trace.HTTPResponse{Proto: proto, Status: status, Reason: reason, Headers: headers})
}

func httpBody(conn, length int, contentType string, us int) *trace.Event {
	return trace.NewEvent(conn, trace.Server, &trace.HTTPBody{Length: int64(length), ContentType: contentType, Duration: time.Duration(us) * time.Microsecond})
}

// h2Frame mirrors internal/h2: the frame header, then what its type
// carries (set).
func h2Frame(conn int, from trace.Side, typ int, name string, flags, stream, length int, set func(*trace.H2Frame)) *trace.Event {
	f := &trace.H2Frame{FrameType: trace.Enum{Name: name, Value: uint64(typ)}, Flags: uint8(flags), StreamID: uint32(stream), Length: length}
	if set != nil {
		set(f)
	}
	return trace.NewEvent(conn, from, f)
}

func ptr[T any](v T) *T { return &v }

func timing(conn, dns, connect, tls, ttfb, total int) *trace.Event {
	us := func(n int) time.Duration { return time.Duration(n) * time.Microsecond }
	return trace.NewEvent(conn, trace.Local, &trace.Timing{DNS: us(dns), Connect: us(connect), TLS: us(tls), TTFB: us(ttfb), Total: us(total)})
}

func starttls(conn int, from trace.Side, proto, line string) *trace.Event {
	return trace.NewEvent(conn, from, &trace.StartTLS{Protocol: proto, Line: line})
}

func accept(conn int, remote, local string) *trace.Event {
	return trace.NewEvent(conn, trace.Client, &trace.TCPAccept{Remote: remote, Local: local})
}

// clientFingerprint mirrors the server's event after a ClientHello.
func clientFingerprint(t *testing.T, conn int, hello []byte) *trace.Event {
	h, err := fingerprint.Parse(hello)
	if err != nil {
		t.Fatal(err)
	}
	ja3s, ja3 := h.JA3()
	return trace.NewEvent(conn, trace.Client, &trace.Fingerprint{JA3: ja3, JA3String: ja3s, JA4: h.JA4()})
}

func parsePEM(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// limboChain returns the leaf, intermediates and roots of an x509-limbo
// case, and its validation time.
func limboChain(t *testing.T, host string) ([]*x509.Certificate, []*x509.Certificate, time.Time) {
	var c struct {
		Trusted       []string `json:"trusted_certs"`
		Intermediates []string `json:"untrusted_intermediates"`
		Peer          string   `json:"peer_certificate"`
		At            string   `json:"validation_time"`
	}
	if err := json.Unmarshal(readTestdata(t, "x509-limbo-online", host+".limbo.json"), &c); err != nil {
		t.Fatal(err)
	}
	sent := []*x509.Certificate{parsePEM(t, c.Peer)}
	for _, s := range c.Intermediates {
		sent = append(sent, parsePEM(t, s))
	}
	var roots []*x509.Certificate
	for _, s := range c.Trusted {
		roots = append(roots, parsePEM(t, s))
	}
	validAt, err := time.Parse(time.RFC3339, c.At)
	if err != nil {
		t.Fatal(err)
	}
	return sent, roots, validAt
}

// goldenSession returns the events of the golden session:
//
//	#1 tlstrace https://example.ulfheim.net/ -k: HTTP/1.1 over the
//	   Illustrated TLS 1.3 connection, its certificate untrusted;
//	#2 an HTTP/2 request to google.com, its chain verified;
//	#3 serve: a client accepted, its ClientHello and fingerprint;
//	#4 connect --starttls smtp;
//	#5 a failed DNS lookup; #6 a refused TCP connect;
//	#7 verify: the google.com chain expired, links and verdict.
func goldenSession(t *testing.T) []*trace.Event {
	ss := newSession(t)
	const tls13 = "illustrated-tls13"

	// #1
	ss.emit(0.05, dnsLookup(1, "example.ulfheim.net", "DNS 127.0.0.53", []string{"192.0.2.10", "2001:db8::10"}, "ulfheim.example.net.", 1234, ""))
	ss.emit(1.5, tcpConnect(1, "example.ulfheim.net", "192.0.2.10:443", "192.0.2.1:50514", 1402, 1380, ""))
	c1 := ss.s.NewConn(1, false)
	ss.feed(c1, 1.9, trace.Client, tls13, "clienthello")
	for _, name := range []string{"serverhello", "serverccs", "serverencextensions", "serverenccert", "serverenccertverify", "serverencfinished"} {
		ss.feed(c1, 3.1, trace.Server, tls13, name)
	}
	cert := readTestdata(t, tls13, "caps", "servercert")
	// The Certificate message: type, length, context, list length, then
	// the first certificate's length and DER.
	n := int(cert[8])<<16 | int(cert[9])<<8 | int(cert[10])
	leaf, err := x509.ParseCertificate(cert[11 : 11+n])
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range verifyEvents(1, "example.ulfheim.net", []*x509.Certificate{leaf}, chain.Options{RootPool: x509.NewCertPool(), At: leaf.NotBefore.Add(time.Hour)}, true) {
		ss.emit(3.3, ev)
	}
	ss.feed(c1, 3.6, trace.Client, tls13, "clientccs")
	ss.feed(c1, 3.6, trace.Client, tls13, "clientencfinished")
	ss.emit(3.7, handshakeComplete(1, trace.Handshake{Version: "TLS 1.3", CipherSuite: "TLS_AES_256_GCM_SHA384", Group: "x25519",
		ServerName: "example.ulfheim.net", Duration: 2140 * time.Microsecond}))
	ss.feed(c1, 3.9, trace.Client, tls13, "clientencdata")
	ss.emit(4.0, httpRequest(1, "GET", "https://example.ulfheim.net/", []string{"Host: example.ulfheim.net", "User-Agent: tlstrace/(devel)", "Accept: */*"}))
	ss.feed(c1, 5.2, trace.Server, tls13, "serverencticket1")
	ss.feed(c1, 5.2, trace.Server, tls13, "serverencticket2")
	ss.feed(c1, 5.3, trace.Server, tls13, "serverencdata")
	ss.emit(5.4, httpResponse(1, "HTTP/1.1", 200, "OK", []string{"Content-Length: 4", "Content-Type: text/plain"}))
	ss.emit(5.5, httpBody(1, 4, "text/plain", 41))
	c1.Close()
	ss.emit(5.6, timing(1, 1234, 1402, 2140, 5250, 5600))

	// #2
	ss.emit(10, dnsLookup(2, "google.com", "/etc/hosts", []string{"192.0.2.20"}, "", 12, ""))
	ss.emit(10.5, tcpConnect(2, "google.com", "192.0.2.20:443", "192.0.2.1:50516", 380, 0, ""))
	sent, roots, validAt := limboChain(t, "google.com")
	for _, ev := range verifyEvents(2, "google.com", sent, chain.Options{Roots: roots, Intermediates: sent[1:], At: validAt}, false) {
		ss.emit(12, ev)
	}
	ss.emit(12.4, handshakeComplete(2, trace.Handshake{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "X25519MLKEM768",
		ServerName: "google.com", ALPN: "h2", Resumed: true, HelloRetry: true, Duration: 1890 * time.Microsecond}))
	ss.emit(12.5, h2Frame(2, trace.Client, 4, "SETTINGS", 0, 0, 18, func(f *trace.H2Frame) {
		f.Ack, f.Settings = ptr(false), []string{"ENABLE_PUSH=0", "INITIAL_WINDOW_SIZE=4194304", "MAX_HEADER_LIST_SIZE=10485760"}
	}))
	ss.emit(12.5, h2Frame(2, trace.Client, 8, "WINDOW_UPDATE", 0, 0, 4, func(f *trace.H2Frame) { f.WindowIncrement = ptr(uint32(1073741824)) }))
	ss.emit(12.6, h2Frame(2, trace.Client, 1, "HEADERS", 5, 1, 35, func(f *trace.H2Frame) {
		f.EndStream, f.Headers = ptr(true), []string{":authority: google.com", ":method: GET", ":path: /", ":scheme: https", "user-agent: tlstrace/(devel)", "accept: */*"}
	}))
	ss.emit(12.6, httpRequest(2, "GET", "https://google.com/", []string{":authority: google.com", ":method: GET", ":path: /", ":scheme: https", "user-agent: tlstrace/(devel)", "accept: */*"}))
	ss.emit(13.1, h2Frame(2, trace.Server, 4, "SETTINGS", 0, 0, 12, func(f *trace.H2Frame) {
		f.Ack, f.Settings = ptr(false), []string{"MAX_CONCURRENT_STREAMS=100", "UNKNOWN_SETTING_0x0a=1"}
	}))
	ss.emit(13.1, h2Frame(2, trace.Server, 4, "SETTINGS", 1, 0, 0, func(f *trace.H2Frame) { f.Ack, f.Settings = ptr(true), []string{} }))
	ss.emit(13.2, h2Frame(2, trace.Server, 6, "PING", 1, 0, 8, func(f *trace.H2Frame) { f.Ack, f.OpaqueData = ptr(true), []byte{0, 1, 2, 3, 4, 5, 6, 7} }))
	ss.emit(13.4, h2Frame(2, trace.Server, 1, "HEADERS", 4, 1, 30, func(f *trace.H2Frame) {
		f.EndStream, f.Headers = ptr(false), []string{":status: 301", "location: https://www.google.com/", "content-type: text/html; charset=UTF-8"}
	}))
	ss.emit(13.4, httpResponse(2, "HTTP/2.0", 301, "Moved Permanently", []string{"Content-Type: text/html; charset=UTF-8", "Location: https://www.google.com/"}))
	ss.emit(13.5, h2Frame(2, trace.Server, 0, "DATA", 1, 1, 220, func(f *trace.H2Frame) { f.EndStream = ptr(true) }))
	ss.emit(13.5, httpBody(2, 220, "text/html; charset=UTF-8", 97))
	ss.emit(13.6, h2Frame(2, trace.Client, 3, "RST_STREAM", 0, 3, 4, func(f *trace.H2Frame) { f.ErrorCode = &trace.Enum{Name: "CANCEL", Value: 8} }))
	ss.emit(13.7, h2Frame(2, trace.Server, 7, "GOAWAY", 0, 0, 8, func(f *trace.H2Frame) {
		f.LastStreamID, f.ErrorCode = ptr(uint32(1)), &trace.Enum{Name: "NO_ERROR", Value: 0}
	}))
	ss.emit(13.8, &trace.Event{Conn: 2, From: trace.Client, Layer: trace.LayerHTTP, Type: trace.TypeH2Frame,
		Error: "the client did not start with the HTTP/2 connection preface; not decoded further"})
	ss.emit(13.9, timing(2, 12, 380, 1890, 3400, 3900))

	// #3
	ss.emit(20, accept(3, "192.0.2.30:41000", "192.0.2.1:8443"))
	c3 := ss.s.NewConn(3, false)
	ss.feed(c3, 20.2, trace.Client, "illustrated-tls12", "clienthello")
	ss.emit(20.2, clientFingerprint(t, 3, readTestdata(t, "illustrated-tls12", "caps", "clienthello")[5:]))
	ss.emit(21, handshakeComplete(3, trace.Handshake{Version: "TLS 1.2", CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Group: "x25519",
		ServerName: "example.ulfheim.net", ClientCertificate: ptr(false),
		SuiteRank: 3, SuitesOffered: 15, GroupRank: 1, GroupsOffered: 3, Duration: 800 * time.Microsecond}))
	c3.Close()

	// #4
	ss.emit(30, dnsLookup(4, "mail.example.net", "", []string{"192.0.2.40"}, "", -1, ""))
	ss.emit(30.4, tcpConnect(4, "mail.example.net", "192.0.2.40:25", "192.0.2.1:50600", 400, 0, ""))
	for i, l := range []struct {
		from trace.Side
		line string
	}{
		{trace.Server, "220 mail.example.net ESMTP"},
		{trace.Client, "EHLO tlstrace"},
		{trace.Server, "250-mail.example.net"},
		{trace.Server, "250 STARTTLS"},
		{trace.Client, "STARTTLS"},
		{trace.Server, "220 2.0.0 Ready to start TLS"},
	} {
		ss.emit(31+float64(i)/10, starttls(4, l.from, "smtp", l.line))
	}

	// #5, #6
	ss.emit(40, dnsLookup(5, "nonexistent.invalid", "DNS 127.0.0.53", nil, "", 2300, "lookup nonexistent.invalid: no such host"))
	ss.emit(50, tcpConnect(6, "localhost", "127.0.0.1:1", "", 90, 0, "dial tcp 127.0.0.1:1: connect: connection refused"))

	// #7
	r := chain.Verify(sent[0], chain.Options{Name: "google.com", Roots: roots, Intermediates: sent[1:], At: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	for _, ev := range r.Events(7) {
		ss.emit(60, ev)
	}
	return ss.events
}

// TestGoldenLocalEvents pins every renderer on the golden session: the
// text of read (plain), of a live run (sections), -v, -vv, colour, the
// trace format, curl -v lines and JSON Lines.
func TestGoldenLocalEvents(t *testing.T) {
	events := goldenSession(t)
	texts := []struct {
		name string
		set  func(*render.Text)
	}{
		{"plain.txt", func(*render.Text) {}},
		{"sections.txt", func(r *render.Text) { r.Sections = true }},
		{"sections.v.txt", func(r *render.Text) { r.Sections, r.Verbose = true, true }},
		{"sections.vv.txt", func(r *render.Text) { r.Sections, r.Verbose, r.Hex = true, true, true }},
		{"sections.color.txt", func(r *render.Text) { r.Sections, r.Color = true, true }},
		{"trace.txt", func(r *render.Text) { r.Verbose = true }},
		{"sections.w100.txt", func(r *render.Text) { r.Sections, r.Width = true, 100 }},
		{"sections.color.w72.txt", func(r *render.Text) { r.Sections, r.Color, r.Width = true, true, 72 }},
	}
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			r := render.NewText(&b)
			tc.set(r)
			for _, ev := range events {
				r.Event(ev)
			}
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", "session-"+tc.name), b.Bytes())
		})
	}
	t.Run("curl.txt", func(t *testing.T) {
		var b bytes.Buffer
		r := render.NewCurl(&b)
		for _, ev := range events {
			r.Event(ev)
		}
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "golden", "session-curl.txt"), b.Bytes())
	})
	for _, raw := range []bool{false, true} {
		name := "session.json"
		if raw {
			name = "session.raw.json"
		}
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			r := render.NewJSON(&b)
			r.Raw = raw
			for _, ev := range events {
				r.Event(ev)
			}
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", name), b.Bytes())
		})
	}
}
