package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestDialogInTLS checks how a protocol's dialog inside TLS (tlstrace
// imap://…) is shown: in a section named after the protocol that also
// takes the records carrying it, each line under the protocol's name;
// JSON marks the lines in_tls; the timing has the STARTTLS dialog's time.
func TestDialogInTLS(t *testing.T) {
	line := func(from trace.Side, s string, in bool) *trace.Event {
		return trace.NewEvent(1, from, &trace.StartTLS{Protocol: "imap", Title: "IMAP", Line: s, InTLS: in})
	}
	data := func(from trace.Side, n int) *trace.Event {
		f := field.NewObject("")
		return &trace.Event{Conn: 1, From: from, Layer: trace.LayerTLS, Type: trace.TypeApplicationData, Fields: f, Payload: &trace.Data{Length: n}}
	}
	ms := time.Millisecond
	evs := []*trace.Event{
		line(trace.Server, "* OK ready", false),
		line(trace.Client, "a001 STARTTLS", false),
		line(trace.Server, "a001 OK Begin TLS", false),
		trace.NewEvent(1, trace.Local, &trace.Handshake{Engine: trace.EngineGo, Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "x25519", Duration: ms}),
		line(trace.Client, "a002 CAPABILITY", true),
		data(trace.Client, 17),
		data(trace.Server, 40),
		line(trace.Server, "* CAPABILITY IMAP4rev1", true),
		line(trace.Server, "a002 OK done", true),
		trace.NewEvent(1, trace.Local, &trace.Timing{DNS: ms, Connect: ms, StartTLS: 5 * ms, TLS: 2 * ms, TTFB: 10 * ms, Total: 12 * ms}),
	}
	render1 := func(o render.Options) string {
		var b bytes.Buffer
		w, err := render.New(&b, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			w.Event(ev)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	text := render1(render.Options{Sections: true})
	var heads []string
	for l := range strings.Lines(text) {
		if strings.HasPrefix(l, "── ") {
			heads = append(heads, strings.TrimSpace(l))
		}
	}
	if got, want := strings.Join(heads, " | "), "── #1 STARTTLS | ── #1 TLS handshake | ── #1 IMAP | ── #1 Timing"; got != want {
		t.Errorf("sections %q, want %q:\n%s", got, want, text)
	}
	for _, w := range []string{"INFO Starttls  a001 STARTTLS", "INFO IMAP  a002 CAPABILITY", "INFO IMAP  a002 OK done",
		"DNS 1.0 ms, TCP 1.0 ms, STARTTLS 5.0 ms, TLS 2.0 ms, first byte 10.0 ms, total 12.0 ms", "STARTTLS           5.0 ms", "server wait        1.0 ms"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}

	js := render1(render.Options{JSON: true})
	for _, w := range []string{`"line":"a002 CAPABILITY","in_tls":true`, `"connect_us":1000,"starttls_us":5000,"tls_us":2000`} {
		if !strings.Contains(js, w) {
			t.Errorf("JSON lacks %s:\n%s", w, js)
		}
	}
	if strings.Contains(js, `"line":"a001 STARTTLS","in_tls"`) {
		t.Errorf("a line before TLS is marked in_tls:\n%s", js)
	}

	curl := render1(render.Options{Format: "curl"})
	for _, w := range []string{"> a001 STARTTLS\n", "> a002 CAPABILITY\n", "< a002 OK done\n", "STARTTLS 5.0 ms"} {
		if !strings.Contains(curl, w) {
			t.Errorf("curl lines lack %q:\n%s", w, curl)
		}
	}
}
