// Package source turns bytes into trace events, from a capture file or from
// a live connection, through one sink: the trace session (one decoder per
// connection, the secrets they share), the HTTP/2 frames cut from the
// application data of h2 connections, and a hook for consumers that add
// events of their own (the server's fingerprints).
//
// The capture source (Read) maps packets to connections with
// internal/capture and feeds each flow's bytes, TCP steps and the secrets of
// pcapng Decryption Secrets Blocks to the sink; the live source (Tracer and
// Tap) feeds the bytes crypto/tls reads and writes and the secrets it logs.
package source

import (
	"time"

	"github.com/tlstrace/tlstrace/internal/h2"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// sink passes the decoder's events on, with the HTTP/2 frames of h2
// connections after the application data that carried them. It is not safe
// for concurrent use: each source serialises its calls.
type sink struct {
	sess *trace.Session
	// h2 cuts HTTP/2 frames.
	h2   *h2.Watcher
	emit func(*trace.Event)
	// hook, when set, sees every event as it is emitted and returns more
	// events to emit right after it.
	hook func(*trace.Event) []*trace.Event
}

func newSink(start time.Time, keys *keylog.Log, emit func(*trace.Event)) *sink {
	s := &sink{emit: emit}
	s.sess = trace.NewSession(start, keys, s.dispatch)
	s.h2 = h2.NewWatcher(s.sess.Emit)
	return s
}

func (s *sink) dispatch(ev *trace.Event) {
	s.emit(ev)
	if s.hook != nil {
		for _, e := range s.hook(ev) {
			s.sess.Emit(e)
		}
	}
	if s.h2 != nil {
		s.h2.Event(ev)
	}
}

// closeConn flushes a connection's decoder and forgets its HTTP/2 state.
func (s *sink) closeConn(c *trace.Conn, id int) {
	c.Close()
	if s.h2 != nil {
		s.h2.Forget(id)
	}
}
