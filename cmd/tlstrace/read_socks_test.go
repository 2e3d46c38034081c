package main

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestReadSOCKSTunnel captures curl fetching a page from openssl s_server
// through microsocks, a SOCKS5 proxy, on the proxy's port: without
// authentication, the host as an address (--socks5), and with a username
// and password, the host as a name (socks5h://user:pass@): read shows
// each message of the SOCKS dialog (the password withheld) and decodes
// the TLS session after the proxy's success reply, each handshake
// message in the frame tshark's SOCKS dissector hands the tunnel to TLS
// in; none of it is taken for a stream that is not TLS.
func TestReadSOCKSTunnel(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "microsocks", "dumpcap", "tshark")
	for _, c := range []struct {
		name, proxy string
		args        []string
		want        []string
	}{
		{"address", "socks5://127.0.0.1:%d", nil, []string{"client: greeting: methods no authentication (0x00)", "server: method no authentication (0x00)",
			"client: CONNECT 127.0.0.1:%d", "server: reply succeeded (0x00), bound "}},
		{"name and login", "socks5h://joe:s3cret@127.0.0.1:%d", []string{"-u", "joe", "-P", "s3cret"}, []string{
			"client: greeting: methods no authentication (0x00), GSSAPI (0x01), username/password (0x02)", "server: method username/password (0x02)",
			`client: username "joe", password <password withheld>`, "server: login accepted", "client: CONNECT localhost:%d", "server: reply succeeded (0x00), bound "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTestCerts(t, dir)
			keylog := filepath.Join(dir, "keys.txt")
			sport := tlstest.FreePort(t)
			stopServer := startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", sport), "-naccept", "1", "-www",
				"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"), "-keylogfile", keylog)
			defer stopServer()
			pport := tlstest.FreePort(t)
			proxy := exec.Command("microsocks", append([]string{"-i", "127.0.0.1", "-p", strconv.Itoa(pport)}, c.args...)...)
			if err := proxy.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { proxy.Process.Kill(); proxy.Wait() }()
			for i := 0; ; i++ {
				conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", pport))
				if err == nil {
					conn.Close()
					break
				}
				if i == 100 {
					t.Fatalf("microsocks does not listen: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			pcap := filepath.Join(dir, "socks.pcapng")
			stop := startCapture(t, fmt.Sprintf("tcp port %d", pport), pcap)
			// socks5:// has curl resolve the name (to 127.0.0.1, as
			// --resolve says) and send the address; socks5h:// sends the
			// name.
			cmd := exec.Command("curl", "-sS", "--http1.1", "--proxy", fmt.Sprintf(c.proxy, pport), "--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", sport),
				"--cacert", filepath.Join(dir, "ca.pem"), fmt.Sprintf("https://localhost:%d/", sport))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := runTimeout(cmd, 20*time.Second); err != nil {
				t.Fatalf("curl --proxy %s: %v\n%s", c.proxy, err, out.String())
			}
			time.Sleep(100 * time.Millisecond)
			stop()

			events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
			lines, got, plain := tunnelSteps(t, events, "socks5")
			ok := len(lines) == len(c.want)
			for i := 0; ok && i < len(lines); i++ {
				w := c.want[i]
				if strings.Contains(w, "%d") {
					w = fmt.Sprintf(w, sport)
				}
				ok = strings.HasPrefix(lines[i], w)
			}
			if !ok {
				t.Errorf("the SOCKS dialog\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(c.want, "\n"))
			}
			if slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "s3cret") }) {
				t.Error("the proxy password is shown")
			}
			// tshark's SOCKS dissector on the proxy's port hands the
			// tunnel to the dissector of the port asked, told to be TLS;
			// it does not decrypt the tunnel with the key log, so the
			// messages of the clear records are compared, and tlstrace's
			// decryption is shown by both Finished messages and the HTTP
			// request read from the tunnel.
			oracle := tsharkHandshakes(t, pcap, fmt.Sprintf("tcp.port==%d,socks;tcp.port==%d,tls", pport, sport), "")
			if tt := oracle[0]; len(tt) < 2 || !slices.Equal(plain, tt) {
				t.Errorf("handshake messages in clear records (frame:type)\n%v\ntshark\n%v", plain, tt)
			}
			if n := len(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return !strings.HasSuffix(s, ":20") })); n != 2 {
				t.Errorf("%d Finished messages decrypted, want 2: %v", n, got)
			}
			if !slices.ContainsFunc(events, func(ev jsonEvent) bool { return ev.Layer == "http" && ev.Type == "request" }) {
				t.Error("no HTTP request read from the decrypted tunnel")
			}
		})
	}
}
