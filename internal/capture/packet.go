package capture

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Link types (https://www.tcpdump.org/linktypes.html).
const (
	linkNull     = 0
	linkEthernet = 1
	linkRaw      = 101
	linkRawOld   = 12 // DLT_RAW on OpenBSD-style systems
	linkRawBSDOS = 14 // DLT_RAW on BSD/OS, which Wireshark reads as raw IP
	linkLoop     = 108
	linkSLL      = 113
	linkIPv4     = 228
	linkIPv6     = 229
	linkSLL2     = 276
)

// packet decodes one captured frame down to TCP and hands it on.
func (rd *reader) packet(link uint32, ts time.Time, b []byte) {
	rd.frame++
	rd.stats.Packets++
	if !rd.started && !ts.IsZero() {
		rd.started = true
		if h, ok := rd.h.(StartHandler); ok {
			h.Start(ts)
		}
	}
	if len(rd.resets) > 0 {
		rd.expireResets(ts)
	}
	var etherType uint16
	switch link {
	case linkEthernet:
		if len(b) < 14 {
			rd.stats.Malformed++
			return
		}
		etherType = binary.BigEndian.Uint16(b[12:])
		b = b[14:]
	case linkSLL:
		if len(b) < 16 {
			rd.stats.Malformed++
			return
		}
		etherType = binary.BigEndian.Uint16(b[14:])
		b = b[16:]
	case linkSLL2:
		if len(b) < 20 {
			rd.stats.Malformed++
			return
		}
		etherType = binary.BigEndian.Uint16(b)
		b = b[20:]
	case linkNull, linkLoop:
		if len(b) < 4 {
			rd.stats.Malformed++
			return
		}
		// The address family is in host byte order (NULL) or network
		// order (LOOP); 2 is IPv4, 24/28/30 are IPv6 on the BSDs.
		af := binary.LittleEndian.Uint32(b)
		if af > 0xffff {
			af = binary.BigEndian.Uint32(b)
		}
		b = b[4:]
		switch af {
		case 2:
			etherType = 0x0800
		case 10, 24, 28, 30:
			etherType = 0x86DD
		default:
			rd.stats.NonTCP++
			return
		}
	case linkRaw, linkRawOld, linkRawBSDOS:
		if len(b) == 0 {
			rd.stats.Malformed++
			return
		}
		etherType = 0x0800
		if b[0]>>4 == 6 {
			etherType = 0x86DD
		}
	case linkIPv4:
		etherType = 0x0800
	case linkIPv6:
		etherType = 0x86DD
	default:
		rd.stats.NonTCP++
		return
	}
	// 802.1Q and 802.1ad tags, possibly stacked: after an Ethernet
	// header, or after a Linux cooked one, where libpcap puts back the
	// tag the kernel took off.
	if link == linkEthernet || link == linkSLL || link == linkSLL2 {
		for etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
			if len(b) < 4 {
				rd.stats.Malformed++
				return
			}
			etherType = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		}
	}
	var src, dst netip.Addr
	// cut counts the bytes of the IP packet past the snapshot length;
	// owned says b is a datagram reassembled from fragments, not in the
	// chunk of the file.
	cut := 0
	owned := false
	switch etherType {
	case 0x0800:
		if len(b) < 20 || b[0]>>4 != 4 {
			rd.stats.Malformed++
			return
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if total == 0 {
			// A packet of a segmentation offload (TSO, BIG TCP) is
			// captured before the NIC splits it, its total length left
			// 0: the captured length is the packet's, as Wireshark
			// takes it.
			total = len(b)
		}
		if ihl < 20 || total < ihl || len(b) < ihl {
			rd.stats.Malformed++
			return
		}
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
		if total < len(b) {
			b = b[:total] // Ethernet padding
		} else if total > len(b) {
			cut = total - len(b)
		}
		proto := b[9]
		if proto != 6 && proto != 17 && proto != 51 {
			rd.stats.NonTCP++
			return
		}
		if flags := binary.BigEndian.Uint16(b[6:]); flags&0x3fff != 0 {
			// More fragments or a fragment offset: reassembled, and
			// decoded once whole, with the frame of its last fragment.
			id := uint32(binary.BigEndian.Uint16(b[4:]))
			if cut > 0 {
				// Cut by the snapshot length: it cannot be.
				rd.fragmentCut(fragKey{src, dst, id, proto}, int(flags&0x1fff)*8, int(proto), b[ihl:], ts)
				return
			}
			pl, _, ok := rd.defrag(fragKey{src, dst, id, proto}, int(flags&0x1fff)*8, flags&0x2000 != 0, int(proto), b[ihl:], ts)
			if !ok {
				return
			}
			b, owned = pl, true
		} else {
			b = b[ihl:]
		}
		for proto == 51 {
			// An Authentication Header (RFC 4302, Section 2): its
			// length is in 4-byte units, less 2.
			if len(b) < 8 || len(b) < (int(b[1])+2)*4 {
				rd.stats.Malformed++
				return
			}
			proto, b = b[0], b[(int(b[1])+2)*4:]
		}
		if proto != 6 && proto != 17 {
			rd.stats.NonTCP++
			return
		}
		if proto == 17 {
			rd.udp(src, dst, ts, cut, b)
			return
		}
	case 0x86DD:
		if len(b) < 40 || b[0]>>4 != 6 {
			rd.stats.Malformed++
			return
		}
		plen := int(binary.BigEndian.Uint16(b[4:]))
		next := b[6]
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
		b = b[40:]
		if plen > 0 && plen < len(b) {
			b = b[:plen]
		} else if plen > len(b) {
			cut = plen - len(b)
		}
		// Walk the extension headers up to TCP.
		for next != 6 {
			switch next {
			case 17:
				rd.udp(src, dst, ts, cut, b)
				return
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if len(b) < 8 {
					rd.stats.Malformed++
					return
				}
				n := (int(b[1]) + 1) * 8
				if len(b) < n {
					rd.stats.Malformed++
					return
				}
				next, b = b[0], b[n:]
			case 51: // authentication header, RFC 4302, Section 2
				if len(b) < 8 || len(b) < (int(b[1])+2)*4 {
					rd.stats.Malformed++
					return
				}
				next, b = b[0], b[(int(b[1])+2)*4:]
			case 44: // fragment
				if len(b) < 8 {
					rd.stats.Malformed++
					return
				}
				fo := binary.BigEndian.Uint16(b[2:])
				if fo&0xfff9 == 0 {
					// An atomic fragment (RFC 6946): the whole
					// datagram.
					next, b = b[0], b[8:]
					continue
				}
				if cut > 0 {
					rd.fragmentCut(fragKey{src, dst, binary.BigEndian.Uint32(b[4:]), 0}, int(fo>>3)*8, int(b[0]), b[8:], ts)
					return
				}
				pl, proto, ok := rd.defrag(fragKey{src, dst, binary.BigEndian.Uint32(b[4:]), 0}, int(fo>>3)*8, fo&1 != 0, int(b[0]), b[8:], ts)
				if !ok {
					return
				}
				next, b, owned = uint8(proto), pl, true
			default:
				rd.stats.NonTCP++
				return
			}
		}
	default:
		rd.stats.NonTCP++
		return
	}
	if len(b) < 20 {
		rd.stats.Malformed++
		return
	}
	off := int(b[12]>>4) * 4
	if off < 20 || off > len(b)+cut {
		rd.stats.Malformed++
		return
	}
	short := cut
	if off > len(b) {
		// The snapshot length cut the TCP options: the fixed header
		// is enough, and all the payload is missing.
		cut -= off - len(b)
		off = len(b)
	}
	seg := segment{
		src:    netip.AddrPortFrom(src, binary.BigEndian.Uint16(b)),
		dst:    netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:])),
		seq:    binary.BigEndian.Uint32(b[4:]),
		ack:    binary.BigEndian.Uint32(b[8:]),
		flags:  b[13],
		window: binary.BigEndian.Uint16(b[14:]),
		wscale: windowScale(b[13], b[20:off]),
		data:   b[off:],
		cut:    cut,
		short:  short,
		ts:     ts,
		frame:  rd.frame,
		in:     rd.src.cur,
	}
	if owned {
		seg.in = nil
	}
	rd.tcp(&seg)
}

// udp hands on a DNS datagram (either port 53) that the capture holds
// whole; other UDP is counted as not TCP, and a flow of it that reads
// as DTLS or QUIC is said once (udpTLS).
func (rd *reader) udp(src, dst netip.Addr, ts time.Time, cut int, b []byte) {
	h, ok := rd.h.(UDPHandler)
	if len(b) < 8 {
		rd.stats.Malformed++
		return
	}
	sp, dp := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	n := int(binary.BigEndian.Uint16(b[4:]))
	if !ok || (sp != 53 && dp != 53) || cut > 0 || n < 8 || n > len(b) {
		rd.stats.NonTCP++
		if sp != 53 && dp != 53 && n >= 8 {
			rd.udpTLS(netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp), ts, b[8:min(n, len(b))])
		}
		return
	}
	rd.stats.DNS++
	h.DNS(Datagram{Src: netip.AddrPortFrom(src, sp), Dst: netip.AddrPortFrom(dst, dp), Frame: rd.frame, Time: ts, Payload: b[8:n]})
}

// windowScale returns the shift count of the Window Scale option of a SYN
// segment (RFC 7323, Section 2): -1 for a segment without one, or one that
// is not a SYN (where the option means nothing). A count over 14 is used
// as 14, as Section 2.3 says to.
func windowScale(flags uint8, opts []byte) int8 {
	if flags&flagSYN == 0 {
		return -1
	}
	for len(opts) > 0 {
		switch opts[0] {
		case 0: // end of options
			return -1
		case 1: // no-operation
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || int(opts[1]) < 2 || int(opts[1]) > len(opts) {
			return -1
		}
		if opts[0] == 3 && opts[1] == 3 {
			return int8(min(opts[2], 14))
		}
		opts = opts[opts[1]:]
	}
	return -1
}
