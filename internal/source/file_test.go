package source

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"testing"

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
