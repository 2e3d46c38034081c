package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// recorder is a Handler that keeps everything.
type recorder struct {
	secrets [][]byte
	tcp     []TCPEvent
	// streams[flowID][0 client,1 server] holds the bytes delivered.
	streams map[int]*[2][]byte
	// frames lists (flow, fromClient, frame, len) per Data call.
	frames []string
	closed []int
	// log lists TCP events (kind@frame) and Data calls (data@frame) in
	// the order they came.
	log []string
}

func newRecorder() *recorder { return &recorder{streams: map[int]*[2][]byte{}} }

func (r *recorder) Secrets(b []byte) { r.secrets = append(r.secrets, b) }
func (r *recorder) TCP(ev TCPEvent) {
	r.tcp = append(r.tcp, ev)
	r.log = append(r.log, fmt.Sprintf("%s@%d", ev.Kind, ev.Frame))
}
func (r *recorder) Data(f *Flow, fromClient bool, frame int, ts time.Time, b []byte) {
	s := r.streams[f.ID]
	if s == nil {
		s = &[2][]byte{}
		r.streams[f.ID] = s
	}
	i := 1
	if fromClient {
		i = 0
	}
	s[i] = append(s[i], b...)
	r.log = append(r.log, fmt.Sprintf("%s@%d", b, frame))
	r.frames = append(r.frames, fmt.Sprintf("%d/%d:%d+%d", f.ID, i, frame, len(b)))
}
func (r *recorder) Close(f *Flow) { r.closed = append(r.closed, f.ID) }

func (r *recorder) kinds() []string {
	var out []string
	for _, ev := range r.tcp {
		side := "s"
		if ev.FromClient {
			side = "c"
		}
		out = append(out, side+":"+ev.Kind)
	}
	return out
}

// pkt describes one synthesized TCP segment.
type pkt struct {
	fromClient bool
	seq, ack   uint32
	flags      uint8
	data       string
}

var (
	cliAddr = netip.MustParseAddrPort("10.0.0.1:51000")
	srvAddr = netip.MustParseAddrPort("10.0.0.2:443")
	cli6    = netip.MustParseAddrPort("[2001:db8::1]:51000")
	srv6    = netip.MustParseAddrPort("[2001:db8::2]:8443")
)

// tcpSeg builds a TCP header and payload.
func tcpSeg(src, dst netip.AddrPort, p pkt) []byte {
	b := make([]byte, 20, 20+len(p.data))
	binary.BigEndian.PutUint16(b, src.Port())
	binary.BigEndian.PutUint16(b[2:], dst.Port())
	binary.BigEndian.PutUint32(b[4:], p.seq)
	binary.BigEndian.PutUint32(b[8:], p.ack)
	b[12] = 5 << 4
	b[13] = p.flags
	binary.BigEndian.PutUint16(b[14:], 1000)
	return append(b, p.data...)
}

// ipPacket wraps a TCP segment in IPv4 or IPv6 (with a hop-by-hop
// extension header, to exercise the walk).
func ipPacket(src, dst netip.AddrPort, seg []byte) []byte {
	if src.Addr().Is4() {
		h := make([]byte, 20)
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(seg)))
		h[8], h[9] = 64, 6
		a, b := src.Addr().As4(), dst.Addr().As4()
		copy(h[12:], a[:])
		copy(h[16:], b[:])
		return append(h, seg...)
	}
	h := make([]byte, 48)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(seg)))
	h[6], h[7] = 0, 64 // next header: hop-by-hop
	a, b := src.Addr().As16(), dst.Addr().As16()
	copy(h[8:], a[:])
	copy(h[24:], b[:])
	h[40] = 6 // hop-by-hop header, then TCP
	return append(h, seg...)
}

// frameFor wraps an IP packet for a link type.
func frameFor(link uint32, ip []byte) []byte {
	v6 := ip[0]>>4 == 6
	et := []byte{0x08, 0x00}
	if v6 {
		et = []byte{0x86, 0xDD}
	}
	switch link {
	case linkEthernet:
		h := append(make([]byte, 12), 0x81, 0x00, 0x00, 0x05) // VLAN 5
		h = append(h, et...)
		return append(h, ip...)
	case linkSLL:
		// A VLAN tag as libpcap puts it back.
		h := append(make([]byte, 14), 0x81, 0x00, 0x00, 0x05)
		return append(append(h, et...), ip...)
	case linkSLL2:
		h := append([]byte{0x81, 0x00}, make([]byte, 18)...)
		h = append(h, 0x00, 0x05)
		return append(append(h, et...), ip...)
	case linkNull:
		af := []byte{2, 0, 0, 0}
		if v6 {
			af = []byte{30, 0, 0, 0}
		}
		return append(af, ip...)
	case linkLoop:
		af := []byte{0, 0, 0, 2}
		if v6 {
			af = []byte{0, 0, 0, 30}
		}
		return append(af, ip...)
	}
	return ip // raw
}

type frame struct {
	ts   time.Time
	data []byte
}

func buildFrames(link uint32, client, server netip.AddrPort, pkts []pkt) []frame {
	var out []frame
	for i, p := range pkts {
		src, dst := client, server
		if !p.fromClient {
			src, dst = server, client
		}
		out = append(out, frame{time.Unix(1700000000, int64(i)*1000), frameFor(link, ipPacket(src, dst, tcpSeg(src, dst, p)))})
	}
	return out
}

// writePcap writes a classic pcap file (microsecond or nanosecond, either
// byte order).
func writePcap(link uint32, frames []frame, bo binary.ByteOrder, nano bool) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(0xA1B2C3D4)
	if nano {
		magic = 0xA1B23C4D
	}
	bo.PutUint32(h, magic)
	bo.PutUint16(h[4:], 2)
	bo.PutUint16(h[6:], 4)
	bo.PutUint32(h[16:], 65535)
	bo.PutUint32(h[20:], link)
	b.Write(h)
	for _, f := range frames {
		r := make([]byte, 16)
		bo.PutUint32(r, uint32(f.ts.Unix()))
		if nano {
			bo.PutUint32(r[4:], uint32(f.ts.Nanosecond()))
		} else {
			bo.PutUint32(r[4:], uint32(f.ts.Nanosecond()/1000))
		}
		bo.PutUint32(r[8:], uint32(len(f.data)))
		bo.PutUint32(r[12:], uint32(len(f.data)))
		b.Write(r)
		b.Write(f.data)
	}
	return b.Bytes()
}

// order is a byte order that can also append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func ngBlock(bo order, typ uint32, body []byte) []byte {
	body = pad4(body)
	b := make([]byte, 8, 12+len(body))
	bo.PutUint32(b, typ)
	bo.PutUint32(b[4:], uint32(12+len(body)))
	b = append(b, body...)
	return bo.AppendUint32(b, uint32(12+len(body)))
}

// writePcapng writes a pcapng file: a section header, one interface with
// nanosecond resolution, a secrets block, then enhanced packet blocks.
func writePcapng(link uint32, frames []frame, bo order, keylog string) []byte {
	var b bytes.Buffer
	shb := bo.AppendUint32(nil, 0x1A2B3C4D)
	shb = bo.AppendUint16(shb, 1)
	shb = bo.AppendUint16(shb, 0)
	shb = bo.AppendUint64(shb, ^uint64(0))
	b.Write(ngBlock(bo, 0x0A0D0D0A, shb))
	idb := bo.AppendUint16(nil, uint16(link))
	idb = bo.AppendUint16(idb, 0)
	idb = bo.AppendUint32(idb, 0)
	idb = bo.AppendUint16(idb, 9) // if_tsresol
	idb = bo.AppendUint16(idb, 1)
	idb = append(idb, 9, 0, 0, 0)
	idb = bo.AppendUint32(idb, 0) // opt_endofopt
	b.Write(ngBlock(bo, 1, idb))
	if keylog != "" {
		dsb := bo.AppendUint32(nil, 0x544c534b)
		dsb = bo.AppendUint32(dsb, uint32(len(keylog)))
		b.Write(ngBlock(bo, 0x0A, append(dsb, keylog...)))
	}
	for _, f := range frames {
		ns := uint64(f.ts.UnixNano())
		epb := bo.AppendUint32(nil, 0)
		epb = bo.AppendUint32(epb, uint32(ns>>32))
		epb = bo.AppendUint32(epb, uint32(ns))
		epb = bo.AppendUint32(epb, uint32(len(f.data)))
		epb = bo.AppendUint32(epb, uint32(len(f.data)))
		b.Write(ngBlock(bo, 6, append(epb, f.data...)))
	}
	return b.Bytes()
}

// handshake is a connection with the three-way handshake, data both ways
// (the client's in two segments) and FINs.
var handshake = []pkt{
	{true, 1000, 0, flagSYN, ""},
	{false, 5000, 1001, flagSYN | flagACK, ""},
	{true, 1001, 5001, flagACK, ""},
	{true, 1001, 5001, flagACK, "hello "},
	{true, 1007, 5001, flagACK, "world"},
	{false, 5001, 1012, flagACK, "pong"},
	{true, 1012, 5005, flagACK | flagFIN, ""},
	{false, 5005, 1013, flagACK | flagFIN, ""},
}

func TestFormatsAndLinkTypes(t *testing.T) {
	for _, link := range []uint32{linkEthernet, linkSLL, linkSLL2, linkNull, linkLoop, linkRaw, linkIPv4} {
		for _, v6 := range []bool{false, true} {
			if link == linkIPv4 && v6 {
				continue
			}
			client, server := cliAddr, srvAddr
			if v6 {
				client, server = cli6, srv6
			}
			frames := buildFrames(link, client, server, handshake)
			files := map[string][]byte{
				"pcap-le":    writePcap(link, frames, binary.LittleEndian, false),
				"pcap-be-ns": writePcap(link, frames, binary.BigEndian, true),
				"pcapng-le":  writePcapng(link, frames, binary.LittleEndian, "CLIENT_RANDOM aa bb\n"),
				"pcapng-be":  writePcapng(link, frames, binary.BigEndian, ""),
			}
			for name, file := range files {
				t.Run(fmt.Sprintf("link%d/v6=%v/%s", link, v6, name), func(t *testing.T) {
					r := newRecorder()
					if err := Read(bytes.NewReader(file), r, Options{}); err != nil {
						t.Fatal(err)
					}
					s := r.streams[1]
					if s == nil || string(s[0]) != "hello world" || string(s[1]) != "pong" {
						t.Fatalf("streams %q", s)
					}
					want := []string{"c:syn", "s:syn_ack", "c:ack", "c:fin", "s:fin"}
					if got := r.kinds(); !slices.Equal(got, want) {
						t.Errorf("tcp events %v, want %v", got, want)
					}
					if syn := r.tcp[1]; syn.RelSeq != 0 || syn.RelAck != 1 || syn.Seq != 5000 {
						t.Errorf("syn_ack seq/ack %+v", syn)
					}
					if !slices.Equal(r.closed, []int{1}) {
						t.Errorf("closed %v", r.closed)
					}
					if strings.HasPrefix(name, "pcapng-le") && (len(r.secrets) != 1 || string(r.secrets[0]) != "CLIENT_RANDOM aa bb\n") {
						t.Errorf("secrets %q", r.secrets)
					}
					if got := r.tcp[0].Time; !got.Equal(time.Unix(1700000000, 0)) {
						t.Errorf("time %v", got)
					}
				})
			}
		}
	}
}

// TestReassembly is a table of segment sequences and the bytes and frames
// expected out, in the style of gopacket's reassembly tests.
func TestReassembly(t *testing.T) {
	syn := []pkt{
		{true, 100, 0, flagSYN, ""},
		{false, 900, 101, flagSYN | flagACK, ""},
		{true, 101, 901, flagACK, ""},
	}
	for _, tc := range []struct {
		name   string
		pkts   []pkt
		client string
		frames []string // Data calls: flow/dir:frame+len
		gaps   []int
	}{
		{"in order", []pkt{{true, 101, 901, flagACK, "abc"}, {true, 104, 901, flagACK, "def"}},
			"abcdef", []string{"1/0:4+3", "1/0:5+3"}, nil},
		{"out of order", []pkt{{true, 104, 901, flagACK, "def"}, {true, 107, 901, flagACK, "ghi"}, {true, 101, 901, flagACK, "abc"}},
			"abcdefghi", []string{"1/0:6+3", "1/0:6+3", "1/0:6+3"}, nil},
		{"retransmitted", []pkt{{true, 101, 901, flagACK, "abc"}, {true, 101, 901, flagACK, "abc"}, {true, 104, 901, flagACK, "def"}},
			"abcdef", []string{"1/0:4+3", "1/0:6+3"}, nil},
		{"overlap keeps the first copy", []pkt{{true, 101, 901, flagACK, "abcd"}, {true, 103, 901, flagACK, "XXef"}},
			"abcdef", []string{"1/0:4+4", "1/0:5+2"}, nil},
		{"overlapping out of order", []pkt{{true, 105, 901, flagACK, "efg"}, {true, 104, 901, flagACK, "DEF"}, {true, 101, 901, flagACK, "abc"}},
			"abcDEFg", []string{"1/0:6+3", "1/0:6+3", "1/0:6+1"}, nil},
		{"missing segment is a gap at the end", []pkt{{true, 101, 901, flagACK, "abc"}, {true, 107, 901, flagACK, "ghi"}},
			"abcghi", []string{"1/0:4+3", "1/0:5+3"}, []int{3}},
		{"wraparound", nil, "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts := append(slices.Clone(syn), tc.pkts...)
			if tc.name == "wraparound" {
				pkts = []pkt{
					{true, 0xfffffffd, 0, flagSYN, ""},
					{false, 900, 0xfffffffe, flagSYN | flagACK, ""},
					{true, 0xfffffffe, 901, flagACK, ""},
					{true, 0xfffffffe, 901, flagACK, "abc"},
					{true, 1, 901, flagACK, "def"},
				}
				tc.client = "abcdef"
				tc.frames = []string{"1/0:4+3", "1/0:5+3"}
			}
			frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
			r := newRecorder()
			if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
				t.Fatal(err)
			}
			var got string
			if s := r.streams[1]; s != nil {
				got = string(s[0])
			}
			if got != tc.client {
				t.Errorf("client bytes %q, want %q", got, tc.client)
			}
			if !slices.Equal(r.frames, tc.frames) {
				t.Errorf("frames %v, want %v", r.frames, tc.frames)
			}
			var gaps []int
			for _, ev := range r.tcp {
				if ev.Kind == "gap" {
					gaps = append(gaps, ev.Missing)
				}
			}
			if !slices.Equal(gaps, tc.gaps) {
				t.Errorf("gaps %v, want %v", gaps, tc.gaps)
			}
		})
	}
}

// TestBufferLimit checks that out-of-order bytes past the limit become a gap
// instead of growing memory.
func TestBufferLimit(t *testing.T) {
	pkts := []pkt{{true, 100, 0, flagSYN, ""}, {false, 900, 101, flagSYN | flagACK, ""}}
	for i := range 10 {
		pkts = append(pkts, pkt{true, 201 + uint32(i)*100, 901, flagACK, strings.Repeat("x", 100)})
	}
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{MaxBuffered: 350}); err != nil {
		t.Fatal(err)
	}
	if len(r.streams[1][0]) != 1000 || len(r.tcp) != 4 || r.tcp[3].Kind != "gap" || r.tcp[3].Missing != 100 {
		t.Fatalf("got %d bytes, events %v", len(r.streams[1][0]), r.kinds())
	}
}

// TestMidConnection checks a capture that starts after the handshake: the
// side sending the ClientHello is the client, whatever the ports say.
func TestMidConnection(t *testing.T) {
	hello := "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"
	pkts := []pkt{{false, 7, 9, flagACK, hello}, {true, 9, 17, flagACK, "reply"}}
	// The "server" here has the higher port but sends the ClientHello.
	frames := buildFrames(linkRaw, cliAddr, srvAddr, pkts)
	r := newRecorder()
	var flows []*Flow
	h := &flowGrabber{recorder: r, flows: &flows}
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), h, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(flows) == 0 || flows[0].Client != srvAddr || flows[0].RoleFromSYN || flows[0].RoleBy != "client_hello" {
		t.Fatalf("flow %+v", flows)
	}
	// The first step says the roles were inferred, and from what.
	if len(r.tcp) == 0 || r.tcp[0].Kind != "roles_inferred" || r.tcp[0].RoleBy != "client_hello" || r.tcp[0].Client != srvAddr || r.tcp[0].Frame != 1 {
		t.Errorf("first TCP step %+v, want roles inferred from the ClientHello", r.tcp)
	}
	if s := r.streams[1]; string(s[0]) != hello || string(s[1]) != "reply" {
		t.Errorf("streams %q", s)
	}
}

type flowGrabber struct {
	*recorder
	flows *[]*Flow
}

func (g *flowGrabber) Data(f *Flow, fromClient bool, frame int, ts time.Time, b []byte) {
	if len(*g.flows) == 0 {
		*g.flows = append(*g.flows, f)
	}
	g.recorder.Data(f, fromClient, frame, ts, b)
}

// TestRolesByPort checks a capture that starts mid-connection without a
// ClientHello: the side with the higher port is taken for the client, and
// the first step says so; with a SYN, no such step.
func TestRolesByPort(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkts []pkt
		by   string
	}{
		{"no SYN", []pkt{{false, 7, 9, flagACK, "data"}, {true, 9, 11, flagACK, "more"}}, "port"},
		{"SYN", append(slices.Clone(synHandshake), pkt{false, 901, 101, flagACK, "data"}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := buildFrames(linkRaw, cliAddr, srvAddr, tc.pkts)
			r := newRecorder()
			if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
				t.Fatal(err)
			}
			var by []string
			for _, ev := range r.tcp {
				if ev.Kind == "roles_inferred" {
					by = append(by, ev.RoleBy)
					if ev.Client != cliAddr || ev.Server != srvAddr {
						t.Errorf("client %v, server %v", ev.Client, ev.Server)
					}
				}
			}
			if want := []string{tc.by}; tc.by == "" && len(by) != 0 || tc.by != "" && !slices.Equal(by, want) {
				t.Errorf("roles inferred %q, want %q", by, tc.by)
			}
		})
	}
}

// TestNewConnectionOnSameTuple checks that a SYN after a closed connection
// on the same addresses starts a new flow, like Wireshark's tcp.stream.
func TestNewConnectionOnSameTuple(t *testing.T) {
	pkts := slices.Clone(handshake)
	second := []pkt{
		{true, 7000, 0, flagSYN, ""},
		{false, 8000, 7001, flagSYN | flagACK, ""},
		{true, 7001, 8001, flagACK, "again"},
		{true, 7006, 8001, flagRST, ""},
	}
	frames := buildFrames(linkRaw, cliAddr, srvAddr, append(pkts, second...))
	r := newRecorder()
	if err := Read(bytes.NewReader(writePcap(linkRaw, frames, binary.LittleEndian, false)), r, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(r.streams) != 2 || string(r.streams[2][0]) != "again" || !slices.Equal(r.closed, []int{1, 2}) {
		t.Fatalf("streams %d, closed %v", len(r.streams), r.closed)
	}
}

func TestDamagedFiles(t *testing.T) {
	good := writePcap(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, handshake), binary.LittleEndian, false)
	ng := writePcapng(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, handshake), binary.LittleEndian, "x")
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "not a pcap"},
		{"text", []byte("hello, world"), "not a pcap"},
		{"cut pcap", good[:len(good)-3], "unexpected end of file"},
		{"cut pcapng", ng[:len(ng)-3], "unexpected end of file"},
		{"bad block length", append(slices.Clone(ng[:28]), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0), "bad length"},
	} {
		r := newRecorder()
		err := Read(bytes.NewReader(tc.in), r, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func illustrated(t testing.TB, name string) []byte {
	b, err := os.ReadFile("../../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIllustratedCaptures(t *testing.T) {
	for _, dir := range []string{"illustrated-tls13", "illustrated-tls12"} {
		r := newRecorder()
		if err := Read(bytes.NewReader(illustrated(t, dir+"/capture.pcap")), r, Options{}); err != nil {
			t.Fatal(err)
		}
		if len(r.streams) != 1 {
			t.Fatalf("%s: %d flows", dir, len(r.streams))
		}
		s := r.streams[1]
		if !bytes.HasPrefix(s[0], illustrated(t, dir+"/caps/clienthello")) {
			t.Errorf("%s: client stream does not start with the ClientHello", dir)
		}
		if !bytes.HasPrefix(s[1], illustrated(t, dir+"/caps/serverhello")) {
			t.Errorf("%s: server stream does not start with the ServerHello", dir)
		}
		if got := r.kinds(); len(got) < 3 || !slices.Equal(got[:3], []string{"c:syn", "s:syn_ack", "c:ack"}) {
			t.Errorf("%s: tcp events %v", dir, got)
		}
	}
}

// TestAgainstTshark compares each flow's stream bytes with tshark's
// "follow tcp" on the illustrated captures.
func TestAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	for _, dir := range []string{"illustrated-tls13", "illustrated-tls12"} {
		client, server := tsharkFollow(t, "../../testdata/"+dir+"/capture.pcap")
		r := newRecorder()
		if err := Read(bytes.NewReader(illustrated(t, dir+"/capture.pcap")), r, Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.streams[1][0], client) || !bytes.Equal(r.streams[1][1], server) {
			t.Errorf("%s: streams differ from tshark's (client %d vs %d bytes, server %d vs %d)", dir,
				len(r.streams[1][0]), len(client), len(r.streams[1][1]), len(server))
		}
	}
}

// tsharkFollow returns the bytes of each direction of the first TCP
// stream of a capture, as tshark's "follow tcp" gives them.
func tsharkFollow(t *testing.T, path string) (client, server []byte) {
	t.Helper()
	return tsharkFollowStream(t, path, 0)
}

// tsharkFollowStream is tsharkFollow of the TCP stream n (tshark's
// tcp.stream, which counts from 0; Flow.ID is n+1).
func tsharkFollowStream(t *testing.T, path string, n int) (client, server []byte) {
	t.Helper()
	out, err := exec.Command("tshark", "-r", path, "-q", "-z", fmt.Sprintf("follow,tcp,raw,%d", n)).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "=") || strings.Contains(line, ":") {
			continue
		}
		dst := &client
		if strings.HasPrefix(line, "\t") {
			dst = &server
			line = strings.TrimSpace(line)
		}
		var b []byte
		if _, err := fmt.Sscanf(line, "%x", &b); err != nil {
			continue
		}
		*dst = append(*dst, b...)
	}
	return client, server
}

// FuzzRead reads arbitrary files: every flow that got data is closed
// exactly once, no more stream bytes come out than went in, and a second
// reading gives the same result. The seeds are small files of every format
// (a few packets each): the fuzzer minimizes each new input in time
// quadratic in its size, and whole captures of a few kilobytes kept it
// minimizing.
func FuzzRead(f *testing.F) {
	short := []pkt{
		{true, 1000, 0, flagSYN, ""},
		{true, 1001, 5001, flagACK, "hi"},
		{false, 5001, 1003, flagACK | flagFIN, "yo"},
	}
	f.Add(writePcapng(linkEthernet, buildFrames(linkEthernet, cli6, srv6, short), binary.BigEndian, "CLIENT_RANDOM 00 11\n"))
	f.Add(writePcapng(linkRaw, buildFrames(linkRaw, cliAddr, srvAddr, short[1:]), binary.LittleEndian, ""))
	f.Add(writePcap(linkSLL2, buildFrames(linkSLL2, cliAddr, srvAddr, short), binary.LittleEndian, true))
	f.Add(writePcap(linkNull, buildFrames(linkNull, cli6, srv6, short[1:2]), binary.BigEndian, false))
	var frags []frame
	for i, fr := range fragment(ipPacket(cliAddr, srvAddr, tcpSeg(cliAddr, srvAddr, pkt{true, 1, 1, flagACK, "0123456789abcdef"})), 3, [][2]int{{16, 20}, {0, 16}}) {
		frags = append(frags, frame{time.Unix(1700000000, int64(i)), fr})
	}
	f.Add(writePcap(linkRaw, frags, binary.LittleEndian, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newRecorder()
		Read(bytes.NewReader(b), r, Options{MaxBuffered: 1 << 16, MaxFlows: 16})
		// Every flow that got data was closed exactly once.
		seen := map[int]bool{}
		for _, id := range r.closed {
			if seen[id] {
				t.Fatalf("flow %d closed twice", id)
			}
			seen[id] = true
		}
		total := 0
		for id, st := range r.streams {
			if !seen[id] {
				t.Fatalf("flow %d never closed", id)
			}
			total += len(st[0]) + len(st[1])
		}
		if total > len(b) {
			t.Fatalf("%d stream bytes from a %d-byte file", total, len(b))
		}
		// A second reading gives the same flows, bytes and secrets.
		r2 := newRecorder()
		Read(bytes.NewReader(b), r2, Options{MaxBuffered: 1 << 16, MaxFlows: 16})
		if !reflect.DeepEqual(r.frames, r2.frames) || !reflect.DeepEqual(r.streams, r2.streams) || !reflect.DeepEqual(r.secrets, r2.secrets) {
			t.Fatal("two readings of the same file differ")
		}
	})
}

// BenchmarkRead measures the reader on a synthesized capture of many flows.
func BenchmarkRead(b *testing.B) {
	var pkts []frame
	payload := strings.Repeat("x", 1400)
	for c := range 200 {
		client := netip.AddrPortFrom(cliAddr.Addr(), uint16(20000+c))
		seg := []pkt{{true, 1000, 0, flagSYN, ""}, {false, 5000, 1001, flagSYN | flagACK, ""}, {true, 1001, 5001, flagACK, ""}}
		for i := range 150 {
			seg = append(seg, pkt{false, 5001 + uint32(i*1400), 1001, flagACK, payload})
		}
		seg = append(seg, pkt{true, 1001, 5001, flagACK | flagFIN, ""}, pkt{false, 5001 + 150*1400, 1002, flagACK | flagFIN, ""})
		pkts = append(pkts, buildFrames(linkEthernet, client, srvAddr, seg)...)
	}
	file := writePcap(linkEthernet, pkts, binary.LittleEndian, false)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if err := Read(bytes.NewReader(file), discard{}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Secrets([]byte)                           {}
func (discard) TCP(TCPEvent)                             {}
func (discard) Data(*Flow, bool, int, time.Time, []byte) {}
func (discard) Close(*Flow)                              {}

// TestReadMappedFile reads a capture from a file (which is mapped into
// memory) and from a reader, and expects the same flows and bytes.
func TestReadMappedFile(t *testing.T) {
	name := "../../testdata/illustrated-tls13/capture.pcap"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	fromReader := newRecorder()
	if err := Read(bytes.NewReader(b), fromReader, Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fromFile := newRecorder()
	if err := Read(f, fromFile, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(fromFile.frames) == 0 || strings.Join(fromFile.frames, " ") != strings.Join(fromReader.frames, " ") {
		t.Errorf("frames differ:\n%v\n%v", fromFile.frames, fromReader.frames)
	}
	for id, st := range fromReader.streams {
		if other := fromFile.streams[id]; other == nil || !bytes.Equal(other[0], st[0]) || !bytes.Equal(other[1], st[1]) {
			t.Errorf("flow %d: bytes differ", id)
		}
	}
	// A truncated file: the same clear error either way.
	short := filepath.Join(t.TempDir(), "short.pcap")
	os.WriteFile(short, b[:len(b)-7], 0o644)
	f2, _ := os.Open(short)
	defer f2.Close()
	errFile := Read(f2, newRecorder(), Options{})
	errReader := Read(bytes.NewReader(b[:len(b)-7]), newRecorder(), Options{})
	if fmt.Sprint(errFile) != fmt.Sprint(errReader) {
		t.Errorf("truncated file: %v, from a reader: %v", errFile, errReader)
	}
}

// keeper keeps the slices given to Data, not copies.
type keeper struct {
	discard
	kept [][]byte
	want [][]byte
}

func (k *keeper) Data(_ *Flow, _ bool, _ int, _ time.Time, b []byte) {
	k.kept = append(k.kept, b)
	k.want = append(k.want, bytes.Clone(b))
}

// TestRetain checks that with Options.Retain the bytes given to Data stay
// as they were until they are released, from a file and from readers that
// return little at a time, and that Progress and Done are called. Under
// the race detector the chunks are tiny and released ones overwritten, so
// that reuse happens within the test capture.
func TestRetain(t *testing.T) {
	name := "../../testdata/illustrated-tls12/capture.pcap"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	if err := Read(bytes.NewReader(b), dataFunc(func(b []byte) { want = append(want, b...) }), Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, in := range []io.Reader{f, bytes.NewReader(b), iotest.OneByteReader(bytes.NewReader(b)), iotest.HalfReader(bytes.NewReader(b))} {
		// Without releases, every call's bytes stay until Done.
		k := &keeper{}
		var progress []int64
		done := 0
		check := func() {
			done++
			if len(k.kept) < 5 {
				t.Fatalf("%d Data calls", len(k.kept))
			}
			for i := range k.kept {
				if !bytes.Equal(k.kept[i], k.want[i]) {
					t.Errorf("%T: the bytes of Data call %d changed", in, i)
				}
			}
		}
		if err := Read(in, k, Options{Retain: NewRetainer(), Done: check, Progress: func(off int64) { progress = append(progress, off) }}); err != nil {
			t.Fatal(err)
		}
		if done != 1 || len(progress) == 0 || progress[0] != 0 {
			t.Errorf("%T: Done called %d times, progress %v", in, done, progress)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
	}
	// Releasing, at each call, what came before the last one: the bytes
	// of the last call stay until then, and the stream is the same as
	// without Retain.
	ret := NewRetainer()
	var got, last, lastCopy []byte
	var marks []Mark
	h := dataFunc(func(b []byte) {
		if !bytes.Equal(last, lastCopy) {
			t.Fatal("the bytes of the last call changed before their release")
		}
		if len(marks) > 0 {
			ret.Release(marks[len(marks)-1])
		}
		marks = append(marks, ret.Mark())
		got = append(got, b...)
		last, lastCopy = b, bytes.Clone(b)
	})
	if err := Read(bytes.NewReader(b), h, Options{Retain: ret}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the stream read with releases differs")
	}
}

// dataFunc is a Handler that gives the bytes of Data to a function.
type dataFunc func(b []byte)

func (dataFunc) Secrets([]byte) {}
func (dataFunc) TCP(TCPEvent)   {}
func (dataFunc) Close(*Flow)    {}
func (d dataFunc) Data(_ *Flow, _ bool, _ int, _ time.Time, b []byte) {
	d(b)
}

// TestWindowScale reads the Window Scale option of SYNs (RFC 7323): a
// count past 14 is 14, and it means nothing on another segment.
func TestWindowScale(t *testing.T) {
	for _, c := range []struct {
		flags uint8
		opts  []byte
		want  int8
	}{
		{flagSYN, []byte{2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 10}, 10},
		{flagSYN | flagACK, []byte{1, 1, 3, 3, 7}, 7},
		{flagSYN, []byte{3, 3, 15}, 14},
		{flagSYN, []byte{2, 4, 0xff, 0xd7}, -1},
		{flagSYN, []byte{0, 3, 3, 7}, -1},
		{flagSYN, []byte{3, 3}, -1},
		{flagSYN, []byte{2, 0, 3, 3, 7}, -1},
		{flagACK, []byte{3, 3, 7}, -1},
	} {
		if got := windowScale(c.flags, c.opts); got != c.want {
			t.Errorf("flags %#x, options % x: %d, want %d", c.flags, c.opts, got, c.want)
		}
	}
}

// TestFlowWindow scales a segment's window by its sender's count only when
// both SYNs carried the option, and never a SYN's.
func TestFlowWindow(t *testing.T) {
	flow := func(client, server *half) *Flow { return &Flow{dirs: [2]*half{client, server}} }
	both := flow(&half{syn: true, wscale: 7}, &half{syn: true, wscale: 10})
	if w := both.window(true, 64, flagACK); w != 64<<7 {
		t.Errorf("client window %d, want %d", w, 64<<7)
	}
	if w := both.window(false, 64, flagACK); w != 64<<10 {
		t.Errorf("server window %d, want %d", w, 64<<10)
	}
	if w := both.window(false, 65483, flagSYN|flagACK); w != 65483 {
		t.Errorf("SYN-ACK window %d, want it unscaled", w)
	}
	for name, f := range map[string]*Flow{
		"one side without the option": flow(&half{syn: true, wscale: 7}, &half{syn: true, wscale: -1}),
		"no SYN seen":                 flow(&half{}, &half{}),
	} {
		if w := f.window(true, 64, flagACK); w != 64 {
			t.Errorf("%s: window %d, want 64", name, w)
		}
	}
}
