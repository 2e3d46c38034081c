package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// failedHandshake is serve's handshake_failed event for a client that did
// not trust the server's certificate.
func failedHandshake() *trace.Event {
	ev := trace.NewEvent(4, trace.Local, &trace.Handshake{Failed: true, Duration: 2500 * time.Microsecond,
		Cause: "the client does not trust the CA that issued the server's certificate (it sent an unknown_ca alert)",
		Fix:   "give the client the CA that issued the served certificate",
		Alert: &trace.Alert{Level: &trace.Enum{Value: 2, Name: "fatal"}, Description: &trace.Enum{Value: 48, Name: "unknown_ca"}}, AlertFrom: trace.Client})
	ev.Time = start
	ev.Error = "handshake failed: the TLS stack's words"
	return ev
}

// TestFailedHandshake checks that a failed handshake shows its cause and
// fix as a client's failure does (the TLS stack's error only with -v), and
// that JSON has them as fields beside the error.
func TestFailedHandshake(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		var b bytes.Buffer
		r := render.NewText(&b)
		r.Verbose = verbose
		r.Event(failedHandshake())
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		want := []string{"unknown_ca alert from the client, after 2.5 ms",
			"      ! the client does not trust the CA that issued the server's certificate (it sent an unknown_ca alert)"}
		if verbose {
			want = append(want, "      handshake failed: the TLS stack's words")
		}
		want = append(want, "      fix: give the client the CA that issued the served certificate")
		if len(lines) < len(want) || !strings.HasSuffix(lines[0], want[0]) {
			t.Fatalf("verbose %v:\n%s", verbose, b.String())
		}
		for i, w := range want[1:] {
			if lines[i+1] != w {
				t.Errorf("verbose %v: line %d is %q, want %q", verbose, i+1, lines[i+1], w)
			}
		}
	}
	var b bytes.Buffer
	r := render.NewJSON(&b)
	r.Event(failedHandshake())
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"type":"handshake_failed"`, `"duration_us":2500`, `"cause":"the client does not trust`, `"fix":"give the client`,
		`"alert":"unknown_ca","alert_from":"client"`, `"error":"handshake failed: the TLS stack's words"`} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("JSON lacks %s: %s", w, b.String())
		}
	}
}
