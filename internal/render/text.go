package render

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Text writes events for people: one line per step, and with Verbose the
// decoded field tree under each step (like `openssl s_client -trace`), with
// Hex also the bytes.
type Text struct {
	w *bufio.Writer
	// safe escapes what would act on a terminal (safeWriter).
	safe *safeWriter
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
	// Width, above 0, is the terminal's width in columns: a step's line
	// is cut to it with "…", and the lines under a step wrap at word
	// boundaries, indented under their start.
	Width   int
	err     error
	section map[int]string // the current section of each connection
	done    map[int]bool   // connections whose handshake is complete
	// dialog is the section of each connection's protocol dialog inside
	// TLS ("IMAP"), which takes the records that carry it.
	dialog map[int]string
	// run gathers, in the sectioned view, consecutive application data
	// records of one connection and direction into one line.
	run *dataRun
	// lastRecord is the record whose anomalies were shown last.
	lastRecord *trace.Record
	// line is the buffer of a step's line (head); names caches
	// DisplayName.
	line  []byte
	names map[string]string
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
	case ev.Layer == trace.LayerInfo && ev.Type == trace.TypeTiming:
		return "Timing"
	case ev.Layer == trace.LayerInfo && ev.Type == trace.TypeStartTLS:
		if p, ok := ev.Payload.(*trace.StartTLS); ok && p.InTLS {
			return protocolTitle(p)
		}
		return "STARTTLS"
	case ev.Layer == trace.LayerInfo && ev.Type == trace.TypeHandshakeComplete:
		return "TLS handshake"
	case ev.Layer == trace.LayerHTTP:
		return "HTTP"
	case t.done[ev.Conn]:
		return "Application data"
	}
	return "TLS handshake"
}

// protocolTitle names the protocol of a dialog in prose ("IMAP"), for the
// section of its dialog inside TLS.
func protocolTitle(p *trace.StartTLS) string {
	if p.Title != "" {
		return p.Title
	}
	return strings.ToUpper(p.Protocol)
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
	t := &Text{safe: &safeWriter{w: w}}
	t.safe.color = &t.Color
	t.w = bufio.NewWriterSize(t.safe, 64<<10)
	return t
}

// Flush writes what is buffered and returns the first write error.
func (t *Text) Flush() error {
	t.endRun()
	if err := t.w.Flush(); t.err == nil {
		t.err = err
	}
	if err := t.safe.flush(); t.err == nil {
		t.err = err
	}
	return t.err
}

func (t *Text) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// str writes s.
func (t *Text) str(s string) {
	if t.err == nil {
		_, t.err = t.w.WriteString(s)
	}
}

// head writes the start of an uncoloured step line, as
// "#%-3d %10.6f  %-15s  %-4s %s" formats it with the layer in capitals,
// without fmt: it is the line of every record of a capture.
func (t *Text) head(conn int, sec float64, arrow, layer, name string) {
	b := append(t.line[:0], '#')
	b = padRight(strconv.AppendInt(b, int64(conn), 10), 1, 3)
	b = append(b, ' ')
	n := len(b)
	b = padLeft(strconv.AppendFloat(b, sec, 'f', 6, 64), n, 10)
	b = append(b, "  "...)
	b = padRight(append(b, arrow...), len(b), 15)
	b = append(b, "  "...)
	n = len(b)
	for i := 0; i < len(layer); i++ {
		c := layer[i]
		if c >= utf8.RuneSelf {
			b = append(b[:n], strings.ToUpper(layer)...)
			break
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	b = padRight(b, n, 4)
	b = append(b, ' ')
	b = append(b, name...)
	t.line = b
	if t.err == nil {
		_, t.err = t.w.Write(b)
	}
}

// padRight pads b[from:] with spaces to width runes, as fmt's "%-*s".
func padRight(b []byte, from, width int) []byte {
	for n := utf8.RuneCount(b[from:]); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// padLeft pads b[from:] (ASCII) with spaces before it to width bytes, as
// fmt's "%*s".
func padLeft(b []byte, from, width int) []byte {
	pad := width - (len(b) - from)
	if pad <= 0 {
		return b
	}
	b = append(b, make([]byte, pad)...)
	copy(b[from+pad:], b[from:len(b)-pad])
	for i := from; i < from+pad; i++ {
		b[i] = ' '
	}
	return b
}

// Event writes one event.
func (t *Text) Event(ev *trace.Event) {
	if ev.Type == trace.TypeH2Frame && !t.Verbose {
		return // HTTP/2 frames are shown with -v
	}
	if ev.Type == trace.TypeRetransmission && !t.Verbose && ev.Error == "" {
		return // retransmissions are shown with -v, counted at the end of their connection
	}
	if t.Sections && !t.Verbose && ev.Type == trace.TypeApplicationData && ev.Error == "" && (ev.Record == nil || len(ev.Record.Anomalies) == 0) {
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
			t.section, t.done, t.dialog = map[int]string{}, map[int]bool{}, map[int]string{}
		}
		sec := t.sectionOf(ev)
		if p, ok := ev.Payload.(*trace.StartTLS); ok && p.InTLS {
			t.dialog[ev.Conn] = sec
		}
		if cur := t.section[ev.Conn]; sec == "Application data" && (cur == "HTTP" || cur == t.dialog[ev.Conn]) {
			sec = cur // the records carrying the HTTP exchange or the dialog
		}
		if sec != t.section[ev.Conn] {
			t.printf("%s\n", t.paint(ansiBold, fmt.Sprintf("── #%d %s ", ev.Conn, sec)))
			t.section[ev.Conn] = sec
		}
		if ev.Layer == trace.LayerInfo && ev.Type == trace.TypeHandshakeComplete {
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
	name, ok := t.names[ev.Type]
	if !ok {
		if t.names == nil {
			t.names = map[string]string{}
		}
		name = DisplayName(ev.Type)
		if len(t.names) < maxNames {
			t.names[ev.Type] = name
		}
	}
	if p, ok := ev.Payload.(*trace.StartTLS); ok && p.InTLS {
		name = protocolTitle(p)
	}
	if summary == "" {
		summary = Summary(ev)
	}
	summary = oneLine(summary)
	var arrowColor string
	switch ev.From {
	case trace.Client:
		arrowColor = ansiCyan
	case trace.Server:
		arrowColor = ansiYellow
	case trace.Local:
		arrowColor = ansiDim
	}
	if t.Color {
		t.printf("#%-3d %10.6f  %s  %-4s %s", ev.Conn, ev.T, t.paint(arrowColor, fmt.Sprintf("%-15s", arrow)), strings.ToUpper(ev.Layer), t.paint(ansiBold, name))
	} else {
		t.head(ev.Conn, ev.T, arrow, ev.Layer, name)
	}
	if t.Width > 0 && summary != "" {
		used := utf8.RuneCountInString(fmt.Sprintf("#%-3d %10.6f  %-15s  %-4s %s  ", ev.Conn, ev.T, arrow, strings.ToUpper(ev.Layer), name))
		summary = elide(summary, t.Width-used)
	}
	if summary != "" {
		if t.Color {
			summary = strings.Replace(summary, "[decrypted]", t.paint(ansiGreen, "[decrypted]"), 1)
			// Red only where something failed: a link with a failed
			// check, a verdict other than trusted.
			switch p := ev.Payload.(type) {
			case *trace.Link:
				if slices.ContainsFunc(p.Checks, func(c trace.Check) bool { return !c.OK }) {
					summary = t.paint(ansiRed, summary)
				}
			default:
				if ev.Layer == trace.LayerX509 {
					if strings.HasPrefix(summary, "trusted") {
						summary = t.paint(ansiGreen, "trusted") + strings.TrimPrefix(summary, "trusted")
					} else {
						summary = t.paint(ansiRed, summary)
					}
				}
			}
		}
		t.str("  ")
		t.str(summary)
	}
	if ev.Frame > 0 && t.Verbose {
		t.printf("  [frame %d]", ev.Frame)
	}
	t.str("\n")
	if h, ok := ev.Payload.(*trace.Handshake); ok && h.Cause != "" {
		// The cause read from the wire; the TLS stack's error with -v.
		t.say(6, "! ", h.Cause, ansiRed)
		if t.Verbose && ev.Error != "" {
			t.say(6, "", ev.Error, ansiDim)
		}
	} else if d, ok := ev.Payload.(*trace.Data); ev.Error != "" && (!ok || !d.ErrorSaid) {
		// An undecryptable record's reason is shown on the first record
		// of the connection that gives it.
		t.say(6, "! ", ev.Error, ansiRed)
	}
	for _, a := range ev.Anomalies {
		t.say(6, "⚠ ", fmt.Sprintf("%s (offset %d)", a.Text, a.Offset), "")
	}
	if d, ok := ev.Payload.(*trace.Data); ok {
		for _, m := range d.Masked {
			t.say(6, "note: ", fmt.Sprintf("bytes %d to %d masked by tlstrace (a password it sent): shown as *, not as they were sent", m.Offset, m.Offset+m.Length-1), ansiDim)
		}
	}
	if r := ev.Record; r != nil && len(r.Anomalies) > 0 && r != t.lastRecord {
		// Once per record, on the first step it carried.
		t.lastRecord = r
		for _, a := range r.Anomalies {
			t.say(6, "⚠ ", "record: "+a.Text, "")
		}
	}
	switch p := ev.Payload.(type) {
	case *trace.Timing:
		t.waterfall(p)
	case *trace.Link:
		if !t.Verbose {
			t.link(p)
		}
	case *trace.HTTPRequest:
		if !t.Verbose {
			// The headers, as curl -v shows them.
			for _, h := range p.Headers {
				t.sayMarked(6, t.paint(ansiCyan, ">"), h)
			}
		}
	case *trace.HTTPResponse:
		if !t.Verbose {
			for _, h := range p.Headers {
				t.sayMarked(6, t.paint(ansiYellow, "<"), h)
			}
		}
	case *trace.Verdict:
		if p.Fix != "" {
			t.say(6, "fix: ", p.Fix, ansiYellow)
		}
		if p.OCSPCause != "" && !t.Verbose {
			t.say(6, "OCSP: ", p.OCSPCause, ansiYellow)
			if p.OCSPFix != "" {
				t.say(6, "fix: ", p.OCSPFix, ansiYellow)
			}
		}
	case *trace.Verify:
		t.notes(p.Notes, p.Warnings)
		if p.Fix != "" {
			t.say(6, "fix: ", p.Fix, ansiYellow)
		}
	case *trace.Handshake:
		if p.Failed && p.Fix != "" {
			t.say(6, "fix: ", p.Fix, ansiYellow)
		}
		t.notes(p.Notes, p.Warnings)
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

// notes says an event's notes and its warnings with their fixes, under
// its line; with -v, the field tree has them instead.
func (t *Text) notes(notes []string, warnings []trace.Warning) {
	if t.Verbose {
		return
	}
	for _, n := range notes {
		t.say(6, "note: ", n, "")
	}
	for _, w := range warnings {
		t.say(6, "warning: ", w.Cause, ansiYellow)
		t.say(6, "fix: ", w.Fix, ansiYellow)
	}
}

// engineText names an engine of trace.Handshake.Engine for people.
func engineText(name string) string {
	if name == trace.EngineOwn {
		return "tlstrace's own engine"
	}
	return name
}

// closedText says how a peer ended a live session.
func closedText(from trace.Side, p *trace.SessionClosed) string {
	how := "closed the TCP connection without close_notify"
	if p.CloseNotify {
		how = "closed the session with close_notify"
	}
	return fmt.Sprintf("the %s %s; nothing more of standard input is sent", from, how)
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

// maxNames bounds the display names a Text keeps: event types are a few
// dozen, but a capture's unknown content types are named by number.
const maxNames = 256

// DisplayName turns a snake_case event type into the CamelCase message name
// people know from the RFCs and Wireshark (client_hello → ClientHello).
func DisplayName(typ string) string {
	b := make([]byte, 0, len(typ))
	up := true
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		switch {
		case c == '_':
			up = true
			continue
		case up && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		b = append(b, c)
	}
	return string(b)
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
	if n.Kind == field.List {
		return fmt.Sprintf("%d items", len(n.Children))
	}
	maxHex := 32
	if t.Hex {
		maxHex = 0
	}
	return scalarText(n, maxHex)
}

// scalarText formats a field that is not a list, for the text view and
// the HTML report: byte strings as hex, cut after maxHex bytes (0: never).
func scalarText(n *field.Node, maxHex int) string {
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
		if maxHex > 0 && len(n.Bytes) > maxHex {
			return fmt.Sprintf("%s… (%d bytes)", hex.EncodeToString(n.Bytes[:maxHex]), len(n.Bytes))
		}
		return fmt.Sprintf("%s (%d bytes)", hex.EncodeToString(n.Bytes), len(n.Bytes))
	}
	return ""
}

// dump writes b as a hex dump with offsets and printable characters, 16
// bytes a line (as "%04x  " and "%02x " each would write them, without
// fmt: -vv dumps every byte of a capture).
func (t *Text) dump(b []byte, indent int) {
	const digits = "0123456789abcdef"
	line := t.line[:0]
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		line = line[:0]
		for range indent {
			line = append(line, ' ')
		}
		for shift := max(12, (bits.Len(uint(off))+3)/4*4-4); shift >= 0; shift -= 4 {
			line = append(line, digits[off>>shift&0xf])
		}
		line = append(line, ' ', ' ')
		for i := range 16 {
			if i < len(row) {
				line = append(line, digits[row[i]>>4], digits[row[i]&0xf], ' ')
			} else {
				line = append(line, ' ', ' ', ' ')
			}
			if i == 7 {
				line = append(line, ' ')
			}
		}
		line = append(line, ' ', '|')
		for _, c := range row {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			line = append(line, c)
		}
		line = append(line, '|', '\n')
		if t.err == nil {
			_, t.err = t.w.Write(line)
		}
	}
	t.line = line
}

// Summary returns the few facts of an event worth one line: for a
// ClientHello the server name and what was offered, for a ServerHello what
// was chosen, for an alert its description, for application data its
// length and the start of its text.
func Summary(ev *trace.Event) string {
	if p, ok := ev.Payload.(*trace.Data); ok && ev.Layer == trace.LayerTLS && ev.Type == trace.TypeApplicationData {
		return dataSummary(ev, p)
	}
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if ev.Layer == trace.LayerTLS {
		tlsSummary(ev, add)
	}
	if d, ok := ev.Payload.(*trace.Data); ok && ev.Type == trace.TypeNotTLS {
		// A stream that is not TLS: its first bytes, as text when they
		// read as such.
		if pv := preview(d.Bytes); pv != "" {
			add("first bytes %s", pv)
		}
	}
	switch p := ev.Payload.(type) {
	case *trace.DNSMessage:
		if p.Response {
			add("%s", p.RCode)
		}
		q := strings.Join(p.Questions, ", ")
		if p.Response && len(p.Answers) > 0 {
			q += " → " + strings.Join(p.Answers, ", ")
		}
		add("%s", q)
		add("%s ↔ %s, id %d", p.Client, p.Server, p.ID)
		return strings.Join(parts, ", ")
	case *trace.DNSLookup:
		if len(p.Addresses) == 0 {
			add("%s", p.Name) // the error line says why
		} else {
			add("%s → %s", p.Name, strings.Join(p.Addresses, ", "))
		}
		add("via %s", p.Via())
		if p.CNAME != "" {
			add("CNAME %s", p.CNAME)
		}
		if p.Duration != nil {
			add("%s", ms(*p.Duration))
		}
		return strings.Join(parts, ", ")
	case *trace.TCPConnect:
		add("%s", p.Remote)
		if p.Local != "" {
			add("from %s", p.Local)
		}
		add("in %s", ms(p.Duration))
		if p.RTT != nil {
			add("RTT %s", ms(*p.RTT))
		}
		return strings.Join(parts, ", ")
	case *trace.Handshake:
		if p.Failed {
			if p.Alert != nil && p.Alert.Description != nil {
				add("%s alert from the %s", p.Alert.Description.Name, p.AlertFrom)
			}
			add("after %s", ms(p.Duration))
			return strings.Join(parts, ", ")
		}
		for _, v := range []string{p.Version, p.CipherSuite, p.Group} {
			if v != "" {
				add("%s", v)
			}
		}
		if p.ALPN != "" {
			add("ALPN %s", p.ALPN)
		}
		if p.Resumed {
			add("resumed")
		}
		if p.HelloRetry {
			add("after a HelloRetryRequest")
		}
		if p.SuitesOffered > 0 {
			add("suite: the client's choice %d of %d", p.SuiteRank, p.SuitesOffered)
		}
		if p.GroupsOffered > 0 {
			add("group: %d of %d", p.GroupRank, p.GroupsOffered)
		}
		if p.Engine != "" {
			add("by %s", engineText(p.Engine))
		}
		add("in %s", ms(p.Duration))
		return strings.Join(parts, ", ")
	case *trace.EngineChoice:
		add("%s: %s", engineText(p.Engine), p.Reason)
		return strings.Join(parts, ", ")
	case *trace.Verify:
		add("%s", p.Said())
		if p.VerifiedChain != nil {
			add("%s", strings.Join(p.VerifiedChain, " ← "))
		} else if p.Chain != nil {
			add("%d certificate%s sent", len(p.Chain), plural(len(p.Chain)))
		}
		if !p.At.IsZero() {
			// A capture's check says what it was checked for; a live
			// one's name and time are the run's.
			if p.Host != "" {
				add("for %s", p.Host)
			}
			add("at %s", p.At.UTC().Format(time.RFC3339))
		}
		if p.OCSP != "" {
			add("OCSP %s", p.OCSP)
		}
		return strings.Join(parts, ", ")
	case *trace.HTTPRequest:
		add("%s %s", p.Method, p.URL)
		return strings.Join(parts, ", ")
	case *trace.HTTPResponse:
		if p.Reason == "" { // HTTP/2 has no reason phrase
			add("%s %d", p.Proto, p.Status)
		} else {
			add("%s %d %s", p.Proto, p.Status, p.Reason)
		}
		return strings.Join(parts, ", ")
	case *trace.HTTPBody:
		add("%d bytes", p.Length)
		if p.ContentType != "" {
			add("%s", p.ContentType)
		}
		return strings.Join(parts, ", ")
	case *trace.TCPAccept:
		add("from %s", p.Remote)
		return strings.Join(parts, ", ")
	case *trace.Fingerprint:
		add("JA4 %s", p.JA4)
		add("JA3 %s", p.JA3)
		if p.Hello > 1 {
			add("of ClientHello %d (the connection's fingerprint is the first's)", p.Hello)
		}
		return strings.Join(parts, ", ")
	case *trace.RequestInfo:
		add("request for %s", p.Subject)
		return strings.Join(parts, ", ")
	case *trace.CertificateInfo:
		add("%s", orEmpty(p.Subject, "(empty subject)"))
		add("issued by %s", orEmpty(p.Issuer, "(an empty name)"))
		add("until %s", p.NotAfter.UTC().Format(time.RFC3339))
		return strings.Join(parts, ", ")
	case *trace.Link:
		add("[%d] %s %s", p.Depth, p.Role, orEmpty(p.Subject, "(empty subject, serial "+p.Serial+")"))
		if p.TrustedRoot {
			add("trusted root")
		}
		return strings.Join(parts, ", ")
	case *trace.Verdict:
		if p.Valid {
			add("VALID")
		} else {
			add("NOT VALID")
		}
		if p.Name != "" {
			add("for %s", p.Name)
		}
		add("at %s", p.At.UTC().Format(time.RFC3339))
		if p.OCSP != "" {
			add("OCSP %s", p.OCSP)
		}
		return strings.Join(parts, ", ")
	case *trace.H2Frame:
		add("%s", enumText(p.FrameType))
		add("stream %d", p.StreamID)
		add("%d bytes", p.Length)
		if p.EndStream != nil && *p.EndStream {
			add("END_STREAM")
		}
		if p.Ack != nil && *p.Ack {
			add("ACK")
		}
		if hs := p.Headers; len(hs) > 0 {
			add("%s", strings.Join(hs[:min(len(hs), 3)], " "))
		}
		if len(p.Settings) > 0 {
			add("%s", strings.Join(p.Settings, " "))
		}
		if p.WindowIncrement != nil {
			add("increment %d", *p.WindowIncrement)
		}
		if p.ErrorCode != nil {
			add("%s", enumText(*p.ErrorCode))
		}
		return strings.Join(parts, ", ")
	case *trace.StartTLS:
		add("%s", p.Line)
		return strings.Join(parts, ", ")
	case *trace.SessionClosed:
		return closedText(ev.From, p)
	case *trace.Timing:
		add("%s", timingLine(p))
		return strings.Join(parts, ", ")
	case *trace.NotDecoded:
		what := p.Protocol
		switch {
		case p.Protocol == "DTLS" && p.Version != "":
			what += ", record version " + strings.TrimPrefix(p.Version, "DTLS ")
		case p.Version != "":
			what = p.Version
		}
		add("%s, %s, client %s, server %s: %s", what, p.First, p.Client, p.Server, p.Reason())
		return strings.Join(parts, ", ")
	case *trace.RolesInferred:
		add("no SYN captured: client %s, server %s inferred: %s", p.Client, p.Server, p.Reason())
		return strings.Join(parts, ", ")
	case *trace.TCPSegment:
		if p.Kind == trace.TypeRetransmissionSummary {
			add("%d segment%s retransmitted (%d bytes seen again)", p.Segments, plural(p.Segments), p.Again)
			break
		}
		add("seq=%d", p.Seq)
		if p.Kind == trace.TypeGap {
			add("missing=%d", p.Missing)
			if why := p.Unreassembled.Text(); why != "" {
				// Not missing: held in pieces that could not be
				// put together.
				add("%s", why)
			}
			break
		}
		add("ack=%d", p.Ack)
		add("win=%d", p.Window)
		add("len=%d", p.Len)
		if p.Kind == trace.TypeTruncated {
			add("missing=%d", p.Missing)
		}
		if p.Kind == trace.TypeRetransmission {
			add("again=%d", p.Again)
			if p.Unchecked > 0 {
				add("%d not compared", p.Unchecked)
			}
		}
	}
	last, n := recordParts(ev)
	parts = append(parts, last[:n]...)
	return strings.Join(parts, ", ")
}

// dataSummary is the Summary of an application data record, the most
// common step of a capture, made without fmt: its length, the start of
// its bytes when they read as text, and the record's protection (as
// recordParts says).
func dataSummary(ev *trace.Event, p *trace.Data) string {
	b := make([]byte, 0, 64)
	b = strconv.AppendInt(b, int64(len(p.Bytes)), 10)
	b = append(b, " bytes"...)
	if pv := preview(p.Bytes); pv != "" {
		b = append(b, ", "...)
		b = append(b, pv...)
	}
	parts, n := recordParts(ev)
	for _, part := range parts[:n] {
		b = append(b, ", "...)
		b = append(b, part...)
	}
	return string(b)
}

// recordParts returns the last parts of a record's summary: whether it
// was decrypted, whether it was 0-RTT early data, and what a NULL cipher
// protected (in an array, so that the summary of every record allocates
// nothing more).
func recordParts(ev *trace.Event) (parts [3]string, n int) {
	r := ev.Record
	if r == nil {
		return parts, 0
	}
	if r.Encrypted && ev.Type != trace.TypeEncryptedRecord && ev.Type != trace.TypePartialRecord {
		parts[n] = "[decrypted]"
		n++
	}
	if r.EarlyData {
		parts[n] = "[0-RTT early data]"
		n++
	}
	switch r.MAC {
	case trace.MACVerified:
		parts[n] = "[NULL cipher: not encrypted, MAC verified]"
		n++
	case trace.MACUnchecked:
		parts[n] = "[NULL cipher: not encrypted, MAC not checked without keys]"
		n++
	}
	return parts, n
}

// tlsSummary adds the facts of a tls-layer event, read from its payload.
func tlsSummary(ev *trace.Event, add func(string, ...any)) {
	switch p := ev.Payload.(type) {
	case *trace.HandshakeFragment:
		name := DisplayName(p.Message.Name)
		switch {
		case p.Bytes == 0 && p.Message.Name == "":
			add("empty")
		case p.Bytes == 0:
			add("empty, inside a %s (%d bytes of it so far)", name, p.Held)
		case p.Length == 0:
			add("bytes %d–%d of a %s, its header not yet whole", p.Held-p.Bytes+1, p.Held, name)
		default:
			add("bytes %d–%d of a %s of %d", p.Held-p.Bytes+1, p.Held, name, p.Length)
		}
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
			// RFC 8446, Sections 4.2.11 and 4.2.10: a session to resume
			// (or an external PSK), and 0-RTT data after the hello.
			if n := h.PSKIdentities; n > 0 {
				add("PSK %d identit%s", n, map[bool]string{true: "ies", false: "y"}[n > 1])
			}
			if h.EarlyData {
				add("early data")
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
			if h.SelectedPSK {
				add("PSK accepted")
			}
		case p.EncryptedExtensions != nil:
			if a := p.EncryptedExtensions.ALPN; a != nil {
				add("ALPN %s", strings.Join(a, " "))
			}
			switch ed := p.EncryptedExtensions.EarlyData; {
			case ed == nil:
			case *ed:
				add("early data accepted")
			default:
				add("early data rejected: the client's 0-RTT records were discarded")
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
			if b := p.Signed.DHPrimeBits; b > 0 {
				add("%d-bit DH group", b)
			}
		case p.Ticket != nil:
			if l := p.Ticket.Lifetime; l != nil && p.Ticket.TLS13 {
				add("lifetime %ds", *l)
			} else if l != nil {
				add("lifetime hint %ds", *l)
			}
		case p.KeyUpdate != nil:
			add("%s", enumText(p.KeyUpdate.Request))
		case p.CertificateRequest != nil:
			cr := p.CertificateRequest
			switch n := len(cr.Authorities); {
			case n == 0:
				add("any CA")
			case n == 1:
				add("CA %s", cr.Authorities[0])
			case n == 2:
				add("CAs %s", strings.Join(cr.Authorities, "; "))
			default:
				add("CAs %s and %d more", strings.Join(cr.Authorities[:2], "; "), n-2)
			}
			if n := len(cr.SignatureAlgorithms); n > 0 {
				add("%d signature algorithm%s", n, plural(n))
			}
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
		case trace.TypeEncryptedRecord:
			// The header's content type is on the wire: before TLS
			// 1.3 it tells a handshake message or an alert from
			// application data (tshark's "Encrypted Handshake
			// Message", "Encrypted Alert"). application_data is left
			// out: every TLS 1.3 header says it, whatever the record
			// holds, and before TLS 1.3 it is what protected records
			// mostly are.
			if r := ev.Record; r != nil && r.Type.Value != 23 {
				add("%s", enumText(r.Type))
			}
			add("%d bytes", p.Length)
		case trace.TypeHeartbeat:
			add("%d bytes", p.Length)
		case trace.TypePartialRecord:
			if r := ev.Record; r != nil {
				add("%s", enumText(r.Type))
				if r.Encrypted {
					add("encrypted")
				}
				// The record's header was seen: count the bytes of its
				// body, against the length the header announces, as
				// the event's error does.
				add("%d of %d bytes seen", p.Length-recordHeaderLen, r.Length)
			} else {
				add("%d bytes seen", p.Length)
			}
		}
	}
}

// recordHeaderLen is the length of a TLS record header: type, version,
// length (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1).
const recordHeaderLen = 5

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
	s := string(b[:min(len(b), max)]) // not the whole record
	if len(b) > max {
		s += "…"
	}
	return fmt.Sprintf("%q", s)
}

// waterfall draws where the time of a connection went, like httpstat.
func (t *Text) waterfall(p *trace.Timing) {
	total := uint64(p.Total.Microseconds())
	if total == 0 {
		return
	}
	width := 40
	if t.Width > 0 {
		// The bar fits after the step's name and time (33 columns).
		width = max(10, min(width, t.Width-33))
	}
	at := uint64(0)
	for _, step := range timingSteps(p) {
		d := uint64(step.d.Microseconds())
		start := int(min(at, total) * uint64(width) / total)
		n := int(min(at+d, total)*uint64(width)/total) - start
		if d > 0 && n == 0 {
			n = 1
		}
		t.printf("      %-14s %10s  %s%s\n", step.name, fmt.Sprintf("%.1f ms", float64(d)/1000),
			strings.Repeat(" ", min(start, width)), strings.Repeat("█", max(0, min(n, width-start))))
		at += d
	}
}

// orEmpty is name, or what to show when it is empty: a certificate's
// subject may be empty when a critical subjectAltName names it (RFC 5280,
// Section 4.1.2.6), and a blank would read as a missing line.
func orEmpty(name, empty string) string {
	if name == "" {
		return empty
	}
	return name
}

// link shows what was checked about one certificate of a chain.
func (t *Text) link(p *trace.Link) {
	for _, row := range []struct{ name, value, note string }{
		{"issuer", orEmpty(p.Issuer, "(an empty name)"), ""},
		{"public key", p.PublicKey, ""},
		{"signature algorithm", p.SignatureAlgorithm, ""},
		{"issuer public key", p.IssuerPublicKey, ""},
		{"tbs hash", p.TBSHash, ""},
		{"signed digest", p.SignedDigest, p.DigestNote},
	} {
		if row.value == "" && (row.name == "issuer public key" || row.name == "tbs hash" || row.name == "signed digest") {
			continue
		}
		value := row.value
		if row.note != "" {
			value += "  (" + row.note + ")"
		}
		t.say(6, fmt.Sprintf("%-20s ", row.name), value, "")
	}
	for _, c := range p.Checks {
		mark := t.paint(ansiGreen, "✓")
		if !c.OK {
			mark = t.paint(ansiRed, "✗")
		}
		t.sayMarked(6, mark, fmt.Sprintf("%-19s ", checkName(c.Name))+c.Detail)
	}
}

// say writes lead and text on a line of their own, indent spaces in, in
// color ("" none). With Width, the text wraps at spaces and the lines after
// the first are indented under the text.
func (t *Text) say(indent int, lead, text, color string) {
	text = oneLine(text)
	pad := strings.Repeat(" ", indent)
	lines := []string{text}
	if t.Width > 0 {
		hang := indent + utf8.RuneCountInString(lead)
		lines = wrap(text, t.Width-hang, t.Width-hang)
	}
	for i, l := range lines {
		if i == 0 {
			l = lead + l
		} else {
			l = strings.Repeat(" ", utf8.RuneCountInString(lead)) + l
		}
		if color != "" {
			l = t.paint(color, l)
		}
		t.printf("%s%s\n", pad, l)
	}
}

// sayMarked is say after a one-column mark already painted (✓, ✗, >, <).
func (t *Text) sayMarked(indent int, mark, text string) {
	text = oneLine(text)
	pad := strings.Repeat(" ", indent)
	lines := []string{text}
	if t.Width > 0 {
		w := t.Width - indent - 2
		// Lines after the first hang under the text that follows the
		// mark's label (a check's name), or under the text.
		hang := 0
		if i := strings.Index(text, "  "); i >= 0 {
			hang = len(strings.TrimRight(text[:i], " ")) + 1
			for hang < len(text) && text[hang] == ' ' {
				hang++
			}
		}
		lines = wrap(text, w, w-hang)
		for i := 1; i < len(lines); i++ {
			lines[i] = strings.Repeat(" ", hang) + lines[i]
		}
	}
	for i, l := range lines {
		if i == 0 {
			t.printf("%s%s %s\n", pad, mark, l)
		} else {
			t.printf("%s  %s\n", pad, l)
		}
	}
}

// wrap splits s at spaces into lines of at most first runes, then rest
// runes (at least 20 each, so that a narrow terminal still reads). A word
// longer than a line is cut.
func wrap(s string, first, rest int) []string {
	first, rest = max(first, 20), max(rest, 20)
	var lines []string
	for limit := first; utf8.RuneCountInString(s) > limit; limit = rest {
		cut := runeOffset(s, limit)
		at := strings.LastIndexByte(s[:cut+1], ' ')
		if at <= 0 {
			lines = append(lines, s[:cut])
			s = s[cut:]
			continue
		}
		lines = append(lines, s[:at])
		s = strings.TrimLeft(s[at:], " ")
	}
	return append(lines, s)
}

// elide cuts s to at most n runes (at least 10), ending it with "…".
func elide(s string, n int) string {
	n = max(n, 10)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimRight(s[:runeOffset(s, n-1)], " ,") + "…"
}

// runeOffset is the byte offset of the n-th rune of s (len(s) past its end).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// ms formats a duration as milliseconds with one decimal, from its whole
// microseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
