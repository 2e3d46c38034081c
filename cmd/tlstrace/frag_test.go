package main

import (
	"encoding/binary"
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
