package source

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

const td = "../../testdata/"

func readKeys(t *testing.T, name string) *keylog.Log {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, _, err := keylog.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReadIllustrated(t *testing.T) {
	f, err := os.Open(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []string
	var data []string
	emit := func(ev *trace.Event) {
		if ev.Conn != 1 {
			t.Errorf("%s: conn %d, want 1", ev.Type, ev.Conn)
		}
		if ev.Layer == trace.LayerTLS {
			steps = append(steps, ev.From.String()+" "+ev.Type)
			if ev.Type == "application_data" {
				data = append(data, string(ev.Raw))
			}
		}
	}
	if err := Read(f, emit, Options{Keys: readKeys(t, td+"illustrated-tls13/keylog.txt")}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"client client_hello", "server server_hello", "server change_cipher_spec",
		"server encrypted_extensions", "server certificate", "server certificate_verify",
		"server finished", "client change_cipher_spec", "client finished",
		"client application_data", "server new_session_ticket", "server new_session_ticket",
		"server application_data",
	}
	if len(steps) < len(want) || !slices.Equal(steps[:len(want)], want) {
		t.Errorf("steps:\n got %q\nwant %q", steps, want)
	}
	if !slices.Equal(data, []string{"ping", "pong"}) {
		t.Errorf("application data %q, want ping, pong", data)
	}
}

// TestTimesFromFirstPacket checks that event times count from the
// capture's first packet, whatever it is (here an ICMP packet a second
// before the connection), as tshark's frame.time_relative.
func TestTimesFromFirstPacket(t *testing.T) {
	in, err := os.ReadFile(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	// A little-endian microsecond pcap of link type NULL: an ICMP packet
	// (address family 2, IPv4 protocol 1) a second before its first.
	icmp := append([]byte{2, 0, 0, 0, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1}, make([]byte, 22)...)
	rec := slices.Clone(in[24:40])
	binary.LittleEndian.PutUint32(rec, binary.LittleEndian.Uint32(rec)-1)
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(icmp)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(icmp)))
	file := slices.Concat(in[:24], rec, icmp, in[24:])
	var first *trace.Event
	emit := func(ev *trace.Event) {
		if first == nil {
			first = ev.Clone()
		}
	}
	if err := Read(bytes.NewReader(file), emit, Options{}); err != nil {
		t.Fatal(err)
	}
	if first == nil || first.T != 1 || first.Frame != 2 {
		t.Errorf("first event %+v, want one at t=1, frame 2", first)
	}
}

// TestReadAfterEviction: a capture whose first connection is followed by
// more connections open at once than the reader tracks (capture's
// DefaultMaxFlows SYNs), then goes on: the reader stops following it, and
// its first segment with data after that is an after_eviction step that
// says its bytes are not decoded, counted in the stats, never dropped in
// silence.
func TestReadAfterEviction(t *testing.T) {
	in, err := os.ReadFile(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	hdr := in[:24]
	var recs [][]byte
	for b := in[24:]; len(b) >= 16; {
		n := 16 + int(binary.LittleEndian.Uint32(b[8:]))
		recs = append(recs, b[:n])
		b = b[n:]
	}
	// recs[0] is the client's SYN (link type NULL, IPv4 of 20 bytes):
	// the others come from other addresses and ports.
	out := bytes.NewBuffer(slices.Concat(hdr, slices.Concat(recs[:4]...)))
	syn := slices.Clone(recs[0])
	ip := syn[16+4:]
	for i := range capture.DefaultMaxFlows {
		ip[15] = byte(100 + i/60000)
		binary.BigEndian.PutUint16(ip[20:], uint16(1+i%60000))
		out.Write(syn)
	}
	for _, r := range recs[4:] {
		out.Write(r)
	}
	file := out.Bytes()
	var st capture.Stats
	var evicted []*trace.Event
	err = Read(bytes.NewReader(file), func(ev *trace.Event) {
		if ev.Conn == 1 && ev.Type == trace.TypeAfterEviction {
			evicted = append(evicted, ev)
		}
	}, Options{Stats: &st})
	if err != nil {
		t.Fatal(err)
	}
	if len(evicted) != 1 || evicted[0].Frame != 5+capture.DefaultMaxFlows || !strings.Contains(evicted[0].Error, "are not decoded") ||
		!strings.Contains(evicted[0].Error, fmt.Sprintf("more than %d connections were open at once", capture.DefaultMaxFlows)) {
		t.Fatalf("after_eviction events of the first connection %+v, want one at frame %d", evicted, 5+capture.DefaultMaxFlows)
	}
	if st.Evicted != 1 || st.AfterEviction == 0 || st.Undecoded() == "" {
		t.Errorf("stats %+v, want the first connection evicted and its later segments counted", st)
	}
}
