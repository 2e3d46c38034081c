package source

import (
	"encoding/binary"
	"os"
	"testing"
)

// snapPcap cuts every packet of a classic little-endian pcap to n bytes,
// keeping its original length, as dumpcap -s n writes it.
func snapPcap(t *testing.T, in []byte, n int) []byte {
	t.Helper()
	if len(in) < 24 || binary.LittleEndian.Uint32(in) != 0xA1B2C3D4 {
		t.Fatal("not a little-endian microsecond pcap")
	}
	out := append([]byte(nil), in[:24]...)
	binary.LittleEndian.PutUint32(out[16:], uint32(n))
	for b := in[24:]; len(b) >= 16; {
		incl := int(binary.LittleEndian.Uint32(b[8:]))
		rec := append([]byte(nil), b[:16]...)
		keep := min(incl, n)
		binary.LittleEndian.PutUint32(rec[8:], uint32(keep))
		out = append(append(out, rec...), b[16:16+keep]...)
		b = b[16+incl:]
	}
	return out
}

// TestRenderMissingBytes checks that the parallel read writes what one
// decoder writes for captures with missing bytes: a lost segment, and
// packets cut by the snapshot length.
func TestRenderMissingBytes(t *testing.T) {
	for _, v := range []string{"tls12", "tls13"} {
		lost, err := os.ReadFile("../../cmd/tlstrace/testdata/captures/illustrated-" + v + "-lost-frame-13.pcap")
		if err != nil {
			t.Fatal(err)
		}
		whole, err := os.ReadFile(td + "illustrated-" + v + "/capture.pcap")
		if err != nil {
			t.Fatal(err)
		}
		opts := func() Options { return Options{Keys: readKeys(t, td+"illustrated-"+v+"/keylog.txt")} }
		t.Run(v+"/lost", func(t *testing.T) { checkParallel(t, lost, opts) })
		t.Run(v+"/snaplen", func(t *testing.T) { checkParallel(t, snapPcap(t, whole, 100), opts) })
	}
}
