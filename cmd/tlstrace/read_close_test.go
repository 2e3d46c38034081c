package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadAfterClose: a TLS connection closed by a FIN from both sides,
// then a segment of the client with bytes past its FIN, the server's
// last record sent again, and a new connection on the same addresses and
// ports (the whole capture again, a second later, as a client whose port
// left TIME_WAIT may open one). The bytes past the FIN are said and not
// decoded, never dropped in silence; the record sent again is a
// retransmission; the new connection is decoded with the keys.
func TestReadAfterClose(t *testing.T) {
	in, err := os.ReadFile("../../testdata/illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	hdr, recs := pcapFrames(t, in)
	// Frame 21 is the client's FIN (link type NULL, IPv4, TCP with 12
	// bytes of options), frame 17 the server's "pong" record.
	late := slices.Concat(slices.Clone(recs[20]), []byte("late data"))
	binary.LittleEndian.PutUint32(late[8:], uint32(len(late)-16))
	binary.LittleEndian.PutUint32(late[12:], uint32(len(late)-16))
	ip := late[16+4:]
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	tcp := ip[20:]
	binary.BigEndian.PutUint32(tcp[4:], binary.BigEndian.Uint32(tcp[4:])+1)
	tcp[13] = 0x18 // PSH, ACK
	again := slices.Clone(recs[16])
	var second [][]byte
	for _, r := range recs {
		r = slices.Clone(r)
		binary.LittleEndian.PutUint32(r, binary.LittleEndian.Uint32(r)+1)
		second = append(second, r)
	}
	file := slices.Concat(slices.Concat(append([][]byte{hdr}, recs...)...), late, again, slices.Concat(second...))
	path := filepath.Join(t.TempDir(), "closed.pcap")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	keys := "../../testdata/illustrated-tls13/keylog.txt"
	code, out, stderr := runCode("read", path, "--keylog", keys, "-v")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{
		"#1     0.064191  client → server  TCP  AfterClose  seq=361, ack=1867, win=406400, len=9  [frame 23]\n" +
			"      ! 9 bytes sent past this side's FIN, after both sides had closed the connection, are not decoded (no receiver takes bytes after a FIN), nor those of its later segments\n",
		"#1     0.063899  server → client  TCP  Retransmission  seq=1840, ack=360, win=407936, len=26, again=26, 26 not compared  [frame 24]\n",
		"#2     1.000835  client → server  TLS  ClientHello  SNI example.ulfheim.net, 4 cipher suites, versions TLS 1.3, key shares x25519  [frame 29]\n",
		"#2     1.063899  server → client  TLS  ApplicationData  4 bytes, \"pong\", [decrypted]  [frame 41]\n",
		"#2     1.064191  client → server  TCP  Fin  ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "ApplicationData  4 bytes, \"pong\""); n != 2 {
		t.Errorf("%d pong records, want 2 (one a connection):\n%s", n, out)
	}
}
