package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadPSK decrypts TLS 1.2 plain PSK connections between openssl's
// s_server and s_client with --psk and no key log, and checks the
// application data against tshark's with tls.psk.
func TestReadPSK(t *testing.T) {
	requirePeer(t, "openssl", "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	talk := []scriptStep{
		{"client", "ping\n", "server", "ping"},
		{"server", "pong\n", "client", "pong"},
	}
	suites := []string{"PSK-AES128-CBC-SHA", "PSK-AES128-GCM-SHA256"}
	base := 10000 + mrand.IntN(20000)
	pcap := filepath.Join(dir, "psk.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp portrange %d-%d", base, base+len(suites)-1), pcap)
	for i, s := range suites {
		sc := oracleScenario{name: s, script: talk,
			server: []string{"-tls1_2", "-nocert", "-psk", testPSK, "-cipher", s},
			client: []string{"-tls1_2", "-psk", testPSK, "-cipher", s}}
		runScenario(t, dir, sc, base+i, filepath.Join(dir, "unused-keys.txt"))
	}
	stop()

	decodeAs := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(suites)-1)
	want := tshark(t, "-r", pcap, "-d", decodeAs, "-o", "tls.psk:"+testPSK, "-Y", "tls and data", "-T", "fields", "-e", "data.data")
	var wantData []string
	for _, l := range strings.Fields(want) {
		b, err := hex.DecodeString(strings.ReplaceAll(l, ":", ""))
		if err != nil {
			t.Fatalf("tshark data %q: %v", l, err)
		}
		wantData = append(wantData, string(b))
	}
	if len(wantData) != 2*len(suites) {
		t.Fatalf("tshark decrypted %q, want ping and pong for each of %d connections", wantData, len(suites))
	}

	var got []string
	for _, ev := range runJSON(t, "read", pcap, "--psk", testPSK, "--json") {
		switch ev.Type {
		case "application_data":
			got = append(got, appData(t, ev))
		case "encrypted_record":
			t.Errorf("frame %d: not decrypted with --psk: %s", ev.Frame, ev.Error)
		}
	}
	if !slices.Equal(got, wantData) {
		t.Errorf("application data with --psk = %q, tshark with tls.psk decrypts %q", got, wantData)
	}

	for _, ev := range runJSON(t, "read", pcap, "--json") {
		if ev.Type == "application_data" {
			t.Errorf("frame %d: application data decrypted without --psk", ev.Frame)
		}
	}

	var out, errb bytes.Buffer
	if code := run([]string{"read", pcap, "--psk", "not-hex-" + testPSK}, &out, &errb); code != exitUsage {
		t.Errorf("--psk with a bad key: exit %d, want %d", code, exitUsage)
	}
	if strings.Contains(out.String()+errb.String(), testPSK) {
		t.Error("the pre-shared key is printed")
	}
	out.Reset()
	errb.Reset()
	run([]string{"read", pcap, "--psk", testPSK, "-vv", "--json"}, &out, &errb)
	if strings.Contains(strings.ToLower(out.String()+errb.String()), testPSK) {
		t.Error("the pre-shared key is printed")
	}
}
