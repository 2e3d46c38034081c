package capture

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"time"
)

// Limits of IP reassembly, which hold fragments until their datagram is
// whole.
const (
	// fragTimeout is how long, in capture time, the fragments of a
	// datagram wait for the rest after the first came: Linux's
	// ipfrag_time and the IPv6 reassembly timeout (RFC 8200, Section
	// 4.5) are 60 and 30 seconds.
	fragTimeout = 60 * time.Second
	// maxFragDatagrams is the number of datagrams reassembled at once;
	// past it, the oldest is given up.
	maxFragDatagrams = 1024
	// maxFragBytes bounds the bytes all datagrams in reassembly hold.
	maxFragBytes = 16 << 20
	// maxDatagram is the largest payload a fragmented datagram can have:
	// the IP length fields have 16 bits.
	maxDatagram = 65535
)

// fragKey identifies a datagram being reassembled (RFC 791, Section 3.2;
// RFC 8200, Section 4.5): source, destination, identification and, for
// IPv4, protocol.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

// datagram is one datagram in reassembly.
type datagram struct {
	key   fragKey
	first time.Time // capture time of its first fragment
	// buf holds the bytes received at their offsets; have lists the
	// ranges received, sorted and merged.
	buf  []byte
	have []span
	// total is the payload length, known once the last fragment (More
	// Fragments clear) came; -1 before.
	total int
	// proto is the next header of the fragment at offset 0 (IPv6),
	// known once it came.
	proto int
	// frags counts the fragments taken; dead marks a datagram given up
	// (overlapping fragments), whose later fragments are dropped too.
	frags int
	dead  bool
	// seen counts every fragment of it captured (copies, those after it
	// was given up and those cut by the snapshot length too): what
	// Stats.Fragments counts of it when it is never whole. cut says a
	// fragment of it was cut by the snapshot length.
	seen int
	cut  bool
	// tcp is the start of the TCP header its first fragment held, once
	// that came: a gap of the connection says it (unreassembled).
	tcp fragTCP
	// cause says why it was given up; claimed that a gap said it.
	cause   FragmentCauses
	claimed bool
}

// fragTCP is what the first fragment of a datagram says of the TCP
// segment it carries.
type fragTCP struct {
	known            bool
	srcPort, dstPort uint16
	seq              uint32
	// data is where the segment's payload starts in the datagram's
	// payload (after an Authentication Header and the TCP header), 0 when
	// the first fragment is too short to say.
	data int
}

type span struct{ lo, hi int }

// fragments is the reassembly state of a reader.
type fragments struct {
	open  map[fragKey]*datagram
	order []*datagram // in order of their first fragment
	bytes int
	// lost holds the datagrams of TCP given up, oldest first (at most
	// maxFragDatagrams), for the gaps of their connections to say.
	lost []*datagram
}

// defrag takes a fragment: its payload b at offset, more saying whether
// more follow, proto the next header it carries (IPv6: meaningful at
// offset 0). When it completes its datagram, defrag returns the
// datagram's payload (owned by the caller) and its protocol. Fragments
// that overlap others (but exact copies, which are ignored) make the
// whole datagram be dropped, as RFC 5722 says for IPv6 and Linux does for
// IPv4 too; they are counted (Stats.FragmentOverlaps), as are fragments
// that disagree on where the datagram ends.
func (rd *reader) defrag(key fragKey, offset int, more bool, proto int, b []byte, ts time.Time) ([]byte, int, bool) {
	fr := &rd.frags
	fr.expire(rd, ts)
	end := offset + len(b)
	if end > maxDatagram || more && len(b)%8 != 0 {
		// Fragments other than the last carry multiples of 8 bytes.
		rd.stats.Malformed++
		return nil, 0, false
	}
	d := fr.datagram(rd, key, ts)
	d.seen++
	if offset == 0 && !d.tcp.known {
		d.tcp = tcpStart(proto, b)
	}
	if d.dead {
		rd.stats.Fragments++
		return nil, 0, false
	}
	d.frags++
	if !more {
		if d.total >= 0 && d.total != end || end < d.end() {
			d.dead = true
		}
		d.total = end
	} else if d.total >= 0 && end > d.total {
		d.dead = true
	}
	dup := false
	for _, s := range d.have {
		if offset < s.hi && s.lo < end {
			dup = s.lo <= offset && end <= s.hi && string(d.buf[offset:end]) == string(b)
			if !dup {
				d.dead = true
			}
			break
		}
	}
	if d.dead {
		d.cause = FragmentsOverlap
		rd.stats.FragmentOverlaps++
		fr.bytes -= len(d.buf)
		d.buf, d.have = nil, nil
		rd.stats.Fragments += d.frags
		d.frags = 0
		return nil, 0, false
	}
	if dup {
		rd.stats.Fragments++
		d.frags--
		return nil, 0, false
	}
	if offset == 0 {
		d.proto = proto
	}
	if end > len(d.buf) {
		fr.bytes += end - len(d.buf)
		d.buf = append(d.buf, make([]byte, end-len(d.buf))...)
	}
	copy(d.buf[offset:], b)
	d.add(span{offset, end})
	if d.total < 0 || len(d.have) != 1 || d.have[0] != (span{0, d.total}) {
		for fr.bytes > maxFragBytes && len(fr.order) > 0 {
			fr.drop(rd, fr.order[0], FragmentLimit)
		}
		return nil, 0, false
	}
	// Whole: it goes on as one packet, with the frame that completed it,
	// as Wireshark shows it.
	payload, p := d.buf, d.proto
	d.frags = 0
	fr.remove(d)
	return payload, p, true
}

// datagram returns the datagram of key in reassembly, a new one (its first
// fragment captured at ts) if none is.
func (fr *fragments) datagram(rd *reader, key fragKey, ts time.Time) *datagram {
	d := fr.open[key]
	if d == nil {
		if fr.open == nil {
			fr.open = map[fragKey]*datagram{}
		}
		d = &datagram{key: key, first: ts, total: -1, proto: -1}
		fr.open[key] = d
		fr.order = append(fr.order, d)
		for len(fr.open) > maxFragDatagrams {
			fr.drop(rd, fr.order[0], FragmentLimit)
		}
	}
	return d
}

// fragmentCut takes a fragment cut by the snapshot length, b what was
// captured of its payload: it cannot be reassembled, and its datagram
// will not be whole (but for a whole copy of it) for that reason.
func (rd *reader) fragmentCut(key fragKey, offset int, proto int, b []byte, ts time.Time) {
	rd.stats.Fragments++
	fr := &rd.frags
	fr.expire(rd, ts)
	d := fr.datagram(rd, key, ts)
	d.seen++
	d.cut = true
	if offset == 0 {
		d.proto = proto
		if !d.tcp.known {
			d.tcp = tcpStart(proto, b)
		}
	}
}

// tcpStart reads the start of the TCP header at the start of a datagram's
// payload b, of IP protocol proto (TCP, or an Authentication Header before
// it).
func tcpStart(proto int, b []byte) fragTCP {
	ah := 0
	if proto == 51 {
		if len(b) < 2 || b[0] != 6 {
			return fragTCP{}
		}
		ah, proto = (int(b[1])+2)*4, 6
	}
	if proto != 6 || len(b) < ah+8 {
		return fragTCP{}
	}
	t := fragTCP{known: true, srcPort: binary.BigEndian.Uint16(b[ah:]), dstPort: binary.BigEndian.Uint16(b[ah+2:]),
		seq: binary.BigEndian.Uint32(b[ah+4:])}
	if len(b) > ah+12 {
		t.data = ah + int(b[ah+12]>>4)*4
	}
	return t
}

// end returns where the bytes received so far end.
func (d *datagram) end() int {
	if len(d.have) == 0 {
		return 0
	}
	return d.have[len(d.have)-1].hi
}

// add adds a range received, which overlaps none, and merges it with its
// neighbours.
func (d *datagram) add(s span) {
	i := 0
	for i < len(d.have) && d.have[i].lo < s.lo {
		i++
	}
	d.have = append(d.have, span{})
	copy(d.have[i+1:], d.have[i:])
	d.have[i] = s
	merged := d.have[:1]
	for _, x := range d.have[1:] {
		if last := &merged[len(merged)-1]; last.hi == x.lo {
			last.hi = x.hi
		} else {
			merged = append(merged, x)
		}
	}
	d.have = merged
}

// expire gives up the datagrams whose first fragment came more than
// fragTimeout before ts.
func (fr *fragments) expire(rd *reader, ts time.Time) {
	for len(fr.order) > 0 && ts.Sub(fr.order[0].first) > fragTimeout {
		fr.drop(rd, fr.order[0], FragmentMissing)
	}
}

// drop gives up a datagram for cause (unless it was given up before, or
// a fragment of it was cut): its fragments are counted as not
// reassembled, and it is kept for a gap of its connection to say, if it
// can carry TCP.
func (fr *fragments) drop(rd *reader, d *datagram, cause FragmentCauses) {
	rd.stats.Fragments += d.frags
	fr.remove(d)
	if d.cause == 0 {
		d.cause = cause
		if d.cut {
			d.cause = FragmentCut
		}
	}
	if !d.mayBeTCP() {
		return
	}
	d.buf, d.have = nil, nil
	fr.lost = append(fr.lost, d)
	if len(fr.lost) > maxFragDatagrams {
		fr.lost[0] = nil
		fr.lost = fr.lost[1:]
	}
}

// mayBeTCP reports whether d can carry a TCP segment: its protocol TCP
// (or an Authentication Header), or not known (an IPv6 datagram whose
// first fragment did not come).
func (d *datagram) mayBeTCP() bool {
	if d.tcp.known {
		return true
	}
	p := int(d.key.proto)
	if d.key.src.Is6() {
		p = d.proto
	}
	return p == -1 || p == 6 || p == 51
}

// remove forgets a datagram.
func (fr *fragments) remove(d *datagram) {
	fr.bytes -= len(d.buf)
	delete(fr.open, d.key)
	for i, x := range fr.order {
		if x == d {
			fr.order[i] = nil
			fr.order = append(fr.order[:i], fr.order[i+1:]...)
			break
		}
	}
	if len(fr.order) == 0 {
		fr.order = nil
	}
}

// endFragments gives up the datagrams left incomplete at the end of the
// capture.
func (rd *reader) endFragments() {
	for len(rd.frags.order) > 0 {
		rd.frags.drop(rd, rd.frags.order[0], FragmentMissing)
	}
}

// unreassembled says what of the hole [from, to) of the direction src →
// dst of f, given up as a gap, IP fragments that could not be reassembled
// account for: the datagrams given up, or still waiting for a fragment,
// whose TCP header says they carry bytes of it, and, for those whose
// first fragment (and so its TCP header) was not captured, the ones the
// same hosts sent since the flow began. Each is said by one gap.
func (rd *reader) unreassembled(f *Flow, src, dst netip.AddrPort, from, to uint32) Unreassembled {
	fr := &rd.frags
	var u Unreassembled
	if len(fr.lost) == 0 && len(fr.order) == 0 {
		return u
	}
	var have []span // what of the hole the datagrams hold, relative to from
	known := true
	take := func(d *datagram, pending bool) {
		if d.claimed || d.key.src != src.Addr() || d.key.dst != dst.Addr() || !d.mayBeTCP() {
			return
		}
		if d.tcp.known {
			if d.tcp.srcPort != src.Port() || d.tcp.dstPort != dst.Port() {
				return
			}
			lo := int64(seqDiff(d.tcp.seq, from))
			hole := int64(seqDiff(to, from))
			n := int64(-1)
			if d.total >= 0 && d.tcp.data > 0 && d.total >= d.tcp.data {
				n = int64(d.total - d.tcp.data)
			}
			switch {
			case n < 0 && (lo < 0 || lo >= hole):
				return
			case n >= 0 && (lo+n <= 0 || lo >= hole):
				return
			case n < 0:
				known = false
			default:
				have = append(have, span{int(max(lo, 0)), int(min(lo+n, hole))})
			}
		} else {
			if d.first.Before(f.start) {
				return
			}
			known = false
			u.ByAddresses = true
		}
		d.claimed = true
		u.Datagrams++
		u.Fragments += d.seen
		cause := d.cause
		if pending && cause == 0 {
			cause = FragmentMissing
			if d.cut {
				cause = FragmentCut
			}
		}
		u.Causes |= cause
	}
	for _, d := range fr.lost {
		take(d, false)
	}
	for _, d := range fr.order {
		take(d, true)
	}
	if u.Datagrams > 0 && known {
		slices.SortFunc(have, func(a, b span) int { return a.lo - b.lo })
		end := 0
		for _, s := range have {
			if s.lo > end {
				break
			}
			end = max(end, s.hi)
		}
		u.Whole = end >= int(seqDiff(to, from))
	}
	return u
}
