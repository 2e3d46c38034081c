package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// fragment cuts an IP packet (IPv4, or IPv6 from ipPacket, whose
// hop-by-hop header stays unfragmentable) into fragments of the payload
// pieces given (offsets and lengths, in bytes).
func fragment(ip []byte, id uint32, pieces [][2]int) [][]byte {
	var out [][]byte
	if ip[0]>>4 == 4 {
		hdr, pl := ip[:20], ip[20:]
		for _, p := range pieces {
			h := slices.Clone(hdr)
			binary.BigEndian.PutUint16(h[2:], uint16(20+p[1]))
			binary.BigEndian.PutUint16(h[4:], uint16(id))
			fo := uint16(p[0] / 8)
			if p[0]+p[1] < len(pl) {
				fo |= 0x2000
			}
			binary.BigEndian.PutUint16(h[6:], fo)
			out = append(out, append(h, pl[p[0]:p[0]+p[1]]...))
		}
		return out
	}
	hdr, pl := ip[:48], ip[48:]
	for _, p := range pieces {
		h := slices.Clone(hdr)
		binary.BigEndian.PutUint16(h[4:], uint16(8+8+p[1]))
		h[40] = 44 // hop-by-hop, then a fragment header
		fh := make([]byte, 8)
		fh[0] = 6
		fo := uint16(p[0])
		if p[0]+p[1] < len(pl) {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], fo)
		binary.BigEndian.PutUint32(fh[4:], id)
		out = append(out, append(append(h, fh...), pl[p[0]:p[0]+p[1]]...))
	}
	return out
}

// TestFragments checks IP reassembly: fragments in any order make the
// datagram, decoded with the frame of the one that completed it, as
// Wireshark shows it; exact copies are ignored; overlapping fragments
// drop the datagram (RFC 5722) and are counted, as are fragments that
// never make a datagram.
func TestFragments(t *testing.T) {
	data := "0123456789abcdefghijklmnopqrstuvwxyz" // 20+36 bytes of TCP
	for _, tc := range []struct {
		name   string
		pieces [][2]int
		want   string // the client's stream
		frags  int    // Stats.Fragments
		over   int
	}{
		{"in order", [][2]int{{0, 24}, {24, 24}, {48, 8}}, data, 0, 0},
		{"reversed", [][2]int{{48, 8}, {24, 24}, {0, 24}}, data, 0, 0},
		{"a copy", [][2]int{{0, 24}, {0, 24}, {24, 32}}, data, 1, 0},
		{"overlapping", [][2]int{{0, 32}, {24, 32}}, "", 2, 1},
		{"incomplete", [][2]int{{0, 24}, {48, 8}}, "", 2, 0},
	} {
		for _, v6 := range []bool{false, true} {
			client, server := cliAddr, srvAddr
			if v6 {
				client, server = cli6, srv6
			}
			seg := tcpSeg(client, server, pkt{true, 101, 901, flagACK, data})
			var frames []frame
			for i, f := range fragment(ipPacket(client, server, seg), 7, tc.pieces) {
				frames = append(frames, frame{time.Unix(1700000000, int64(i)), f})
			}
			r := newRecorder()
			st, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if s := r.streams[1]; s != nil {
				got = string(s[0])
			}
			if got != tc.want || st.Fragments != tc.frags || st.FragmentOverlaps != tc.over || st.Malformed != 0 {
				t.Errorf("%s v6=%v: stream %q, stats %+v; want %q, %d fragments not reassembled, %d overlaps",
					tc.name, v6, got, st, tc.want, tc.frags, tc.over)
			}
			if tc.want != "" && (len(r.frames) != 1 || r.frames[0] != "1/0:"+[]string{"", "", "", "3"}[len(tc.pieces)]+"+36") {
				t.Errorf("%s v6=%v: delivered %v, want with the last fragment's frame", tc.name, v6, r.frames)
			}
		}
	}
}

// TestFragmentTimeout checks that fragments of a datagram that does not
// become whole within fragTimeout are given up, and that a later fragment
// of the same identification starts anew.
func TestFragmentTimeout(t *testing.T) {
	data := "0123456789abcdefghijklmnopqrstuvwxyz"
	seg := tcpSeg(cliAddr, srvAddr, pkt{true, 101, 901, flagACK, data})
	fr := fragment(ipPacket(cliAddr, srvAddr, seg), 7, [][2]int{{0, 24}, {24, 32}})
	t0 := time.Unix(1700000000, 0)
	frames := []frame{{t0, fr[0]}, {t0.Add(fragTimeout + time.Second), fr[1]}}
	r := newRecorder()
	st, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.streams) != 0 || st.Fragments != 2 {
		t.Errorf("streams %v, %d fragments not reassembled; want none, 2", r.streams, st.Fragments)
	}
}

func TestStatsUnreassembled(t *testing.T) {
	for _, c := range []struct {
		st   Stats
		want string
	}{
		{Stats{Packets: 3, Flows: 1}, ""},
		{Stats{Packets: 3, Fragments: 3}, ""}, // Nothing says it
		{Stats{Packets: 9, Flows: 1, Fragments: 4, FragmentOverlaps: 1}, "4 IP fragments could not be reassembled (1 datagram dropped for overlapping fragments): the bytes of connections they held are shown as gaps"},
	} {
		if got := c.st.Unreassembled(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.st, got, c.want)
		}
	}
}

// TestGapOfFragments checks that a gap says what of it IP fragments that
// could not be reassembled account for, and why: the datagram of the
// client's "world" lost a fragment (the one with the TCP header, or
// another), had overlapping ones, or had one cut by the snapshot length;
// a segment not captured at all is a gap that none accounts for, as is a
// lost fragment of another connection between the same hosts. The gap
// comes at the peer's acknowledgement, with the datagram still waiting
// for its fragments, or at the end of the capture, after it was given
// up.
func TestGapOfFragments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pieces [][2]int
		keep   []int // the fragments captured, in order
		cutTo  int   // the last one kept is cut to this many bytes of payload
		other  bool  // the datagram is another connection's
		want   Unreassembled
	}{
		{"last fragment missing", [][2]int{{0, 8}, {8, 8}, {16, 9}}, []int{0, 1}, 0, false,
			Unreassembled{Datagrams: 1, Fragments: 2, Causes: FragmentMissing}},
		{"middle fragment missing", [][2]int{{0, 16}, {16, 8}, {24, 1}}, []int{0, 2}, 0, false,
			Unreassembled{Datagrams: 1, Fragments: 2, Causes: FragmentMissing, Whole: true}},
		{"first fragment missing", [][2]int{{0, 8}, {8, 8}, {16, 9}}, []int{2, 1}, 0, false,
			Unreassembled{Datagrams: 1, Fragments: 2, Causes: FragmentMissing, ByAddresses: true}},
		{"overlapping", [][2]int{{0, 16}, {8, 17}}, []int{0, 1}, 0, false,
			Unreassembled{Datagrams: 1, Fragments: 2, Causes: FragmentsOverlap, Whole: true}},
		{"cut by the snapshot length", [][2]int{{0, 16}, {16, 9}}, []int{1, 0}, 14, false,
			Unreassembled{Datagrams: 1, Fragments: 2, Causes: FragmentCut, Whole: true}},
		{"not captured", [][2]int{{0, 8}, {8, 17}}, nil, 0, false, Unreassembled{}},
		{"another connection's", [][2]int{{0, 8}, {8, 8}, {16, 9}}, []int{0, 1}, 0, true, Unreassembled{}},
	} {
		for i := range 4 {
			v6, atEnd := i&1 != 0, i&2 != 0
			client, server := cliAddr, srvAddr
			if v6 {
				client, server = cli6, srv6
			}
			pkts := append(slices.Clone(synHandshake),
				pkt{true, 101, 901, flagACK, "hello "},
				pkt{true, 107, 901, flagACK, "world"}, // fragmented
				pkt{true, 112, 901, flagACK, "!!"},
				pkt{false, 901, 114, flagACK, "pong"},
				pkt{true, 114, 905, flagACK | flagFIN, ""},
				pkt{false, 905, 115, flagACK | flagFIN, ""},
			)
			if atEnd {
				pkts = pkts[:6]
			}
			var frames []frame
			for i, p := range pkts {
				src, dst := client, server
				if !p.fromClient {
					src, dst = server, client
				}
				ts := time.Unix(1700000000, int64(i)*1000)
				if i != 4 {
					frames = append(frames, frame{ts, ipPacket(src, dst, tcpSeg(src, dst, p))})
					continue
				}
				if tc.other {
					src = netip.AddrPortFrom(src.Addr(), src.Port()+1)
				}
				frags := fragment(ipPacket(src, dst, tcpSeg(src, dst, p)), 7, tc.pieces)
				for j, k := range tc.keep {
					f := frags[k]
					if j == len(tc.keep)-1 && tc.cutTo > 0 {
						f = f[:len(f)-tc.pieces[k][1]+tc.cutTo]
					}
					frames = append(frames, frame{ts, f})
				}
			}
			r := newRecorder()
			if _, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
				t.Fatal(err)
			}
			var gaps []TCPEvent
			for _, ev := range r.tcp {
				if ev.Kind == "gap" {
					gaps = append(gaps, ev)
				}
			}
			if len(gaps) != 1 || gaps[0].RelSeq != 7 || gaps[0].Missing != 5 || gaps[0].Unreassembled != tc.want {
				t.Errorf("%s v6=%v at the end=%v: gaps %+v, want one at seq 7 of 5 bytes with %+v", tc.name, v6, atEnd, gaps, tc.want)
			}
			if s := r.streams[1]; s == nil || string(s[0]) != "hello !!" {
				t.Errorf("%s v6=%v at the end=%v: streams %q", tc.name, v6, atEnd, s)
			}
		}
	}
}
