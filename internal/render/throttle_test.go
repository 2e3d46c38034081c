package render

import (
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

type countingWriter struct{ events, flushes int }

func (w *countingWriter) Event(*trace.Event) { w.events++ }
func (w *countingWriter) Flush() error       { w.flushes++; return nil }

func TestThrottled(t *testing.T) {
	var mu sync.Mutex
	lock := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	w := &countingWriter{}
	th := NewThrottled(w, 20*time.Millisecond)
	th.Start(lock)
	for range 100 {
		lock(func() { th.Event(&trace.Event{}) })
	}
	lock(func() {
		if w.events != 100 || w.flushes > 1 {
			t.Errorf("%d events, %d flushes right away; want 100, at most 1", w.events, w.flushes)
		}
	})
	time.Sleep(100 * time.Millisecond)
	lock(func() {
		if w.flushes < 2 {
			t.Errorf("%d flushes after 5 periods", w.flushes)
		}
	})
	th.Stop(lock)
	n := w.flushes
	time.Sleep(50 * time.Millisecond)
	if w.flushes != n {
		t.Errorf("flushed after Stop")
	}
}
