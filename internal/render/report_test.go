package render

import (
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestWithReport checks that both renderers see every event, and that
// flushing the pair leaves the report unwritten until its own Flush.
func TestWithReport(t *testing.T) {
	var page strings.Builder
	h := NewHTML(&page)
	w := &countingWriter{}
	both := WithReport(w, h)
	for range 3 {
		both.Event(&trace.Event{Conn: 1, From: trace.Client})
	}
	if err := both.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.events != 3 || w.flushes != 1 {
		t.Errorf("first writer: %d events, %d flushes; want 3, 1", w.events, w.flushes)
	}
	if h.n != 3 {
		t.Errorf("report: %d events; want 3", h.n)
	}
	if page.Len() != 0 {
		t.Errorf("the pair's Flush wrote %d bytes of the report; want none before its own Flush", page.Len())
	}
	if err := h.Flush(); err != nil || page.Len() == 0 {
		t.Errorf("the report's Flush wrote %d bytes, %v", page.Len(), err)
	}
}
