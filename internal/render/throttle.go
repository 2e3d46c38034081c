package render

import (
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// Writer is what every renderer offers.
type Writer interface {
	Event(*trace.Event)
	Flush() error
}

// Throttled writes events as they come but flushes at most once a period,
// and once a period while events wait: a long-running producer (a
// server) stays visible without a write per event, which would cost more
// than the tracing.
type Throttled struct {
	w      Writer
	period time.Duration
	last   time.Time
	stop   chan struct{}
	once   sync.Once
	done   chan struct{}
}

// NewThrottled wraps w.
func NewThrottled(w Writer, period time.Duration) *Throttled {
	return &Throttled{w: w, period: period, last: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
}

// Event writes ev, flushing when the last flush is a period old. Calls
// must not overlap (the producer's lock orders them).
func (t *Throttled) Event(ev *trace.Event) {
	t.w.Event(ev)
	if time.Since(t.last) > t.period {
		t.w.Flush()
		t.last = time.Now()
	}
}

// Start flushes once a period under lock, the producer's lock that
// orders Event calls, until Stop.
func (t *Throttled) Start(lock func(func())) {
	tick := time.NewTicker(t.period)
	go func() {
		defer close(t.done)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				lock(func() { t.w.Flush(); t.last = time.Now() })
			case <-t.stop:
				return
			}
		}
	}()
}

// Stop ends the periodic flushes started by Start and flushes under lock.
func (t *Throttled) Stop(lock func(func())) error {
	t.once.Do(func() { close(t.stop) })
	<-t.done
	var err error
	lock(func() { err = t.w.Flush() })
	return err
}
