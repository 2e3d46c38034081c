package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestReadDTLSNotDecoded: a capture of openssl s_client -dtls talking to
// s_server -dtls over UDP on 127.0.0.1 reads as one not_decoded event
// (it read as nothing at all), at the frame of the first DTLS datagram as
// tshark finds it, from the client that tshark sees send the
// ClientHello, with the record version tshark reads; the text view says
// why nothing of it is shown.
func TestReadDTLSNotDecoded(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "dumpcap", "tshark")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	// s_server -dtls told port 0 says one port and listens on another:
	// it is given a free one. It ends when its standard input does: that
	// stays open until the test ends.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	server := exec.Command("openssl", "s_server", "-dtls", "-accept", "127.0.0.1:"+port, "-cert", cert, "-key", key, "-naccept", "1")
	stdin, err := server.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		server.Process.Kill()
		server.Wait()
	})
	accepting := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ACCEPT") {
				accepting <- true
				break
			}
		}
		close(accepting)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ok := <-accepting:
		if !ok {
			t.Fatal("openssl s_server -dtls ended before it said ACCEPT")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("openssl s_server -dtls did not say ACCEPT in 20 s")
	}
	pcap := filepath.Join(dir, "dtls.pcapng")
	stop := startCapture(t, "udp port "+port, pcap)
	client := exec.Command("openssl", "s_client", "-dtls", "-connect", "127.0.0.1:"+port, "-brief")
	client.Stdin = strings.NewReader("hello over DTLS\n")
	var cerr bytes.Buffer
	client.Stderr = &cerr
	if err := runTimeout(client, 15*time.Second); err != nil {
		t.Fatalf("openssl s_client -dtls: %v\n%s", err, cerr.String())
	}
	stop()

	line := strings.SplitN(strings.TrimSpace(tshark(t, "-r", pcap, "-Y", "dtls", "-T", "fields", "-E", "separator=/t",
		"-e", "frame.number", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "dtls.record.version", "-e", "dtls.handshake.type")), "\n", 2)[0]
	f := strings.Split(line, "\t")
	if len(f) < 7 || f[6] != "1" {
		t.Fatalf("tshark: the first DTLS datagram is not a ClientHello: %q", line)
	}
	wantVersion := map[string]string{"0xfeff": "DTLS 1.0", "0xfefd": "DTLS 1.2"}[strings.Split(f[5], ",")[0]]
	if wantVersion == "" {
		t.Fatalf("tshark: record version %q", f[5])
	}
	events := runJSON(t, "read", pcap, "--json")
	var got []jsonEvent
	for _, ev := range events {
		if ev.Type == "not_decoded" {
			got = append(got, ev)
		} else if ev.Layer == "tls" {
			t.Errorf("a %s event from a DTLS capture", ev.Type)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d not_decoded events, want one for the DTLS flow", len(got))
	}
	ev := got[0]
	var fields struct {
		Protocol, Version, First, Client, Server, Reason string
	}
	if err := json.Unmarshal(ev.Fields, &fields); err != nil {
		t.Fatal(err)
	}
	if strconv.Itoa(ev.Frame) != f[0] || ev.From != "client" || ev.Layer != "info" || ev.Conn != 0 {
		t.Errorf("event at frame %d from %s (%s, conn %d), want frame %s from the client (info, conn 0)", ev.Frame, ev.From, ev.Layer, ev.Conn, f[0])
	}
	if want := f[1] + ":" + f[2]; fields.Client != want || fields.Server != f[3]+":"+f[4] {
		t.Errorf("client %s, server %s, want %s and %s:%s", fields.Client, fields.Server, want, f[3], f[4])
	}
	if fields.Protocol != "DTLS" || fields.Version != wantVersion || fields.First != "ClientHello" {
		t.Errorf("%s %s %s, want DTLS %s ClientHello", fields.Protocol, fields.Version, fields.First, wantVersion)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"read", pcap}, &out, &errb); code != 0 {
		t.Fatalf("read: exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "DTLS over UDP (RFC 9147) is not decoded") {
		t.Errorf("the text view does not say the DTLS flow is not decoded:\n%s", out.String())
	}
}
