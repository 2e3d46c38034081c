package main

import (
	"encoding/binary"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadAfterReset: a TLS connection reset by the client, then, after
// more than 2 seconds, a segment of the server with data: it is not
// decoded, and the run warns of it with its count, on standard error and
// in the report.
func TestReadAfterReset(t *testing.T) {
	in, err := os.ReadFile("../../testdata/illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	hdr, recs := pcapFrames(t, in)
	// Frame 21 is the client's FIN, made a reset; frame 17 the server's
	// "pong" record, sent again 3 seconds later.
	rst := slices.Clone(recs[20])
	ip := rst[16+4:]
	ip[20+13] = 0x14 // RST, ACK
	late := slices.Clone(recs[16])
	binary.LittleEndian.PutUint32(late, binary.LittleEndian.Uint32(rst)+3)
	path := filepath.Join(t.TempDir(), "reset.pcap")
	if err := os.WriteFile(path, slices.Concat(slices.Concat(append([][]byte{hdr}, recs[:20]...)...), rst, late), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "report.html")
	code, out, stderr := runCode("read", path, "--html", report)
	warning := path + ": 1 TCP segment with data was not decoded: 1 of connections closed after a reset (after_reset)"
	if code != 0 || stderr != "tlstrace: warning: "+warning+"\n" || !strings.Contains(out, "TCP  AfterReset") {
		t.Fatalf("exit %d, want 0, an AfterReset step and the warning %q\n%s%s", code, warning, out, stderr)
	}
	if b, _ := os.ReadFile(report); !strings.Contains(string(b), html.EscapeString(warning)) {
		t.Errorf("the report does not warn %q", warning)
	}
}

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
	report := filepath.Join(t.TempDir(), "report.html")
	code, out, stderr := runCode("read", path, "--keylog", keys, "-v", "--html", report)
	warning := path + ": 1 TCP segment with data was not decoded: 1 with bytes past their side's FIN, once both sides had closed the connection (after_close)"
	if code != 0 || stderr != "tlstrace: warning: "+warning+"\n" {
		t.Fatalf("exit %d, want 0 and the warning %q\n%s%s", code, warning, out, stderr)
	}
	if b, _ := os.ReadFile(report); !strings.Contains(string(b), html.EscapeString(warning)) {
		t.Errorf("the report does not warn %q", warning)
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
