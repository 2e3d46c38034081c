package source

import (
	"bytes"
	"io"
	"slices"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Options says how to read a capture.
type Options struct {
	// Keys holds the secrets known before reading (a key log file); those
	// of the capture's Decryption Secrets Blocks are merged into it.
	Keys *keylog.Log
	// Warn, when set, receives the lines of secrets blocks that could not
	// be read.
	Warn func(keylog.Warning)
}

// Read decodes every TLS connection of the capture r (pcap or pcapng) and
// sends the events to emit, in capture order, one at a time. Events are
// lent: emit must not keep one (see trace.Event.Clone).
func Read(r io.Reader, emit func(*trace.Event), o Options) error {
	h := newFileSource(o, emit)
	err := capture.Read(r, h, capture.Options{})
	h.finish()
	return err
}

// fileSource feeds what a capture holds into trace connections: one Conn
// per TCP flow, numbered like the flows (so conn N is Wireshark's
// tcp.stream N-1).
type fileSource struct {
	sink  *sink
	conns map[*capture.Flow]*trace.Conn
	warn  func(keylog.Warning)
}

func newFileSource(o Options, emit func(*trace.Event)) *fileSource {
	return &fileSource{sink: newSink(time.Time{}, o.Keys, emit), conns: map[*capture.Flow]*trace.Conn{}, warn: o.Warn}
}

func (h *fileSource) start(ts time.Time) {
	if s := h.sink.sess; s.Start.IsZero() {
		s.Start = ts
	}
}

// Secrets takes the key log of a pcapng Decryption Secrets Block.
func (h *fileSource) Secrets(b []byte) {
	k, warnings, _ := keylog.Parse(bytes.NewReader(b))
	if h.warn != nil {
		for _, w := range warnings {
			h.warn(w)
		}
	}
	h.sink.sess.Keys.Merge(k)
}

func side(fromClient bool) trace.Side {
	if fromClient {
		return trace.Client
	}
	return trace.Server
}

// TCP shows the TCP steps worth seeing: the three-way handshake, FIN, RST and
// gaps.
func (h *fileSource) TCP(ev capture.TCPEvent) {
	h.start(ev.Time)
	tev := trace.NewEvent(ev.Flow.ID, side(ev.FromClient), &trace.TCPSegment{Kind: ev.Kind, Seq: ev.RelSeq, Ack: ev.RelAck,
		Window: uint32(ev.Window), Len: ev.Len, RawSeq: ev.Seq, RawAck: ev.Ack, Missing: ev.Missing})
	tev.Frame, tev.Time = ev.Frame, ev.Time
	h.sink.sess.Emit(tev)
	if ev.Kind == "gap" {
		if c := h.conns[ev.Flow]; c != nil {
			c.Gap(side(ev.FromClient), trace.Stamp{Time: ev.Time, Frame: ev.Frame}, ev.Missing)
		}
	}
}

// Data feeds stream bytes to the flow's connection decoder.
func (h *fileSource) Data(f *capture.Flow, fromClient bool, frame int, ts time.Time, b []byte) {
	h.start(ts)
	c := h.conns[f]
	if c == nil {
		c = h.sink.sess.NewConn(f.ID, false)
		h.conns[f] = c
	}
	c.Feed(side(fromClient), trace.Stamp{Time: ts, Frame: frame}, b)
}

// Close ends a flow's decoder.
func (h *fileSource) Close(f *capture.Flow) {
	if c := h.conns[f]; c != nil {
		delete(h.conns, f)
		h.sink.closeConn(c, f.ID)
	}
}

// finish closes what the capture left open, in the order of the flows.
func (h *fileSource) finish() {
	flows := make([]*capture.Flow, 0, len(h.conns))
	for f := range h.conns {
		flows = append(flows, f)
	}
	slices.SortFunc(flows, func(a, b *capture.Flow) int { return a.ID - b.ID })
	for _, f := range flows {
		h.Close(f)
	}
}
