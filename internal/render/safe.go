package render

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safeWriter passes the text renderers' output on with every character
// that would act on a terminal instead of showing written as an escape:
// what a peer sends (a server name, a certificate's name, an HTTP header,
// a greeting) reaches the text view, and an escape sequence in it must
// not move the cursor, clear the screen, set the window title or write
// to the clipboard, nor a bidirectional override reorder what is shown.
// Escaped are the C0 controls but newline and tab (a carriage return
// could overwrite a line), DEL, the C1 controls, bytes that are not
// UTF-8, and the format characters (Unicode's Cf: bidirectional
// overrides and isolates, zero-width characters) and line and paragraph
// separators: as \xHH below U+0100, \uHHHH above. The renderer's own
// colours (the exact sequences of ansiCodes) pass when color points to
// true.
//
// A character or colour cut by the end of a Write is held until the next
// Write or flush, so the escaping does not depend on how the text is cut.
type safeWriter struct {
	w     io.Writer
	color *bool
	held  []byte
	out   []byte
}

// ansiCodes are the escape sequences the text renderer writes.
var ansiCodes = []string{ansiReset, ansiRed, ansiGreen, ansiYellow, ansiCyan, ansiDim, ansiBold}

// plain marks the bytes that pass as they are: printable ASCII, newline
// and tab.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\n'], t['\t'] = true, true
	return t
}()

func (s *safeWriter) Write(p []byte) (int, error) {
	in := p
	if len(s.held) > 0 {
		in = append(s.held, p...)
	}
	out, n := appendSafe(s.out[:0], in, s.color != nil && *s.color, false)
	s.held = append(s.held[:0], in[n:]...)
	s.out = out
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes what a Write held back, escaped as it stands.
func (s *safeWriter) flush() error {
	if len(s.held) == 0 {
		return nil
	}
	out, _ := appendSafe(s.out[:0], s.held, s.color != nil && *s.color, true)
	s.held, s.out = s.held[:0], out
	_, err := s.w.Write(out)
	return err
}

// appendSafe appends p to dst escaped as safeWriter says, and returns how
// many bytes of p it took: unless final, a UTF-8 sequence or a colour cut
// by the end of p is left.
func appendSafe(dst, p []byte, color, final bool) ([]byte, int) {
	i := 0
	for i < len(p) {
		c := p[i]
		if plain[c] {
			j := i + 1
			for j < len(p) && plain[p[j]] {
				j++
			}
			dst = append(dst, p[i:j]...)
			i = j
			continue
		}
		if c == 0x1b && color {
			if n, cut := ansiAt(p[i:]); n > 0 {
				dst = append(dst, p[i:i+n]...)
				i += n
				continue
			} else if cut && !final {
				return dst, i
			}
		}
		if c < utf8.RuneSelf {
			dst = appendHexByte(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			if !final && !utf8.FullRune(p[i:]) {
				return dst, i
			}
			dst = appendHexByte(dst, c)
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			if r < 0x100 {
				dst = appendHexByte(dst, byte(r))
			} else {
				dst = append(dst, '\\', 'u', hexDigit(byte(r>>12)), hexDigit(byte(r>>8)), hexDigit(byte(r>>4)), hexDigit(byte(r)))
			}
		default:
			dst = append(dst, p[i:i+size]...)
		}
		i += size
	}
	return dst, i
}

// ansiAt returns the length of the renderer's colour at the start of p,
// or 0 and whether p ends inside what could still be one.
func ansiAt(p []byte) (n int, cut bool) {
	for _, a := range ansiCodes {
		switch {
		case len(p) >= len(a) && string(p[:len(a)]) == a:
			return len(a), false
		case len(p) < len(a) && string(p) == a[:len(p)]:
			cut = true
		}
	}
	return 0, cut
}

// oneLine escapes the newlines of text that is shown as one line (a
// step's summary, a line under it), which safeWriter lets through: a
// name with a newline must not make a line that looks like a step.
func oneLine(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\n", `\x0a`)
}

func appendHexByte(dst []byte, c byte) []byte {
	return append(dst, '\\', 'x', hexDigit(c>>4), hexDigit(c))
}

func hexDigit(b byte) byte { return "0123456789abcdef"[b&0xf] }

// Escape returns s as the text view shows a line: what would act on a
// terminal escaped (safeWriter), newlines too. It is for the messages
// written to standard error, which can hold what a peer sent.
func Escape(s string) string {
	b, _ := appendSafe(nil, []byte(oneLine(s)), false, true)
	return string(b)
}
