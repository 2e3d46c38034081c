package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// The report in a real browser: headless Chromium (Debian's package),
// driven through the DevTools protocol.

// browser is a page of a headless Chromium, with what it logged and what
// it asked the network for.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	console  []string // errors and exceptions
	requests []string // URLs other than the page's own
	page     string
}

// newBrowser starts Chromium for t: missing, it skips the test, or fails it
// under CI.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	tlstest.RequirePeer(t, "chromium")
	path, _ := exec.LookPath("chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 1000))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses its sandbox to root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s: %s", m.Type, m.Text))
				b.mu.Unlock()
			}
		}
	}()
	err := chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			if r.Request.URL != b.page {
				b.requests = append(b.requests, r.Request.URL)
			}
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs actions with a time limit.
func (b *browser) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// open loads the file path and returns how long it took until the page
// was loaded and, with scroll, scrolled to its end with two frames drawn.
func (b *browser) open(t *testing.T, path string, scroll bool) time.Duration {
	t.Helper()
	u := (&url.URL{Scheme: "file", Path: path}).String()
	b.mu.Lock()
	b.page = u
	b.mu.Unlock()
	start := time.Now()
	b.run(t, "loading the report", chromedp.Navigate(u))
	if scroll {
		eval[float64](t, b, `new Promise(done => {
			window.scrollTo(0, document.body.scrollHeight);
			requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));
		})`)
	}
	return time.Since(start)
}

// count returns the number of elements sel matches, through the DOM
// (which works with JavaScript off).
func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return len(nodes)
}

// outerHTML returns the markup of the first element sel matches, through
// the DOM (which works with JavaScript off).
func (b *browser) outerHTML(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("%s: %v", sel, err)
	}
	res, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: nodes[0].NodeID})
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return res.OuterHTML
}

// cpu returns the CPU time the page's main thread and its renderer
// process have used so far (Chrome's ThreadTime and ProcessTime), which a
// loaded machine does not inflate as it does the wall time.
func (b *browser) cpu(t *testing.T) (thread, process time.Duration) {
	t.Helper()
	res, err := chromedp.Call(b.ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		t.Fatalf("performance metrics: %v", err)
	}
	for _, m := range res.Metrics {
		d := time.Duration(m.Value * float64(time.Second))
		switch m.Name {
		case "ThreadTime":
			thread = d
		case "ProcessTime":
			process = d
		}
	}
	return thread, process
}

// check fails t with the console errors and network requests seen.
func (b *browser) check(t *testing.T) {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // the last console events
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.console) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(b.console, "\n"))
	}
	if len(b.requests) > 0 {
		t.Errorf("the report asked the network for %q", b.requests)
	}
}

// screenshot keeps the page (the whole page with full, else the
// window) as an artifact of t, in $TLSTRACE_ARTIFACTS when set.
func (b *browser) screenshot(t *testing.T, name string, full bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("TLSTRACE_ARTIFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestHTMLBrowser opens the report of a capture in Chromium: no console
// error, no request; one [data-event] element per tls event of --json;
// clicking a message opens its fields, and pointing at a field highlights
// its bytes, the same bytes the tree shows.
func TestHTMLBrowser(t *testing.T) {
	c := readHTMLCases[0]
	page, _ := readReport(t, c.args...)
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	want := len(tlsEventLines(t, c.args...))

	b := newBrowser(t)
	took := b.open(t, file, true)
	t.Logf("report of %d bytes opened in %v", len(page), took)

	if n := b.count(t, "[data-event]"); n != want {
		t.Errorf("%d [data-event] elements, want %d (the tls events of --json)", n, want)
	}
	// The first message: the ClientHello.
	const msg = `document.querySelector("[data-event]")`
	if n := b.count(t, "details[open]"); n != 0 {
		t.Fatalf("%d messages open before any click", n)
	}
	b.run(t, "clicking the ClientHello", chromedp.Click(chromedp.CSS(`[data-event]`)))
	if !eval[bool](t, b, msg+`.querySelector("details").open`) {
		t.Fatal("clicking the message did not open it")
	}
	if n := eval[int](t, b, msg+`.querySelectorAll(".tree li").length`); n < 20 {
		t.Errorf("the ClientHello shows %d fields", n)
	}
	if h := eval[float64](t, b, msg+`.querySelector(".tree").getBoundingClientRect().height`); h == 0 {
		t.Error("the fields are not visible")
	}
	if got := eval[int](t, b, msg+`.querySelectorAll(".hex span").length`); got != 2*clientHelloLength(t, c.args...) {
		t.Errorf("%d bytes in the hex view (with their characters), want twice the ClientHello's length", got)
	}
	// The random: 32 bytes at offset 6.
	b.run(t, "clicking the random", chromedp.Click(chromedp.CSS(`[data-event] .tree > li[data-o="6"][data-l="32"]`)))
	hl := eval[[]string](t, b, `Array.from(`+msg+`.querySelectorAll(".hex .hl"), e => e.textContent)`)
	if len(hl) != 64 {
		t.Fatalf("%d elements highlighted, want 32 bytes in hex and 32 characters", len(hl))
	}
	tree := eval[string](t, b, msg+`.querySelector('.tree > li[data-o="6"]').textContent`)
	hex := eval[string](t, b, msg+`.querySelector("pre.hex").bytes.filter(p => p[0].classList.contains("hl") && p[1].classList.contains("hl")).map(p => p[0].textContent).join("")`)
	if len(hex) != 64 || !strings.Contains(tree, hex) {
		t.Errorf("highlighted bytes %q are not the field's %q", hex, tree)
	}
	// Another field moves the highlight: legacy_version, 2 bytes.
	b.run(t, "clicking the version", chromedp.Click(chromedp.CSS(`[data-event] .tree > li[data-o="4"][data-l="2"]`)))
	if got := eval[string](t, b, `Array.from(`+msg+`.querySelectorAll(".hex .hl"), e => e.textContent).join(" ")`); got != "03 03 . ." {
		t.Errorf("highlighted %q after choosing legacy_version, want 03 03 and its two characters", got)
	}
	b.screenshot(t, "report.png", true)
	// A second click closes the message.
	b.run(t, "closing the ClientHello", chromedp.Click(chromedp.CSS(`[data-event] summary`)))
	if eval[bool](t, b, msg+`.querySelector("details").open`) {
		t.Error("a second click did not close the message")
	}
	// The keyboard: Enter on the message opens it, Tab reaches its first
	// field with bytes and highlights them, Enter on the message again
	// closes it.
	const message = `[data-event]`
	b.run(t, "Enter on the message", chromedp.Focus(chromedp.CSS(message+` summary`)), chromedp.KeyEvent("\r"))
	if !eval[bool](t, b, `document.querySelector("`+message+` details").open`) {
		t.Fatal("Enter on a message did not open it")
	}
	b.run(t, "Tab to its first field", chromedp.KeyEvent("\t"))
	field := eval[[]float64](t, b, `(f => f && f.dataset.o ? [+f.dataset.o, +f.dataset.l, f.closest("`+message+`") ? 1 : 0, f.classList.contains("on") ? 1 : 0, f.matches(":focus-visible") ? 1 : 0] : [])(document.activeElement)`)
	if len(field) != 5 || field[2] != 1 || field[3] != 1 || field[4] != 1 {
		t.Fatalf("after Tab, the focus is not on a field of the message, marked and with its focus shown: %v", field)
	}
	if n := eval[int](t, b, `document.querySelectorAll("`+message+` .hex .hl").length`); n != 2*int(field[1]) {
		t.Errorf("%d elements highlighted for the field of %v bytes, want its bytes in hex and their characters", n, field[1])
	}
	b.run(t, "Enter on the message again", chromedp.Focus(chromedp.CSS(message+` summary`)), chromedp.KeyEvent("\r"))
	if eval[bool](t, b, `document.querySelector("`+message+` details").open`) {
		t.Error("a second Enter did not close the message")
	}
	b.check(t)
}

// clientHelloLength is the length of the first ClientHello of the capture,
// header included, as --json --raw gives its bytes.
func clientHelloLength(t *testing.T, args ...string) int {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append(append([]string{"read"}, args...), "--json", "--raw"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		var ev struct{ Type, Raw string }
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "client_hello" {
			return len(ev.Raw) / 2
		}
	}
	t.Fatal("no client_hello")
	return 0
}

// TestHTMLBrowserNoScript: with JavaScript off, the summary and every
// ladder row read, and a click on a message opens its fields and its
// bytes as a hex dump.
func TestHTMLBrowserNoScript(t *testing.T) {
	c := readHTMLCases[0]
	page, _ := readReport(t, c.args...)
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	b.open(t, file, false)
	if n := b.count(t, "table.sum tbody tr"); n != 2 {
		t.Errorf("%d rows in the summary, want 2", n)
	}
	if n, want := b.count(t, "[data-event]"), len(tlsEventLines(t, c.args...)); n != want {
		t.Errorf("%d ladder rows with data-event, want %d", n, want)
	}
	if n := b.count(t, "details[open]"); n != 0 {
		t.Fatalf("%d messages open before any click", n)
	}
	b.run(t, "clicking the ClientHello", chromedp.Click(chromedp.CSS(`[data-event]`)))
	if n := b.count(t, `[data-event] details[open] .tree li`); n < 20 {
		t.Errorf("the ClientHello opened to %d fields", n)
	}
	dump := b.outerHTML(t, `[data-event] details[open] pre.hex`)
	hexLen := 2 * clientHelloLength(t, c.args...)
	if !strings.Contains(dump, ">0000  01 00 ") || strings.Count(dump, "\n") != (hexLen/2+15)/16 {
		t.Errorf("the ClientHello's dump is not its %d bytes: %.200s", hexLen/2, dump)
	}
	b.run(t, "the dump shown", chromedp.WaitVisible(chromedp.CSS(`[data-event] details[open] pre.hex`)))
	if n := b.count(t, "[data-event] pre.hex span"); n != 0 {
		t.Error("the dump has one element per byte: the page's script ran")
	}
	b.screenshot(t, "report-noscript.png", true)
	b.check(t)
}

// TestHTMLBrowserManyConnections: the report of a capture of 1,000
// connections (the Illustrated TLS 1.3 connection, repeated on other
// client ports) loads and scrolls to its end in the browser with no
// console error (the time is logged; bench/html.sh measures it); each
// connection is a heading with its verdict, and opening the last one
// writes its ladder, one [data-event] row per tls event of --json, whose
// rows open to their fields; a heading is a button that opens and closes
// its connection with Enter and Space. With JavaScript off, every connection still
// shows its name, version, suite and verdict.
func TestHTMLBrowserManyConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000-connection report")
	}
	one, err := os.ReadFile(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	dir := t.TempDir()
	capture := filepath.Join(dir, "many.pcap")
	if d := os.Getenv("TLSTRACE_MANY"); d != "" {
		capture = d
	}
	many, err := tlstest.RepeatConnection(one, n, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capture, many, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{capture, "--keylog", td + "illustrated-tls13/keylog.txt"}
	start := time.Now()
	page, _ := readReport(t, args...)
	made := time.Since(start)
	file := filepath.Join(dir, "many.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := tlsEventLines(t, args...)
	if len(lines)%n != 0 {
		t.Fatalf("%d tls events for %d connections", len(lines), n)
	}
	b := newBrowser(t)
	if _, err := chromedp.Call(b.ctx, performance.Enable, performance.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	took := b.open(t, file, true)
	thread, process := b.cpu(t)
	t.Logf("%d connections: report of %.1f MB written in %v, opened and scrolled to its end in %v (CPU: page thread %v, renderer %v)",
		n, float64(len(page))/1e6, made, took, thread, process)
	if got := b.count(t, "section.conn > h2"); got != n {
		t.Errorf("%d connection headings, want %d", got, n)
	}
	if got := b.count(t, "[data-event]"); got != 0 {
		t.Errorf("%d ladder rows before a connection is opened", got)
	}
	const last = `section.conn:last-of-type`
	b.run(t, "opening the last connection", chromedp.Click(chromedp.CSS(last+` > h2`)),
		chromedp.WaitVisible(chromedp.CSS(last+` [data-event]`)))
	tls := map[string]bool{}
	for _, l := range lines {
		tls[l] = true
	}
	checkRows := func(sec string) {
		t.Helper()
		rows := eval[[]string](t, b, `Array.from(document.querySelectorAll("`+sec+` [data-event]"), e => e.dataset.event)`)
		for _, r := range rows {
			if !tls[r] {
				t.Errorf("row data-event=%s of %s is not a tls event of --json", r, sec)
			}
		}
		if len(rows) != len(lines)/n {
			t.Errorf("%s has %d [data-event] rows, want %d (the tls events of --json per connection)", sec, len(rows), len(lines)/n)
		}
	}
	checkRows(last)
	b.run(t, "opening a row of the last connection", chromedp.Click(chromedp.CSS(last+` [data-event]`)),
		chromedp.WaitVisible(chromedp.CSS(last+` .lad .tree li`)))
	if got := eval[int](t, b, `document.querySelectorAll("`+last+` [data-event] .hex span").length`); got == 0 {
		t.Error("the opened row shows no bytes")
	}
	b.screenshot(t, "report-1000.png", false)
	b.run(t, "closing the last connection", chromedp.Click(chromedp.CSS(last+` > h2`)),
		chromedp.WaitNotVisible(chromedp.CSS(last+` [data-event]`)))

	// The keyboard: a heading is a button that says whether its
	// connection is open and what it opens; focused, Enter opens it (its
	// rows those of --json, in the element the button names), Enter again
	// closes it, Space opens it again.
	const sec, button = `#c2`, `#c2 > h2 > button`
	state := func() string {
		t.Helper()
		return eval[string](t, b, `(b => b.getAttribute("aria-expanded") + " " + b.getAttribute("aria-controls") + " " + b.matches(":focus") + " " +
			((document.getElementById(b.getAttribute("aria-controls")) || {}).hidden === false))(document.querySelector("`+button+`"))`)
	}
	if got := state(); got != "false c2b false false" {
		t.Errorf("the closed heading's button: %s, want aria-expanded false, aria-controls c2b, not focused, nothing shown", got)
	}
	b.run(t, "Enter on the second heading", chromedp.Focus(chromedp.CSS(button)), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(sec+` [data-event]`)))
	checkRows(sec)
	if got := state(); got != "true c2b true true" {
		t.Errorf("the opened heading's button: %s, want aria-expanded true, aria-controls c2b (shown), focused", got)
	}
	if got := eval[int](t, b, `document.getElementById("c2b").querySelectorAll("[data-event]").length`); got != len(lines)/n {
		t.Errorf("the element the button controls holds %d rows, want %d", got, len(lines)/n)
	}
	if outline := eval[string](t, b, `getComputedStyle(document.querySelector("`+button+`")).outlineStyle`); outline != "solid" {
		t.Errorf("the focused heading's outline is %q: its focus is not shown", outline)
	}
	b.run(t, "Enter again", chromedp.KeyEvent("\r"), chromedp.WaitNotVisible(chromedp.CSS(sec+` [data-event]`)))
	if got := state(); got != "false c2b true false" {
		t.Errorf("the closed heading's button: %s, want aria-expanded false, focused, nothing shown", got)
	}
	b.run(t, "Space", chromedp.KeyEvent(" "), chromedp.WaitVisible(chromedp.CSS(sec+` [data-event]`)))
	if got := state(); got != "true c2b true true" {
		t.Errorf("the heading's button after Space: %s, want it open", got)
	}
	if took > time.Minute {
		t.Errorf("the report took %v to open", took)
	}
	b.check(t)

	off := newBrowser(t)
	if _, err := chromedp.Call(off.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	off.open(t, file, false)
	heads := eval[[]string](t, off, `Array.from(document.querySelectorAll("section.conn"), s => s.querySelector("h2").textContent + " | " + s.querySelector("p").textContent)`)
	if len(heads) != n {
		t.Fatalf("%d connections read with JavaScript off, want %d", len(heads), n)
	}
	for i, h := range heads {
		want := fmt.Sprintf("#%d example.ulfheim.net · TLS 1.3 · TLS_AES_256_GCM_SHA384 | ✗ chain not trusted for example.ulfheim.net: ", i+1)
		if !strings.HasPrefix(h, want) {
			t.Fatalf("connection %d reads %q with JavaScript off, want %q…", i+1, h, want)
		}
	}
	// The note on what needs JavaScript shows only without it.
	if note := `JavaScript is off: every connection's heading and verdict is shown`; !eval[bool](t, off, "document.body.innerText.includes("+strconv.Quote(note)+")") {
		t.Errorf("with JavaScript off the report does not say %q", note)
	} else if eval[bool](t, b, "document.body.innerText.includes("+strconv.Quote(note)+")") {
		t.Errorf("with JavaScript on the report says %q", note)
	}
	off.check(t)
}

// TestHTMLBrowserScan: scan --json --html against crypto/tls (TLS 1.2
// and 1.3, a suite without forward secrecy): the report shows each
// finding of the JSON with its severity, rule, cause and fix, the grade of
// the summary, each version's verdict and each accepted suite; it loads
// with no console error and no request.
func TestHTMLBrowserScan(t *testing.T) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
		Certificates: []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, true))}}
	addr := tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
	})
	file := filepath.Join(t.TempDir(), "scan.html")
	var out, errb bytes.Buffer
	if code := run([]string{"scan", addr, "--json", "--html", file}, &out, &errb); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errb.String())
	}
	type enum struct{ Name string }
	var findings []string // severity rule cause fix
	var grade string
	suites := map[string]int{}
	versions := map[string]bool{}
	for line := range strings.Lines(out.String()) {
		var ev struct {
			Type   string
			Fields struct {
				Severity, Rule, Cause, Fix, Grade string
				Version                           enum
				Accepted                          bool
			}
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		f := ev.Fields
		switch ev.Type {
		case "finding":
			findings = append(findings, strings.Join([]string{f.Severity, f.Rule, "cause: " + f.Cause, "fix: " + f.Fix}, "|"))
		case "summary":
			grade = f.Grade
		case "suite_accepted":
			suites[f.Version.Name]++
		case "version":
			versions[f.Version.Name] = f.Accepted
		}
	}
	if len(findings) == 0 || grade == "" || suites["TLS 1.2"] != 2 {
		t.Fatalf("the scan found %d findings, grade %q, TLS 1.2 suites %d:\n%s", len(findings), grade, suites["TLS 1.2"], out.String())
	}

	b := newBrowser(t)
	b.open(t, file, false)
	got := eval[[]string](t, b, `Array.from(document.querySelectorAll("tr[data-rule]"), tr =>
		[tr.cells[0].textContent, tr.cells[1].textContent].concat(Array.from(tr.cells[2].querySelectorAll("span"), s => s.textContent)).join("|"))`)
	if strings.Join(got, "\n") != strings.Join(findings, "\n") {
		t.Errorf("findings in the report:\n%s\nwant those of --json:\n%s", strings.Join(got, "\n"), strings.Join(findings, "\n"))
	}
	if g := eval[string](t, b, `document.querySelector("section.scan .grade").textContent`); g != "grade "+grade {
		t.Errorf("grade %q, want %q", g, "grade "+grade)
	}
	for v, accepted := range versions {
		state := eval[string](t, b, fmt.Sprintf(`document.querySelector('tr[data-version=%q]').cells[1].textContent`, v))
		if accepted != (state == "accepted") {
			t.Errorf("%s: %q in the report, accepted %v in --json", v, state, accepted)
		}
	}
	if n := eval[int](t, b, `document.querySelectorAll("table.suites tbody tr").length`); n != suites["TLS 1.2"]+suites["TLS 1.3"] {
		t.Errorf("%d suite rows, want %d", n, suites["TLS 1.2"]+suites["TLS 1.3"])
	}
	if n := b.count(t, "section.conn, table.sum"); n != 0 {
		t.Errorf("a scan report with %d connection elements", n)
	}
	b.screenshot(t, "report-scan.png", true)
	b.check(t)
}

// longNameReport writes a report whose server name is 250 characters
// long, in the table, the diagnosis, the verdict and the ladder, and
// returns its file.
func longNameReport(t *testing.T) string {
	t.Helper()
	name := strings.Repeat(strings.Repeat("a", 61)+".", 4) + "example"
	file := filepath.Join(t.TempDir(), "long.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := render.NewHTML(f)
	h.Title = "tlstrace https://" + name + "/"
	h.Event(&trace.Event{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeClientHello,
		Payload: &trace.Message{ClientHello: &trace.ClientHello{ServerName: name, HasServerName: true}}, Raw: []byte{1, 0, 0, 0}})
	h.Event(trace.NewEvent(1, trace.Local, &trace.Verdict{Name: name, Cause: "the certificate is not valid for " + name, Fix: "use " + name}))
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestHTMLBrowserLongNames: a long server name wraps in the diagnosis and
// the table rather than making the page wider than the window or running
// out of its box.
func TestHTMLBrowserLongNames(t *testing.T) {
	file := longNameReport(t)
	b := newBrowser(t)
	b.open(t, file, false)
	wide := eval[[]string](t, b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 || getComputedStyle(e).display != "inline" && getComputedStyle(e).overflowX == "visible" && e.scrollWidth > e.clientWidth + 1).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""))`)
	if len(wide) > 0 {
		t.Errorf("wider than the window: %q", wide)
	}
	if eval[bool](t, b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		t.Error("the page scrolls sideways")
	}
	b.check(t)
}

// TestHTMLBrowserPrint: printed, the page keeps the colours that draw
// the ladder's arrows and the waterfall's bars (browsers drop
// backgrounds when printing unless told otherwise), and each ladder row
// says its direction in words, for screen readers and copying.
func TestHTMLBrowserPrint(t *testing.T) {
	file := longNameReport(t)
	b := newBrowser(t)
	b.open(t, file, false)
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatalf("emulating print: %v", err)
	}
	for _, sel := range []string{".lad .r", "body"} {
		if got := eval[string](t, b, `getComputedStyle(document.querySelector("`+sel+`")).printColorAdjust`); got != "exact" {
			t.Errorf("%s printed with print-color-adjust %q, want exact", sel, got)
		}
	}
	if got := eval[string](t, b, `document.querySelector("[data-event]").innerText`); !strings.Contains(got, "client → server") {
		t.Errorf("the ClientHello's row does not say its direction: %q", got)
	}
	b.check(t)
}
