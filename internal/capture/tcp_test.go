package capture

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
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
