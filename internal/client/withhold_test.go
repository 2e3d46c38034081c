package client

import (
	"fmt"
	"testing"

	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestWithhold checks that the password and AUTH PLAIN's message are
// masked, at their length, in a decrypted record, and nothing else.
func TestWithhold(t *testing.T) {
	c := &Conversation{Credentials: &starttls.Credentials{User: "alice", Password: "pw"}}
	for in, want := range map[string]string{
		"a003 LOGIN \"alice\" \"pw\"\r\n": "a003 LOGIN \"alice\" \"**\"\r\n",
		"AUTH PLAIN AGFsaWNlAHB3\r\n":     "AUTH PLAIN ************\r\n",
		"PASS pw\r\nPASS pw\r\n":          "PASS **\r\nPASS **\r\n",
		"a002 CAPABILITY\r\n":             "a002 CAPABILITY\r\n",
	} {
		b := []byte(in)
		c.Withhold(&trace.Event{Payload: &trace.Data{Length: len(b), Bytes: b}})
		if string(b) != want {
			t.Errorf("%q masked as %q, want %q", in, b, want)
		}
	}
	// The spans masked are recorded, so that the views can say so.
	b := []byte("PASS pw\r\nPASS pw\r\n")
	d := &trace.Data{Length: len(b), Bytes: b}
	c.Withhold(&trace.Event{Payload: d})
	if fmt.Sprint(d.Masked) != "[{5 2} {14 2}]" {
		t.Errorf("masked spans %v, want [{5 2} {14 2}]", d.Masked)
	}
	b = []byte("PASS pw")
	(&Conversation{}).Withhold(&trace.Event{Payload: &trace.Data{Bytes: b}})
	if string(b) != "PASS pw" {
		t.Errorf("masked without credentials: %q", b)
	}
}
