package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestReadStartTLSPeer captures openssl s_client -starttls against tlstrace
// serve --starttls for SMTP, IMAP and POP3: read follows the plaintext
// dialog line by line (info starttls events, the client's upgrade command
// among them) and then decodes the TLS session, each TLS step as tshark
// dissects it when told the port's protocol; none of it is taken for a
// stream that is not TLS.
func TestReadStartTLSPeer(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "mail", nil)
	for _, c := range []struct{ proto, dissector, upgrade string }{
		{"smtp", "smtp", "STARTTLS"},
		{"imap", "imap", " STARTTLS"},
		{"pop3", "pop", "STLS"},
	} {
		t.Run(c.proto, func(t *testing.T) {
			port := tlstest.FreePort(t)
			pcap := filepath.Join(dir, c.proto+".pcapng")
			keylog := filepath.Join(dir, c.proto+".keys")
			_, stopServe := startServe(t, port, "--cert", cert, "--key", key, "--starttls", c.proto)
			stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
			cmd := exec.Command("openssl", "s_client", "-brief", "-starttls", c.proto, "-connect", fmt.Sprintf("127.0.0.1:%d", port),
				"-servername", "localhost", "-CAfile", root.file, "-verify_return_error", "-keylogfile", keylog)
			cmd.Stdin = bytes.NewReader(nil)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := runTimeout(cmd, 20*time.Second); err != nil {
				t.Fatalf("openssl s_client -starttls %s: %v\n%s", c.proto, err, out.String())
			}
			time.Sleep(100 * time.Millisecond)
			stop()
			stopServe()

			events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
			checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: fmt.Sprintf("tcp.port==%d,%s", port, c.dissector), events: events})
			var lines []string
			upgraded, hello := false, false
			for _, ev := range events {
				switch {
				case ev.Type == "not_tls":
					t.Errorf("frame %d: not_tls: %s", ev.Frame, ev.Error)
				case ev.Type == "client_hello":
					hello = true
				case ev.Layer == "info" && ev.Type == "starttls":
					if hello {
						t.Errorf("frame %d: a dialog line after the ClientHello", ev.Frame)
					}
					var f struct{ Protocol, Line string }
					if err := json.Unmarshal(ev.Fields, &f); err != nil {
						t.Fatal(err)
					}
					if f.Protocol != c.proto {
						t.Errorf("frame %d: protocol %q, want %q", ev.Frame, f.Protocol, c.proto)
					}
					lines = append(lines, ev.From+": "+f.Line)
					if ev.From == "client" && strings.HasSuffix(strings.ToUpper(f.Line), c.upgrade) {
						upgraded = true
					}
				}
			}
			if !upgraded || !hello || len(lines) < 3 {
				t.Errorf("dialog %q (a ClientHello after it: %v), want the greeting, the client's %s and the answer before the ClientHello", lines, hello, strings.TrimSpace(c.upgrade))
			}
		})
	}
}
