package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// readPkts reads a raw IP capture of pkts between cliAddr and srvAddr.
func readPkts(t *testing.T, pkts []pkt) *recorder {
	t.Helper()
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFastOpen checks data carried by a SYN and a SYN-ACK (TCP Fast Open,
// RFC 7413): the SYN takes one sequence number, the data the ones after
// it, as tshark reassembles them.
func TestFastOpen(t *testing.T) {
	r := readPkts(t, []pkt{
		{true, 100, 0, flagSYN, "hello"},
		{false, 900, 106, flagSYN | flagACK, "hi"},
		{true, 106, 903, flagACK, " world"},
		{false, 903, 112, flagACK, "!"},
		{true, 112, 904, flagACK | flagFIN, ""},
		{false, 904, 113, flagACK | flagFIN, ""},
	})
	if s := r.streams[1]; s == nil || string(s[0]) != "hello world" || string(s[1]) != "hi!" {
		t.Fatalf("streams %q, want hello world and hi!", s)
	}
	want := []string{"syn@1", "hello@1", "syn_ack@2", "hi@2", " world@3", "!@4", "fin@5", "fin@6"}
	if !slices.Equal(r.log, want) {
		t.Errorf("events %v\nwant   %v", r.log, want)
	}
}

// TestReset checks resets: one outside the receiver's window is a step
// that changes nothing (endpoints ignore it, RFC 5961), and after one in
// the window the peer's data in flight is still decoded, as tshark shows
// it; data of the connection after it closed (ResetLinger later) is said
// and counted, never dropped in silence.
func TestReset(t *testing.T) {
	t.Run("out of window", func(t *testing.T) {
		r := readPkts(t, append(slices.Clone(synHandshake),
			pkt{true, 101, 901, flagACK, "hello"},
			pkt{true, 101 + 1e6, 901, flagACK | flagRST, ""},
			pkt{false, 901, 106, flagACK, "reply"},
			pkt{true, 106, 906, flagACK | flagFIN, ""},
			pkt{false, 906, 107, flagACK | flagFIN, ""},
		))
		if s := r.streams[1]; s == nil || string(s[0]) != "hello" || string(s[1]) != "reply" {
			t.Fatalf("streams %q", s)
		}
		var rst *TCPEvent
		for i := range r.tcp {
			if r.tcp[i].Kind == "rst" {
				rst = &r.tcp[i]
			}
		}
		if rst == nil || !rst.OutOfWindow {
			t.Errorf("rst %+v, want one out of the window", rst)
		}
	})
	t.Run("data in flight", func(t *testing.T) {
		r := readPkts(t, append(slices.Clone(synHandshake),
			pkt{true, 101, 901, flagACK, "hello"},
			pkt{true, 106, 901, flagACK | flagRST, ""},
			pkt{false, 901, 106, flagACK, "reply"},
		))
		if s := r.streams[1]; s == nil || string(s[1]) != "reply" {
			t.Fatalf("streams %q, want the server's reply", s)
		}
		want := []string{"hello@4", "rst@5", "reply@6"}
		if got := r.log[3:]; !slices.Equal(got, want) {
			t.Errorf("events %v\nwant   %v", got, want)
		}
		for _, ev := range r.tcp {
			if ev.OutOfWindow {
				t.Errorf("%+v taken out of the window", ev)
			}
		}
	})
	t.Run("after the connection closed", func(t *testing.T) {
		pkts := append(slices.Clone(synHandshake),
			pkt{true, 101, 901, flagACK, "hello"},
			pkt{true, 106, 901, flagACK | flagRST, ""},
			pkt{false, 901, 106, flagACK, "late"},
			pkt{false, 905, 106, flagACK, "later"},
		)
		frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
		frames[5].ts = frames[4].ts.Add(ResetLinger + time.Millisecond)
		frames[6].ts = frames[5].ts
		r := newRecorder()
		st, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"hello@4", "rst@5", "after_reset@6"}
		if got := r.log[3:]; !slices.Equal(got, want) {
			t.Errorf("events %v\nwant   %v", got, want)
		}
		if ev := r.tcp[len(r.tcp)-1]; ev.RelSeq != 1 || ev.Len != 4 || ev.FromClient {
			t.Errorf("after_reset %+v, want the server's 4 bytes at seq 1", ev)
		}
		if st.AfterReset != 2 || !slices.Equal(r.closed, []int{1}) {
			t.Errorf("%d segments after the reset, flows closed %v; want 2, [1]", st.AfterReset, r.closed)
		}
	})
}

// TestTotalLengthZero checks IPv4 packets whose total length is 0, as a
// capture of segmentation offload (TSO, BIG TCP) holds them: the captured
// length is the packet's, as Wireshark takes it.
func TestTotalLengthZero(t *testing.T) {
	frames := buildFrames(linkEthernet, cliAddr, srvAddr, handshake)
	for _, f := range frames {
		f.data[18+2], f.data[18+3] = 0, 0 // after Ethernet and a VLAN tag
	}
	r := newRecorder()
	st, err := ReadStats(bytes.NewReader(writePcap(linkEthernet, frames, binary.LittleEndian, false)), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.streams[1]; s == nil || string(s[0]) != "hello world" || string(s[1]) != "pong" || st.Malformed != 0 {
		t.Fatalf("streams %q, %d malformed", s, st.Malformed)
	}
}

// TestSimultaneousOpen checks a connection both sides open at once (RFC
// 9293, Section 3.5): two SYNs, then a SYN-ACK each way, are one
// connection whose client sent the first SYN, as Wireshark's tcp.stream.
func TestSimultaneousOpen(t *testing.T) {
	r := readPkts(t, []pkt{
		{true, 100, 0, flagSYN, ""},
		{false, 900, 0, flagSYN, ""},
		{false, 900, 101, flagSYN | flagACK, ""},
		{true, 100, 901, flagSYN | flagACK, ""},
		{true, 101, 901, flagACK, "hello"},
		{false, 901, 106, flagACK, "reply"},
	})
	if len(r.streams) != 1 {
		t.Fatalf("%d flows, want 1", len(r.streams))
	}
	if s := r.streams[1]; string(s[0]) != "hello" || string(s[1]) != "reply" {
		t.Errorf("streams %q", s)
	}
	want := []string{"c:syn", "s:syn", "s:syn_ack", "c:syn_ack", "c:ack"}
	if got := r.kinds(); !slices.Equal(got, want) {
		t.Errorf("tcp events %v, want %v", got, want)
	}
}

// TestLinkTypeFCSBits checks a pcap link type field that holds more than
// the link type in its top bits (libpcap's LT_FCS_DATALINK_EXT: frames end
// with an FCS): the link type is the rest, and the FCS is not taken for
// payload, here where nothing else would say where the packet ends (IPv4
// total lengths of 0). Reserved bits make the link type unknown, and the
// error says which.
func TestLinkTypeFCSBits(t *testing.T) {
	for _, lt := range []uint32{linkEthernet | 0x04000000 | 2<<28, linkEthernet | 0x08000000 | 2<<28} {
		frames := buildFrames(linkEthernet, cliAddr, srvAddr, handshake)
		for i := range frames {
			if lt&0x04000000 != 0 {
				frames[i].data[18+2], frames[i].data[18+3] = 0, 0
			}
			frames[i].data = append(frames[i].data, 0xde, 0xad, 0xbe, 0xef)
		}
		r := newRecorder()
		if err := Read(bytes.NewReader(writePcap(lt, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
			t.Fatalf("link type field %#x: %v", lt, err)
		}
		if s := r.streams[1]; s == nil || string(s[0]) != "hello world" || string(s[1]) != "pong" {
			t.Errorf("link type field %#x: streams %q", lt, s)
		}
	}
	frames := buildFrames(linkEthernet, cliAddr, srvAddr, handshake)
	err := Read(bytes.NewReader(writePcap(linkEthernet|0x10000, frames, binary.LittleEndian, false)), newRecorder(), Options{})
	if want := "link type 1 (ETHERNET) with reserved bits 0x00010000 set"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one saying %q", err, want)
	}
}

// TestTimestampResolutions checks pcapng timestamps at resolutions other
// than microseconds, down to ones finer than 64 bits count in a second:
// exact, the nanoseconds truncated as Wireshark truncates them.
func TestTimestampResolutions(t *testing.T) {
	for _, tc := range []struct {
		ticks   uint64
		tsresol byte
		want    time.Time
	}{
		{1_700_000_000_123_456, 6, time.Unix(1_700_000_000, 123_456_000)},
		{1_700_000_000_123_456_789, 9, time.Unix(1_700_000_000, 123_456_789)},
		{17_000_000_001, 1, time.Unix(1_700_000_000, 100_000_000)},
		{1_700_000_000_123_456_789_0, 10, time.Unix(1_700_000_000, 123_456_789)},
		{1_700_000_000<<32 | 0x8000_0001, 0x80 | 32, time.Unix(1_700_000_000, 500_000_000)},
		{3<<30 | 1, 0x80 | 30, time.Unix(3, 0)},
		{(1_700_000_000*1024+1)<<20 | 7, 0x80 | 30, time.Unix(1_700_000_000, 976_569)},
		{1 << 63, 0x80 | 64, time.Unix(0, 500_000_000)},
		{1 << 63, 0x80 | 70, time.Unix(0, 7_812_500)},
		{1 << 63, 0x80 | 100, time.Unix(0, 0)},
		{5_000_000_000_000_000_000, 20, time.Unix(0, 50_000_000)},
		{5_000_000_000_000_000_000, 40, time.Unix(0, 0)},
	} {
		if got := tsFrom(tc.ticks, tc.tsresol); !got.Equal(tc.want) {
			t.Errorf("%d ticks at %#x: %v, want %v", tc.ticks, tc.tsresol, got.UnixNano(), tc.want.UnixNano())
		}
	}
}

// TestTimestampOffset checks if_tsoffset: the seconds an interface's
// timestamps are counted from, added to each.
func TestTimestampOffset(t *testing.T) {
	bo := binary.BigEndian
	var b []byte
	shb := bo.AppendUint32(nil, 0x1A2B3C4D)
	shb = bo.AppendUint16(shb, 1)
	shb = bo.AppendUint16(shb, 0)
	shb = bo.AppendUint64(shb, ^uint64(0))
	b = append(b, ngBlock(bo, 0x0A0D0D0A, shb)...)
	for _, off := range []int64{0, 1_000_000_000} {
		idb := bo.AppendUint16(nil, linkRaw)
		idb = bo.AppendUint16(idb, 0)
		idb = bo.AppendUint32(idb, 0)
		idb = bo.AppendUint16(idb, 14) // if_tsoffset
		idb = bo.AppendUint16(idb, 8)
		idb = bo.AppendUint64(idb, uint64(off))
		idb = bo.AppendUint32(idb, 0)
		b = append(b, ngBlock(bo, 1, idb)...)
	}
	frames := buildFrames(linkRaw, cliAddr, srvAddr, handshake)
	for i, f := range frames {
		// Microseconds; the second interface's count from its offset.
		us := uint64(f.ts.UnixMicro()) - uint64(i%2)*1_000_000_000_000_000
		epb := bo.AppendUint32(nil, uint32(i%2))
		epb = bo.AppendUint32(epb, uint32(us>>32))
		epb = bo.AppendUint32(epb, uint32(us))
		epb = bo.AppendUint32(epb, uint32(len(f.data)))
		epb = bo.AppendUint32(epb, uint32(len(f.data)))
		b = append(b, ngBlock(bo, 6, append(epb, f.data...))...)
	}
	r := newRecorder()
	if err := Read(bytes.NewReader(b), r, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range r.tcp {
		if want := frames[ev.Frame-1].ts; !ev.Time.Equal(want) {
			t.Errorf("%s at frame %d: time %v, want %v", ev.Kind, ev.Frame, ev.Time, want)
		}
	}
}

// TestFrameNumbersOverOtherBlocks checks that the pcapng blocks Wireshark
// shows as frames though they hold no packet (Custom Blocks, systemd
// Journal Export Blocks, Sysdig events) are counted as tshark 4.0 counts
// them, and the others (Name Resolution, Interface Statistics, unknown
// types) not, so that frame numbers match tshark's.
func TestFrameNumbersOverOtherBlocks(t *testing.T) {
	bo := binary.LittleEndian
	file := writePcapng(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, handshake), bo, "")
	// After the section header, the interface and the SYN (frame 1).
	at := 28 + 32
	at += int(bo.Uint32(file[at+4:]))
	var blocks []byte
	for _, typ := range []uint32{0xBAD, 0x40000BAD, 9, 0x204, 0x216, 0x221, 4, 5, 0x1234} {
		blocks = append(blocks, ngBlock(bo, typ, make([]byte, 16))...)
	}
	file = slices.Concat(file[:at], blocks, file[at:])
	r := newRecorder()
	if err := Read(bytes.NewReader(file), r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"syn@1", "syn_ack@8", "ack@9", "hello @10", "world@11", "pong@12", "fin@13", "fin@14"}
	if !slices.Equal(r.log, want) {
		t.Errorf("events %v\nwant   %v", r.log, want)
	}
}

// TestKeepAliveAndZeroWindowProbe checks two segments that carry a byte
// seen before without being retransmissions, as tshark tells them apart: a
// keep-alive (one byte, any byte, just before the next; here a zero where
// the first copy had "d") and the segment after a zero window probe, which
// repeats the probe's byte.
func TestKeepAliveAndZeroWindowProbe(t *testing.T) {
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "abcd"}, // 4
		pkt{false, 901, 105, flagACK, ""},    // 5: window 0
		pkt{true, 104, 901, flagACK, "\x00"}, // 6: keep-alive
		pkt{true, 105, 901, flagACK, "e"},    // 7: zero window probe
		pkt{false, 901, 105, flagACK, ""},    // 8: the window opens
		pkt{true, 105, 901, flagACK, "efgh"}, // 9: the probe's byte again
		pkt{true, 109, 901, flagACK | flagFIN, ""},
		pkt{false, 901, 110, flagACK | flagFIN, ""},
	)
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	binary.BigEndian.PutUint16(frames[4].data[20+14:], 0)
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	if s := r.streams[1]; s == nil || string(s[0]) != "abcdefgh" {
		t.Fatalf("client stream %q, want abcdefgh", s)
	}
	want := []string{"abcd@4", "keep_alive@6", "e@7", "fgh@9", "fin@10", "fin@11"}
	if got := r.log[3:]; !slices.Equal(got, want) {
		t.Errorf("events %v\nwant   %v", got, want)
	}
}

// TestKeepAliveAgainstTshark checks the keep-alive steps of a crafted
// capture against the segments tshark marks tcp.analysis.keep_alive: of
// one byte (a zero, or the byte sent before) and of none, from either
// side, at the sequence number before the next of their side; not a pure
// acknowledgement, the zero window probe, nor a segment sent again from
// further back (a retransmission).
func TestKeepAliveAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	pkts := append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "abcd"},  // 4
		pkt{false, 901, 105, flagACK, ""},     // 5
		pkt{true, 104, 901, flagACK, "\x00"},  // 6: keep-alive, a zero
		pkt{false, 901, 105, flagACK, ""},     // 7
		pkt{true, 104, 901, flagACK, ""},      // 8: keep-alive, no byte
		pkt{false, 901, 105, flagACK, "wxyz"}, // 9
		pkt{false, 904, 105, flagACK, "z"},    // 10: keep-alive, the byte sent before
		pkt{true, 102, 905, flagACK, "bc"},    // 11: retransmission
		pkt{true, 105, 905, flagACK, "efgh"},  // 12
		pkt{false, 904, 109, flagACK, ""},     // 13: keep-alive, no byte
		pkt{true, 109, 905, flagACK | flagFIN, ""},
		pkt{false, 905, 110, flagACK | flagFIN, ""},
	)
	file := writePcap(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, pkts), binary.LittleEndian, false)
	path := filepath.Join(t.TempDir(), "keepalive.pcap")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	if err := Read(bytes.NewReader(file), r, Options{}); err != nil {
		t.Fatal(err)
	}
	if s := r.streams[1]; s == nil || string(s[0]) != "abcdefgh" || string(s[1]) != "wxyz" {
		t.Fatalf("streams %q", s)
	}
	var got []string
	for _, ev := range r.tcp {
		if ev.Kind == "keep_alive" {
			got = append(got, strconv.Itoa(ev.Frame))
		}
	}
	out, err := exec.Command("tshark", "-r", path, "-Y", "tcp.analysis.keep_alive", "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))
	if !slices.Equal(got, want) || len(want) != 4 {
		t.Errorf("keep-alives in frames %v, tshark's %v (events %v)", got, want, r.log)
	}
}

// TestFINBeforeItsData checks a FIN captured before the last bytes it
// follows (the capture reordered them): it waits for them as bytes after a
// hole do, instead of giving them up as a gap at once.
func TestFINBeforeItsData(t *testing.T) {
	r := readPkts(t, append(slices.Clone(synHandshake),
		pkt{false, 901, 101, flagACK, "abc"},        // 4
		pkt{false, 907, 101, flagACK | flagFIN, ""}, // 5: before 904-906
		pkt{false, 904, 101, flagACK, "def"},        // 6
		pkt{true, 101, 908, flagACK | flagFIN, ""},  // 7
	))
	if s := r.streams[1]; s == nil || string(s[1]) != "abcdef" {
		t.Fatalf("server stream %q, want abcdef", s)
	}
	want := []string{"abc@4", "def@6", "fin@5", "fin@7"}
	if got := r.log[3:]; !slices.Equal(got, want) {
		t.Errorf("events %v\nwant   %v", got, want)
	}
}

// TestRolesFromServerMessage checks a capture that starts after the
// ClientHello: the side sending a message only a server sends is the
// server, whatever the ports say; an encrypted record that happens to
// begin with the byte of a ServerHello but has no version after it is not
// taken for one.
func TestRolesFromServerMessage(t *testing.T) {
	hello := "\x16\x03\x03\x00\x0a\x02\x00\x00\x06\x03\x03abcd"
	for _, tc := range []struct {
		name, first string
		client      string
		by          string
	}{
		{"ServerHello", hello, "10.0.0.2:443", "server_message"},
		{"ServerHelloDone", "\x16\x03\x03\x00\x04\x0e\x00\x00\x00", "10.0.0.2:443", "server_message"},
		{"random", "\x16\x03\x03\x00\x0a\x02\x00\x00\x06\xf1\x07abcd", "10.0.0.1:51000", "port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The server, with the higher port here, sends first.
			pkts := []pkt{{true, 7, 9, flagACK, tc.first}, {false, 9, 7 + uint32(len(tc.first)), flagACK, "reply"}}
			frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
			r := newRecorder()
			if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
				t.Fatal(err)
			}
			if len(r.tcp) == 0 || r.tcp[0].Kind != "roles_inferred" || r.tcp[0].RoleBy != tc.by || r.tcp[0].Client.String() != tc.client {
				t.Errorf("first TCP step %+v, want client %s by %s", r.tcp, tc.client, tc.by)
			}
		})
	}
}

// withAH puts an Authentication Header (RFC 4302) of 24 bytes before the
// TCP segment of an IP packet from ipPacket.
func withAH(ip []byte) []byte {
	ah := make([]byte, 24)
	ah[0], ah[1] = 6, 24/4-2
	if ip[0]>>4 == 4 {
		out := slices.Concat(ip[:20], ah, ip[20:])
		out[9] = 51
		binary.BigEndian.PutUint16(out[2:], uint16(len(out)))
		return out
	}
	out := slices.Concat(ip[:48], ah, ip[48:])
	out[40] = 51 // hop-by-hop, then AH
	binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40))
	return out
}

// TestAuthenticationHeader checks TCP behind an IPsec Authentication
// Header, in IPv4 and IPv6, and link type 14 (raw IP, as BSD/OS wrote it).
func TestAuthenticationHeader(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		for _, link := range []uint32{linkRaw, linkRawBSDOS} {
			client, server := cliAddr, srvAddr
			if v6 {
				client, server = cli6, srv6
			}
			var frames []frame
			for i, p := range handshake {
				src, dst := client, server
				if !p.fromClient {
					src, dst = server, client
				}
				frames = append(frames, frame{time.Unix(1700000000, int64(i)), withAH(ipPacket(src, dst, tcpSeg(src, dst, p)))})
			}
			r := newRecorder()
			if err := Read(bytes.NewReader(writePcap(link, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
				t.Fatal(err)
			}
			if s := r.streams[1]; s == nil || string(s[0]) != "hello world" || string(s[1]) != "pong" {
				t.Errorf("v6=%v link %d: streams %q", v6, link, s)
			}
		}
	}
}

// TestCraftedAgainstTshark compares the stream bytes of the crafted
// captures of these tests with tshark's "follow tcp" of them.
func TestCraftedAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	raw := func(pkts []pkt) []byte {
		return writePcap(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, pkts), binary.LittleEndian, false)
	}
	after := func(more ...pkt) []pkt { return append(slices.Clone(synHandshake), more...) }
	var frags []frame
	for i, p := range handshake {
		src, dst := cliAddr, srvAddr
		if !p.fromClient {
			src, dst = srvAddr, cliAddr
		}
		ip := ipPacket(src, dst, tcpSeg(src, dst, p))
		if len(p.data) < 6 {
			frags = append(frags, frame{time.Unix(1700000000, int64(i)), ip})
			continue
		}
		for _, f := range fragment(ip, uint32(i), [][2]int{{16, len(ip) - 36}, {0, 16}}) {
			frags = append(frags, frame{time.Unix(1700000000, int64(i)), f})
		}
	}
	var ah []frame
	for i, p := range handshake {
		src, dst := cliAddr, srvAddr
		if !p.fromClient {
			src, dst = srvAddr, cliAddr
		}
		ah = append(ah, frame{time.Unix(1700000000, int64(i)), withAH(ipPacket(src, dst, tcpSeg(src, dst, p)))})
	}
	// The client's "world" in three fragments, the middle one not
	// captured.
	var lostFrag []frame
	for i, p := range handshake {
		src, dst := cliAddr, srvAddr
		if !p.fromClient {
			src, dst = srvAddr, cliAddr
		}
		ip := ipPacket(src, dst, tcpSeg(src, dst, p))
		if p.data != "world" {
			lostFrag = append(lostFrag, frame{time.Unix(1700000000, int64(i)), ip})
			continue
		}
		fr := fragment(ip, uint32(i), [][2]int{{0, 16}, {16, 8}, {24, 1}})
		lostFrag = append(lostFrag, frame{time.Unix(1700000000, int64(i)), fr[0]}, frame{time.Unix(1700000000, int64(i)), fr[2]})
	}
	tot0 := buildFrames(linkEthernet, cliAddr, srvAddr, handshake)
	for _, f := range tot0 {
		f.data[18+2], f.data[18+3] = 0, 0
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"fast open", raw([]pkt{
			{true, 100, 0, flagSYN, "hello"},
			{false, 900, 106, flagSYN | flagACK, "hi"},
			{true, 106, 903, flagACK, " world"},
			{false, 903, 112, flagACK, "!"},
		})},
		{"simultaneous open", raw([]pkt{
			{true, 100, 0, flagSYN, ""},
			{false, 900, 0, flagSYN, ""},
			{false, 900, 101, flagSYN | flagACK, ""},
			{true, 100, 901, flagSYN | flagACK, ""},
			{true, 101, 901, flagACK, "hello"},
			{false, 901, 106, flagACK, "reply"},
		})},
		{"data in flight after a reset", raw(after(
			pkt{true, 101, 901, flagACK, "hello"},
			pkt{true, 106, 901, flagACK | flagRST, ""},
			pkt{false, 901, 106, flagACK, "reply"},
		))},
		{"reset out of the window", raw(after(
			pkt{true, 101, 901, flagACK, "hello"},
			pkt{true, 101 + 1e6, 901, flagACK | flagRST, ""},
			pkt{false, 901, 106, flagACK, "reply"},
		))},
		{"FIN before its data", raw(after(
			pkt{false, 901, 101, flagACK, "abc"},
			pkt{false, 907, 101, flagACK | flagFIN, ""},
			pkt{false, 904, 101, flagACK, "def"},
			pkt{true, 101, 908, flagACK | flagFIN, ""},
		))},
		{"keep-alive", raw(after(
			pkt{true, 101, 901, flagACK, "abcd"},
			pkt{false, 901, 105, flagACK, ""},
			pkt{true, 104, 901, flagACK, "\x00"},
			pkt{true, 105, 901, flagACK, "efgh"},
		))},
		{"IPv4 fragments", writePcap(linkRaw, frags, binary.LittleEndian, false)},
		{"IPv4 fragment missing", writePcap(linkRaw, lostFrag, binary.LittleEndian, false)},
		{"data after both FINs", raw(afterFINs)},
		{"a new connection on the tuple after both FINs", raw(reuseAfterFINs)},
		{"Authentication Header", writePcap(linkRaw, ah, binary.LittleEndian, false)},
		{"Linux cooked with VLAN", writePcap(linkSLL, buildFrames(linkSLL, cliAddr, srvAddr, handshake), binary.LittleEndian, false)},
		{"total length 0", writePcap(linkEthernet, tot0, binary.LittleEndian, false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.pcap")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			r := newRecorder()
			if err := Read(bytes.NewReader(tc.file), r, Options{}); err != nil {
				t.Fatal(err)
			}
			for id := 1; id <= max(1, len(r.streams)); id++ {
				client, server := tsharkFollowStream(t, path, id-1)
				s := r.streams[id]
				if s == nil {
					s = &[2][]byte{}
				}
				if !bytes.Equal(s[0], client) || !bytes.Equal(s[1], server) {
					t.Errorf("streams of flow %d %q, tshark's %q and %q", id, s, client, server)
				}
			}
		})
	}
}

// closedByFINs is a connection both sides closed with a FIN, and the
// client's last acknowledgement.
var closedByFINs = append(slices.Clone(synHandshake),
	pkt{true, 101, 901, flagACK, "hello"},
	pkt{false, 901, 106, flagACK, "reply"},
	pkt{true, 106, 906, flagACK | flagFIN, ""},
	pkt{false, 906, 107, flagACK | flagFIN, ""},
	pkt{true, 107, 907, flagACK, ""},
)

// afterFINs sends segments with data after both FINs: bytes past the
// client's FIN (frames 9 and 12), and the server's bytes sent again (frame
// 10, and 11 with the FIN again), which tshark calls spurious
// retransmissions.
var afterFINs = append(slices.Clone(closedByFINs),
	pkt{true, 107, 907, flagACK, "more"},
	pkt{false, 901, 107, flagACK, "reply"},
	pkt{false, 901, 107, flagACK | flagFIN, "reply"},
	pkt{true, 111, 907, flagACK, "again"},
)

// reuseAfterFINs opens a new connection on the same addresses and ports
// after both FINs, as a client may once the port left TIME_WAIT (tshark:
// "TCP Port numbers reused").
var reuseAfterFINs = append(slices.Clone(closedByFINs),
	pkt{true, 5000, 0, flagSYN, ""},
	pkt{false, 7000, 5001, flagSYN | flagACK, ""},
	pkt{true, 5001, 7001, flagACK, ""},
	pkt{true, 5001, 7001, flagACK, "second"},
	pkt{false, 7001, 5007, flagACK, "answer"},
)

// TestAfterClose checks segments with data of a connection closed by a FIN
// from both sides: bytes past a FIN are said once (after_close) and every
// segment of them counted, never dropped in silence, and not decoded
// (tshark's follow tcp leaves them out too); bytes from before the FIN are
// a retransmission, as tshark says; a SYN on the same addresses and ports
// starts a new connection, which is decoded.
func TestAfterClose(t *testing.T) {
	t.Run("data", func(t *testing.T) {
		frames := buildFrames(linkRaw, cliAddr, srvAddr, afterFINs)
		r := newRecorder()
		st, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s := r.streams[1]; len(r.streams) != 1 || string(s[0]) != "hello" || string(s[1]) != "reply" {
			t.Fatalf("streams %q", r.log)
		}
		want := []string{"fin@6", "fin@7", "after_close@9", "retransmission@10", "retransmission@11"}
		if got := r.log[len(r.log)-len(want):]; !slices.Equal(got, want) {
			t.Errorf("events %v\nwant   ...%v", r.log, want)
		}
		if ev := r.tcp[len(r.tcp)-3]; ev.RelSeq != 7 || ev.Len != 4 || !ev.FromClient || ev.RelAck != 7 {
			t.Errorf("after_close %+v, want the client's 4 bytes at seq 7", ev)
		}
		if ev := r.tcp[len(r.tcp)-2]; ev.RelSeq != 1 || ev.Again != 5 || ev.Unchecked != 5 || ev.FromClient {
			t.Errorf("retransmission %+v, want the server's 5 bytes at seq 1, not compared", ev)
		}
		if st.AfterClose != 2 || st.AfterReset != 0 || !slices.Equal(r.closed, []int{1}) {
			t.Errorf("%d segments after the close, %d after a reset, flows closed %v; want 2, 0, [1]", st.AfterClose, st.AfterReset, r.closed)
		}
	})
	t.Run("port reuse", func(t *testing.T) {
		frames := buildFrames(linkRaw, cliAddr, srvAddr, reuseAfterFINs)
		r := newRecorder()
		st, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s := r.streams[2]; len(r.streams) != 2 || s == nil || string(s[0]) != "second" || string(s[1]) != "answer" {
			t.Fatalf("events %q, want a second flow", r.log)
		}
		if st.AfterClose != 0 || st.Flows != 2 || !slices.Equal(r.closed, []int{1, 2}) {
			t.Errorf("%d segments after the close, %d flows, closed %v; want 0, 2, [1 2]", st.AfterClose, st.Flows, r.closed)
		}
		for _, ev := range r.tcp {
			if ev.Kind == "after_close" || ev.Kind == "retransmission" {
				t.Errorf("%s at frame %d", ev.Kind, ev.Frame)
			}
		}
	})
}

// TestAfterCloseAgainstTshark checks that the frames tshark marks as
// retransmissions (spurious ones: bytes sent again after both FINs) are
// those read as ones, and no others: not the bytes past a FIN, not a new
// connection on the same tuple.
func TestAfterCloseAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	for _, pkts := range [][]pkt{afterFINs, reuseAfterFINs} {
		file := writePcap(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, pkts), binary.LittleEndian, false)
		path := filepath.Join(t.TempDir(), "c.pcap")
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("tshark", "-r", path, "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for _, f := range strings.Fields(string(out)) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("tshark: %q", out)
			}
			want = append(want, n)
		}
		r := newRecorder()
		if err := Read(bytes.NewReader(file), r, Options{}); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, ev := range r.tcp {
			if ev.Kind == "retransmission" {
				got = append(got, ev.Frame)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("retransmissions at frames %v, tshark's at %v", got, want)
		}
	}
}

// TestAfterEviction checks segments with data of a connection closed
// because more than MaxFlows were open: its bytes are not decoded, but
// said once (after_eviction) and every segment of them counted, never
// dropped in silence; bytes it had sent before are a retransmission.
func TestAfterEviction(t *testing.T) {
	other := netip.AddrPortFrom(cliAddr.Addr(), cliAddr.Port()+1)
	first := buildFrames(linkRaw, cliAddr, srvAddr, append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "hello"},
		pkt{false, 901, 106, flagACK, "reply"},
	))
	second := buildFrames(linkRaw, other, srvAddr, append(slices.Clone(synHandshake),
		pkt{true, 101, 901, flagACK, "other"},
	))
	later := buildFrames(linkRaw, cliAddr, srvAddr, []pkt{
		{true, 106, 906, flagACK, "more"},
		{false, 906, 110, flagACK, "answer"},
		{false, 901, 110, flagACK, "reply"},
		{true, 110, 912, flagACK | flagFIN, "last"},
	})
	frames := append(append(first, second...), later...)
	for i := range frames {
		frames[i].ts = time.Unix(1700000000, int64(i)*1000)
	}
	r := newRecorder()
	st, err := ReadStats(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{MaxFlows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.streams[1]; s == nil || string(s[0]) != "hello" || string(s[1]) != "reply" {
		t.Fatalf("first flow's streams %q", r.log)
	}
	want := []string{"after_eviction@10", "retransmission@12"}
	var got []string
	for _, ev := range r.tcp {
		if ev.Flow.ID == 1 && ev.Frame > 5 {
			got = append(got, fmt.Sprintf("%s@%d", ev.Kind, ev.Frame))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("first flow's events after the second began %v, want %v (all: %v)", got, want, r.log)
	}
	for _, ev := range r.tcp {
		if ev.Kind == "after_eviction" && (ev.RelSeq != 6 || ev.Len != 4 || !ev.FromClient) {
			t.Errorf("after_eviction %+v, want the client's 4 bytes at seq 6", ev)
		}
	}
	if st.AfterEviction != 3 || st.Evicted != 1 || st.AfterClose != 0 || st.AfterReset != 0 || st.Flows != 2 {
		t.Errorf("stats %+v, want 3 segments after the eviction of 1 flow, 2 flows", st)
	}
	if got, want := st.Undecoded(), "3 TCP segments with data were not decoded: 3 of 1 connection no longer followed because too many were open at once (after_eviction)"; got != want {
		t.Errorf("Undecoded %q, want %q", got, want)
	}
}
