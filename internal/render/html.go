package render

import (
	"bufio"
	"bytes"
	"compress/flate"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/scan/scanev"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// This file holds the HTML report (--html): one self-contained page, its
// CSS and JavaScript inline, that a Content-Security-Policy keeps from
// loading anything. Everything in it is written through html/template, so
// the names and bytes of a hostile capture stay text (and, inside the
// JSON blocks, stay JSON strings).
//
// The page has, in order: the diagnosis of what failed (cause and fix, as
// the events give them), the warnings of chains trusted with a weakness,
// a table of the connections (name, version, suite, the chain's verdict),
// and for each connection its certificate chain as cards (Link events)
// with the verdict and its warnings, its timing waterfall (Timing) and a
// ladder diagram: one row per step in time order, an arrow between the
// client and the server for what one of them sent. A click on a row opens
// the step's field tree and its bytes as a hex dump (details/summary, so
// that it opens with JavaScript off); the page's script turns the dump
// into one element per byte, so that the field under the pointer has its
// bytes highlighted, from the byte spans of the tree (field.Node Offset
// and Length, counted from the start of the event's Raw).
//
// A report of more than packAbove connections keeps the DOM small: there
// is no table, each connection is its heading (a button) and verdict,
// and the rest of its section (cards, keys, timing, ladder, fields,
// bytes) is the same markup, compressed, inflated by the page's script
// when the heading is clicked. With JavaScript off such a report still
// shows every connection's heading and verdict. Either form says how
// many connections were left out past MaxConns.
//
// Every event of the tls layer is a ladder row with a data-event
// attribute, its number in the run (1 for the first event, as the lines
// of --json count them); no other element has one. In a report of more
// than packAbove connections, the rows of a connection are in the page
// once it has been opened.

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is parsed on first use: every run would pay its
// parsing at start, and few write a report.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{"gradeClass": gradeClass}).Parse(htmlSource))
})

// Limits of what the page holds, so that a long capture still opens
// quickly.
const (
	// maxHTMLHex is the most bytes of one step shown as hex; the row says
	// how many more there were.
	maxHTMLHex = 16 << 10
	// maxFieldHex is the most bytes of one field written in the tree: the
	// bytes beside it hold them all.
	maxFieldHex = 48
	// packAbove is the number of connections above which each one's
	// section is compressed (raw DEFLATE, in base64; the page inflates it
	// with DecompressionStream when the connection is opened): a browser
	// then lays out one line per connection, not the nodes of every
	// ladder, and the report is less than half the size.
	packAbove = 100
	// maxDiagnoses is the most failures listed at the top (each once
	// for the connections that had it); each connection's own section
	// still shows its failure in place.
	maxDiagnoses = 50
)

// HTML collects the events of a run and writes the report on Flush.
type HTML struct {
	w io.Writer
	// Title names the run at the top of the page (the command line).
	Title string
	// MaxConns, when set, is the most connections the report holds (a
	// server's report would otherwise grow for as long as it runs); the
	// page says how many more there were.
	MaxConns int
	// Secrets shows the values of the secrets of the key schedule; without
	// it, only their names (the values are withheld).
	Secrets bool
	// SecretsWith words how the user asks for Secrets, for the note that
	// the values are withheld; "" leaves it unsaid.
	SecretsWith string
	// Error and Hint are how the run ended when it failed, as standard
	// error says it ("tlstrace: error: …", "tlstrace: hint: …"); the
	// diagnosis shows them first. Warnings are what standard error warned
	// of the run as a whole (a capture with nothing to decode). Set them
	// before Flush.
	Error, Hint string
	Warnings    []string

	left   map[int]bool // the connections left out
	n      int
	conns  []*htmlConn
	byID   map[int]*htmlConn
	diag   []*htmlDiagnosis
	diagAt map[[3]string]*htmlDiagnosis // by failure, cause and fix
	scans  []*htmlScan
}

// NewHTML returns a renderer that writes the report to w when flushed.
func NewHTML(w io.Writer) *HTML {
	return &HTML{w: w, byID: map[int]*htmlConn{}}
}

type htmlConn struct {
	ID                         int
	ServerName, Version, Suite string
	ALPN                       string
	// Engine names the TLS stack of a handshake that completed.
	Engine   string
	Messages int
	Result   string
	Failed   bool
	Start    float64
	End      float64
	Steps    []*htmlStep
	Details  []htmlDetail
	// Packed is the section's markup after its heading, compressed, in
	// base64, when the report holds more than packAbove connections.
	Packed string
	Links  []*trace.Link
	// Warnings say what is wrong with a chain that was trusted
	// (trace.Verify's Warnings), or a handshake that completed
	// (trace.Handshake's).
	Warnings []trace.Warning
	// Chain is the chain's verdict in a word or two, "" when it was not
	// checked.
	Chain string
	// Withheld is set when the secrets' values are not shown;
	// SecretsWith says how to show them (HTML.SecretsWith).
	Withheld    bool
	SecretsWith string
	// Keys are the steps of the key schedule behind the decrypted
	// records, in the order first used; keyAt indexes them.
	Keys  []*htmlKey
	keyAt map[*trace.KeyUse]*htmlKey
	// KeyNotes say how the record keys derive from the secrets, each
	// derivation once.
	KeyNotes []string
	// SameChain is the first connection whose chain and checks are the
	// same as this one's, shown there only.
	SameChain int
	// Verdict is the chain's verdict: the Verdict event's, else the
	// Verify event's (verdictOfVerify).
	Verdict         *htmlVerdict
	verdictOfVerify bool
	Timing          []htmlBar
	TimingTotal     string
}

type htmlVerdict struct {
	// Word is the verdict in words, with its mark ("✓ chain trusted"),
	// and Class its look: ok, bad, or mut (not verified).
	Word, Class string
	// Failed is set when the verdict is the connection's failure.
	Failed bool
	// Insecure is set when the chain is not trusted and the run went on
	// all the same (Verify.Insecure).
	Insecure         bool
	Name, Cause, Fix string
	// OCSP is the server's stapled OCSP response as the verdict judges
	// it (trace.Verdict's OCSP, or trace.Verify's: the status a get,
	// connect or read checked), nil when it says nothing of one.
	OCSP *htmlOCSP
}

// htmlOCSP is a stapled OCSP response's status in a verdict, with why it
// is not good and the fix; Class is its look: ok (good), bad (revoked),
// mut (none stapled) or warn (one a client that requires a good response
// refuses).
type htmlOCSP struct {
	Status, Class, Cause, Fix string
}

// newOCSP returns a stapled OCSP response's status as a Verdict or a
// Verify event gives it, with why it is not good and the fix (a Verify
// event has none: a response its check refuses is its error, on the
// verdict line), nil when there is no status.
func newOCSP(status, cause, fix string) *htmlOCSP {
	if status == "" {
		return nil
	}
	o := &htmlOCSP{Status: status, Class: "warn", Cause: cause, Fix: fix}
	switch status {
	case "good":
		o.Class = "ok"
	case "revoked":
		o.Class = "bad"
	case "none stapled":
		o.Class = "mut"
	}
	return o
}

// Verdicts of trace.Verify.Verdict.
const (
	verdictTrusted     = "trusted"
	verdictNotVerified = "not verified"
)

// newVerdict returns the verdict of a chain trusted or not, as a Verdict
// event gives it.
func newVerdict(valid bool, name, cause, fix string) *htmlVerdict {
	if valid {
		return &htmlVerdict{Word: "✓ chain trusted", Class: "ok", Name: name, Cause: cause, Fix: fix}
	}
	return &htmlVerdict{Word: "✗ chain not trusted", Class: "bad", Failed: true, Name: name, Cause: cause, Fix: fix}
}

// htmlStep is one row of a ladder.
type htmlStep struct {
	// Event is the event's number in the run, set for tls events only.
	Event int
	// Dir is "c2s", "s2c" or "local"; DirText says the first two in
	// words, for what does not see the arrows (a screen reader, a copy).
	Dir, DirText   string
	T, Delta       string
	Layer, Name    string
	Summary, Error string
	Fix            string
	Fatal          bool
	Anomalies      []string
	// Detail is the index of the step's fields and bytes in its
	// connection's Details, -1 when it has none.
	Detail int
	// Body is the step's fields and bytes written into the page (in a
	// details element that opens without JavaScript), nil when the
	// report is packed and the page's script builds them when the row
	// opens.
	Body *htmlDetail
}

// htmlDiagnosis is a failure and the connections that had it.
type htmlDiagnosis struct {
	What       string
	Cause, Fix string
	connList
}

// connList lists the connections something is true of: the first
// maxListedConns, More counting the rest.
type connList struct {
	Conns []int
	More  int
	last  int // the last connection counted
}

// maxListedConns is the most connections a diagnosis or a warning at
// the top of the report links to.
const maxListedConns = 20

// add counts connection id, once however many times it is added in a
// row.
func (l *connList) add(id int) {
	switch {
	case l.last == id:
	case len(l.Conns) < maxListedConns:
		l.Conns = append(l.Conns, id)
	default:
		l.More++
	}
	l.last = id
}

// htmlBar is one bar of a timing waterfall, its start and width in
// percent of the total.
type htmlBar struct {
	Name         string
	Start, Width float64
	Took         string
}

// Event adds ev to the report. It keeps copies of what it shows.
func (h *HTML) Event(ev *trace.Event) {
	h.n++
	if ev.Layer == scanev.Layer {
		h.scanEvent(ev)
		return
	}
	if ev.Type == trace.TypeH2Frame && ev.Error == "" {
		return // the request and response events show the exchange
	}
	if ev.Type == trace.TypeRunFailed {
		return // the report shows the run's error and hint at its head
	}
	c := h.byID[ev.Conn]
	if c == nil {
		if h.MaxConns > 0 && len(h.conns) >= h.MaxConns {
			if h.left == nil {
				h.left = map[int]bool{}
			}
			h.left[ev.Conn] = true
			return
		}
		c = &htmlConn{ID: ev.Conn, Start: ev.T}
		h.byID[ev.Conn] = c
		h.conns = append(h.conns, c)
	}
	s := &htmlStep{
		T:       fmt.Sprintf("%.6f", ev.T),
		Layer:   strings.ToUpper(ev.Layer),
		Name:    DisplayName(ev.Type),
		Summary: Summary(ev),
		Error:   ev.Error,
		Dir:     "local",
	}
	if len(c.Steps) > 0 {
		s.Delta = fmt.Sprintf("+%.3f ms", (ev.T-c.End)*1000)
	}
	c.End = ev.T
	switch ev.From {
	case trace.Client:
		s.Dir, s.DirText = "c2s", "client → server"
	case trace.Server:
		s.Dir, s.DirText = "s2c", "server → client"
	}
	if ev.Layer == trace.LayerTLS {
		s.Event = h.n
		c.Messages++
	}
	if d, ok := ev.Payload.(*trace.Data); ok && d.ErrorSaid {
		s.Error = "" // said on an earlier record of the connection
	}
	for _, a := range ev.Anomalies {
		s.Anomalies = append(s.Anomalies, fmt.Sprintf("%s (offset %d)", a.Text, a.Offset))
	}
	if r := ev.Record; r != nil {
		for _, a := range r.Anomalies {
			s.Anomalies = append(s.Anomalies, "record: "+a.Text)
		}
		if r.Key != nil && r.Seq != nil {
			h.key(c, ev.From, r.Key, *r.Seq)
		}
	}
	s.Detail = -1
	var d htmlDetail
	if ev.Fields != nil && ev.Type != trace.TypeApplicationData {
		d.Fields = treeNodes(ev.Fields.Children)
	}
	if p, ok := ev.Payload.(*trace.Data); ok && len(p.Masked) > 0 {
		// Bytes tlstrace overwrote (a password it sent) are not what
		// was sent: said on the row, and with the bytes, where the
		// pointer on the note highlights them.
		n := 0
		var masked []htmlNode
		for _, m := range p.Masked {
			n += m.Length
			masked = append(masked, htmlNode{Name: "masked by tlstrace", Value: fmt.Sprintf("bytes %d to %d", m.Offset, m.Offset+m.Length-1),
				Offset: m.Offset, Length: m.Length, Note: "shown as *, not as they were sent"})
		}
		s.Anomalies = append(s.Anomalies, fmt.Sprintf("%d byte%s masked by tlstrace: shown as *, not as they were sent", n, plural(n)))
		d.Fields = append(masked, d.Fields...)
	}
	if len(ev.Raw) > 0 {
		b := ev.Raw[:min(len(ev.Raw), maxHTMLHex)]
		d.Hex, d.More = field.Hex(b), len(ev.Raw)-len(b)
	}
	if d.Fields != nil || d.Hex != "" {
		s.Detail = len(c.Details)
		c.Details = append(c.Details, d)
	}
	h.note(c, s, ev)
	_, data := ev.Payload.(*trace.Data)
	switch {
	case ev.Error == "" || s.Fatal || ev.Type == trace.TypeVerify:
		// No failure, one that note gave its words, or a chain's
		// check, which note judges by its verdict.
	case ev.Type == trace.TypePartialRecord:
		// The connection ended inside a record (a reset, a capture
		// cut short): what the record held never arrived.
		c.fail("a record was cut short")
		h.diagnose(c.ID, "a record was cut short", ev.Error, s.Fix)
	case data:
		// Records that could not be decrypted (or a heartbeat) are
		// shown in place only.
	default:
		// A step that failed (a lookup, a connect, a frame).
		what := failureName(ev.Type)
		c.fail(what)
		h.diagnose(c.ID, what, ev.Error, s.Fix)
	}
	c.Steps = append(c.Steps, s)
}

// note fills what the connection's summary, cards, waterfall and the
// diagnosis take from ev.
func (h *HTML) note(c *htmlConn, s *htmlStep, ev *trace.Event) {
	switch p := ev.Payload.(type) {
	case *trace.Message:
		switch {
		case p.ClientHello != nil && p.ClientHello.HasServerName && c.ServerName == "":
			c.ServerName = p.ClientHello.ServerName
		case p.ServerHello != nil && !p.ServerHello.HelloRetry:
			if v := p.ServerHello.Version(); v != nil {
				c.Version = enumText(*v)
			}
			if p.ServerHello.CipherSuite != nil {
				c.Suite = enumText(*p.ServerHello.CipherSuite)
			}
		}
		if alpn := p.ALPN(); len(alpn) > 0 {
			c.ALPN = strings.Join(alpn, " ")
		}
	case *trace.Alert:
		if p.Fatal() {
			s.Fatal = true
			what := fmt.Sprintf("%s sent a fatal alert: %s", ev.From, optText(p.Description))
			c.fail(what)
			h.diagnose(c.ID, what, "", "")
		}
	case *trace.Handshake:
		if p.Failed {
			s.Fatal = true
			s.Fix = p.Fix
			c.fail("handshake failed")
			h.diagnose(c.ID, "handshake failed", p.Cause, p.Fix)
			break
		}
		if c.Version == "" {
			c.Version, c.Suite = p.Version, p.CipherSuite
		}
		if p.Engine != "" {
			c.Engine = engineText(p.Engine)
		}
		if c.ServerName == "" {
			c.ServerName = p.ServerName
		}
		if c.ALPN == "" {
			c.ALPN = p.ALPN
		}
		c.Warnings = append(c.Warnings, p.Warnings...)
	case *trace.Verify:
		// The verdict as the text and the JSON say it (Verify.Verdict):
		// a chain that could not be seen is not verified, which is not
		// a failure.
		trusted, notVerified := p.Trusted, p.Verdict == verdictNotVerified
		if p.Verdict != "" {
			trusted = p.Verdict == verdictTrusted
		}
		if !trusted {
			s.Fix = p.Fix
		}
		c.Warnings = append(c.Warnings, p.Warnings...)
		v := newVerdict(trusted, p.Host, ev.Error, p.Fix)
		v.OCSP = newOCSP(p.OCSP, "", "")
		c.Chain = chainWord(trusted)
		switch {
		case notVerified:
			c.Chain = verdictNotVerified
			v.Word, v.Class, v.Failed = "chain "+verdictNotVerified, "mut", false
		case !trusted && p.Insecure:
			// Not trusted, and the run went on as it was told (-k):
			// said as loudly, at the top with the warnings, but the
			// connection did not fail.
			c.Chain = "✗ " + trace.VerdictInsecure
			v.Word, v.Failed, v.Insecure = "✗ chain NOT trusted", false, true
			c.Warnings = append(c.Warnings, trace.Warning{Cause: joinCause(trace.VerdictInsecure, ev.Error), Fix: p.Fix})
		case !trusted:
			s.Fatal = true
			c.fail("certificate not trusted")
			h.diagnose(c.ID, "certificate not trusted", ev.Error, p.Fix)
		}
		if c.Verdict == nil || c.verdictOfVerify {
			// The verdict of the check, until a Verdict event gives
			// the run's (a capture has none).
			c.Verdict = v
			c.verdictOfVerify = true
		}
	case *trace.Link:
		l := *p
		l.Checks = append([]trace.Check(nil), p.Checks...)
		for i := range l.Checks {
			l.Checks[i].Name = checkName(l.Checks[i].Name)
		}
		c.Links = append(c.Links, &l)
	case *trace.Verdict:
		c.Verdict = newVerdict(p.Valid, p.Name, p.Cause, p.Fix)
		c.Verdict.OCSP = newOCSP(p.OCSP, p.OCSPCause, p.OCSPFix)
		c.verdictOfVerify = false
		c.Chain = chainWord(p.Valid)
		if !p.Valid {
			s.Fatal = true
			s.Fix = p.Fix
			c.fail("certificate not trusted")
			h.diagnose(c.ID, "certificate not trusted", p.Cause, p.Fix)
		}
	case *trace.Timing:
		c.Timing, c.TimingTotal = waterfall(p), ms(p.Total)
	}
}

// htmlKey is a step of a connection's key schedule: a secret, where it
// came from, the keys derived from it, and the records they decrypted.
type htmlKey struct {
	Dir, Secret string
	Generation  int
	From        string
	// Value is the secret in hex, "" when withheld.
	Value string
	// First and Last are the sequence numbers of the first and last
	// record decrypted; Records counts them.
	First, Last uint64
	Records     int
}

// key notes that a record of from, sequence number seq, was decrypted
// with the keys of k.
func (h *HTML) key(c *htmlConn, from trace.Side, k *trace.KeyUse, seq uint64) {
	x := c.keyAt[k]
	if x == nil {
		x = &htmlKey{Dir: "client → server", Secret: k.Secret, Generation: k.Generation, From: k.From, First: seq, Last: seq, Records: 1}
		if from == trace.Server {
			x.Dir = "server → client"
		}
		if h.Secrets {
			x.Value = field.Hex(k.Value)
		}
		if c.keyAt == nil {
			c.keyAt = map[*trace.KeyUse]*htmlKey{}
		}
		c.keyAt[k] = x
		c.Keys = append(c.Keys, x)
		if !slices.Contains(c.KeyNotes, k.Keys) {
			c.KeyNotes = append(c.KeyNotes, k.Keys)
		}
		return
	}
	if seq != x.Last {
		x.Last = seq
		x.Records++
	}
}

// failureWords name the failures of the steps that fail, in words.
var failureWords = map[string]string{
	trace.TypeLookup:    "DNS lookup failed",
	trace.TypeConnect:   "TCP connect failed",
	trace.TypeH2Frame:   "HTTP/2 frame not decoded",
	trace.TypeTruncated: "packet cut short by the capture",
	trace.TypeGap:       "bytes missing from the capture",
	trace.TypeStartTLS:  "STARTTLS failed",
	trace.TypeRequest:   "HTTP request failed",
	trace.TypeResponse:  "HTTP response failed",
	trace.TypeBody:      "HTTP body failed",
}

// failureName names the failure of a step of type typ in words: its
// failureWords, else its type in words ("not_tls" → "not tls failed").
func failureName(typ string) string {
	if w, ok := failureWords[typ]; ok {
		return w
	}
	return strings.ReplaceAll(typ, "_", " ") + " failed"
}

// checkName is the name of a certificate's check in words ("key_usage"
// → "key usage"), as the text view and the report show it.
func checkName(name string) string { return strings.ReplaceAll(name, "_", " ") }

// joinCause returns what: cause, or what when there is no cause.
func joinCause(what, cause string) string {
	if cause == "" {
		return what
	}
	return what + ": " + cause
}

// chainWord is the summary table's word for a chain trusted or not.
func chainWord(trusted bool) string {
	if trusted {
		return "✓ trusted"
	}
	return "✗ not trusted"
}

// fail records a failure as the connection's result, the first one kept.
func (c *htmlConn) fail(what string) {
	if !c.Failed {
		c.Failed, c.Result = true, what
	}
}

// diagnose lists a failure of connection conn at the top of the report,
// once for every connection with the same failure, cause and fix.
func (h *HTML) diagnose(conn int, what, cause, fix string) {
	k := [3]string{what, cause, fix}
	d := h.diagAt[k]
	if d == nil {
		d = &htmlDiagnosis{What: what, Cause: cause, Fix: fix}
		if h.diagAt == nil {
			h.diagAt = map[[3]string]*htmlDiagnosis{}
		}
		h.diagAt[k] = d
		h.diag = append(h.diag, d)
	}
	d.add(conn)
}

// waterfall lays out the steps of a Timing as bars, as the text view's
// waterfall does.
func waterfall(p *trace.Timing) []htmlBar {
	total := p.Total.Microseconds()
	if total <= 0 {
		return nil
	}
	var bars []htmlBar
	at := int64(0)
	for _, step := range timingSteps(p) {
		d := step.d.Microseconds()
		bars = append(bars, htmlBar{
			Name:  step.name,
			Start: percent(min(at, total), total),
			Width: percent(min(d, total-min(at, total)), total),
			Took:  ms(step.d),
		})
		at += d
	}
	return bars
}

func percent(part, total int64) float64 {
	return float64(part*10000/total) / 100
}

// htmlDetail is what a ladder row opens to: the field tree and the bytes
// in hex (at most maxHTMLHex, More counting the rest).
type htmlDetail struct {
	Fields []htmlNode
	Hex    string
	More   int
	// Dump is Hex as a hex dump (offsets, bytes, characters), for a page
	// read without JavaScript; the script turns it into one element per
	// byte to highlight a field's bytes.
	Dump string
	// Total counts the step's bytes, those shown and More.
	Total int
}

// htmlNode is a field of the tree: its name, its value as text, its
// byte span and note, its children.
type htmlNode struct {
	Name           string
	Value          string
	Offset, Length int
	Note           string
	Children       []htmlNode
}

// packer compresses the sections of a large report: raw DEFLATE, in
// base64, one writer reused for every section.
type packer struct {
	markup, out bytes.Buffer
	zw          *flate.Writer
	st          safeTemplate
}

// pack returns the markup of c's section after its heading, compressed.
// It is written through the page's filter (safeTemplate) before it is
// compressed: the script inserts it as markup when the section opens,
// where a peer's bidirectional override would reorder it as much as in
// the page.
func (p *packer) pack(c *htmlConn) (string, error) {
	p.markup.Reset()
	if err := p.st.execute(&p.markup, "conn", c); err != nil {
		return "", err
	}
	p.out.Reset()
	enc := base64.NewEncoder(base64.StdEncoding, &p.out)
	if p.zw == nil {
		zw, err := flate.NewWriter(enc, flate.DefaultCompression)
		if err != nil {
			return "", err
		}
		p.zw = zw
	} else {
		p.zw.Reset(enc)
	}
	if _, err := p.zw.Write(p.markup.Bytes()); err != nil {
		return "", err
	}
	if err := p.zw.Close(); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return p.out.String(), nil
}

// treeNodes copies a field tree for the report: each field's name, its
// value as text, its byte span and note, its children.
func treeNodes(l []*field.Node) []htmlNode {
	if len(l) == 0 {
		return nil
	}
	out := make([]htmlNode, len(l))
	for i, n := range l {
		out[i] = htmlNode{Name: n.Name, Value: fieldValue(n), Offset: n.Offset, Length: n.Length, Note: n.Note, Children: treeNodes(n.Children)}
	}
	return out
}

// fieldValue formats a scalar field for the tree.
func fieldValue(n *field.Node) string {
	if n.Kind == field.List {
		return fmt.Sprintf("%d item%s", len(n.Children), plural(len(n.Children)))
	}
	return scalarText(n, maxFieldHex)
}

// htmlPage is what the template reads.
type htmlPage struct {
	Title string
	// Error, Hint and RunWarnings are the run's (HTML.Error, Hint,
	// Warnings), escaped as standard error writes them.
	Error, Hint string
	RunWarnings []string
	Conns       []*htmlConn
	Diagnoses   []*htmlDiagnosis
	More        int
	Events      int
	// Left counts the connections past MaxConns.
	Left int
	// Scans are the targets of scan, in the order scanned.
	Scans []*htmlScan
	// Secrets is set when the secrets' values are shown.
	Secrets bool
	// Packed is set when the report holds more than packAbove
	// connections: each one's section past its heading is compressed, and
	// opens with JavaScript only.
	Packed bool
	// Warnings are the chain warnings of every connection, each cause
	// and fix once.
	Warnings []*htmlWarning
}

// htmlWarning is a chain warning and the connections whose chain has it.
type htmlWarning struct {
	Cause, Fix string
	connList
}

// hexDump returns the bytes of x (hex) as lines of 16: offset, bytes,
// characters, as the text view's -vv dump and the page's script write
// them.
func hexDump(x string) string {
	b, err := hex.DecodeString(x)
	if err != nil {
		return x
	}
	w := max(4, len(fmt.Sprintf("%x", max(len(b)-1, 0))))
	var out strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&out, "%0*x  ", w, off)
		for i := range 16 {
			if i < len(line) {
				fmt.Fprintf(&out, "%02x ", line[i])
			} else {
				out.WriteString("   ")
			}
			if i == 7 {
				out.WriteByte(' ')
			}
		}
		out.WriteString(" |")
		for _, c := range line {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			out.WriteByte(c)
		}
		out.WriteString("|\n")
	}
	return out.String()
}

// Flush writes the report.
func (h *HTML) Flush() error {
	p := htmlPage{Title: h.Title, Conns: h.conns, Diagnoses: h.diag, Events: h.n, Left: len(h.left), Scans: h.scans, Secrets: h.Secrets}
	p.Error, p.Hint = Escape(h.Error), Escape(h.Hint)
	for _, w := range h.Warnings {
		p.RunWarnings = append(p.RunWarnings, Escape(w))
	}
	if len(p.Diagnoses) > maxDiagnoses {
		for _, d := range p.Diagnoses[maxDiagnoses:] {
			p.More += len(d.Conns) + d.More
		}
		p.Diagnoses = p.Diagnoses[:maxDiagnoses]
	}
	p.Packed = len(h.conns) > packAbove
	chains := map[string]int{}
	warned := map[trace.Warning]*htmlWarning{}
	var pk packer
	for _, c := range h.conns {
		c.Withheld, c.SecretsWith = !h.Secrets, h.SecretsWith
		if len(c.Links) > 0 {
			b, err := json.Marshal(c.Links)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			if first, ok := chains[string(b)]; ok {
				c.SameChain = first
			} else {
				chains[string(b)] = c.ID
			}
		}
		for _, w := range c.Warnings {
			x := warned[w]
			if x == nil {
				x = &htmlWarning{Cause: w.Cause, Fix: w.Fix}
				warned[w] = x
				p.Warnings = append(p.Warnings, x)
			}
			x.add(c.ID)
		}
		for _, s := range c.Steps {
			if s.Detail >= 0 {
				d := &c.Details[s.Detail]
				d.Total = len(d.Hex)/2 + d.More
				if !p.Packed {
					// A packed section opens with JavaScript only,
					// which writes the dump from Hex.
					d.Dump = hexDump(d.Hex)
				}
				s.Body = d
			}
		}
		c.Details = nil
		if p.Packed {
			b, err := pk.pack(c)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			c.Packed, c.Steps, c.Links, c.Keys, c.Timing = b, nil, nil, nil, nil
		}
	}
	var st safeTemplate
	if err := st.execute(h.w, "report", p); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// safeTemplate writes the report's templates through the filter of the
// text view (safeWriter): html/template keeps a peer's text from being
// markup, the filter keeps its bidirectional overrides and controls from
// reordering or hiding what the page shows. The page and the packed
// sections of a large report (packer.pack) are both written through it;
// the packer reuses one for every section.
type safeTemplate struct {
	safe safeWriter
	buf  *bufio.Writer
}

// execute writes the template name with data to w.
func (s *safeTemplate) execute(w io.Writer, name string, data any) error {
	s.safe.w = w
	if s.buf == nil {
		s.buf = bufio.NewWriterSize(&s.safe, 64<<10)
	} else {
		s.buf.Reset(&s.safe)
	}
	if err := htmlTemplate().ExecuteTemplate(s.buf, name, data); err != nil {
		return err
	}
	if err := s.buf.Flush(); err != nil {
		return err
	}
	return s.safe.flush()
}
