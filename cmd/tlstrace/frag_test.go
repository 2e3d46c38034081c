package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadUnreassembledFragments: a capture whose IP fragments could not
// all be reassembled says so on standard error, since the bytes they held
// are gaps of its connections, never in silence.
func TestReadUnreassembledFragments(t *testing.T) {
	in, err := os.ReadFile("../../testdata/illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	// The capture is a little-endian pcap of link type NULL: one more
	// packet, the first fragment of an IPv4 datagram whose others never
	// came (More Fragments set).
	frag := append([]byte{2, 0, 0, 0, 0x45, 0, 0, 44, 0, 7, 0x20, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}, make([]byte, 24)...)
	rec := slices.Clone(in[24:40])
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frag)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frag)))
	path := filepath.Join(t.TempDir(), "frag.pcap")
	if err := os.WriteFile(path, slices.Concat(in, rec, frag), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCode("read", path)
	if code != 0 || !strings.Contains(out, "ClientHello") {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	if want := "tlstrace: warning: " + path + ": 1 IP fragment could not be reassembled: the bytes of connections they held are shown as gaps\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// pcapFrames splits a little-endian classic pcap into its header and its
// records (each a 16-byte record header and the frame).
func pcapFrames(t *testing.T, in []byte) (hdr []byte, recs [][]byte) {
	t.Helper()
	if len(in) < 24 || binary.LittleEndian.Uint32(in) != 0xA1B2C3D4 {
		t.Fatal("not a little-endian microsecond pcap")
	}
	for b := in[24:]; len(b) >= 16; {
		n := 16 + int(binary.LittleEndian.Uint32(b[8:]))
		recs = append(recs, b[:n])
		b = b[n:]
	}
	return in[:24], recs
}

// ipv4Fragments cuts the IPv4 packet of a pcap record of link type NULL
// into fragments of the payload pieces given (offset, length), each a
// record of its own with the record's time.
func ipv4Fragments(rec []byte, pieces [][2]int) [][]byte {
	ip := rec[16+4:]
	hdr, pl := ip[:20], ip[20:]
	var out [][]byte
	for _, p := range pieces {
		h := slices.Clone(hdr)
		binary.BigEndian.PutUint16(h[2:], uint16(20+p[1]))
		fo := uint16(p[0] / 8)
		if p[0]+p[1] < len(pl) {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(h[6:], fo)
		h[10], h[11] = 0, 0
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(h[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
		frame := slices.Concat(rec[16:16+4], h, pl[p[0]:p[0]+p[1]])
		r := slices.Clone(rec[:16])
		binary.LittleEndian.PutUint32(r[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(r[12:], uint32(len(frame)))
		out = append(out, append(r, frame...))
	}
	return out
}

// TestReadGapOfFragments: bytes of a TLS connection that the capture
// holds in IP fragments that could not be reassembled are said to be so
// where the gap is, in the TCP gap and in the TLS step after it (text and
// JSON), with the reason, not said to be missing from the capture; bytes
// truly not captured still are. The server's first NewSessionTicket
// (frame 13, 271 bytes of IP payload) is cut into three fragments.
func TestReadGapOfFragments(t *testing.T) {
	in, err := os.ReadFile("../../testdata/illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	hdr, recs := pcapFrames(t, in)
	keys := "../../testdata/illustrated-tls13/keylog.txt"
	for _, tc := range []struct {
		name   string
		pieces [][2]int
		keep   []int // the fragments captured
		text   string
		causes string
	}{
		{"middle fragment missing", [][2]int{{0, 16}, {16, 120}, {136, 135}}, []int{0, 2},
			"seq=1362, missing=239, the capture holds them as 2 IP fragments that could not be reassembled (a fragment was not captured)", `["fragment_missing"]`},
		{"first fragment missing", [][2]int{{0, 16}, {16, 120}, {136, 135}}, []int{1, 2},
			"seq=1362, missing=239, the capture may hold them, or some of them, as 2 IP fragments between the same hosts that could not be reassembled (a fragment was not captured): the first fragment, with the TCP ports, was not captured", `["fragment_missing"]`},
		{"overlapping fragments", [][2]int{{0, 24}, {16, 255}}, []int{0, 1},
			"seq=1362, missing=239, the capture holds them as 2 IP fragments that could not be reassembled (fragments overlapped, and the datagram was dropped as RFC 5722 says)", `["fragments_overlap"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frags := ipv4Fragments(recs[12], tc.pieces)
			var kept [][]byte
			for _, i := range tc.keep {
				kept = append(kept, frags[i])
			}
			file := slices.Concat(append(append([][]byte{hdr}, recs[:12]...), append(kept, recs[13:]...)...)...)
			path := filepath.Join(t.TempDir(), "frag.pcap")
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCode("read", path, "--keylog", keys)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, stderr)
			}
			if !strings.Contains(out, "TCP  Gap  "+tc.text+"\n") {
				t.Errorf("no gap line %q in\n%s", tc.text, out)
			}
			if strings.Contains(out, "missing from the capture") {
				t.Errorf("the bytes are said to be missing from the capture:\n%s", out)
			}
			if !strings.Contains(out, "239 bytes are not decoded: "+strings.TrimPrefix(tc.text, "seq=1362, missing=239, ")+"; a record of this side") {
				t.Errorf("the TLS step after the gap does not say where the bytes are:\n%s", out)
			}
			if !strings.Contains(out, "NewSessionTicket  lifetime 7200s, [decrypted]") {
				t.Errorf("the records after the gap are not decrypted:\n%s", out)
			}
			code, out, _ = runCode("read", path, "--keylog", keys, "--json")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			var gap *jsonEvent
			for _, ev := range parseEvents(t, out) {
				if ev.Type == "gap" {
					gap = &ev
				}
			}
			var f struct {
				Missing       int
				Unreassembled *struct {
					Datagrams, Fragments int
					Causes               json.RawMessage
					Whole, ByAddresses   bool `json:"-"`
				}
			}
			if gap == nil || json.Unmarshal(gap.Fields, &f) != nil || f.Unreassembled == nil || f.Unreassembled.Datagrams != 1 ||
				f.Unreassembled.Fragments != len(tc.keep) || string(f.Unreassembled.Causes) != tc.causes {
				t.Errorf("gap %+v", gap)
			}
		})
	}
	// Frame 13 not captured at all: its bytes are missing, as before.
	file := slices.Concat(append(append([][]byte{hdr}, recs[:12]...), recs[13:]...)...)
	path := filepath.Join(t.TempDir(), "lost.pcap")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runCode("read", path, "--keylog", keys)
	if !strings.Contains(out, "TCP  Gap  seq=1362, missing=239\n") || !strings.Contains(out, "239 bytes are missing from the capture; ") {
		t.Errorf("a segment not captured:\n%s", out)
	}
}
