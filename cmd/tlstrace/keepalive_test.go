package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestReadKeepAliveAgainstTshark captures a connection whose client sends
// a ClientHello and then stays idle with TCP keep-alives every second (the
// kernel's: no byte, at the sequence number before the next), and reads
// the capture: each is a tcp keep_alive step, in the frames tshark marks
// tcp.analysis.keep_alive, with the segment's sequence number and length.
func TestReadKeepAliveAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures the loopback interface")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	full := filepath.Join(t.TempDir(), "keepalive.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), full)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c)
	}()
	d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: time.Second, Count: 9}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ch, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: []uint16{0xc02f}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c.Write(append([]byte{22, 3, 1, byte(len(ch) >> 8), byte(len(ch))}, ch...))
	time.Sleep(3500 * time.Millisecond)
	c.Close()
	<-done
	stop()

	var got []string
	for _, ev := range runJSON(t, "read", full, "--json") {
		if ev.Layer == "tcp" && ev.Type == "keep_alive" {
			var f struct{ Seq, Len int }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d %s %d %d", ev.Frame, ev.From, f.Seq, f.Len))
		}
	}
	var want []string
	out := tshark(t, "-r", full, "-Y", "tcp.analysis.keep_alive", "-T", "fields", "-E", "separator=/t",
		"-e", "frame.number", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.len")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		from := "client"
		if f[1] == strconv.Itoa(port) {
			from = "server"
		}
		want = append(want, fmt.Sprintf("%s %s %s %s", f[0], from, f[2], f[3]))
	}
	if len(want) < 2 || !slices.Equal(got, want) {
		t.Errorf("keep-alives (frame, side, seq, len):\n%s\ntshark's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
