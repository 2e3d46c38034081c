package source

import (
	"bytes"
	"fmt"
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
	// NoHTTP2 leaves out the h2_frame events, for an output that does not
	// show them; the request and response events of HTTP/2 header blocks
	// are still emitted.
	NoHTTP2 bool
	// NoDataFields leaves the field tree out of application data events,
	// for an output that does not show it (trace.Session.NoDataFields).
	NoDataFields bool
	// Progress, when set, is called now and then with the number of bytes
	// of the capture read so far.
	Progress func(offset int64)
	// Stats, when set, receives what the capture held and what of it
	// was skipped, once it is read.
	Stats *capture.Stats
	// Workers is the number of goroutines that decode connections at once
	// in Render (runtime.GOMAXPROCS if 0).
	Workers int
	// Chains, when set, verifies the certificate chains servers sent and
	// explains them after their Certificate message.
	Chains *Chains
}

// Read decodes every TLS connection of the capture r (pcap or pcapng) and
// sends the events to emit, in capture order, one at a time. Events are
// lent: emit must not keep one (see trace.Event.Clone).
func Read(r io.Reader, emit func(*trace.Event), o Options) error {
	if o.Keys == nil {
		o.Keys = keylog.New()
	}
	h := &fileSource{opts: o, open: map[*capture.Flow]bool{}}
	h.dec = newDecoder(o, emit, nil)
	st, err := capture.ReadStats(r, h, capture.Options{Progress: o.Progress})
	h.finish()
	if o.Stats != nil {
		*o.Stats = st
	}
	return err
}

// fileSource is the capture.Handler of a capture source: it numbers the
// steps of the capture and hands each to the decoder of its connection,
// at once (dec) or through the batches of Render (par).
type fileSource struct {
	opts Options
	// start is the time of the capture's first packet, of any kind,
	// which event times count from (as tshark's frame.time_relative).
	start time.Time
	// open holds the flows that have a connection decoder.
	open map[*capture.Flow]bool
	dec  *decoder
	par  *parallel
}

func (h *fileSource) begin(ts time.Time) {
	if h.start.IsZero() {
		h.start = ts
		if h.dec != nil {
			h.dec.sink.sess.Start = ts
		}
	}
}

// Start takes the time of the capture's first packet.
func (h *fileSource) Start(ts time.Time) { h.begin(ts) }

// Secrets takes the key log of a pcapng Decryption Secrets Block. Its
// secrets serve what follows it in the capture: a parallel read waits
// until everything before it has been decoded.
func (h *fileSource) Secrets(b []byte) {
	k, warnings, _ := keylog.Parse(bytes.NewReader(b))
	if h.opts.Warn != nil {
		for _, w := range warnings {
			h.opts.Warn(w)
		}
	}
	if h.par != nil {
		h.par.barrier()
	}
	h.opts.Keys.Merge(k)
}

// TCP hands on a TCP step.
func (h *fileSource) TCP(ev capture.TCPEvent) {
	h.begin(ev.Time)
	id := ev.Flow.ID
	ev.Flow = nil
	if h.par != nil {
		h.par.tcp(id, ev)
		return
	}
	h.dec.tcp(id, &ev)
}

// Data hands on stream bytes.
func (h *fileSource) Data(f *capture.Flow, fromClient bool, frame int, ts time.Time, b []byte) {
	h.begin(ts)
	h.open[f] = true
	if h.par != nil {
		h.par.data(f.ID, fromClient, frame, ts, b)
		return
	}
	h.dec.data(f.ID, fromClient, trace.Stamp{Time: ts, Frame: frame}, b)
}

// DNS hands on a DNS datagram.
func (h *fileSource) DNS(d capture.Datagram) {
	h.begin(d.Time)
	d.Payload = bytes.Clone(d.Payload)
	if h.par != nil {
		h.par.dns(d)
		return
	}
	h.dec.dns(&d)
}

// UDPTLS says a DTLS or QUIC flow of the capture, which is not decoded.
func (h *fileSource) UDPTLS(u capture.UDPTLS) {
	h.begin(u.Time)
	if h.par != nil {
		h.par.udpTLS(u)
		return
	}
	h.dec.udpTLS(&u)
}

// Close ends a flow's decoder.
func (h *fileSource) Close(f *capture.Flow) {
	if !h.open[f] {
		return
	}
	delete(h.open, f)
	if h.par != nil {
		h.par.close(f.ID)
		return
	}
	h.dec.close(f.ID)
}

// finish closes what the capture left open, in the order of the flows.
func (h *fileSource) finish() {
	flows := make([]*capture.Flow, 0, len(h.open))
	for f := range h.open {
		flows = append(flows, f)
	}
	slices.SortFunc(flows, func(a, b *capture.Flow) int { return a.ID - b.ID })
	for _, f := range flows {
		h.Close(f)
	}
}

// decoder decodes connections: one trace.Conn per TCP flow, numbered like
// the flows (so conn N is Wireshark's tcp.stream N-1).
type decoder struct {
	sink  *sink
	conns map[int]*trace.Conn
	opts  Options
	// chainStates follows the chains of the connections (chains.go).
	chainStates map[int]*chainState
	// syn holds the flows whose SYN or SYN-ACK the capture holds.
	syn map[int]bool
}

// newDecoder returns a decoder whose events go to emit; resume, when set,
// keeps the master secrets of TLS 1.2 sessions (shared by the decoders of a
// parallel read).
func newDecoder(o Options, emit func(*trace.Event), resume trace.Resumer) *decoder {
	d := &decoder{sink: newSink(time.Time{}, o.Keys, emit), conns: map[int]*trace.Conn{}, opts: o, syn: map[int]bool{}}
	if o.Chains != nil {
		d.chainStates = map[int]*chainState{}
		d.sink.hook = d.chainEvents
	}
	d.sink.h2.NoFrames = o.NoHTTP2
	d.sink.sess.NoDataFields = o.NoDataFields
	d.sink.sess.Resume = resume
	return d
}

func side(fromClient bool) trace.Side {
	if fromClient {
		return trace.Client
	}
	return trace.Server
}

// tcp shows the TCP steps worth seeing: the three-way handshake, FIN, RST and
// gaps.
func (d *decoder) tcp(id int, ev *capture.TCPEvent) {
	if ev.Kind == trace.TypeRolesInferred {
		p := &trace.RolesInferred{Client: ev.Client.String(), Server: ev.Server.String(), By: ev.RoleBy}
		tev := trace.NewEvent(id, trace.Local, p)
		tev.Frame, tev.Time = ev.Frame, ev.Time
		d.sink.sess.Emit(tev)
		return
	}
	if c := d.conns[id]; c != nil {
		// Records held for a verdict go before the step.
		c.Settle()
	}
	from := side(ev.FromClient)
	if ev.Kind == trace.TypeRetransmissionSummary {
		from = trace.Local
	}
	tev := trace.NewEvent(id, from, &trace.TCPSegment{Kind: ev.Kind, Seq: ev.RelSeq, Ack: ev.RelAck,
		Window: ev.Window, RawWindow: ev.RawWindow, Len: ev.Len, RawSeq: ev.Seq, RawAck: ev.Ack, Missing: ev.Missing,
		Again: ev.Again, Differ: ev.Differ, DifferAt: ev.DifferAt, Unchecked: ev.Unchecked, Segments: ev.Segments,
		Unreassembled: unreassembled(ev.Unreassembled)})
	tev.Frame, tev.Time = ev.Frame, ev.Time
	switch {
	case ev.Kind == trace.TypeTruncated:
		tev.Error = fmt.Sprintf("packet size limited during capture: %d bytes of this packet were not captured (snapshot length); bytes cut from the packets of this connection are shown as gaps", ev.Missing)
	case ev.Kind == trace.TypeRST && ev.OutOfWindow:
		tev.Error = "this reset is outside the receiver's window, so endpoints ignore it (RFC 5961, Section 3.2) and the connection goes on: a forged or stale reset"
	case ev.Kind == trace.TypeAfterReset:
		tev.Error = fmt.Sprintf("%d bytes of a connection closed after its reset (no packet of it for %v) are not decoded, nor those of its later segments", ev.Len, capture.ResetLinger)
	case ev.Kind == trace.TypeAfterClose:
		tev.Error = fmt.Sprintf("%d bytes sent past this side's FIN, after both sides had closed the connection, are not decoded (no receiver takes bytes after a FIN), nor those of its later segments", ev.Len)
	case ev.Kind == trace.TypeAfterEviction:
		tev.Error = fmt.Sprintf("%d bytes of a connection the reader stopped following, because more than %d connections were open at once (the oldest are closed first), are not decoded, nor those of its later segments", ev.Len, capture.DefaultMaxFlows)
	case ev.Kind == trace.TypeRetransmission && ev.Differ > 0:
		tev.Error = fmt.Sprintf("%d of the %d bytes sent again differ from the first copy, the first at seq=%d: the first copy is the one decoded (a broken or hostile peer, or a damaged capture)", ev.Differ, ev.Again, ev.DifferAt)
	case ev.Kind == trace.TypeRetransmissionSummary && ev.Differ > 0:
		tev.Error = fmt.Sprintf("%d of the retransmitted segments differ from the first copy of their bytes", ev.Differ)
	}
	d.sink.sess.Emit(tev)
	if ev.Kind == trace.TypeSYN || ev.Kind == trace.TypeSYNACK {
		d.syn[id] = true
	}
	if ev.Kind == trace.TypeGap {
		if c := d.conns[id]; c != nil {
			c.GapOf(side(ev.FromClient), trace.Stamp{Time: ev.Time, Frame: ev.Frame}, ev.Missing, unreassembled(ev.Unreassembled))
		}
	}
}

// unreassembled is what capture says of the IP fragments of a gap, as
// trace says it.
func unreassembled(u capture.Unreassembled) trace.Unreassembled {
	var causes trace.FragmentCauses
	for _, c := range []struct {
		from capture.FragmentCauses
		to   trace.FragmentCauses
	}{
		{capture.FragmentMissing, trace.FragmentMissing},
		{capture.FragmentsOverlap, trace.FragmentsOverlap},
		{capture.FragmentLimit, trace.FragmentLimit},
		{capture.FragmentCut, trace.FragmentCut},
	} {
		if u.Causes&c.from != 0 {
			causes |= c.to
		}
	}
	return trace.Unreassembled{Datagrams: u.Datagrams, Fragments: u.Fragments, Causes: causes, Whole: u.Whole, ByAddresses: u.ByAddresses}
}

// data feeds stream bytes to the flow's connection decoder.
func (d *decoder) data(id int, fromClient bool, at trace.Stamp, b []byte) {
	c := d.conns[id]
	if c == nil {
		c = d.sink.sess.NewConn(id, false)
		if !d.syn[id] {
			c.BeganMidStream()
		}
		c.FollowStartTLS()
		d.conns[id] = c
	}
	c.Feed(side(fromClient), at, b)
}

// close ends a flow's decoder.
func (d *decoder) close(id int) {
	if c := d.conns[id]; c != nil {
		delete(d.conns, id)
		d.sink.closeConn(c, id)
	}
	delete(d.chainStates, id)
	delete(d.syn, id)
}
