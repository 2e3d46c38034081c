package render

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Text writes events for people: one line per step, and with Verbose the
// decoded field tree under each step (like `openssl s_client -trace`), with
// Hex also the bytes.
type Text struct {
	w *bufio.Writer
	// Verbose shows every decoded field.
	Verbose bool
	// Hex shows the bytes of each step as a hex dump, and byte strings in
	// full.
	Hex bool
	// Color marks directions, errors and verdicts with ANSI colours (for
	// a terminal; the caller honours NO_COLOR).
	Color bool
	// Sections puts a heading before each step of a connection (DNS, TCP,
	// TLS handshake, certificate, HTTP, timing).
	Sections bool
	err      error
	section  map[int]string // the current section of each connection
	done     map[int]bool   // connections whose handshake is complete
	// run gathers, in the sectioned view, consecutive application data
	// records of one connection and direction into one line.
	run *dataRun
}

// dataRun is a run of application data records shown as one line.
type dataRun struct {
	first          *trace.Event
	records, bytes int
}

// sectionOf names the step an event belongs to.
func (t *Text) sectionOf(ev *trace.Event) string {
	switch {
	case ev.Layer == trace.LayerDNS:
		return "DNS"
	case ev.Layer == trace.LayerTCP:
		return "TCP"
	case ev.Layer == trace.LayerX509:
		return "Certificate chain"
	case ev.Layer == trace.LayerInfo && ev.Type == "timing":
		return "Timing"
	case ev.Layer == trace.LayerInfo && ev.Type == "starttls":
		return "STARTTLS"
	case ev.Layer == trace.LayerInfo && ev.Type == "handshake_complete":
		return "TLS handshake"
	case ev.Layer == trace.LayerHTTP:
		return "HTTP"
	case t.done[ev.Conn]:
		return "Application data"
	}
	return "TLS handshake"
}

// ANSI colours.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
)

func (t *Text) paint(color, s string) string {
	if !t.Color || s == "" {
		return s
	}
	return color + s + ansiReset
}

// NewText returns a text renderer writing to w. Call Flush at the end.
func NewText(w io.Writer) *Text {
	return &Text{w: bufio.NewWriterSize(w, 64<<10)}
}

// Flush writes what is buffered and returns the first write error.
func (t *Text) Flush() error {
	t.endRun()
	if err := t.w.Flush(); t.err == nil {
		t.err = err
	}
	return t.err
}

func (t *Text) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// Event writes one event.
func (t *Text) Event(ev *trace.Event) {
	if ev.Type == "h2_frame" && !t.Verbose {
		return // HTTP/2 frames are shown with -v
	}
	if t.Sections && !t.Verbose && ev.Type == trace.TypeApplicationData && ev.Error == "" {
		if r := t.run; r != nil && r.first.Conn == ev.Conn && r.first.From == ev.From {
			r.records++
			r.bytes += dataLength(ev)
			return
		}
		t.endRun()
		t.run = &dataRun{first: ev.Clone(), records: 1, bytes: dataLength(ev)}
		return
	}
	t.endRun()
	t.event(ev, "")
}

// event writes one event; summary, when set, replaces the usual one.
func (t *Text) event(ev *trace.Event, summary string) {
	if t.Sections {
		if t.section == nil {
			t.section, t.done = map[int]string{}, map[int]bool{}
		}
		sec := t.sectionOf(ev)
		if sec == "Application data" && t.section[ev.Conn] == "HTTP" {
			sec = "HTTP" // the records carrying the HTTP exchange
		}
		if sec != t.section[ev.Conn] {
			t.printf("%s\n", t.paint(ansiBold, fmt.Sprintf("── #%d %s ", ev.Conn, sec)))
			t.section[ev.Conn] = sec
		}
		if ev.Layer == trace.LayerInfo && ev.Type == "handshake_complete" {
			t.done[ev.Conn] = true
		}
	}
	arrow := ev.From.String()
	switch ev.From {
	case trace.Client:
		arrow = "client → server"
	case trace.Server:
		arrow = "server → client"
	}
	name := DisplayName(ev.Type)
	if summary == "" {
		summary = Summary(ev)
	}
	arrowColor := map[trace.Side]string{trace.Client: ansiCyan, trace.Server: ansiYellow, trace.Local: ansiDim}[ev.From]
	t.printf("#%-3d %10.6f  %s  %-4s %s", ev.Conn, ev.T, t.paint(arrowColor, fmt.Sprintf("%-15s", arrow)), strings.ToUpper(ev.Layer), t.paint(ansiBold, name))
	if summary != "" {
		if t.Color {
			summary = strings.Replace(summary, "[decrypted]", t.paint(ansiGreen, "[decrypted]"), 1)
			if ev.Layer == trace.LayerX509 {
				if strings.HasPrefix(summary, "trusted") {
					summary = t.paint(ansiGreen, "trusted") + strings.TrimPrefix(summary, "trusted")
				} else {
					summary = t.paint(ansiRed, summary)
				}
			}
		}
		t.printf("  %s", summary)
	}
	if ev.Frame > 0 && t.Verbose {
		t.printf("  [frame %d]", ev.Frame)
	}
	t.printf("\n")
	if ev.Error != "" {
		t.printf("      %s\n", t.paint(ansiRed, "! "+ev.Error))
	}
	for _, a := range ev.Anomalies {
		t.printf("      ⚠ %s (offset %d)\n", a.Text, a.Offset)
	}
	if ev.Layer == trace.LayerInfo && ev.Type == "timing" {
		t.waterfall(ev.Fields)
	}
	if ev.Layer == trace.LayerX509 && ev.Type == "link" && !t.Verbose {
		t.link(ev.Fields)
	}
	if ev.Layer == trace.LayerHTTP && (ev.Type == "request" || ev.Type == "response") && !t.Verbose {
		// The headers, as curl -v shows them.
		mark := t.paint(ansiCyan, ">")
		if ev.Type == "response" {
			mark = t.paint(ansiYellow, "<")
		}
		for _, h := range strs(ev.Fields.Get("headers")) {
			t.printf("      %s %s\n", mark, h)
		}
	}
	if ev.Layer == trace.LayerX509 && ev.Type == "verdict" {
		if fix := str(ev.Fields, "fix"); fix != "" {
			t.printf("      %s\n", t.paint(ansiYellow, "fix: "+fix))
		}
	}
	if t.Verbose && ev.Fields != nil && ev.Type != trace.TypeApplicationData {
		for _, c := range ev.Fields.Children {
			t.node(c, 6)
		}
	}
	if t.Hex && len(ev.Raw) > 0 {
		t.dump(ev.Raw, 6)
	}
}

// dataLength is the plaintext length of a record event.
func dataLength(ev *trace.Event) int {
	if d, ok := ev.Payload.(*trace.Data); ok {
		return d.Length
	}
	return 0
}

// endRun writes the line of a run of application data records: the first
// record as usual, or, for several, their count and total size.
func (t *Text) endRun() {
	r := t.run
	if r == nil {
		return
	}
	t.run = nil
	if r.records == 1 {
		t.event(r.first, "")
		return
	}
	t.event(r.first, fmt.Sprintf("%d records, %d bytes, [decrypted]", r.records, r.bytes))
}

// DisplayName turns a snake_case event type into the CamelCase message name
// people know from the RFCs and Wireshark (client_hello → ClientHello).
func DisplayName(typ string) string {
	parts := strings.Split(typ, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func (t *Text) node(n *field.Node, indent int) {
	pad := strings.Repeat(" ", indent)
	label := n.Name
	if label == "" {
		label = "-"
	}
	switch n.Kind {
	case field.Object:
		if n.Name == "" {
			// A list item: print its first field on the dash line.
			t.printf("%s-", pad)
			for i, c := range n.Children {
				if i == 0 {
					t.printf(" ")
					t.inline(c, indent+2)
					continue
				}
				t.node(c, indent+2)
			}
			if len(n.Children) == 0 {
				t.printf(" (empty)\n")
			}
			return
		}
		t.printf("%s%s:%s\n", pad, label, note(n))
		for _, c := range n.Children {
			t.node(c, indent+2)
		}
	case field.List:
		t.printf("%s%s: %d item%s%s\n", pad, label, len(n.Children), plural(len(n.Children)), note(n))
		for _, c := range n.Children {
			if c.Kind == field.Object || c.Kind == field.List {
				t.node(c, indent+2)
				continue
			}
			t.printf("%s  - %s%s\n", pad, t.value(c), note(c))
		}
	default:
		t.printf("%s%s: %s%s\n", pad, label, t.value(n), note(n))
	}
}

// inline prints a field on the current line (after a list dash).
func (t *Text) inline(n *field.Node, indent int) {
	switch n.Kind {
	case field.Object, field.List:
		t.printf("\n")
		t.node(n, indent)
	default:
		t.printf("%s: %s%s\n", n.Name, t.value(n), note(n))
	}
}

func note(n *field.Node) string {
	if n.Note == "" {
		return ""
	}
	return "  (" + n.Note + ")"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// value formats a scalar field.
func (t *Text) value(n *field.Node) string {
	switch n.Kind {
	case field.Uint:
		return fmt.Sprint(n.Uint)
	case field.Bool:
		return fmt.Sprint(n.Uint != 0)
	case field.String:
		return fmt.Sprintf("%q", n.Str)
	case field.Enum:
		name := n.Str
		if name == "" {
			name = "unknown"
		}
		if n.Uint > 0xff || n.Length == 2 {
			return fmt.Sprintf("%s (0x%04X)", name, n.Uint)
		}
		return fmt.Sprintf("%s (%d)", name, n.Uint)
	case field.Bytes:
		if len(n.Bytes) == 0 {
			return "(empty)"
		}
		if !t.Hex && len(n.Bytes) > 32 {
			return fmt.Sprintf("%s… (%d bytes)", hex.EncodeToString(n.Bytes[:32]), len(n.Bytes))
		}
		return fmt.Sprintf("%s (%d bytes)", hex.EncodeToString(n.Bytes), len(n.Bytes))
	case field.List:
		return fmt.Sprintf("%d items", len(n.Children))
	}
	return ""
}

// dump writes b as a hex dump with offsets and printable characters.
func (t *Text) dump(b []byte, indent int) {
	pad := strings.Repeat(" ", indent)
	for off := 0; off < len(b); off += 16 {
		end := min(off+16, len(b))
		line := b[off:end]
		var hx, asc strings.Builder
		for i := 0; i < 16; i++ {
			if i < len(line) {
				fmt.Fprintf(&hx, "%02x ", line[i])
				c := line[i]
				if c < 0x20 || c > 0x7e {
					c = '.'
				}
				asc.WriteByte(c)
			} else {
				hx.WriteString("   ")
			}
			if i == 7 {
				hx.WriteByte(' ')
			}
		}
		t.printf("%s%04x  %s |%s|\n", pad, off, hx.String(), asc.String())
	}
}

// Summary returns the few facts of an event worth one line: for a
// ClientHello the server name and what was offered, for a ServerHello what
// was chosen, for an alert its description, for application data its
// length and the start of its text.
func Summary(ev *trace.Event) string {
	f := ev.Fields
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if ev.Layer == trace.LayerTLS {
		tlsSummary(ev, add)
	}
	switch ev.Layer + "/" + ev.Type {
	case "dns/lookup":
		add("%s → %s", str(f, "name"), strings.Join(strs(f.Get("addresses")), ", "))
		add("via %s", str(f, "resolver"))
		if c := str(f, "cname"); c != "" {
			add("CNAME %s", c)
		}
		if f.Get("duration_us") != nil {
			add("%s", us(f, "duration_us"))
		}
		return strings.Join(parts, ", ")
	case "tcp/connect":
		add("%s", str(f, "remote"))
		if l := str(f, "local"); l != "" {
			add("from %s", l)
		}
		add("in %s", us(f, "duration_us"))
		if f.Get("rtt_us") != nil {
			add("RTT %s", us(f, "rtt_us"))
		}
		return strings.Join(parts, ", ")
	case "info/handshake_complete":
		for _, k := range []string{"version", "cipher_suite", "group"} {
			if v := str(f, k); v != "" {
				add("%s", v)
			}
		}
		if a := str(f, "alpn"); a != "" {
			add("ALPN %s", a)
		}
		if uintOf(f, "resumed") == 1 {
			add("resumed")
		}
		if uintOf(f, "hello_retry_request") == 1 {
			add("after a HelloRetryRequest")
		}
		if n := uintOf(f, "cipher_suites_offered"); n > 0 {
			add("suite: the client's choice %d of %d", uintOf(f, "cipher_suite_rank"), n)
		}
		if n := uintOf(f, "groups_offered"); n > 0 {
			add("group: %d of %d", uintOf(f, "group_rank"), n)
		}
		add("in %s", us(f, "duration_us"))
		return strings.Join(parts, ", ")
	case "x509/verify":
		add("%s", str(f, "verdict"))
		if list := f.Get("verified_chain"); list != nil {
			add("%s", strings.Join(strs(list), " ← "))
		} else if list := f.Get("chain"); list != nil {
			add("%d certificate%s sent", len(list.Children), plural(len(list.Children)))
		}
		if o := str(f, "ocsp"); o != "" {
			add("OCSP %s", o)
		}
		return strings.Join(parts, ", ")
	case "http/request":
		add("%s %s", str(f, "method"), str(f, "url"))
		return strings.Join(parts, ", ")
	case "http/response":
		add("%s %d %s", str(f, "proto"), uintOf(f, "status"), str(f, "reason"))
		return strings.Join(parts, ", ")
	case "http/body":
		add("%d bytes", uintOf(f, "length"))
		if c := str(f, "content_type"); c != "" {
			add("%s", c)
		}
		return strings.Join(parts, ", ")
	case "tcp/accept":
		add("from %s", str(f, "remote"))
		return strings.Join(parts, ", ")
	case "info/client_fingerprint":
		add("JA4 %s", str(f, "ja4"))
		add("JA3 %s", str(f, "ja3"))
		return strings.Join(parts, ", ")
	case "x509/certificate":
		add("%s", str(f, "subject"))
		add("issued by %s", str(f, "issuer"))
		add("until %s", str(f, "not_after"))
		return strings.Join(parts, ", ")
	case "x509/link":
		add("[%d] %s %s", uintOf(f, "depth"), str(f, "role"), str(f, "subject"))
		if uintOf(f, "trusted_root") == 1 {
			add("trusted root")
		}
		return strings.Join(parts, ", ")
	case "x509/verdict":
		if uintOf(f, "valid") == 1 {
			add("VALID")
		} else {
			add("NOT VALID")
		}
		if n := str(f, "name"); n != "" {
			add("for %s", n)
		}
		add("at %s", str(f, "at"))
		return strings.Join(parts, ", ")
	case "http/h2_frame":
		add("%s", enumName(f.Get("type")))
		add("stream %d", uintOf(f, "stream_id"))
		add("%d bytes", uintOf(f, "length"))
		for _, k := range []string{"end_stream", "ack"} {
			if uintOf(f, k) == 1 {
				add("%s", strings.ToUpper(k))
			}
		}
		if hs := strs(f.Get("headers")); len(hs) > 0 {
			add("%s", strings.Join(hs[:min(len(hs), 3)], " "))
		}
		if ss := strs(f.Get("settings")); len(ss) > 0 {
			add("%s", strings.Join(ss, " "))
		}
		if w := f.Get("window_size_increment"); w != nil {
			add("increment %d", w.Uint)
		}
		if e := f.Get("error_code"); e != nil {
			add("%s", enumName(e))
		}
		return strings.Join(parts, ", ")
	case "info/timing":
		add("DNS %s, TCP %s, TLS %s, first byte %s, total %s", us(f, "dns_us"), us(f, "connect_us"), us(f, "tls_us"), us(f, "ttfb_us"), us(f, "total_us"))
		return strings.Join(parts, ", ")
	}
	if ev.Layer == trace.LayerTCP && f != nil {
		for _, c := range f.Children {
			if c.Kind == field.Uint && !strings.HasPrefix(c.Name, "raw_") {
				add("%s=%d", c.Name, c.Uint)
			}
		}
	}
	if r := ev.Record; r != nil && r.Encrypted && ev.Type != "encrypted_record" {
		parts = append(parts, "[decrypted]")
	}
	return strings.Join(parts, ", ")
}

// tlsSummary adds the facts of a tls-layer event, read from its payload.
func tlsSummary(ev *trace.Event, add func(string, ...any)) {
	switch p := ev.Payload.(type) {
	case *trace.Message:
		switch {
		case p.ClientHello != nil:
			h := p.ClientHello
			if h.HasServerName {
				add("SNI %s", h.ServerName)
			}
			if h.CipherSuites != nil {
				add("%d cipher suites", len(h.CipherSuites))
			}
			if h.SupportedVersions != nil {
				add("versions %s", listNames(h.SupportedVersions, 4))
			}
			if h.KeyShares != nil {
				add("key shares %s", listNames(h.KeyShares, 4))
			}
			if h.ALPN != nil {
				add("ALPN %s", strings.Join(h.ALPN, " "))
			}
		case p.ServerHello != nil:
			h := p.ServerHello
			version := ""
			if v := h.Version(); v != nil {
				version = enumText(*v)
			}
			add("%s", version)
			if h.CipherSuite != nil {
				add("%s", enumText(*h.CipherSuite))
			}
			if h.KeyShare != nil {
				add("key share %s", enumText(*h.KeyShare))
			}
			if h.ALPN != nil {
				add("ALPN %s", strings.Join(h.ALPN, " "))
			}
		case p.Certificate != nil:
			l := p.Certificate
			add("%d certificate%s", len(l.Subjects), plural(len(l.Subjects)))
			for _, s := range l.Subjects {
				if s != "" {
					add("%s", s)
					break
				}
			}
		case p.Signed != nil:
			if p.Signed.Scheme != nil {
				add("%s", enumText(*p.Signed.Scheme))
			}
			if p.Signed.Group != nil {
				add("%s", enumText(*p.Signed.Group))
			}
		case p.Ticket != nil:
			if l := p.Ticket.Lifetime; l != nil && p.Ticket.TLS13 {
				add("lifetime %ds", *l)
			} else if l != nil {
				add("lifetime hint %ds", *l)
			}
		case p.KeyUpdate != nil:
			add("%s", enumText(p.KeyUpdate.Request))
		}
	case *trace.Alert:
		add("%s %s", optText(p.Level), optText(p.Description))
	case *trace.Data:
		switch ev.Type {
		case trace.TypeApplicationData:
			add("%d bytes", len(p.Bytes))
			if pv := preview(p.Bytes); pv != "" {
				add("%s", pv)
			}
		case trace.TypeEncryptedRecord, trace.TypeHeartbeat:
			add("%d bytes", p.Length)
		}
	}
}

// enumText names a code point, or gives it in hex when it has no name.
func enumText(e trace.Enum) string {
	if e.Name != "" {
		return e.Name
	}
	return fmt.Sprintf("0x%04X", e.Value)
}

func optText(e *trace.Enum) string {
	if e == nil {
		return ""
	}
	return enumText(*e)
}

// listNames names at most max code points of a list, then "…".
func listNames(l []trace.Enum, max int) string {
	names := make([]string, 0, min(len(l), max+1))
	for i, e := range l {
		if i == max {
			names = append(names, "…")
			break
		}
		names = append(names, enumText(e))
	}
	return strings.Join(names, " ")
}

// find returns the first node named name in a depth-first walk of n.
func find(n *field.Node, name string) *field.Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
		if r := find(c, name); r != nil {
			return r
		}
	}
	return nil
}

// findExt returns the extension item whose extension_type is named name.
func findExt(n *field.Node, name string) *field.Node {
	exts := n.Get("extensions")
	if exts == nil {
		return nil
	}
	for _, e := range exts.Children {
		if t := e.Get("extension_type"); t != nil && t.Str == name {
			return e
		}
	}
	return nil
}

func enumName(n *field.Node) string {
	if n == nil {
		return ""
	}
	if n.Str != "" {
		return n.Str
	}
	return fmt.Sprintf("0x%04X", n.Uint)
}

// enumNames lists the names of the enums inside n (not its extension_type),
// at most max of them.
func enumNames(n *field.Node, max int) string {
	var names []string
	var walk func(*field.Node)
	walk = func(x *field.Node) {
		for _, c := range x.Children {
			if c.Kind == field.Enum && c.Name != "extension_type" {
				if len(names) < max {
					names = append(names, enumName(c))
				} else if len(names) == max {
					names = append(names, "…")
				}
			}
			walk(c)
		}
	}
	walk(n)
	return strings.Join(names, " ")
}

func strs(n *field.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	var walk func(*field.Node)
	walk = func(x *field.Node) {
		for _, c := range x.Children {
			if c.Kind == field.String {
				out = append(out, c.Str)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

// preview returns the start of b quoted, if b is mostly text.
func preview(b []byte) string {
	const max = 40
	if len(b) == 0 || !utf8.Valid(b[:min(len(b), 64)]) {
		return ""
	}
	printable := 0
	for _, c := range b[:min(len(b), 64)] {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	if printable*10 < min(len(b), 64)*9 {
		return ""
	}
	s := string(b)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// waterfall draws where the time of a connection went, like httpstat.
func (t *Text) waterfall(f *field.Node) {
	total := uintOf(f, "total_us")
	if total == 0 {
		return
	}
	const width = 40
	at := uint64(0)
	for _, step := range []struct{ name, key string }{
		{"DNS lookup", "dns_us"}, {"TCP connect", "connect_us"}, {"TLS handshake", "tls_us"}, {"server wait", ""}, {"transfer", ""},
	} {
		var d uint64
		switch step.name {
		case "server wait":
			if ttfb := uintOf(f, "ttfb_us"); ttfb > at {
				d = ttfb - at
			}
		case "transfer":
			d = total - min(at, total)
		default:
			d = uintOf(f, step.key)
		}
		start := int(at * width / total)
		n := int((at+d)*width/total) - start
		if d > 0 && n == 0 {
			n = 1
		}
		t.printf("      %-14s %10s  %s%s\n", step.name, fmt.Sprintf("%.1f ms", float64(d)/1000),
			strings.Repeat(" ", min(start, width)), strings.Repeat("█", max(0, min(n, width-start))))
		at += d
	}
}

// link shows what was checked about one certificate of a chain.
func (t *Text) link(f *field.Node) {
	for _, k := range []string{"issuer", "public_key", "signature_algorithm", "issuer_public_key", "tbs_hash", "signed_digest"} {
		if n := f.Get(k); n != nil {
			t.printf("      %-20s %s", strings.ReplaceAll(k, "_", " "), n.Str)
			if n.Note != "" {
				t.printf("  (%s)", n.Note)
			}
			t.printf("\n")
		}
	}
	if checks := f.Get("checks"); checks != nil {
		for _, c := range checks.Children {
			mark := t.paint(ansiGreen, "✓")
			if uintOf(c, "ok") == 0 {
				mark = t.paint(ansiRed, "✗")
			}
			t.printf("      %s %-19s %s\n", mark, strings.ReplaceAll(str(c, "check"), "_", " "), str(c, "detail"))
		}
	}
}
