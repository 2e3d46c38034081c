package capture

import (
	"net/netip"
	"slices"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// segment is one decoded TCP segment; data points into the read buffer.
type segment struct {
	src, dst netip.AddrPort
	seq, ack uint32
	flags    uint8
	window   uint16
	// wscale is a SYN's Window Scale shift count, -1 without one.
	wscale int8
	data   []byte
	// cut counts the payload bytes past the capture's snapshot length:
	// the segment carried data plus cut bytes.
	cut int
	// short counts the bytes of the IP packet past the snapshot length
	// (TCP options and payload).
	short int
	ts    time.Time
	frame int
	// in is the chunk of the file data points into; nil when data is a
	// copy of the reader's own.
	in *buffer
}

// half is the reassembly state of one direction.
type half struct {
	started bool   // next is known
	isn     uint32 // initial sequence number (or first seen seq - 1)
	// syn says that this direction's SYN was seen, and wscale its
	// Window Scale shift count (-1 without the option).
	syn    bool
	wscale int8
	next   uint32 // next expected sequence number
	fin    bool
	// finWait is the FIN step of a FIN captured before bytes that come
	// before it (a hole), held like bytes after a hole until next
	// reaches finSeq, the FIN's sequence number.
	finWait *TCPEvent
	finSeq  uint32
	// win is the receive window this direction last advertised, scaled
	// (or, with the scale unknown, the largest it could be); winSeen
	// says it is known.
	win     uint32
	winSeen bool
	// probe says that the byte at probeSeq came in a zero window probe
	// (one byte sent into a window of 0, RFC 9293, Section 3.8.6.1),
	// which the segment after it repeats.
	probe    bool
	probeSeq uint32
	// ooo holds segments that arrived ahead of next, by sequence number.
	ooo      []pendingSeg
	buffered int
	// hist holds the last bytes handed on (histLen of them, at most
	// histMax), in order, to compare retransmitted copies with.
	hist    []chunk
	histLen int
}

type pendingSeg struct {
	seq uint32
	// ack, window and flags are the segment's, for its retransmission
	// step.
	ack    uint32
	window uint16
	flags  uint8
	data   []byte
	cut    int // bytes past the snapshot length, after data
	frame  int
	ts     time.Time
	in     *buffer // as segment.in
}

// window returns the receive window a segment from the client (or the
// server) advertises, its Window field raw: shifted by the sender's Window
// Scale count when both SYNs were seen and both carried the option, which
// is when scaling is in effect (RFC 7323, Section 2.2); never for a SYN.
// Without the SYNs the scale is unknown, and the field is taken as it is,
// as Wireshark takes it.
func (f *Flow) window(fromClient bool, raw uint16, flags uint8) uint32 {
	d, other := f.dirs[1], f.dirs[0]
	if fromClient {
		d, other = f.dirs[0], f.dirs[1]
	}
	if flags&flagSYN != 0 || !d.syn || !other.syn || d.wscale < 0 || other.wscale < 0 {
		return uint32(raw)
	}
	return uint32(raw) << d.wscale
}

// seqDiff returns a-b in serial arithmetic (RFC 1982), so that sequence
// numbers that wrap compare right.
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// reorderWindow is how many later segments of a connection the reader
// looks at, when the peer acknowledges bytes the capture has not shown, for
// those bytes: captured out of order, they fill the hole where they come, as
// tshark's out-of-order reassembly takes them; only when they are not among
// these segments (nor within MaxBuffered bytes of them) is the hole given
// up as a gap.
const reorderWindow = 64

// tcp takes a segment in capture order. A connection with a hole in either
// direction has its segments queued, up to reorderWindow of them, before
// they are processed: so that an acknowledgement of bytes not yet seen can
// tell whether they come later (the capture reordered them) or never.
func (rd *reader) tcp(s *segment) {
	f := rd.flows[keyOf(s.src, s.dst)]
	if f == nil || len(f.queue) == 0 && !f.hasHole() {
		rd.process(s)
		return
	}
	// The queue keeps a copy: the chunk of the file may be reused
	// before the segment is processed.
	q := *s
	q.data, q.in = append([]byte(nil), s.data...), nil
	f.queue = append(f.queue, q)
	f.queued += len(q.data)
	for len(f.queue) > 0 && (len(f.queue) > reorderWindow || f.queued > rd.opts.MaxBuffered || !f.hasHole()) {
		rd.processQueued(f)
	}
}

// processQueued processes the first segment queued for f.
func (rd *reader) processQueued(f *Flow) {
	q := f.queue[0]
	f.queue[0] = segment{}
	f.queue = f.queue[1:]
	f.queued -= len(q.data)
	if len(f.queue) == 0 {
		f.queue = nil
	}
	rd.process(&q)
}

// hasHole reports whether either direction of f holds bytes, or a FIN,
// after a hole.
func (f *Flow) hasHole() bool {
	return len(f.dirs[0].ooo) > 0 || len(f.dirs[1].ooo) > 0 || f.dirs[0].finWait != nil || f.dirs[1].finWait != nil
}

// coming reports whether a segment queued for f, from the client or the
// server, carries the byte at seq: the bytes of a hole, captured later.
func (f *Flow) coming(fromClient bool, seq uint32) bool {
	src := f.Server
	if fromClient {
		src = f.Client
	}
	for i := range f.queue {
		q := &f.queue[i]
		if q.src == src && q.flags&flagSYN == 0 && seqDiff(q.seq, seq) <= 0 && seqDiff(q.seq+uint32(len(q.data)+q.cut), seq) > 0 {
			return true
		}
	}
	return false
}

// process reassembles one segment and reports its steps.
func (rd *reader) process(s *segment) {
	key := keyOf(s.src, s.dst)
	f := rd.flows[key]
	syn := s.flags&flagSYN != 0
	ack := s.flags&flagACK != 0
	if f != nil && syn && !ack {
		// A new SYN on a tuple: a new connection, unless it is the same
		// SYN sent again, or the other side's SYN of a simultaneous
		// open (RFC 9293, Section 3.5): it is compared with its own
		// side's first sequence number, as Wireshark does.
		sd := f.dirs[1]
		if s.src == f.Client {
			sd = f.dirs[0]
		}
		if f.closed || f.reset || (sd.started && sd.isn != s.seq) {
			rd.close(f)
			f = nil
		}
	}
	if f != nil && f.closed {
		switch {
		case len(s.data) == 0 && s.cut == 0:
		case f.evicted:
			rd.afterClose(f, s)
		case f.reset:
			rd.late(f, s)
		case f.fins == 2:
			rd.afterClose(f, s)
		}
		return
	}
	if f == nil {
		rd.next++
		rd.stats.Flows++
		f = &Flow{ID: rd.next, Client: s.src, Server: s.dst, dirs: [2]*half{{}, {}}, start: s.ts}
		switch {
		case syn && !ack:
			f.RoleFromSYN = true
		case syn && ack:
			f.Client, f.Server, f.RoleFromSYN = s.dst, s.src, true
		case s.src.Port() < s.dst.Port():
			// Mid-connection: the side with the higher (ephemeral) port is
			// most likely the client; a ClientHello will tell for sure.
			f.Client, f.Server, f.RoleBy = s.dst, s.src, "port"
		case s.src.Port() > s.dst.Port():
			f.RoleBy = "port"
		default:
			f.RoleBy = "first_packet"
		}
		rd.flows[key] = f
		rd.order = append(rd.order, f)
		rd.live++
		rd.evict()
	}
	f.lastFrame, f.lastTime = s.frame, s.ts
	fromClient := s.src == f.Client
	if !f.RoleFromSYN && !f.dirs[0].started && !f.dirs[1].started {
		switch {
		case len(s.data) > 0 && looksLikeClientHello(s.data):
			if !fromClient {
				f.Client, f.Server = f.Server, f.Client
				fromClient = true
			}
			f.RoleBy = "client_hello"
		case len(s.data) > 0 && looksLikeServerMessage(s.data):
			// A message only a server sends tells the server as a
			// ClientHello tells the client.
			if fromClient {
				f.Client, f.Server = f.Server, f.Client
				fromClient = false
			}
			f.RoleBy = "server_message"
		}
		rd.h.TCP(TCPEvent{Flow: f, Frame: s.frame, Time: s.ts, FromClient: fromClient, Kind: "roles_inferred",
			Client: f.Client, Server: f.Server, RoleBy: f.RoleBy})
	}
	d, other := f.dirs[1], f.dirs[0]
	if fromClient {
		d, other = f.dirs[0], f.dirs[1]
	}
	if syn && !d.syn {
		d.syn, d.wscale = true, s.wscale
	}
	ev := TCPEvent{Flow: f, Frame: s.frame, Time: s.ts, FromClient: fromClient, Seq: s.seq, Ack: s.ack,
		RawWindow: s.window, Window: f.window(fromClient, s.window, s.flags), Len: len(s.data), Flags: s.flags}
	if syn {
		if !d.started {
			d.started, d.isn, d.next = true, s.seq, s.seq+1
		}
	} else if !d.started {
		// The capture began mid-connection.
		d.started, d.isn, d.next = true, s.seq-1, s.seq
	}
	ev.RelSeq = s.seq - d.isn
	if ack && other.started {
		ev.RelAck = s.ack - other.isn
	}
	if s.flags&flagRST == 0 {
		d.win, d.winSeen = ev.Window, true
		if !d.syn || !other.syn {
			d.win = uint32(s.window) << 14
		}
	}
	if ack && len(other.ooo) > 0 && seqDiff(s.ack, other.ooo[0].seq) >= 0 {
		// The peer acknowledges bytes after a hole of the other
		// direction: it received what the capture missed. Unless the
		// missing bytes come in the next segments (captured out of
		// order), nothing will fill the hole: the bytes after it go
		// out now, with the frames that carried them.
		for len(other.ooo) > 0 && seqDiff(s.ack, other.ooo[0].seq) >= 0 && !f.coming(!fromClient, other.next) {
			rd.skipHole(f, other, !fromClient)
		}
	}
	if ack && len(other.ooo) == 0 && other.finWait != nil && seqDiff(s.ack, other.finSeq) >= 0 && !f.coming(!fromClient, other.next) {
		// Likewise for the bytes before a FIN.
		rd.finHole(f, other, !fromClient)
	}
	if s.short > 0 && !f.Truncated {
		f.Truncated = true
		tev := ev
		tev.Kind, tev.Missing = "truncated", s.short
		rd.h.TCP(tev)
	}
	switch {
	case syn && !ack:
		ev.Kind = "syn"
		rd.h.TCP(ev)
	case syn && ack:
		ev.Kind = "syn_ack"
		rd.h.TCP(ev)
	case ack && !f.seenAck && fromClient && f.RoleFromSYN && other.started && s.flags&(flagFIN|flagRST) == 0:
		f.seenAck = true
		ev.Kind = "ack"
		rd.h.TCP(ev)
	}
	switch {
	case keepAlive(d, s):
		// Not data sent again: a step of its own, as tshark's "TCP
		// Keep-Alive".
		ev.Kind = "keep_alive"
		rd.h.TCP(ev)
	case len(s.data) > 0 || s.cut > 0:
		f.seenAck = true
		rd.data(f, d, fromClient, s)
	}
	if s.flags&flagFIN != 0 && !d.fin {
		d.fin = true
		ev.Kind = "fin"
		if end := s.seq + uint32(len(s.data)+s.cut); seqDiff(end, d.next) > 0 && !syn {
			// The FIN comes after bytes not seen yet: it waits for
			// them as bytes after a hole do (they may come later, the
			// capture reordered), and they are a gap when the peer
			// acknowledges the FIN without them, or at the end.
			fin := ev
			d.finWait, d.finSeq = &fin, end
		} else {
			f.fins++
			rd.h.TCP(ev)
		}
	}
	if s.flags&flagRST != 0 {
		ev.Kind = "rst"
		if !rstInWindow(d, other, s.seq) {
			// The receiver ignores it (RFC 9293, Section 3.10.7.4;
			// RFC 5961, Section 3.2): the connection goes on.
			ev.OutOfWindow = true
			rd.h.TCP(ev)
			return
		}
		rd.h.TCP(ev)
		if !f.reset {
			// Not closed yet: the peer's data sent before the reset
			// reached it may still come, and tshark shows it. The flow
			// closes once it has been quiet for ResetLinger.
			f.reset = true
			rd.resets = append(rd.resets, f)
		}
		return
	}
	if f.fins == 2 {
		rd.close(f)
	}
}

// ResetLinger is how long, in capture time, a connection that was reset
// stays open after its last packet: what its peer sent before the reset
// reached it (data in flight, about one round trip) is decoded too.
const ResetLinger = 2 * time.Second

// rstInWindow reports whether a reset of direction d at seq is one the
// receiver (other) accepts: within the window it last advertised from the
// next byte expected (RFC 9293, Section 3.10.7.4), or one more (a reset
// after a FIN, which takes a sequence number not counted in next). When
// the capture holds no window of the receiver, the reset is taken.
func rstInWindow(d, other *half, seq uint32) bool {
	if !d.started || !other.winSeen {
		return true
	}
	diff := seqDiff(seq, d.next)
	return diff >= 0 && int64(diff) <= int64(max(other.win, 1))
}

// expireResets closes the flows that were reset and have had no packet
// for ResetLinger, at a packet captured at ts.
func (rd *reader) expireResets(ts time.Time) {
	for len(rd.resets) > 0 {
		f := rd.resets[0]
		if !f.closed && ts.Sub(f.lastTime) <= ResetLinger {
			return
		}
		rd.resets[0] = nil
		rd.resets = rd.resets[1:]
		if !f.closed {
			rd.flushClose(f)
		}
	}
	rd.resets = nil
}

// late says a segment with data of a flow closed after a reset: its bytes
// are not decoded. The first such segment of a flow is a step; all are
// counted (Stats.AfterReset).
func (rd *reader) late(f *Flow, s *segment) {
	rd.stats.AfterReset++
	if f.saidLate {
		return
	}
	f.saidLate = true
	fromClient := s.src == f.Client
	i := 1
	if fromClient {
		i = 0
	}
	rd.h.TCP(TCPEvent{Flow: f, Frame: s.frame, Time: s.ts, FromClient: fromClient, Kind: "after_reset",
		Seq: s.seq, RelSeq: s.seq - f.isn[i], Ack: s.ack, RelAck: s.ack - f.isn[1-i], RawWindow: s.window,
		Window: f.closedWindow(i, s), Len: len(s.data) + s.cut, Flags: s.flags})
}

// closedWindow is the receive window a segment of direction i (0: from
// the client) of a closed flow advertises, as Flow.window says it.
func (f *Flow) closedWindow(i int, s *segment) uint32 {
	if s.flags&flagSYN != 0 {
		return uint32(s.window)
	}
	return uint32(s.window) << f.shift[i]
}

// afterClose takes a segment with data of a flow closed by a FIN from both
// sides: bytes from before the FIN of its side are sent again, a
// retransmission (tshark's "TCP Spurious Retransmission"), whose first
// copies are no longer kept to compare with; bytes past the FIN, which
// no receiver takes (RFC 9293, Section 3.10.7.4), are said and counted
// (Stats.AfterClose), as tshark's follow tcp leaves them out: the first
// such segment of a flow is a step. A flow closed by eviction (more than
// MaxFlows open) is taken alike, its new bytes counted in
// Stats.AfterEviction and said as "after_eviction": the connection went
// on, but the reader no longer follows it.
func (rd *reader) afterClose(f *Flow, s *segment) {
	fromClient := s.src == f.Client
	i := 1
	if fromClient {
		i = 0
	}
	seq := s.seq
	if s.flags&flagSYN != 0 {
		seq++
	}
	n := len(s.data) + s.cut
	ev := TCPEvent{Flow: f, Frame: s.frame, Time: s.ts, FromClient: fromClient,
		Seq: s.seq, RelSeq: s.seq - f.isn[i], Ack: s.ack, RelAck: s.ack - f.isn[1-i], RawWindow: s.window,
		Window: f.closedWindow(i, s), Len: n, Flags: s.flags}
	if f.sent[i] && seqDiff(seq+uint32(n), f.end[i]) <= 0 {
		f.Retransmitted += n
		ev.Kind, ev.Again, ev.Unchecked = "retransmission", n, n
		rd.h.TCP(ev)
		return
	}
	ev.Kind = "after_close"
	if f.evicted {
		rd.stats.AfterEviction++
		ev.Kind = "after_eviction"
	} else {
		rd.stats.AfterClose++
	}
	if f.saidLate {
		return
	}
	f.saidLate = true
	rd.h.TCP(ev)
}

// keepAlive reports whether s, a segment of d's side, is a keep-alive (RFC
// 9293, Section 3.8.4): no SYN, FIN or RST, and at most one byte, at the
// sequence number just before the next one of the side, which
// implementations fill with anything (Windows sends a zero) or leave out,
// to make the peer acknowledge. tshark's rule for "TCP Keep-Alive"
// (tcp.analysis.keep_alive).
func keepAlive(d *half, s *segment) bool {
	return d.started && s.flags&(flagSYN|flagFIN|flagRST) == 0 && len(s.data)+s.cut <= 1 && seqDiff(s.seq, d.next) == -1
}

// data reassembles one direction: in-order bytes go out at once, attributed
// to this frame; bytes ahead of a hole wait (bounded) and go out with the
// frame that fills the hole, or with their own frame when the hole is given
// up; bytes seen before are trimmed (first copy wins), and the segment that
// carried them again is a retransmission step that says whether they
// differ. The bytes of a segment cut by the snapshot length go out as far
// as they were captured, then a gap stands for the rest.
func (rd *reader) data(f *Flow, d *half, fromClient bool, s *segment) {
	p := pendingSeg{seq: s.seq, data: s.data, cut: s.cut, frame: s.frame, ts: s.ts, in: s.in}
	if s.flags&flagSYN != 0 {
		// The SYN takes the first sequence number, its data (TCP Fast
		// Open, RFC 7413) the ones after it.
		p.seq++
	}
	if diff := seqDiff(p.seq, d.next); diff < 0 {
		rd.retransmission(f, d, fromClient, &p, s.ack, s.window, s.flags)
		if int(-diff) >= len(p.data)+p.cut {
			return
		}
		trim(&p, int(-diff))
	} else if diff > 0 {
		p.data, p.in = append([]byte(nil), p.data...), nil
		p.ack, p.window, p.flags = s.ack, s.window, s.flags
		d.ooo = append(d.ooo, p)
		d.buffered += len(p.data)
		slices.SortStableFunc(d.ooo, func(x, y pendingSeg) int { return int(seqDiff(x.seq, y.seq)) })
		if d.buffered > rd.opts.MaxBuffered {
			rd.skipHole(f, d, fromClient)
		}
		return
	}
	if other := f.dirs[0]; len(p.data)+p.cut == 1 {
		if fromClient {
			other = f.dirs[1]
		}
		if other.winSeen && other.win == 0 {
			d.probe, d.probeSeq = true, p.seq
		}
	}
	rd.deliver(f, d, fromClient, &p, s.frame, s.ts)
	rd.drain(f, d, fromClient, s.frame, s.ts, false)
}

// histMax is how many of the last bytes handed on each direction keeps (at
// most histChunks segments) to compare retransmitted copies with. They are
// kept where they are, in the chunk of the file or in the reader's copy of
// a segment; before a chunk is reused they are copied (rescue), and
// histBudget bounds the bytes so copied or kept in copies by all
// directions of a capture (past it, a direction keeps none and its
// retransmissions say they were not compared).
const (
	histMax    = 64 << 10
	histChunks = 64
	histBudget = 256 << 20
)

// chunk is bytes handed on at seq, in the chunk of the file in (nil for
// bytes the reader owns, counted in histBytes).
type chunk struct {
	seq uint32
	b   []byte
	in  *buffer
}

// remember keeps b, handed on at seq from the chunk in (or from a copy,
// nil), as the first copy of its bytes.
func (rd *reader) remember(d *half, seq uint32, b []byte, in *buffer) {
	if n := len(d.hist); n > 0 && d.hist[n-1].seq+uint32(len(d.hist[n-1].b)) != seq {
		rd.forget(d) // bytes after a gap
	}
	if len(b) > histMax {
		seq += uint32(len(b) - histMax)
		b = b[len(b)-histMax:]
	}
	if in == nil {
		if rd.histBytes+len(b) > histBudget {
			rd.forget(d)
			return
		}
		rd.histBytes += len(b)
	} else if n := len(in.hists); n == 0 || in.hists[n-1] != d {
		in.hists = append(in.hists, d)
	}
	d.hist = append(d.hist, chunk{seq, b, in})
	d.histLen += len(b)
	for len(d.hist) > histChunks || d.histLen > histMax {
		rd.drop(d)
	}
}

// rescue copies what the histories keep of the chunk c, which is about to
// be reused.
func (rd *reader) rescue(c *buffer) {
	for _, d := range c.hists {
		for i := range d.hist {
			h := &d.hist[i]
			if h.in != c {
				continue
			}
			if rd.histBytes+len(h.b) > histBudget {
				rd.forget(d)
				break
			}
			rd.histBytes += len(h.b)
			h.b, h.in = append([]byte(nil), h.b...), nil
		}
	}
	clear(c.hists)
	c.hists = c.hists[:0]
}

// drop forgets the oldest bytes d keeps.
func (rd *reader) drop(d *half) {
	n := len(d.hist[0].b)
	d.histLen -= n
	if d.hist[0].in == nil {
		rd.histBytes -= n
	}
	d.hist[0] = chunk{}
	d.hist = d.hist[1:]
}

// forget forgets the bytes d keeps.
func (rd *reader) forget(d *half) {
	for len(d.hist) > 0 {
		rd.drop(d)
	}
	d.hist = nil
}

// compare compares b, a copy of bytes from seq on (the segment carried cut
// more, past the snapshot length), with the first copy of those before
// d.next: how many of them came again, how many differ and where the first
// that does is, and how many could not be compared (the first copy no
// longer kept, never captured but given up as a gap, or not captured now).
func (d *half) compare(seq uint32, b []byte, cut int) (again, differ int, at uint32, unchecked int) {
	again = min(int(seqDiff(d.next, seq)), len(b)+cut)
	n := min(again, len(b))
	compared := 0
	for _, c := range d.hist {
		// The part of b that c holds.
		lo := max(0, int(seqDiff(c.seq, seq)))
		hi := min(n, int(seqDiff(c.seq, seq))+len(c.b))
		for i := lo; i < hi; i++ {
			compared++
			if c.b[int(seqDiff(seq, c.seq))+i] != b[i] {
				if differ == 0 {
					at = seq + uint32(i)
				}
				differ++
			}
		}
	}
	unchecked = n - compared + max(0, again-len(b))
	return again, differ, at, unchecked
}

// retransmission reports p, a segment of s's direction whose bytes, or the
// first of them, were handed on before: a retransmission, compared with
// the first copy.
func (rd *reader) retransmission(f *Flow, d *half, fromClient bool, p *pendingSeg, ack uint32, window uint16, flags uint8) {
	again, differ, at, unchecked := d.compare(p.seq, p.data, p.cut)
	if again <= 0 {
		return
	}
	if d.probe && p.seq == d.probeSeq && again == 1 && differ == 0 && unchecked == 0 {
		// The segment after a zero window probe, which carries the
		// probe's byte again, as it must: not a retransmission.
		d.probe = false
		return
	}
	f.Retransmitted += again
	f.retransSegs++
	if differ > 0 {
		f.retransDiffer++
	}
	ev := TCPEvent{Flow: f, Frame: p.frame, Time: p.ts, FromClient: fromClient, Kind: "retransmission",
		Seq: p.seq, RelSeq: p.seq - d.isn, Ack: ack, RawWindow: window, Window: f.window(fromClient, window, flags), Len: len(p.data) + p.cut, Flags: flags,
		Again: again, Differ: differ, DifferAt: at - d.isn, Unchecked: unchecked}
	if other := f.dirs[1]; fromClient && other.started {
		ev.RelAck = ack - other.isn
	} else if other := f.dirs[0]; !fromClient && other.started {
		ev.RelAck = ack - other.isn
	}
	if differ == 0 {
		ev.DifferAt = 0
	}
	rd.h.TCP(ev)
}

// trim drops the first n bytes of p (n less than its length).
func trim(p *pendingSeg, n int) {
	k := min(n, len(p.data))
	p.data = p.data[k:]
	p.cut -= n - k
	p.seq += uint32(n)
}

// deliver hands on the bytes of p, which start at d.next, and a gap for
// what the snapshot length cut.
func (rd *reader) deliver(f *Flow, d *half, fromClient bool, p *pendingSeg, frame int, ts time.Time) {
	if len(p.data) > 0 {
		rd.remember(d, p.seq, p.data, p.in)
		rd.h.Data(f, fromClient, frame, ts, p.data)
	}
	d.next = p.seq + uint32(len(p.data))
	if p.cut > 0 {
		rd.h.TCP(TCPEvent{Flow: f, Frame: frame, Time: ts, FromClient: fromClient, Kind: "gap",
			Seq: d.next, RelSeq: d.next - d.isn, Missing: p.cut})
		d.next += uint32(p.cut)
	}
}

// drain delivers buffered segments that have become contiguous: with the
// frame that made them so, or with their own frames (own).
func (rd *reader) drain(f *Flow, d *half, fromClient bool, frame int, ts time.Time, own bool) {
	for len(d.ooo) > 0 {
		p := d.ooo[0]
		diff := seqDiff(p.seq, d.next)
		if diff > 0 {
			return
		}
		d.ooo = d.ooo[1:]
		d.buffered -= len(p.data)
		if diff < 0 {
			rd.retransmission(f, d, fromClient, &p, p.ack, p.window, p.flags)
		}
		if int(-diff) >= len(p.data)+p.cut {
			continue
		}
		trim(&p, int(-diff))
		if own {
			frame, ts = p.frame, p.ts
		}
		rd.deliver(f, d, fromClient, &p, frame, ts)
	}
	if len(d.ooo) == 0 {
		d.ooo = nil
		if d.finWait != nil && seqDiff(d.next, d.finSeq) >= 0 {
			rd.fin(f, d)
		}
	}
}

// fin hands on the FIN step d held.
func (rd *reader) fin(f *Flow, d *half) {
	ev := *d.finWait
	d.finWait = nil
	f.fins++
	rd.h.TCP(ev)
}

// finHole gives up the hole before the FIN d holds: a gap at the FIN's
// frame, then the FIN.
func (rd *reader) finHole(f *Flow, d *half, fromClient bool) {
	ev := d.finWait
	if gap := seqDiff(d.finSeq, d.next); gap > 0 {
		rd.h.TCP(TCPEvent{Flow: f, Frame: ev.Frame, Time: ev.Time, FromClient: fromClient, Kind: "gap",
			Seq: d.next, RelSeq: d.next - d.isn, Missing: int(gap), Unreassembled: rd.holeOf(f, fromClient, d.next, d.finSeq)})
		d.next = d.finSeq
	}
	rd.fin(f, d)
}

// holeOf says what of the hole [from, to) of a direction of f IP fragments
// that could not be reassembled account for.
func (rd *reader) holeOf(f *Flow, fromClient bool, from, to uint32) Unreassembled {
	src, dst := f.Server, f.Client
	if fromClient {
		src, dst = f.Client, f.Server
	}
	return rd.unreassembled(f, src, dst, from, to)
}

// skipHole gives up on the first hole of a direction: a gap event says how
// many bytes were never seen, and the bytes after it go out, each with the
// frame and time it was captured at.
func (rd *reader) skipHole(f *Flow, d *half, fromClient bool) {
	if len(d.ooo) == 0 {
		return
	}
	first := d.ooo[0]
	missing := int(seqDiff(first.seq, d.next))
	rd.h.TCP(TCPEvent{Flow: f, Frame: first.frame, Time: first.ts, FromClient: fromClient, Kind: "gap",
		Seq: d.next, RelSeq: d.next - d.isn, Missing: missing, Unreassembled: rd.holeOf(f, fromClient, d.next, first.seq)})
	d.next = first.seq
	rd.drain(f, d, fromClient, first.frame, first.ts, true)
}

// close ends a flow: holes left become gaps, then the handler's Close.
func (rd *reader) close(f *Flow) {
	if f.closed {
		return
	}
	for i, d := range f.dirs {
		for len(d.ooo) > 0 {
			rd.skipHole(f, d, i == 0)
		}
		if d.finWait != nil {
			rd.finHole(f, d, i == 0)
		}
		rd.forget(d)
	}
	if f.retransSegs > 0 {
		rd.h.TCP(TCPEvent{Flow: f, Frame: f.lastFrame, Time: f.lastTime, FromClient: true, Kind: "retransmission_summary",
			Segments: f.retransSegs, Again: f.Retransmitted, Differ: f.retransDiffer})
	}
	f.closed = true
	f.isn = [2]uint32{f.dirs[0].isn, f.dirs[1].isn}
	f.end = [2]uint32{f.dirs[0].next, f.dirs[1].next}
	f.sent = [2]bool{f.dirs[0].started, f.dirs[1].started}
	if c, s := f.dirs[0], f.dirs[1]; c.syn && s.syn && c.wscale >= 0 && s.wscale >= 0 {
		f.shift = [2]uint8{uint8(c.wscale), uint8(s.wscale)}
	}
	f.dirs = [2]*half{{}, {}}
	rd.live--
	rd.closed = append(rd.closed, f)
	rd.h.Close(f)
}

// evict closes the oldest flows while more than MaxFlows are open, and
// forgets the oldest closed ones (kept so that late packets of a closed
// connection do not start a new one) past MaxFlows of them.
func (rd *reader) evict() {
	if rd.live > rd.opts.MaxFlows {
		for _, f := range rd.order {
			if rd.live <= rd.opts.MaxFlows {
				break
			}
			if !f.closed {
				f.evicted = true
				rd.stats.Evicted++
			}
			rd.flushClose(f)
		}
	}
	if len(rd.order) > 2*rd.live+1024 {
		rd.order = slices.DeleteFunc(rd.order, func(f *Flow) bool { return f.closed })
	}
	for len(rd.closed) > rd.opts.MaxFlows {
		f := rd.closed[0]
		rd.closed = rd.closed[1:]
		if k := keyOf(f.Client, f.Server); rd.flows[k] == f {
			delete(rd.flows, k)
		}
	}
}

// closeAll closes the flows still open at the end of the file, in order,
// each after the segments queued for it.
func (rd *reader) closeAll() {
	// Queued segments can start flows: the loop reaches them too.
	for i := 0; i < len(rd.order); i++ {
		rd.flushClose(rd.order[i])
	}
	rd.order = nil
}

// flushClose processes the segments queued for f, then closes it.
func (rd *reader) flushClose(f *Flow) {
	for len(f.queue) > 0 {
		rd.processQueued(f)
	}
	rd.close(f)
}

// looksLikeClientHello reports whether b starts with a TLS handshake record
// holding a ClientHello, or an SSL 2.0 compatible ClientHello.
func looksLikeClientHello(b []byte) bool {
	if len(b) >= 6 && wire.ContentType(b[0]) == wire.ContentHandshake && wire.PlausibleRecordHeader(b[:3]) && wire.HandshakeType(b[5]) == wire.TypeClientHello {
		return true
	}
	return len(b) >= 3 && b[0]&0x80 != 0 && b[2] == 1
}

// looksLikeServerMessage reports whether b starts with a TLS handshake
// record whose first message only a server sends: a ServerHello (its
// legacy_version read as well, 3.0 to 1.2), a NewSessionTicket,
// ServerKeyExchange, CertificateRequest, ServerHelloDone or
// CertificateStatus (its length within the record), so that an encrypted
// handshake record, whose bytes are random, is seldom taken for one.
func looksLikeServerMessage(b []byte) bool {
	if len(b) < 9 || wire.ContentType(b[0]) != wire.ContentHandshake || !wire.PlausibleRecordHeader(b[:5]) {
		return false
	}
	recLen := int(b[3])<<8 | int(b[4])
	msgLen := int(b[6])<<16 | int(b[7])<<8 | int(b[8])
	if msgLen+4 > recLen {
		return false
	}
	switch wire.HandshakeType(b[5]) {
	case wire.TypeServerHello:
		return len(b) >= 11 && b[9] == 3 && b[10] <= 3
	case wire.TypeNewSessionTicket, wire.TypeServerKeyExchange, wire.TypeCertificateRequest, wire.TypeServerHelloDone, wire.TypeCertificateStatus:
		return true
	}
	return false
}
