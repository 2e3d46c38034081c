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
	data     []byte
	ts       time.Time
	frame    int
}

// half is the reassembly state of one direction.
type half struct {
	started bool   // next is known
	isn     uint32 // initial sequence number (or first seen seq - 1)
	next    uint32 // next expected sequence number
	fin     bool
	// ooo holds segments that arrived ahead of next, by sequence number.
	ooo      []pendingSeg
	buffered int
}

type pendingSeg struct {
	seq  uint32
	data []byte
}

// seqDiff returns a-b in serial arithmetic (RFC 1982), so that sequence
// numbers that wrap compare right.
func seqDiff(a, b uint32) int32 { return int32(a - b) }

func (rd *reader) tcp(s *segment) {
	key := keyOf(s.src, s.dst)
	f := rd.flows[key]
	syn := s.flags&flagSYN != 0
	ack := s.flags&flagACK != 0
	if f != nil && syn && !ack {
		// A new SYN on a tuple: a new connection, unless it is the same
		// SYN sent again.
		if f.closed || (f.dirs[0] != nil && f.dirs[0].started && f.dirs[0].isn != s.seq) {
			rd.close(f)
			f = nil
		}
	}
	if f != nil && f.closed {
		return
	}
	if f == nil {
		rd.next++
		f = &Flow{ID: rd.next, Client: s.src, Server: s.dst, dirs: [2]*half{{}, {}}}
		switch {
		case syn && !ack:
			f.RoleFromSYN = true
		case syn && ack:
			f.Client, f.Server, f.RoleFromSYN = s.dst, s.src, true
		case s.src.Port() < s.dst.Port():
			// Mid-connection: the side with the higher (ephemeral) port is
			// most likely the client; a ClientHello will tell for sure.
			f.Client, f.Server = s.dst, s.src
		}
		rd.flows[key] = f
		rd.order = append(rd.order, f)
		rd.live++
		rd.evict()
	}
	fromClient := s.src == f.Client
	if !f.RoleFromSYN && len(s.data) > 0 && !f.dirs[0].started && !f.dirs[1].started && !fromClient && looksLikeClientHello(s.data) {
		f.Client, f.Server = f.Server, f.Client
		fromClient = true
	}
	d, other := f.dirs[1], f.dirs[0]
	if fromClient {
		d, other = f.dirs[0], f.dirs[1]
	}
	ev := TCPEvent{Flow: f, Frame: s.frame, Time: s.ts, FromClient: fromClient, Seq: s.seq, Ack: s.ack,
		Window: s.window, Len: len(s.data), Flags: s.flags}
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
	if len(s.data) > 0 {
		f.seenAck = true
		rd.data(f, d, fromClient, s)
	}
	if s.flags&flagFIN != 0 && !d.fin {
		d.fin = true
		f.fins++
		ev.Kind = "fin"
		rd.h.TCP(ev)
	}
	if s.flags&flagRST != 0 {
		ev.Kind = "rst"
		rd.h.TCP(ev)
		rd.close(f)
		return
	}
	if f.fins == 2 {
		rd.close(f)
	}
}

// data reassembles one direction: in-order bytes go out at once, attributed
// to this frame; bytes ahead of a hole wait (bounded) and go out with the
// frame that fills the hole; bytes seen before are trimmed (first copy
// wins).
func (rd *reader) data(f *Flow, d *half, fromClient bool, s *segment) {
	seq, b := s.seq, s.data
	if diff := seqDiff(seq, d.next); diff < 0 {
		if int(-diff) >= len(b) {
			f.Retransmitted += len(b)
			return
		}
		f.Retransmitted += int(-diff)
		b = b[-diff:]
		seq = d.next
	} else if diff > 0 {
		d.ooo = append(d.ooo, pendingSeg{seq: seq, data: append([]byte(nil), b...)})
		d.buffered += len(b)
		slices.SortStableFunc(d.ooo, func(x, y pendingSeg) int { return int(seqDiff(x.seq, y.seq)) })
		if d.buffered > rd.opts.MaxBuffered {
			rd.skipHole(f, d, fromClient, s.frame, s.ts)
		}
		return
	}
	rd.h.Data(f, fromClient, s.frame, s.ts, b)
	d.next = seq + uint32(len(b))
	rd.drain(f, d, fromClient, s.frame, s.ts)
}

// drain delivers buffered segments that have become contiguous.
func (rd *reader) drain(f *Flow, d *half, fromClient bool, frame int, ts time.Time) {
	for len(d.ooo) > 0 {
		p := d.ooo[0]
		diff := seqDiff(p.seq, d.next)
		if diff > 0 {
			return
		}
		d.ooo = d.ooo[1:]
		d.buffered -= len(p.data)
		if int(-diff) >= len(p.data) {
			f.Retransmitted += len(p.data)
			continue
		}
		b := p.data[-diff:]
		rd.h.Data(f, fromClient, frame, ts, b)
		d.next += uint32(len(b))
	}
	if len(d.ooo) == 0 {
		d.ooo = nil
	}
}

// skipHole gives up on the first hole of a direction: a gap event says how
// many bytes were never seen, and the bytes after it go out.
func (rd *reader) skipHole(f *Flow, d *half, fromClient bool, frame int, ts time.Time) {
	if len(d.ooo) == 0 {
		return
	}
	missing := int(seqDiff(d.ooo[0].seq, d.next))
	rd.h.TCP(TCPEvent{Flow: f, Frame: frame, Time: ts, FromClient: fromClient, Kind: "gap",
		Seq: d.next, RelSeq: d.next - d.isn, Missing: missing})
	d.next = d.ooo[0].seq
	rd.drain(f, d, fromClient, frame, ts)
}

// close ends a flow: holes left become gaps, then the handler's Close.
func (rd *reader) close(f *Flow) {
	if f.closed {
		return
	}
	for i, d := range f.dirs {
		for len(d.ooo) > 0 {
			rd.skipHole(f, d, i == 0, rd.frame, time.Time{})
		}
	}
	f.closed = true
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
			rd.close(f)
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

// closeAll closes the flows still open at the end of the file, in order.
func (rd *reader) closeAll() {
	for _, f := range rd.order {
		rd.close(f)
	}
	rd.order = nil
}

// looksLikeClientHello reports whether b starts with a TLS handshake record
// holding a ClientHello, or an SSL 2.0 compatible ClientHello.
func looksLikeClientHello(b []byte) bool {
	if len(b) >= 6 && wire.ContentType(b[0]) == wire.ContentHandshake && wire.PlausibleRecordHeader(b[:3]) && wire.HandshakeType(b[5]) == wire.TypeClientHello {
		return true
	}
	return len(b) >= 3 && b[0]&0x80 != 0 && b[2] == 1
}
