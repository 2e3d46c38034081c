package render

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestHeadMatchesFmt holds the start of a step's line, written without
// fmt, to what fmt makes of its format.
func TestHeadMatchesFmt(t *testing.T) {
	secs := []float64{0, 0.0000004, 1.5, -2.25, 123456.789, 1e12, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1)}
	for _, conn := range []int{0, 7, 42, 999, 1000, 123456, -3} {
		for _, sec := range secs {
			for _, arrow := range []string{"client → server", "local", "", "server → client extra"} {
				for _, layer := range []string{"tls", "x509", "dns", "", "http2", "ünï"} {
					var buf bytes.Buffer
					tx := NewText(&buf)
					tx.head(conn, sec, arrow, layer, "ClientHello")
					if err := tx.Flush(); err != nil {
						t.Fatal(err)
					}
					want := fmt.Sprintf("#%-3d %10.6f  %s  %-4s %s", conn, sec, fmt.Sprintf("%-15s", arrow), strings.ToUpper(layer), "ClientHello")
					if buf.String() != want {
						t.Fatalf("head(%d, %v, %q, %q):\n got %q\nwant %q", conn, sec, arrow, layer, buf.String(), want)
					}
				}
			}
		}
	}
}

// BenchmarkTextApplicationData renders the line of an application data
// record, the most common step of a capture.
func BenchmarkTextApplicationData(b *testing.B) {
	data := bytes.Repeat([]byte{0xc3, 0x28}, 8192)
	seq := uint64(5)
	ev := &trace.Event{Conn: 3, From: trace.Server, Layer: trace.LayerTLS, Type: trace.TypeApplicationData, T: 1.25,
		Record:  &trace.Record{Type: trace.Enum{Name: "application_data", Value: 23}, Version: trace.Enum{Name: "TLS 1.2", Value: 0x0303}, Length: len(data) + 24, Encrypted: true, Seq: &seq},
		Payload: &trace.Data{Length: len(data), Bytes: data}}
	app := NewAppender(Options{})
	var out []byte
	for b.Loop() {
		out = app(out[:0], ev)
	}
}

// TestTextRetransmissions checks that the text view shows a retransmission
// whose bytes are the same only with -v, one whose bytes differ always,
// and a connection's count of them always.
func TestTextRetransmissions(t *testing.T) {
	same := trace.NewEvent(1, trace.Client, &trace.TCPSegment{Kind: trace.TypeRetransmission, Seq: 1, Len: 4, Again: 4})
	differ := trace.NewEvent(1, trace.Client, &trace.TCPSegment{Kind: trace.TypeRetransmission, Seq: 9, Len: 4, Again: 4, Differ: 1, DifferAt: 12})
	differ.Error = "1 of the 4 bytes sent again differ from the first copy"
	sum := trace.NewEvent(1, trace.Local, &trace.TCPSegment{Kind: trace.TypeRetransmissionSummary, Segments: 2, Again: 8, Differ: 1})
	for _, verbose := range []bool{false, true} {
		var buf bytes.Buffer
		tx := NewText(&buf)
		tx.Verbose = verbose
		for _, ev := range []*trace.Event{same, differ, sum} {
			tx.Event(ev)
		}
		if err := tx.Flush(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if got := strings.Contains(out, "seq=1,"); got != verbose {
			t.Errorf("verbose %v: the same bytes sent again shown: %v\n%s", verbose, got, out)
		}
		if !strings.Contains(out, "seq=9,") || !strings.Contains(out, "differ from the first copy") {
			t.Errorf("verbose %v: no differing retransmission:\n%s", verbose, out)
		}
		if !strings.Contains(out, "2 segments retransmitted (8 bytes seen again)") {
			t.Errorf("verbose %v: no summary:\n%s", verbose, out)
		}
	}
}

// dumpFmt is the hex dump as fmt writes it ("%04x  ", "%02x "), which
// Text.dump writes without fmt.
func dumpFmt(b []byte, indent int) string {
	var out strings.Builder
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
		fmt.Fprintf(&out, "%s%04x  %s |%s|\n", pad, off, hx.String(), asc.String())
	}
	return out.String()
}

// TestDumpSame checks Text.dump against fmt, offsets past 0xffff included.
func TestDumpSame(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 255, 4096, 65535 + 40, 1<<20 + 3} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		var buf bytes.Buffer
		tx := NewText(&buf)
		tx.dump(b, 6)
		if err := tx.Flush(); err != nil {
			t.Fatal(err)
		}
		if want := dumpFmt(b, 6); buf.String() != want {
			t.Fatalf("%d bytes: differ", n)
		}
	}
}

// TestFragmentSummary: a handshake fragment says which bytes of which
// message it holds, those of the header too before the length is known.
func TestFragmentSummary(t *testing.T) {
	ch := trace.Enum{Name: "client_hello", Value: 1}
	for _, c := range []struct {
		p    trace.HandshakeFragment
		want string
	}{
		{trace.HandshakeFragment{Message: ch, Bytes: 512, Held: 512, Length: 882}, "bytes 1–512 of a ClientHello of 882"},
		{trace.HandshakeFragment{Message: ch, Bytes: 1, Held: 2}, "bytes 2–2 of a ClientHello, its header not yet whole"},
		{trace.HandshakeFragment{Message: ch, Bytes: 0, Held: 10, Length: 252}, "empty, inside a ClientHello (10 bytes of it so far)"},
		{trace.HandshakeFragment{}, "empty"},
	} {
		ev := &trace.Event{Layer: trace.LayerTLS, Type: trace.TypeHandshakeFragment, Payload: &c.p}
		if got := Summary(ev); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

// TestMaskedShown checks that the bytes tlstrace masked in a record it
// decrypted (a password it sent) are said to be masked, in the text view
// with and without -v and in the JSON.
func TestMaskedShown(t *testing.T) {
	raw := []byte("a003 LOGIN \"alice\" ******\r\n")
	ev := &trace.Event{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeApplicationData, Raw: raw,
		Record:  &trace.Record{Encrypted: true, Length: len(raw) + 17},
		Payload: &trace.Data{Length: len(raw), Bytes: raw, Masked: []trace.Span{{Offset: 19, Length: 6}}}}
	for _, verbose := range []bool{false, true} {
		var buf bytes.Buffer
		tx := NewText(&buf)
		tx.Verbose = verbose
		tx.Event(ev)
		if err := tx.Flush(); err != nil {
			t.Fatal(err)
		}
		if want := "note: bytes 19 to 24 masked by tlstrace"; !strings.Contains(buf.String(), want) {
			t.Errorf("verbose %v: the text lacks %q:\n%s", verbose, want, buf.String())
		}
	}
	if got, want := string(AppendEvent(nil, ev, false)), `"masked":[{"offset":19,"length":6}]`; !strings.Contains(got, want) {
		t.Errorf("the JSON lacks %s:\n%s", want, got)
	}
}

// TestPartialRecordSummary: a record cut short counts, in its summary as
// in its error, the bytes of its body seen against the length its header
// announces; without its header, the bytes seen.
func TestPartialRecordSummary(t *testing.T) {
	for _, c := range []struct {
		fed       []byte
		want, err string
	}{
		{append([]byte{0x16, 3, 1, 0, 64}, make([]byte, 10)...), "handshake, 10 of 64 bytes seen", "(10 of the 64 bytes its header announces seen)"},
		{[]byte{0x16, 3}, "2 bytes seen", "(2 of the 5 bytes of its header seen)"},
	} {
		var events []*trace.Event
		s := trace.NewSession(time.Unix(0, 0), nil, func(ev *trace.Event) { events = append(events, ev.Clone()) })
		conn := s.NewConn(1, false)
		conn.Feed(trace.Client, trace.Stamp{}, c.fed)
		conn.Close()
		if len(events) != 1 || events[0].Type != trace.TypePartialRecord {
			t.Fatalf("% x: events %v", c.fed, events)
		}
		if got := Summary(events[0]); got != c.want || !strings.Contains(events[0].Error, c.err) {
			t.Errorf("% x: %q (error %q), want %q (error with %q)", c.fed, got, events[0].Error, c.want, c.err)
		}
	}
}
