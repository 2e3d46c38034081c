package source

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestTapPartialRecord: a record the peer was still sending when this end
// closed is reported as not read to its end, naming who closed first; one
// the peer cut by closing is reported as the connection ending inside it.
func TestTapPartialRecord(t *testing.T) {
	// A handshake record header announcing 100 bytes, and 10 of them.
	partial := append([]byte{22, 3, 3, 0, 100}, make([]byte, 10)...)
	for _, c := range []struct {
		name      string
		peerClose bool
		want      string
	}{
		{"local-closed-first", false, "the rest of a record was not read: the client closed the connection first (15 bytes of it seen, of the 105 its header gives)"},
		{"peer-cut", true, "the connection ended inside a record (15 bytes of it seen, of the 105 its header gives)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			local, remote := net.Pipe()
			var got []string
			tr := NewTracer(time.Now(), func(ev *trace.Event) {
				if ev.Type == trace.TypePartialRecord {
					got = append(got, ev.Error)
				}
			})
			tap := tr.NewTap(local, 1, trace.Client)
			go func() {
				remote.Write(partial)
				if c.peerClose {
					remote.Close()
				}
			}()
			buf := make([]byte, 64)
			n, _ := tap.Read(buf)
			if c.peerClose {
				// Read on to the end of the stream, as a TLS stack does
				// when it waits for the rest of the record.
				for n < len(partial) {
					m, err := tap.Read(buf)
					n += m
					if err != nil {
						break
					}
				}
				if _, err := tap.Read(buf); err == nil {
					t.Fatal("no end of stream after the peer closed")
				}
			}
			tap.Close()
			remote.Close()
			if len(got) != 1 || !strings.Contains(got[0], c.want) {
				t.Fatalf("partial record events %q, want one saying %q", got, c.want)
			}
		})
	}
}
