package render_test

import (
	"bytes"
	"compress/flate"
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
	"github.com/tlstrace/tlstrace/internal/trace"
)

func renderHTML(t *testing.T, title string, events []*trace.Event) string {
	t.Helper()
	var b bytes.Buffer
	h := render.NewHTML(&b)
	h.Title = title
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
}

// TestHTMLHexLimit: a step's bytes beyond the limit are not written, and
// the row's details say how many were left out.
func TestHTMLHexLimit(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 20000)
	page := renderHTML(t, "big", []*trace.Event{{Conn: 1, From: trace.Server, Layer: trace.LayerTLS,
		Type: trace.TypeApplicationData, Raw: raw, Payload: &trace.Data{Length: len(raw), Bytes: raw}}})
	if !strings.Contains(page, `"x":"`+strings.Repeat("ab", 16384)+`","m":3616}`) {
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

var detailBlock = regexp.MustCompile(`<script type="application/json" class="dj">(.*?)</script>`)

// TestHTMLPacked: past packAbove connections, each connection's details
// are compressed; they inflate to the same JSON as a small report's.
func TestHTMLPacked(t *testing.T) {
	var events []*trace.Event
	for conn := 1; conn <= 101; conn++ {
		events = append(events, &trace.Event{Conn: conn, From: trace.Client, Layer: trace.LayerTLS,
			Type: trace.TypeApplicationData, Raw: []byte{byte(conn), 0x3c, 0x2f}, Payload: &trace.Data{Length: 3}})
	}
	small := detailBlock.FindAllStringSubmatch(renderHTML(t, "small", events[:1]), -1)
	big := detailBlock.FindAllStringSubmatch(renderHTML(t, "big", events), -1)
	if len(small) != 1 || len(big) != 101 {
		t.Fatalf("%d and %d detail blocks", len(small), len(big))
	}
	var packed string
	if err := json.Unmarshal([]byte(big[0][1]), &packed); err != nil {
		t.Fatalf("a packed block is not a JSON string: %v", err)
	}
	z, err := base64.StdEncoding.DecodeString(packed)
	if err != nil {
		t.Fatal(err)
	}
	j, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(j, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(small[0][1]), &want); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || !strings.Contains(string(j), `"x":"013c2f"`) {
		t.Errorf("inflated %s, want %s", j, small[0][1])
	}
}
