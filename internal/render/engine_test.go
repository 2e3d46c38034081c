package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestEngineNamed checks that each output names the engine of a handshake
// by tlstrace's own engine and says why it ran: the text view on the
// handshake_complete line and the engine line, the curl lines on the
// "SSL connection" line and a line of their own, JSON as fields.
func TestEngineNamed(t *testing.T) {
	why := "on connection 1, the server refused crypto/tls's ClientHello (handshake_failure alert)"
	evs := []*trace.Event{
		trace.NewEvent(2, trace.Local, &trace.EngineChoice{Engine: trace.EngineOwn, Reason: why}),
		trace.NewEvent(2, trace.Local, &trace.Handshake{Engine: trace.EngineOwn, Version: "TLS 1.3", CipherSuite: "TLS_AES_128_CCM_SHA256", Group: "x25519", Duration: time.Millisecond}),
	}
	for _, c := range []struct {
		o    *render.Options // nil: the HTML report
		want []string
	}{
		{&render.Options{}, []string{"Engine  tlstrace's own engine: " + why, "HandshakeComplete  TLS 1.3, TLS_AES_128_CCM_SHA256, x25519, by tlstrace's own engine, in 1.0 ms"}},
		{&render.Options{Format: "curl"}, []string{"* TLS handshake by tlstrace's own engine: " + why, "* SSL connection using TLSv1.3 / TLS_AES_128_CCM_SHA256 / x25519, by tlstrace's own engine"}},
		{nil, []string{"TLS_AES_128_CCM_SHA256 · by tlstrace&#39;s own engine</h2>", "tlstrace&#39;s own engine: " + strings.ReplaceAll(why, "'", "&#39;")}},
		{&render.Options{JSON: true}, []string{`"type":"engine","fields":{"engine":"tlstrace","reason":"` + why + `"}`, `"type":"handshake_complete","fields":{"engine":"tlstrace","version":"TLS 1.3"`}},
	} {
		var b bytes.Buffer
		var w render.Writer = render.NewHTML(&b)
		if c.o != nil {
			var err error
			if w, err = render.New(&b, *c.o); err != nil {
				t.Fatal(err)
			}
		}
		for _, ev := range evs {
			w.Event(ev)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, want := range c.want {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%+v: output lacks %q:\n%s", c.o, want, b.String())
			}
		}
	}
}
