package render

import (
	"errors"
	"io"
	"os"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// Options choose a renderer and how much it shows.
type Options struct {
	// JSON writes JSON Lines; Format is then ignored.
	JSON bool
	// Format is the text output: "text" (or ""), "trace" (every field) or
	// "curl" (curl -v lines).
	Format string
	// Verbose 1 shows every field, 2 also the bytes as hex (in JSON, key
	// "raw").
	Verbose int
	// Raw, with JSON, includes each event's bytes as hex.
	Raw bool
	// Sections puts section headings in the "text" format.
	Sections bool
	// Color marks the text with ANSI colours.
	Color bool
	// Width, above 0, fits the text view to that many columns
	// (TerminalWidth).
	Width int
}

// ErrUnknownFormat is a Format that is none of text, trace and curl.
var ErrUnknownFormat = errors.New("unknown format")

// New returns the renderer o describes, writing to w. Call Flush at the
// end.
func New(w io.Writer, o Options) (Writer, error) {
	if o.JSON {
		j := NewJSON(w)
		j.Raw = o.Raw || o.Verbose >= 2
		return j, nil
	}
	switch o.Format {
	case "", "text":
		return o.text(w), nil
	case "trace":
		o.Verbose, o.Sections = max(o.Verbose, 1), false
		return o.text(w), nil
	case "curl":
		return NewCurl(w), nil
	}
	return nil, ErrUnknownFormat
}

func (o Options) text(w io.Writer) *Text {
	t := NewText(w)
	t.Color = o.Color
	t.Verbose = o.Verbose >= 1
	t.Hex = o.Verbose >= 2
	t.Sections = o.Sections
	t.Width = o.Width
	return t
}

// NewAppender returns a function that appends the rendering of an event
// to b, as New's renderer would write it (JSON, or text without Format).
// Each goroutine needs its own.
func NewAppender(o Options) func(b []byte, ev *trace.Event) []byte {
	if o.JSON {
		raw := o.Raw || o.Verbose >= 2
		return func(b []byte, ev *trace.Event) []byte {
			return append(AppendEvent(b, ev, raw), '\n')
		}
	}
	w := &appendWriter{}
	t := o.text(w)
	return func(b []byte, ev *trace.Event) []byte {
		w.b = b
		t.Event(ev)
		t.Flush() // appendWriter does not fail
		return w.b
	}
}

// appendWriter appends what is written to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// UseColor reports whether to colour text written to w, for a mode of
// auto, always or never: with auto, when w is a terminal, NO_COLOR
// (https://no-color.org) is not set and TERM is not dumb.
func UseColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}
