package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestReadOversizedRecordAgainstTshark captures a server that answers
// each ClientHello with a handshake record holding a ServerHello and the
// start of a Certificate, of 16385 bytes (over the 2^14 of a record before
// encryption, within the 2^14+2048 of any record) and of 20000 bytes (over
// both), and reads the capture: each record is framed by its header, as
// tshark frames it, its ServerHello decoded and its length flagged on it.
// tshark flags the second with its expert info tls.record.length.invalid
// (TLSCiphertext length MUST NOT exceed 2^14 + 2048) and not the first,
// which tlstrace holds to the limit of a record before encryption.
func TestReadOversizedRecordAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "dumpcap", "tshark")
	sh, err := (&wire.ServerHello{Version: wire.VersionTLS12, Random: bytes.Repeat([]byte{7}, 32), CipherSuite: 0xc02f}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{wire.MaxPlaintext + 1, 20000}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	full := filepath.Join(t.TempDir(), "oversized.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), full)
	for _, n := range sizes {
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			body := append(bytes.Clone(sh), 11, 0, 0xff, 0xff)
			body = append(body, make([]byte, n-len(body))...)
			c.Write(append([]byte{22, 3, 3, byte(n >> 8), byte(n)}, body...))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			io.Copy(io.Discard, c)
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		ch, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: []uint16{0xc02f}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c.Write(append([]byte{22, 3, 1, byte(len(ch) >> 8), byte(len(ch))}, ch...))
		if _, err := io.ReadFull(c, make([]byte, 5+n)); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	stop()
	if _, err := os.Stat(full); err != nil {
		t.Fatal(err)
	}

	events := runJSON(t, "read", full, "--json")
	var hellos []jsonEvent
	for _, ev := range events {
		if ev.Type == "server_hello" {
			hellos = append(hellos, ev)
		}
		if ev.Type == "encrypted_record" || ev.Type == "partial_record" {
			t.Errorf("conn %d: %s %s", ev.Conn, ev.Type, ev.Error)
		}
	}
	if len(hellos) != len(sizes) {
		t.Fatalf("%d server_hello events, want %d", len(hellos), len(sizes))
	}
	rows := strings.Split(strings.TrimSpace(tshark(t, "-r", full, "-d", fmt.Sprintf("tcp.port==%d,tls", port), "-Y", "tls.handshake.type == 2",
		"-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "tls.record.length", "-e", "tls.record.length.invalid", "-e", "_ws.expert.message")), "\n")
	if len(rows) != len(sizes) {
		t.Fatalf("tshark: %d ServerHellos, want %d:\n%s", len(rows), len(sizes), strings.Join(rows, "\n"))
	}
	for i, n := range sizes {
		ev, f := hellos[i], strings.Split(rows[i], "\t")
		for len(f) < 4 {
			f = append(f, "")
		}
		frame, _ := strconv.Atoi(f[0])
		length, _ := strconv.Atoi(f[1])
		if ev.Frame != frame || ev.Record == nil || ev.Record.Length != length || length != n {
			t.Errorf("record of %d bytes: tlstrace frame %d record %+v; tshark frame %d length %d", n, ev.Frame, ev.Record, frame, length)
			continue
		}
		want := fmt.Sprintf("%d bytes of plaintext in one record, more than the 16384 any TLS version allows (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1): the peer must end the connection with record_overflow", n)
		if len(ev.Record.Anomalies) != 1 || ev.Record.Anomalies[0].Text != want {
			t.Errorf("record of %d bytes: anomalies %+v", n, ev.Record.Anomalies)
		}
		// tshark: the expert info for a record over 2^14 + 2048 only.
		if invalid := strings.Contains(f[3], "TLSCiphertext length MUST NOT exceed 2^14 + 2048"); invalid != (n > wire.MaxCiphertext) {
			t.Errorf("record of %d bytes: tshark's expert info %q", n, f[3])
		}
	}
}
