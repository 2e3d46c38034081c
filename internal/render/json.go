// Package render writes trace events for people and programs: readable text
// (one line per step, the field tree, hex) and JSON Lines. Renderers read
// events only; they never look at wire bytes except through the events.
package render

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// JSON writes one JSON object per event and line (the contract of
// docs/json.md).
type JSON struct {
	w   *bufio.Writer
	enc *json.Encoder
	// Raw keeps each event's raw bytes (hex, key "raw").
	Raw bool
	err error
}

// NewJSON returns a JSON Lines renderer writing to w. Call Flush at the end.
func NewJSON(w io.Writer) *JSON {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSON{w: bw, enc: enc}
}

// Event writes one event.
func (j *JSON) Event(ev *trace.Event) {
	if j.err != nil {
		return
	}
	if !j.Raw && ev.Raw != nil {
		e := *ev
		e.Raw = nil
		ev = &e
	}
	j.err = j.enc.Encode(ev)
}

// Flush writes what is buffered and returns the first write error.
func (j *JSON) Flush() error {
	if err := j.w.Flush(); j.err == nil {
		j.err = err
	}
	return j.err
}
