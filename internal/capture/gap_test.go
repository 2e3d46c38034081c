package capture

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"
)

var synHandshake = []pkt{
	{true, 100, 0, flagSYN, ""},
	{false, 900, 101, flagSYN | flagACK, ""},
	{true, 101, 901, flagACK, ""},
}

// TestGapWhereBytesArrived checks that a segment the capture lost, once the
// peer acknowledges what follows it, becomes a gap at the frame of the
// bytes after it, and that those bytes go out with their own frame and
// time, before what came later: not at the end of the file.
func TestGapWhereBytesArrived(t *testing.T) {
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "abc"},  // 4
		pkt{true, 107, 901, flagACK, "ghi"},  // 5: 104-106 never captured
		pkt{false, 901, 110, flagACK, ""},    // 6: the server has all of it
		pkt{false, 901, 110, flagACK, "xyz"}, // 7
		pkt{true, 110, 904, flagACK | flagFIN, ""},
		pkt{false, 904, 111, flagACK | flagFIN, ""},
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"syn@1", "syn_ack@2", "ack@3", "abc@4", "gap@5", "ghi@5", "xyz@7", "fin@8", "fin@9"}
	if !slices.Equal(r.log, want) {
		t.Errorf("events %v\nwant   %v", r.log, want)
	}
	for _, ev := range r.tcp {
		if ev.Kind == "gap" && (ev.Missing != 3 || !ev.Time.Equal(frames[4].ts)) {
			t.Errorf("gap %+v, want 3 bytes at %v", ev, frames[4].ts)
		}
	}
}

// TestSnapLen checks packets cut by the capture's snapshot length: what was
// captured goes out, a gap stands for the rest at the same frame, the
// first cut packet of the flow says so once, and the segments after it
// follow at once instead of waiting for bytes that will never come.
func TestSnapLen(t *testing.T) {
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "abcdef"}, // 4: cut to "ab"
		pkt{true, 107, 901, flagACK, "ghijkl"}, // 5: cut to "gh"
		pkt{true, 113, 901, flagACK, "mn"},     // 6
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	frames[3].data = frames[3].data[:len(frames[3].data)-4]
	frames[4].data = frames[4].data[:len(frames[4].data)-4]
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"syn@1", "syn_ack@2", "ack@3", "truncated@4", "ab@4", "gap@4", "gh@5", "gap@5", "mn@6"}
	if !slices.Equal(r.log, want) {
		t.Errorf("events %v\nwant   %v", r.log, want)
	}
	for _, ev := range r.tcp {
		if (ev.Kind == "gap" || ev.Kind == "truncated") && ev.Missing != 4 {
			t.Errorf("%s of %d bytes, want 4", ev.Kind, ev.Missing)
		}
	}
}

// TestUnsupportedLinkType checks that a capture of a link type that cannot
// be read is an error naming it, not an empty success.
func TestUnsupportedLinkType(t *testing.T) {
	frames := []frame{{time.Unix(1700000000, 0), []byte("not a frame this reader knows")}}
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"pcap", writePcap(147, frames, binary.LittleEndian, false)},
		{"pcapng", writePcapng(147, frames, binary.LittleEndian, "")},
	} {
		err := Read(bytes.NewReader(tc.in), newRecorder(), Options{})
		if err == nil || !strings.Contains(err.Error(), "link type 147 (USER0)") {
			t.Errorf("%s: error %v, want one naming link type 147 (USER0)", tc.name, err)
		}
	}
}

// TestSnapLenInOptions checks a packet cut inside its TCP options (dumpcap
// -s 60 on Ethernet): the fixed header is enough to follow the stream, and
// its whole payload is a gap, not a malformed packet dropped in silence.
func TestSnapLenInOptions(t *testing.T) {
	nops := "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, nops + "abcdef"}, // 4: options cut
		pkt{true, 107, 901, flagACK, "gh"},            // 5
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	frames[3].data[20+12] = 8 << 4 // a 32-byte TCP header
	frames[3].data = frames[3].data[:20+24]
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"syn@1", "syn_ack@2", "ack@3", "truncated@4", "gap@4", "gh@5"}
	if !slices.Equal(r.log, want) {
		t.Errorf("events %v\nwant   %v", r.log, want)
	}
	if len(r.tcp) < 5 || r.tcp[3].Missing != 14 || r.tcp[4].Missing != 6 {
		t.Errorf("TCP events %+v, want a truncated packet missing 14 bytes and a gap of 6", r.tcp)
	}
}

// TestGapBeforeFIN checks that bytes lost just before a FIN, with nothing
// after them to wait for, are a gap at the FIN, not forgotten.
func TestGapBeforeFIN(t *testing.T) {
	pkts := append(slices.Clone(synHandshake),
		pkt{false, 901, 101, flagACK, "abc"},        // 4
		pkt{false, 907, 101, flagACK | flagFIN, ""}, // 5: 904-906 never captured
		pkt{true, 101, 908, flagACK | flagFIN, ""},  // 6
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"syn@1", "syn_ack@2", "ack@3", "abc@4", "gap@5", "fin@5", "fin@6"}
	if !slices.Equal(r.log, want) {
		t.Errorf("events %v\nwant   %v", r.log, want)
	}
}

// TestReorderedAfterAck checks a segment the capture holds after the peer's
// acknowledgement of it (captured out of order, not lost): the reader waits
// for it instead of giving the hole up at the acknowledgement, and the bytes
// after it go out with the frame that filled the hole, as tshark's
// out-of-order reassembly shows them. The same segment past the reorder
// window is given up where the acknowledgement came, with no other step of
// the connection out of order.
func TestReorderedAfterAck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		later int // segments of the server between the ACK and the lost bytes
		want  []string
	}{
		{"within the window", 3, []string{"abc@4", "xyz@7", "xyz@8", "xyz@9", "def@10", "ghi@10", "fin@11", "fin@12"}},
		{"past the window", reorderWindow + 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts := append(slices.Clone(synHandshake),
				pkt{true, 101, 901, flagACK, "abc"}, // 4
				pkt{true, 107, 901, flagACK, "ghi"}, // 5: 104-106 come later
				pkt{false, 901, 110, flagACK, ""},   // 6: the server has all of it
			)
			srv := uint32(901)
			for range tc.later {
				pkts = append(pkts, pkt{false, srv, 110, flagACK, "xyz"})
				srv += 3
			}
			pkts = append(pkts,
				pkt{true, 104, srv, flagACK, "def"},
				pkt{true, 110, srv, flagACK | flagFIN, ""},
				pkt{false, srv, 111, flagACK | flagFIN, ""},
			)
			frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
			r := newRecorder()
			if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
				t.Fatal(err)
			}
			got := r.log[3:]
			if tc.want != nil {
				if s := r.streams[1]; s == nil || string(s[0]) != "abcdefghi" {
					t.Fatalf("client bytes %q, want abcdefghi", s)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("events %v\nwant   %v", got, tc.want)
				}
				return
			}
			// Given up at the ACK: the gap and the bytes after it come
			// before the server's data, and the late bytes are not
			// taken.
			if s := r.streams[1]; s == nil || string(s[0]) != "abcghi" {
				t.Fatalf("client bytes %q, want abcghi", s)
			}
			if len(got) < 3 || got[0] != "abc@4" || got[1] != "gap@5" || got[2] != "ghi@5" || got[3] != "xyz@7" {
				t.Errorf("events %v, want abc@4 gap@5 ghi@5 xyz@7 …", got)
			}
		})
	}
}

// TestRetransmission checks that bytes seen again are a retransmission
// step, compared with the first copy (which is the one handed on), in
// order and out of order, and that a flow that had some counts them when
// it ends.
func TestRetransmission(t *testing.T) {
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "abcd"}, // 4
		pkt{true, 101, 901, flagACK, "abcd"}, // 5: the same again
		pkt{true, 103, 901, flagACK, "cXef"}, // 6: c again, X for d, then ef
		pkt{true, 110, 901, flagACK, "jk"},   // 7: after a hole
		pkt{true, 110, 901, flagACK, "jK"},   // 8: waiting, sent again
		pkt{true, 107, 901, flagACK, "ghi"},  // 9: fills the hole
		pkt{true, 112, 901, flagACK | flagFIN, ""},
		pkt{false, 901, 113, flagACK | flagFIN, ""},
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	if s := r.streams[1]; s == nil || string(s[0]) != "abcdefghijk" {
		t.Fatalf("client bytes %q, want abcdefghijk (the first copies)", s)
	}
	want := []string{"abcd@4", "retransmission@5", "retransmission@6", "ef@6", "ghi@9", "jk@9", "retransmission@8", "fin@10", "fin@11", "retransmission_summary@11"}
	if got := r.log[3:]; !slices.Equal(got, want) {
		t.Errorf("events %v\nwant   %v", got, want)
	}
	type seen struct {
		relSeq                   uint32
		len, again, differ, unck int
		at                       uint32
	}
	var got []seen
	var sum *TCPEvent
	for _, ev := range r.tcp {
		switch ev.Kind {
		case "retransmission":
			got = append(got, seen{ev.RelSeq, ev.Len, ev.Again, ev.Differ, ev.Unchecked, ev.DifferAt})
		case "retransmission_summary":
			sum = &ev
		}
	}
	wantSeen := []seen{{1, 4, 4, 0, 0, 0}, {3, 4, 2, 1, 0, 4}, {10, 2, 2, 1, 0, 11}}
	if !slices.Equal(got, wantSeen) {
		t.Errorf("retransmissions %+v\nwant             %+v", got, wantSeen)
	}
	if sum == nil || sum.Segments != 3 || sum.Again != 8 || sum.Differ != 2 {
		t.Errorf("summary %+v, want 3 segments, 8 bytes, 2 differing", sum)
	}
}

// TestRetransmissionOfMissingBytes checks bytes that come after they were
// given up as a gap: a retransmission that could not be compared, since
// the capture never had the first copy.
func TestRetransmissionOfMissingBytes(t *testing.T) {
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "abc"}, // 4
		pkt{true, 107, 901, flagACK, "ghi"}, // 5: 104-106 not yet
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	frames = append(frames, buildFrames(linkRaw, cliAddr, srvAddr, []pkt{{true, 104, 901, flagACK, "def"}})...)
	r := newRecorder()
	// A buffer of 2 bytes gives the hole up at once.
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{MaxBuffered: 2}); err != nil {
		t.Fatal(err)
	}
	var ev *TCPEvent
	for i := range r.tcp {
		if r.tcp[i].Kind == "retransmission" {
			ev = &r.tcp[i]
		}
	}
	if ev == nil || ev.Again != 3 || ev.Unchecked != 3 || ev.Differ != 0 {
		t.Errorf("retransmission %+v, want 3 bytes again, none compared", ev)
	}
}
