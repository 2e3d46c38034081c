package render

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

func TestAppendSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, tab\tand newline\n", "plain text, tab\tand newline\n"},
		{"é → ✓ 😀 中", "é → ✓ 😀 中"},
		{"\x1b[2J\x1b]0;title\x07", `\x1b[2J\x1b]0;title\x07`},
		{"over\rwrite", `over\x0dwrite`},
		{"del\x7f nul\x00", `del\x7f nul\x00`},
		{"c1 \u009b31m", `c1 \x9b31m`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{"moc.elgoog\u202e exe.", `moc.elgoog\u202e exe.`},
		{"iso\u2066late\u2069 zw\u200bsp line\u2028sep", `iso\u2066late\u2069 zw\u200bsp line\u2028sep`},
		{ansiRed + "red" + ansiReset, `\x1b[31mred\x1b[0m`},
	} {
		got, n := appendSafe(nil, []byte(tc.in), false, true)
		if string(got) != tc.want || n != len(tc.in) {
			t.Errorf("%q: got %q (%d of %d bytes), want %q", tc.in, got, n, len(tc.in), tc.want)
		}
	}
	// With colour, the renderer's own codes pass, and nothing else does.
	in := ansiBold + "bold" + ansiReset + "\x1b[2J" + ansiRed[:3] + "x"
	want := ansiBold + "bold" + ansiReset + `\x1b[2J\x1b[3x`
	if got, _ := appendSafe(nil, []byte(in), true, true); string(got) != want {
		t.Errorf("colour: got %q, want %q", got, want)
	}
}

// TestTextEscapesPeerText renders a ClientHello whose server name holds
// an escape sequence, a carriage return, a newline and a bidirectional
// override, as a hostile client or a capture can send: the text view
// shows them escaped, on the step's one line.
func TestTextEscapesPeerText(t *testing.T) {
	const evil = "x\x1b[2Jy\rz\nw\u202eq"
	f := field.NewObject("")
	f.AddString("host_name", evil)
	ev := &trace.Event{Conn: 1, From: trace.Client, Layer: trace.LayerTLS, Type: trace.TypeClientHello, Fields: f,
		Payload: &trace.Message{ClientHello: &trace.ClientHello{ServerName: evil, HasServerName: true}}}
	for _, o := range []Options{{}, {Color: true}, {Verbose: 2}, {Format: "curl"}} {
		var b bytes.Buffer
		w, err := New(&b, o)
		if err != nil {
			t.Fatal(err)
		}
		w.Event(ev)
		w.Event(trace.NewEvent(1, trace.Local, &trace.Verdict{Name: evil, Cause: evil, Fix: evil}))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		checkSafe(t, out, o.Color)
		if o.Format == "" && !strings.Contains(out, `SNI x\x1b[2Jy\x0dz\x0aw\u202eq`) {
			t.Errorf("%+v: the server name is not shown escaped on one line:\n%s", o, out)
		}
	}
}

// checkSafe fails when out holds a character safeWriter escapes, other
// than the renderer's colours when color is set.
func checkSafe(t *testing.T, out string, color bool) {
	t.Helper()
	if color {
		for _, a := range ansiCodes {
			out = strings.ReplaceAll(out, a, "")
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("output is not UTF-8: %q", out)
	}
	for _, r := range out {
		if r != '\n' && r != '\t' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029') {
			t.Errorf("output holds %U unescaped: %q", r, out)
			return
		}
	}
}

// FuzzSafeWriter: whatever the text and however it is cut into writes,
// the output holds nothing that acts on a terminal, is the same as in one
// write, and passes printable ASCII as it is.
func FuzzSafeWriter(f *testing.F) {
	f.Add([]byte("SNI \x1b[2J\u202e"), 5, true)
	f.Add([]byte(ansiRed+"é"+ansiReset), 3, true)
	f.Add([]byte("\xe2\x80"), 1, false)
	f.Add([]byte("a→b"), 2, false)
	f.Fuzz(func(t *testing.T, in []byte, cut int, color bool) {
		whole, _ := appendSafe(nil, in, color, true)
		var b bytes.Buffer
		s := &safeWriter{w: &b, color: &color}
		if len(in) > 0 {
			cut = int(uint(cut) % uint(len(in)+1))
			s.Write(in[:cut])
			s.Write(in[cut:])
		}
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != string(whole) {
			t.Fatalf("cut at %d: %q, in one write %q", cut, b.Bytes(), whole)
		}
		checkSafe(t, string(whole), color)
		ascii := true
		for _, c := range in {
			ascii = ascii && plain[c]
		}
		if ascii && string(whole) != string(in) {
			t.Fatalf("printable text changed: %q to %q", in, whole)
		}
	})
}

// BenchmarkSafeWriter measures the filter on what it sees most: lines of
// the text view (ASCII with an arrow and a check mark) and of a -vv hex
// dump (ASCII).
func BenchmarkSafeWriter(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"text", "#3     0.152369  server → client  TLS  ApplicationData  16384 bytes, [decrypted] ✓\n"},
		{"hex", "      0040  17 03 03 40 11 9a 2c 5e  d1 07 3b 8f 22 c4 91 0e  |...@..,^..;.\"...|\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := bytes.Repeat([]byte(bc.line), (1<<20)/len(bc.line))
			s := &safeWriter{w: io.Discard}
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				s.Write(in)
			}
		})
	}
}
