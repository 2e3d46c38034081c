package capture

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// dataCall is one Handler.Data call.
type dataCall struct {
	flow       *Flow
	fromClient bool
	ts         time.Time
	b          []byte
}

// callRecorder keeps every Handler call in order.
type callRecorder struct {
	secrets [][]byte
	tcp     []string
	data    []dataCall
	closed  []*Flow
}

func (r *callRecorder) Secrets(b []byte) { r.secrets = append(r.secrets, bytes.Clone(b)) }
func (r *callRecorder) TCP(ev TCPEvent) {
	side := "s"
	if ev.FromClient {
		side = "c"
	}
	r.tcp = append(r.tcp, side+":"+ev.Kind)
}
func (r *callRecorder) Data(f *Flow, fromClient bool, frame int, ts time.Time, b []byte) {
	r.data = append(r.data, dataCall{f, fromClient, ts, bytes.Clone(b)})
}
func (r *callRecorder) Close(f *Flow) { r.closed = append(r.closed, f) }

// FuzzWritePcapng writes a connection cut into arbitrary chunks, at
// arbitrary times and addresses, with an arbitrary key log, and reads the
// file back: the reader must return the key log, the addresses, the TCP
// handshake and FINs, and each chunk as one Data call with its side, time
// and bytes.
func FuzzWritePcapng(f *testing.F) {
	f.Add([]byte("CLIENT_RANDOM 00 11\n"), []byte("hello, world: the client speaks, then the server"), []byte{9, 20, 5, 40, 200}, int64(1700000000), uint32(1500), false, uint16(51000), uint16(443))
	f.Add([]byte{}, bytes.Repeat([]byte{0x16}, 300), []byte{255, 254, 0, 1}, int64(0), uint32(0), true, uint16(1), uint16(65535))
	f.Fuzz(func(t *testing.T, keyLog, data, cuts []byte, start int64, step uint32, v6 bool, cport, sport uint16) {
		client := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), cport)
		server := netip.AddrPortFrom(netip.MustParseAddr("198.51.100.7"), sport)
		if v6 {
			client = netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), cport)
			server = netip.AddrPortFrom(netip.MustParseAddr("2001:db8::2:1"), sport)
		}
		// Any second from 1970 to 2106, any nanosecond.
		at := time.Unix(int64(uint64(start)%(1<<32)), int64(uint64(start)>>32%1e9))
		c := &Conn{Client: client, Server: server, Start: at}
		for _, cut := range cuts {
			n := min(int(cut>>1), len(data))
			at = at.Add(time.Duration(step) * time.Microsecond)
			c.Chunks = append(c.Chunks, Chunk{FromClient: cut&1 == 1, Time: at, Data: data[:n]})
			data = data[n:]
		}
		var file bytes.Buffer
		if err := WritePcapng(&file, keyLog, []*Conn{c}); err != nil {
			t.Fatal(err)
		}
		r := &callRecorder{}
		if err := Read(bytes.NewReader(file.Bytes()), r, Options{}); err != nil {
			t.Fatalf("reading what was written: %v", err)
		}
		if len(keyLog) > 0 && (len(r.secrets) != 1 || !bytes.Equal(r.secrets[0], keyLog)) || len(keyLog) == 0 && len(r.secrets) != 0 {
			t.Fatalf("secrets %q, written %q", r.secrets, keyLog)
		}
		if want := "c:syn s:syn_ack c:ack c:fin s:fin"; strings.Join(r.tcp, " ") != want {
			t.Fatalf("TCP steps %v, want %s", r.tcp, want)
		}
		if len(r.closed) != 1 || r.closed[0].Client != client || r.closed[0].Server != server || !r.closed[0].RoleFromSYN {
			t.Fatalf("closed %+v", r.closed)
		}
		var want []dataCall
		for _, ch := range c.Chunks {
			if len(ch.Data) > 0 {
				want = append(want, dataCall{r.closed[0], ch.FromClient, ch.Time, ch.Data})
			}
		}
		if !slices.EqualFunc(r.data, want, func(a, b dataCall) bool {
			return a.flow == b.flow && a.fromClient == b.fromClient && a.ts.Equal(b.ts) && bytes.Equal(a.b, b.b)
		}) {
			t.Fatalf("read back:\n%s\nwritten:\n%s", describeCalls(r.data), describeCalls(want))
		}
	})
}

func describeCalls(calls []dataCall) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "client=%v %s %x\n", c.fromClient, c.ts.Format(time.RFC3339Nano), c.b)
	}
	return b.String()
}
