package capture

import (
	"net/netip"
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
}

type span struct{ lo, hi int }

// fragments is the reassembly state of a reader.
type fragments struct {
	open  map[fragKey]*datagram
	order []*datagram // in order of their first fragment
	bytes int
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
	d := fr.open[key]
	if d == nil {
		if fr.open == nil {
			fr.open = map[fragKey]*datagram{}
		}
		d = &datagram{key: key, first: ts, total: -1, proto: -1}
		fr.open[key] = d
		fr.order = append(fr.order, d)
		for len(fr.open) > maxFragDatagrams {
			fr.drop(rd, fr.order[0])
		}
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
			fr.drop(rd, fr.order[0])
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
		fr.drop(rd, fr.order[0])
	}
}

// drop gives up a datagram: its fragments are counted as not reassembled.
func (fr *fragments) drop(rd *reader, d *datagram) {
	rd.stats.Fragments += d.frags
	fr.remove(d)
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
		rd.frags.drop(rd, rd.frags.order[0])
	}
}
