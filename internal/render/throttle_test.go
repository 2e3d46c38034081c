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
	// The ticker flushes again: wait for it, bounded, as a busy machine
	// may run the ticker's goroutine late.
	flushes := 0
	for deadline := time.Now().Add(5 * time.Second); flushes < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		lock(func() { flushes = w.flushes })
	}
	if flushes < 2 {
		t.Errorf("%d flushes after 5 s of 20 ms periods", flushes)
	}
	th.Stop(lock)
	n := w.flushes
	time.Sleep(50 * time.Millisecond)
	if w.flushes != n {
		t.Errorf("flushed after Stop")
	}
}
