package render_test

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/golden"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/scan/scanev"
	"github.com/tlstrace/tlstrace/internal/trace"
)

func renderHTML(t *testing.T, title string, events []*trace.Event) string {
	t.Helper()
	var b bytes.Buffer
	h := render.NewHTML(&b)
	h.Title, h.SecretsWith = title, "--html-secrets"
	for _, ev := range events {
		h.Event(ev)
	}
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var dataEvent = regexp.MustCompile(`data-event="(\d+)"`)

// TestGoldenHTML pins the report of the golden session: chain cards,
// timing waterfalls, failed steps in the diagnosis, and one ladder row
// with data-event per tls event, numbered as the events of the run.
func TestGoldenHTML(t *testing.T) {
	events := goldenSession(t)
	page := renderHTML(t, "tlstrace golden session", events)
	golden.Check(t, filepath.Join("testdata", "golden", "session.html"), []byte(page))

	var want []string
	for i, ev := range events {
		if ev.Layer == trace.LayerTLS {
			want = append(want, strconv.Itoa(i+1))
		}
	}
	var got []string
	for _, m := range dataEvent.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("data-event numbers %v, want the tls events %v", got, want)
	}
	for _, s := range []string{
		`id="diagnosis"`,                // #5, #6 and #7 failed
		`class="card"`,                  // chain cards
		`class="wf"`,                    // timing
		"Content-Security-Policy",       // nothing loaded
		"the client did not start with", // an h2 frame's error is kept
	} {
		if !strings.Contains(page, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	for _, s := range []string{"src=", "<link", "@import", "url("} {
		if strings.Contains(page, s) {
			t.Errorf("report holds %q: it must load nothing", s)
		}
	}
}

// TestHTMLEscapes feeds names and bytes a hostile capture could hold: they
// must come out as text, never as markup.
func TestHTMLEscapes(t *testing.T) {
	const evil = `</script><script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	f := field.NewObject("")
	f.AddString("host_name", evil).Offset, f.Children[0].Length = 0, 4
	f.Add(&field.Node{Name: evil, Kind: field.Enum, Str: evil, Note: evil})
	events := []*trace.Event{
		{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeClientHello, Fields: f, Raw: []byte(evil),
			Payload: &trace.Message{ClientHello: &trace.ClientHello{ServerName: evil, HasServerName: true}}, Error: evil},
		trace.NewEvent(1, trace.Local, &trace.Verdict{Name: evil, Cause: evil, Fix: evil}),
		trace.NewEvent(1, trace.Local, &trace.Link{Subject: evil, Issuer: evil, Checks: []trace.Check{{Name: evil, Detail: evil}}}),
	}
	page := renderHTML(t, evil, events)
	for _, bad := range []string{"<script>alert", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("report holds %q unescaped", bad)
		}
	}
	if n := strings.Count(page, "<script>"); n != 1 {
		t.Errorf("%d <script> elements, want the report's own one", n)
	}
	if !strings.Contains(page, "&lt;/script&gt;") {
		t.Error("the hostile name is not shown escaped")
	}
	// A name that would reorder or hide what the page shows.
	const bidi = "moc.elgoog\u202e\x1b[8m"
	page = renderHTML(t, "bidi", []*trace.Event{trace.NewEvent(1, trace.Local, &trace.Verdict{Name: bidi, Cause: bidi, Fix: bidi})})
	if strings.ContainsAny(page, "\u202e\x1b") {
		t.Error("the page holds the override or the escape character itself")
	}
	if !strings.Contains(page, `moc.elgoog\u202e\x1b[8m`) {
		t.Error("the name with a bidirectional override is not shown escaped")
	}
}

// TestHTMLHexLimit: a step's bytes beyond the limit are not written, and
// the row's details say how many were left out.
func TestHTMLHexLimit(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 20000)
	page := renderHTML(t, "big", []*trace.Event{{Conn: 1, From: trace.Server, Layer: trace.LayerTLS,
		Type: trace.TypeApplicationData, Raw: raw, Payload: &trace.Data{Length: len(raw), Bytes: raw}}})
	if !strings.Contains(page, `data-x="`+strings.Repeat("ab", 16384)+`"`) || !strings.Contains(page, "3616 more bytes of 20000 not shown") {
		t.Error("the bytes shown or the count of those left out are not as expected")
	}
}

// TestHTMLMaxConns: past MaxConns, connections are left out and counted,
// and the events keep their numbers.
func TestHTMLMaxConns(t *testing.T) {
	var b bytes.Buffer
	h := render.NewHTML(&b)
	h.MaxConns = 2
	for conn := 1; conn <= 3; conn++ {
		h.Event(&trace.Event{Conn: conn, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeAlert,
			Payload: &trace.Alert{}})
	}
	h.Event(&trace.Event{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeAlert, Payload: &trace.Alert{}})
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, `<section class="conn"`); n != 2 {
		t.Errorf("%d sections, want 2", n)
	}
	if !strings.Contains(page, "the first 2 connections; 1 more were left out") {
		t.Error("the connections left out are not counted")
	}
	var got []string
	for _, m := range dataEvent.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, " ") != "1 4 2" { // by connection, then in time
		t.Errorf("data-event %v, want 1 4 2", got)
	}
}

var sectionBlock = regexp.MustCompile(`<script type="application/json" class="dj">(.*?)</script>`)

// TestHTMLPacked: past packAbove connections, each connection is its
// heading (a button that says it is closed and what it opens) and verdict
// in the page (there is no table) and the rest of its
// section is the markup a small report writes, but for the hex dumps the
// script writes, compressed, that the page inflates when the connection
// opens; a small report writes it all into the page, where it opens
// without JavaScript.
func TestHTMLPacked(t *testing.T) {
	var events []*trace.Event
	for conn := 1; conn <= 101; conn++ {
		f := field.NewObject("")
		f.AddUint("n", uint64(conn)).Offset, f.Children[0].Length = 0, 1
		events = append(events, &trace.Event{Conn: conn, From: trace.Client, Layer: trace.LayerTLS,
			Type: trace.TypeAlert, Fields: f, Raw: []byte{byte(conn), 0x3c, 0x2f}, Payload: &trace.Alert{}},
			trace.NewEvent(conn, trace.Local, &trace.Verdict{Valid: true, Name: "example.com"}))
	}
	small := renderHTML(t, "small", events[:2])
	if sectionBlock.MatchString(small) {
		t.Error("a small report has a packed block")
	}
	row := `<li class="c2s" data-event="1"><details><summary class="r" data-t="0.000000">`
	for _, s := range []string{row, `<ul class="tree"><li data-o="0" data-l="1"><b>n</b> 1</li></ul>`, `<pre class="hex" data-x="013c2f">0000  01 3c 2f `, `|.&lt;/|`} {
		if !strings.Contains(small, s) {
			t.Errorf("the small report lacks %q", s)
		}
	}
	big := renderHTML(t, "big", events)
	blocks := sectionBlock.FindAllStringSubmatch(big, -1)
	if len(blocks) != 101 || strings.Contains(big, `<pre class`) || strings.Contains(big, `data-event=`) || strings.Contains(big, `class="lad"`) {
		t.Fatalf("%d packed blocks, and the page holds rows or bytes:\n%s", len(blocks), big)
	}
	if n := strings.Count(big, `<section class="conn pk" id="c`); n != 101 {
		t.Errorf("%d packed sections, want 101", n)
	}
	if !strings.Contains(big, `<section class="conn pk" id="c2">
<h2><button type="button" aria-expanded="false" aria-controls="c2b">#2</button></h2>
<p class="ok">✓ chain trusted for example.com</p><script`) {
		t.Error("a packed section does not start with its heading and verdict")
	}
	if strings.Contains(big, `<table class="sum">`) {
		t.Error("a packed report has the table of connections")
	}
	var packed string
	if err := json.Unmarshal([]byte(blocks[0][1]), &packed); err != nil {
		t.Fatalf("a packed block is not a JSON string: %v", err)
	}
	z, err := base64.StdEncoding.DecodeString(packed)
	if err != nil {
		t.Fatal(err)
	}
	m, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		t.Fatal(err)
	}
	// The first connection's section in the small report, past its
	// heading and verdict, is what the block holds, but for the dump.
	i := strings.Index(small, "\n<h3>Ladder</h3>")
	j := strings.Index(small, "</ol>") + len("</ol>")
	want := strings.Replace(small[max(i, 0):max(i, j)], "0000  01 3c 2f                                          |.&lt;/|\n", "", 1)
	if i < 0 || j < i || string(m) != want {
		t.Errorf("inflated:\n%s\nwant the small report's section:\n%s", m, want)
	}
}

// TestHTMLChainWarnings: the warnings of a trusted chain are shown with
// its cards, counted in the table, and listed once at the top with the
// connections that have them; the page is pinned.
func TestHTMLChainWarnings(t *testing.T) {
	w := trace.Warning{Cause: "the leaf is valid for 500 days", Fix: "issue it for at most 398 days"}
	// The verdicts of verify URL say the stapled OCSP response as
	// --cert-status judges it: good, none, or one it refuses, with why.
	ocsps := []*trace.Verdict{
		{OCSP: "good"},
		{OCSP: "good but stale", OCSPCause: "the stapled OCSP response is not usable: it is out of date", OCSPFix: "the server must staple a fresh response"},
		{OCSP: "none stapled"},
	}
	var events []*trace.Event
	for conn := 1; conn <= 3; conn++ {
		v := &trace.Verify{Host: "a.test", Trusted: true, Verdict: "trusted"}
		if conn != 2 {
			v.Warnings = []trace.Warning{w}
		}
		verdict := ocsps[conn-1]
		verdict.Valid, verdict.Name = true, "a.test"
		events = append(events, trace.NewEvent(conn, trace.Local, &trace.Link{Subject: "CN=a.test", Role: "leaf"}),
			trace.NewEvent(conn, trace.Local, v), trace.NewEvent(conn, trace.Local, verdict))
	}
	page := renderHTML(t, "warnings", events)
	golden.Check(t, filepath.Join("testdata", "golden", "warnings.html"), []byte(page))
	for _, s := range []string{
		`<h2>Warnings</h2>
<ul>
<li><b>⚠ the leaf is valid for 500 days</b> (chain of <a href="#c1">#1</a>, <a href="#c3">#3</a>)<span class="fix">fix: issue it for at most 398 days</span></li>
</ul>`,
		`<td>✓ trusted <span class="warn">⚠ 1 warning</span></td>`,
		`</div>
<ul class="warns">
<li>⚠ the leaf is valid for 500 days<span class="fix">fix: issue it for at most 398 days</span></li>
</ul>`,
		`<p class="ok">stapled OCSP response: good</p>`,
		`<p class="warn">stapled OCSP response: good but stale: the stapled OCSP response is not usable: it is out of date<span class="fix">fix: the server must staple a fresh response</span></p>`,
		`<p class="mut">stapled OCSP response: none stapled</p>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	if n := strings.Count(page, `<ul class="warns">`); n != 2 {
		t.Errorf("%d connections show the warning, want 2", n)
	}
}

// TestHTMLVerifyOCSP: the verify event of get, connect or read says the
// stapled OCSP response's status it checked, and the report says it below
// the verdict as it says a verify URL verdict's: good, revoked, one
// --cert-status refuses (its cause and fix the verdict's, on the verdict
// line), and nothing when there was none to say.
func TestHTMLVerifyOCSP(t *testing.T) {
	stale := "the stapled OCSP response is not usable: it is out of date"
	for _, c := range []struct {
		name    string
		verify  *trace.Verify
		err     string
		want    []string
		without string
	}{
		{"good", &trace.Verify{Host: "a.test", Trusted: true, Verdict: "trusted", OCSP: "good"}, "", []string{
			`<p class="ok">✓ chain trusted for a.test</p>
<p class="ok">stapled OCSP response: good</p>`}, ""},
		{"refused", &trace.Verify{Host: "a.test", Verdict: "not trusted", OCSP: "good but stale", Fix: "the server must staple a fresh response"}, stale, []string{
			`<p class="bad">✗ chain not trusted for a.test: ` + stale + `<span class="fix">fix: the server must staple a fresh response</span></p>
<p class="warn">stapled OCSP response: good but stale</p>`}, ""},
		{"revoked", &trace.Verify{Host: "a.test", Verdict: "not trusted", OCSP: "revoked"}, "the certificate was revoked", []string{
			`<p class="bad">stapled OCSP response: revoked</p>`}, ""},
		{"none", &trace.Verify{Host: "a.test", Trusted: true, Verdict: "trusted"}, "", []string{
			`<p class="ok">✓ chain trusted for a.test</p>`}, "stapled OCSP response"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := trace.NewEvent(1, trace.Local, c.verify)
			ev.Error = c.err
			page := renderHTML(t, c.name, []*trace.Event{trace.NewEvent(1, trace.Local, &trace.Link{Subject: "CN=a.test", Role: "leaf"}), ev})
			for _, s := range c.want {
				if !strings.Contains(page, s) {
					t.Errorf("the report lacks %s", s)
				}
			}
			if c.without != "" && strings.Contains(page, c.without) {
				t.Errorf("the report says %s", c.without)
			}
			if c.name == "refused" {
				golden.Check(t, filepath.Join("testdata", "golden", "verify-ocsp.html"), []byte(page))
			}
		})
	}
}

// otherScanResult is a scan result of a type the report does not know.
type otherScanResult struct{}

func (otherScanResult) Layer() string { return scanev.Layer }
func (otherScanResult) Type() string  { return "new_probe" }
func (otherScanResult) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("answer", "<b>x</b>")
	f.Add(field.NewList("items")).AddUint("", 7)
	return f
}

// TestHTMLScan: the scan section lists the versions from the newest
// whatever order they were found in, each with its suites, puts the
// findings first, and shows a result of an unknown type by its fields.
func TestHTMLScan(t *testing.T) {
	var events []*trace.Event
	for _, p := range []trace.LocalPayload{
		&scanev.SuiteAccepted{Version: 0x0303, Suite: 0x009c},
		&scanev.VersionFound{Version: 0x0303, Outcome: scanev.Accepted, Suites: 1},
		&scanev.VersionFound{Version: 0x0304, Outcome: scanev.Refused, Reason: "alert protocol_version"},
		otherScanResult{},
		// A staple whose issuer is unknown is not checked, and says so (a
		// warning: not a response a client refuses).
		&scanev.CertChain{KeyType: "Ed25519", Version: 0x0303, Certs: []*x509.Certificate{{Raw: []byte{1}}}, Staple: []byte{0x30, 0x03, 0x0a, 0x01, 0x00}},
		&scanev.Finding{Severity: scanev.Low, Rule: "no-tls13", Title: "TLS 1.3 is refused", Cause: "c", Fix: "f"},
		&scanev.Summary{Addr: "127.0.0.1:1", Grade: "A-", Probes: 3},
	} {
		events = append(events, trace.NewEvent(0, trace.Local, p))
	}
	page := renderHTML(t, "scan", events)
	for _, s := range []string{
		`<h2>Scan of 127.0.0.1:1 <span class="grade ok">grade A-</span></h2>`,
		`<tr class="mut" data-version="TLS 1.3"><td>TLS 1.3</td><td>not accepted (alert protocol_version)</td>`, // as the text says
		`<tr><td>TLS_RSA_WITH_AES_128_GCM_SHA256</td><td>RSA</td><td>128</td><td class="bad">no</td></tr>`,
		`<li>NewProbe: answer &#34;&lt;b&gt;x&lt;/b&gt;&#34;, items (7)</li>`,
		`data-rule="no-tls13"`,
		`<p class="warn">stapled OCSP response: not checked: the leaf&#39;s issuer is neither in the chain nor among the trusted roots</p>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	if i, j := strings.Index(page, `data-version="TLS 1.3"`), strings.Index(page, `data-version="TLS 1.2"`); i > j {
		t.Error("TLS 1.2 is listed before TLS 1.3")
	}
	if i, j := strings.Index(page, `data-rule=`), strings.Index(page, `data-version=`); i > j {
		t.Error("the findings come after the versions")
	}
	if strings.Contains(page, "<h2>Connections</h2>") {
		t.Error("a scan's report has a connections table")
	}
}

// TestHTMLScanAsText: the scan section says what the text report says
// and the events carry: TLS 1.3 that HelloRetryRequests alone accepted,
// with why no handshake confirmed it and where its suites came from; the
// curves before TLS 1.3 unknown, and why; the ALPN protocols refused;
// what the signature probes left unsettled; a TLS 1.3 feature named with
// its version. None of them is left to the other results.
func TestHTMLScanAsText(t *testing.T) {
	var events []*trace.Event
	for _, p := range []trace.LocalPayload{
		&scanev.SuiteAccepted{Version: 0x0304, Suite: 0x1301},
		&scanev.VersionFound{Version: 0x0303, Outcome: scanev.Accepted, Suites: 1},
		&scanev.CurvesUnknown{Version: 0x0303, Reason: "30 ServerHellos chose an ECDHE suite, but no ServerKeyExchange named a curve"},
		&scanev.VersionFound{Version: 0x0304, Outcome: scanev.Accepted, Suites: 1, Unconfirmed: "every full handshake failed: alert unrecognized_name"},
		&scanev.SignatureNote{Note: "no full TLS 1.3 handshake completed"},
		&scanev.ALPNRefused{Protocol: "h2"},
		&scanev.ALPNRefused{Protocol: "http/1.1"},
		&scanev.Feature{Name: "ocsp_stapling", Version: 0x0304, Known: true, Detail: "none"},
		&scanev.Summary{Addr: "127.0.0.1:1", Probes: 3},
	} {
		events = append(events, trace.NewEvent(0, trace.Local, p))
	}
	page := renderHTML(t, "scan", events)
	for _, s := range []string{
		`<tr class="mut" data-version="TLS 1.3"><td>TLS 1.3</td><td>answered with HelloRetryRequests only, no handshake completed (every full handshake failed: alert unrecognized_name)</td>`,
		`<p class="bad">The suites are named by HelloRetryRequests only: no ServerHello, no handshake completed.</p>`,
		`<dt>ECDHE before TLS 1.3</dt><dd class="mut">unknown (30 ServerHellos chose an ECDHE suite, but no ServerKeyExchange named a curve)</dd>`,
		`<p class="bad">refused (alert no_application_protocol): h2, http/1.1</p>`,
		`<p class="bad">Signature schemes unsettled: no full TLS 1.3 handshake completed</p>`,
		`<tr><td>ocsp_stapling (TLS 1.3)</td><td>no</td><td>none</td></tr>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	if strings.Contains(page, "Other results") {
		t.Error("a result the report knows is among the other results")
	}
}

// TestHTMLSameChain: a chain shown with the same checks on an earlier
// connection is not shown again, but pointed to; a chain whose checks
// differ is shown.
func TestHTMLSameChain(t *testing.T) {
	link := func(conn int, detail string) *trace.Event {
		return trace.NewEvent(conn, trace.Local, &trace.Link{Subject: "CN=a", Checks: []trace.Check{{Name: "validity", Detail: detail}}})
	}
	page := renderHTML(t, "chains", []*trace.Event{link(1, "valid"), link(2, "valid"), link(3, "expired")})
	if n := strings.Count(page, `<div class="card">`); n != 2 {
		t.Errorf("%d cards, want 2 (connections 1 and 3)", n)
	}
	if !strings.Contains(page, `<p>The same as <a href="#c1">#1</a>'s, with the same checks.</p>`) {
		t.Error("connection 2 does not point to connection 1's chain")
	}
}

// TestHTMLDiagnosisOnce: a failure with the same cause and fix on many
// connections is listed once at the top, with the first 20 connections
// and a count of the rest; each connection still shows it in place.
func TestHTMLDiagnosisOnce(t *testing.T) {
	var events []*trace.Event
	for conn := 1; conn <= 31; conn++ {
		v := &trace.Verdict{Name: "a.test", Cause: "it expired", Fix: "renew it"}
		if conn == 31 {
			v.Cause = "wrong name"
		}
		events = append(events, trace.NewEvent(conn, trace.Local, v))
	}
	page := renderHTML(t, "failures", events)
	var links []string
	for i := 1; i <= 20; i++ {
		links = append(links, fmt.Sprintf(`<a href="#c%d">#%d</a>`, i, i))
	}
	for _, s := range []string{
		`<li>` + strings.Join(links, ", ") + ` and 10 more <b>certificate not trusted</b>: it expired<span class="fix">fix: renew it</span></li>`,
		`<li><a href="#c31">#31</a> <b>certificate not trusted</b>: wrong name<span class="fix">fix: renew it</span></li>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the diagnosis lacks %s", s)
		}
	}
	if n := strings.Count(page, "<b>certificate not trusted</b>"); n != 2 {
		t.Errorf("%d diagnoses, want 2", n)
	}
	if n := strings.Count(page, "✗ chain not trusted for a.test: it expired"); n != 30 {
		t.Errorf("%d connections show the failure in place, want 30", n)
	}
}

// inflateBlocks returns the markup of each packed section of page.
func inflateBlocks(t *testing.T, page string) []string {
	t.Helper()
	var out []string
	for _, b := range sectionBlock.FindAllStringSubmatch(page, -1) {
		var packed string
		if err := json.Unmarshal([]byte(b[1]), &packed); err != nil {
			t.Fatalf("a packed block is not a JSON string: %v", err)
		}
		z, err := base64.StdEncoding.DecodeString(packed)
		if err != nil {
			t.Fatal(err)
		}
		m, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(m))
	}
	return out
}

// TestHTMLPackedEscapes: the markup of a packed section, which the page
// inserts when the connection opens, has a peer's bidirectional override
// and controls escaped as the rest of the page has.
func TestHTMLPackedEscapes(t *testing.T) {
	const name = "\u202emoc.knab.www\x1b[8m"
	var events []*trace.Event
	for conn := 1; conn <= 101; conn++ {
		events = append(events, &trace.Event{Conn: conn, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeClientHello,
			Payload: &trace.Message{ClientHello: &trace.ClientHello{ServerName: name, HasServerName: true}}, Error: name},
			trace.NewEvent(conn, trace.Local, &trace.Link{Subject: "CN=" + name, Checks: []trace.Check{{Name: "name", Detail: name}}}))
	}
	page := renderHTML(t, "packed", events)
	blocks := inflateBlocks(t, page)
	if len(blocks) != 101 {
		t.Fatalf("%d packed blocks, want 101", len(blocks))
	}
	for i, m := range blocks {
		if strings.ContainsAny(m, "\u202e\x1b") {
			t.Fatalf("section %d holds the override or the escape character itself:\n%s", i+1, m)
		}
		if !strings.Contains(m, `CN=\u202emoc.knab.www\x1b[8m`) || !strings.Contains(m, `! \u202emoc.knab.www\x1b[8m`) {
			t.Fatalf("section %d does not show the name escaped:\n%s", i+1, m)
		}
	}
}

// TestHTMLPartialRecord: a connection that ended inside a record failed,
// and the report says so (diagnosis, table, ladder), where a record that
// could not be decrypted is shown in place only.
func TestHTMLPartialRecord(t *testing.T) {
	const cause = "the connection ended inside a record (5 of 100 bytes seen)"
	page := renderHTML(t, "partial", []*trace.Event{
		{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeEncryptedRecord, Payload: &trace.Data{Length: 20}, Error: "no key for the record"},
		{Conn: 1, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypePartialRecord, Payload: &trace.Data{Length: 5}, Error: cause},
	})
	for _, s := range []string{
		`<li><a href="#c1">#1</a> <b>a record was cut short</b>: ` + cause + `</li>`,
		`<tr class="bad"><td><a href="#c1">1</a>`,
		`<td>a record was cut short</td></tr>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	if strings.Contains(page, "no key for the record</li>") {
		t.Error("a record that could not be decrypted is in the diagnosis")
	}
}

// TestHTMLVerifyVerdict: a chain is shown with the verdict of its check
// (Verify.Verdict, as the text and JSON say it): one that could not be
// verified is neither trusted nor a failure; one not trusted is the
// failure "certificate not trusted".
func TestHTMLVerifyVerdict(t *testing.T) {
	const (
		hidden = "the server's certificate chain is encrypted (TLS 1.3) and the secrets given do not decrypt it: it could not be verified"
		fix    = "read the capture with this connection's secrets"
		cause  = `the chain ends at "CN=Root", which is not a trusted CA`
	)
	verify := func(conn int, p *trace.Verify, err string) *trace.Event {
		ev := trace.NewEvent(conn, trace.Local, p)
		ev.Error = err
		return ev
	}
	page := renderHTML(t, "verdicts", []*trace.Event{
		verify(1, &trace.Verify{Host: "a.test", Verdict: "not verified", Fix: fix}, hidden),
		verify(2, &trace.Verify{Host: "b.test", Verdict: "not trusted", Fix: "trust it"}, cause),
	})
	for _, s := range []string{
		`<tr><td><a href="#c1">1</a></td><td></td><td></td><td></td><td></td><td>not verified</td><td>0</td><td></td></tr>`,
		`<p class="mut">chain not verified for a.test: the server&#39;s certificate chain is encrypted`,
		`<tr class="bad"><td><a href="#c2">2</a></td><td></td><td></td><td></td><td></td><td>✗ not trusted</td><td>0</td><td>certificate not trusted</td></tr>`,
		`<li><a href="#c2">#2</a> <b>certificate not trusted</b>: the chain ends at &#34;CN=Root&#34;, which is not a trusted CA<span class="fix">fix: trust it</span></li>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	for _, s := range []string{"Verify failed", `<a href="#c1">#1</a> <b>`} {
		if strings.Contains(page, s) {
			t.Errorf("the report has %s", s)
		}
	}
}

// TestHTMLVerifyInsecure: a chain not trusted when the run went on all
// the same (-k) is said loudly as such, at the top and in place, and is
// not the connection's failure.
func TestHTMLVerifyInsecure(t *testing.T) {
	ev := trace.NewEvent(1, trace.Local, &trace.Verify{Host: "127.0.0.1", Verdict: "not trusted", Insecure: true, Fix: "trust that CA with --cacert FILE if you trust it"})
	ev.Error = `the chain ends at "CN=Root", which is not a trusted CA`
	page := renderHTML(t, "insecure", []*trace.Event{ev})
	for _, s := range []string{
		`<li><b>⚠ NOT trusted; going on because of --insecure: the chain ends at &#34;CN=Root&#34;, which is not a trusted CA</b> (chain of <a href="#c1">#1</a>)<span class="fix">fix: trust that CA with --cacert FILE if you trust it</span></li>`,
		`<tr><td><a href="#c1">1</a></td><td></td><td></td><td></td><td></td><td>✗ NOT trusted; going on because of --insecure <span class="warn">⚠ 1 warning</span></td><td>0</td><td></td></tr>`,
		`<p class="bad">✗ chain NOT trusted for 127.0.0.1: the chain ends at &#34;CN=Root&#34;, which is not a trusted CA <span class="warn">⚠ 1 warning</span><b class="insecure">going on because of --insecure</b><span class="fix">fix: trust`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	for _, s := range []string{`id="diagnosis"`, "certificate not trusted", `<tr class="bad">`} {
		if strings.Contains(page, s) {
			t.Errorf("the report has %s", s)
		}
	}
}

// TestHTMLPackedMaxConns: a report of more than 100 connections says how
// many were left out past MaxConns, as a small one does.
func TestHTMLPackedMaxConns(t *testing.T) {
	var b bytes.Buffer
	h := render.NewHTML(&b)
	h.MaxConns = 101
	for conn := 1; conn <= 103; conn++ {
		h.Event(&trace.Event{Conn: conn, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeAlert, Payload: &trace.Alert{}})
	}
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, `<section class="conn pk"`); n != 101 {
		t.Errorf("%d packed sections, want 101", n)
	}
	if !strings.Contains(page, "This report holds the first 101 connections; 2 more were left out.") {
		t.Error("the connections left out are not counted")
	}
}

// TestHTMLMasked: bytes that tlstrace masked before showing them (a
// password) are said to be masked, in the row and with its bytes, where
// hovering the note highlights them.
func TestHTMLMasked(t *testing.T) {
	b := []byte("PASS **\r\n")
	page := renderHTML(t, "masked", []*trace.Event{{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeApplicationData,
		Raw: b, Payload: &trace.Data{Length: len(b), Bytes: b, Masked: []trace.Span{{Offset: 5, Length: 2}}}}})
	for _, s := range []string{
		`<em>⚠ 2 bytes masked by tlstrace: shown as *, not as they were sent</em>`,
		`<li data-o="5" data-l="2"><b>masked by tlstrace</b> bytes 5 to 6 <i>(shown as *, not as they were sent)</i></li>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
}

// TestHTMLWords: failures are named in words (not "Lookup failed"), and
// a certificate's checks by their names in words, as the text view
// does.
func TestHTMLWords(t *testing.T) {
	failed := func(conn int, p trace.LocalPayload, err string) *trace.Event {
		ev := trace.NewEvent(conn, trace.Local, p)
		ev.Error = err
		return ev
	}
	tcp := &trace.Event{Conn: 3, From: trace.Client, Layer: trace.LayerTCP, Type: trace.TypeTruncated, Payload: &trace.TCPSegment{Kind: trace.TypeTruncated, Missing: 10},
		Error: "packet size limited during capture"}
	page := renderHTML(t, "words", []*trace.Event{
		failed(1, &trace.DNSLookup{Name: "a.invalid"}, "no such host"),
		failed(2, &trace.TCPConnect{Remote: "127.0.0.1:1"}, "connection refused"),
		tcp,
		trace.NewEvent(4, trace.Local, &trace.Link{Subject: "CN=a", Checks: []trace.Check{{Name: "key_usage", OK: true, Detail: "digitalSignature"}}}),
	})
	for _, s := range []string{
		`<b>DNS lookup failed</b>: no such host`,
		`<b>TCP connect failed</b>: connection refused`,
		`<b>packet cut short by the capture</b>: packet size limited during capture`,
		`<li class="ok">✓ key usage: digitalSignature</li>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the report lacks %s", s)
		}
	}
	if strings.Contains(page, "Lookup failed") || strings.Contains(page, "key_usage:") {
		t.Error("the report names a failure or a check by its type")
	}
}
