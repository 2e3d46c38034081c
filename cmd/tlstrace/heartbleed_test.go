package main

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestScanHeartbleed scans, while dumpcap captures them, three servers:
// the lab's heartbleed fault, gnutls-serv with heartbeats on (-b), which
// discards a request whose length lies, and openssl s_server, which has no
// heartbeat. Only the first is found to leak, with a critical finding and
// grade F; the other two are known not to. tshark, reading the capture,
// is the oracle of what went on the wire: the probe's two requests (the
// one claiming 16384 bytes, the well-formed one of 16) to each server, and
// a response claiming 16384 bytes from the lab's only.
func TestScanHeartbleed(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "gnutls-serv", "dumpcap", "tshark")
	dir := t.TempDir()
	servers, labCA := startLab(t, "heartbleed")
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	gnutls, openssl := tlstest.FreePort(t), tlstest.FreePort(t)
	_, labPort, _ := net.SplitHostPort(servers[0].Host())
	pcap := filepath.Join(dir, "heartbleed.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %s or tcp port %d or tcp port %d", labPort, gnutls, openssl), pcap)
	startServer(t, "HTTP Server listening", "gnutls-serv", "--http", "-b", "-p", strconv.Itoa(gnutls), "--x509certfile", cert, "--x509keyfile", key)
	startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", openssl), "-cert", cert, "-key", key, "-www")
	for _, c := range []struct {
		name, port, ca string
		leaks          bool
		detail         string
	}{
		{"lab", labPort, labCA, true, "claimed 16384 bytes and carried none with a 16403-byte heartbeat response"},
		{"gnutls-serv", strconv.Itoa(gnutls), root.file, false, "answered neither heartbeat request, and it then sent the alert unexpected_message (the server negotiated the heartbeat extension)"},
		{"openssl", strconv.Itoa(openssl), root.file, false, "(the server did not negotiate the heartbeat extension)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCode("scan", "127.0.0.1:"+c.port, "--cacert", c.ca, "--json")
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			var feature struct {
				Known, Supported bool
				Detail           string
			}
			var rules []string
			grade := ""
			for _, ev := range events(t, out) {
				var f struct {
					Name, Rule, Grade string
				}
				if err := json.Unmarshal(ev.Fields, &f); err != nil {
					t.Fatal(err)
				}
				switch {
				case ev.Type == "feature" && f.Name == "heartbleed":
					if err := json.Unmarshal(ev.Fields, &feature); err != nil {
						t.Fatal(err)
					}
				case ev.Type == "finding":
					rules = append(rules, f.Rule)
				case ev.Type == "summary":
					grade = f.Grade
				}
			}
			if !feature.Known || feature.Supported != c.leaks || !strings.Contains(feature.Detail, c.detail) {
				t.Errorf("heartbleed %+v, want known, leaking %v, with %q", feature, c.leaks, c.detail)
			}
			if slices.Contains(rules, "heartbleed") != c.leaks || c.leaks && grade != "F" {
				t.Errorf("findings %v, grade %q", rules, grade)
			}
		})
	}
	stop()
	// tshark's view: per server port, what each side sent as heartbeat
	// messages (type and payload_length).
	sent := map[string][]string{}
	out := tshark(t, "-r", pcap, "-Y", "tls.heartbeat_message", "-T", "fields", "-E", "aggregator=;",
		"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tls.heartbeat_message.type", "-e", "tls.heartbeat_message.payload_length")
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", line)
		}
		types, lengths := strings.Split(f[2], ";"), strings.Split(f[3], ";")
		for i := range types {
			for _, port := range []string{labPort, strconv.Itoa(gnutls), strconv.Itoa(openssl)} {
				switch port {
				case f[1]:
					sent[port+" client"] = append(sent[port+" client"], types[i]+":"+lengths[i])
				case f[0]:
					sent[port+" server"] = append(sent[port+" server"], types[i]+":"+lengths[i])
				}
			}
		}
	}
	for _, port := range []string{labPort, strconv.Itoa(gnutls), strconv.Itoa(openssl)} {
		if got, want := strings.Join(sent[port+" client"], " "), "1:16384 1:16"; got != want {
			t.Errorf("port %s: tshark sees the client send heartbeats %q, want %q", port, got, want)
		}
		want := ""
		if port == labPort {
			want = "2:16384 2:16"
		}
		if got := strings.Join(sent[port+" server"], " "); got != want {
			t.Errorf("port %s: tshark sees the server send heartbeats %q, want %q", port, got, want)
		}
	}
}
