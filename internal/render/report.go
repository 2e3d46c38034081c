package render

import "github.com/tlstrace/tlstrace/internal/trace"

// WithReport returns a Writer that gives each event to w and to the
// report h. Its Flush flushes w only: the report is one page, written
// once by h's own Flush after the run's last event, while w may be
// flushed as often as its output needs.
func WithReport(w Writer, h *HTML) Writer {
	return withReport{w, h}
}

type withReport struct {
	w Writer
	h *HTML
}

func (t withReport) Event(ev *trace.Event) {
	t.w.Event(ev)
	t.h.Event(ev)
}

func (t withReport) Flush() error { return t.w.Flush() }
