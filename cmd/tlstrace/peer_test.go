package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// A peerRun is one server started for a scenario and the clients that
// connect to it, one TCP connection each.
type peerRun struct {
	name    string
	server  []string // extra openssl s_server arguments
	clients []peerClient
	// want lists handshake messages (from and type) each connection of the
	// scenario must show, by client index; suite is the cipher suite the
	// server must choose.
	want  map[int][]string
	avoid map[int][]string
	suite string
	// helloHas and helloLacks are strings the server_hello's fields must
	// and must not contain (an extension's name).
	helloHas, helloLacks string
	// null is set for a NULL cipher suite, whose records are in the
	// clear: shown without a key log, their MAC checked with it.
	null bool
	// gnutlsServer runs gnutls-serv (HTTP) instead of openssl s_server,
	// with server as its extra arguments.
	gnutlsServer bool
	// noOracle is set when tshark here cannot decrypt the suite (its
	// libgcrypt has no ARIA): the encrypted Finished messages are then
	// checked by their count, the application data by what the peers
	// sent.
	noOracle bool
}

type peerClient struct {
	tool string // openssl, curl or gnutls
	args []string
}

// The scenarios of the trace-engine acceptance: TLS 1.3 with each of its
// five cipher suites, TLS 1.2 with AEAD, CBC (with and without
// encrypt_then_mac) and RSA key exchange, a HelloRetryRequest, resumed
// sessions in both versions, and curl and gnutls-cli as clients.
func peerRuns() []peerRun {
	var runs []peerRun
	for _, s := range []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"} {
		runs = append(runs, peerRun{
			name:    "tls13-" + s,
			server:  []string{"-tls1_3", "-ciphersuites", s},
			clients: []peerClient{{"openssl", []string{"-tls1_3", "-ciphersuites", s}}},
			want:    map[int][]string{0: {"server encrypted_extensions", "server certificate", "server certificate_verify", "server finished", "client finished", "server new_session_ticket"}},
			suite:   s,
		})
	}
	tls12 := []string{"server certificate", "server server_hello_done", "client client_key_exchange", "client finished", "server finished"}
	for _, c := range []struct{ name, cipher, suite string }{
		{"ecdhe-rsa-aes128-gcm", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{"ecdhe-ecdsa-chacha20", "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
		{"rsa-aes256-cbc", "AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"},
		{"ecdhe-rsa-aes128-cbc-etm", "ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	} {
		runs = append(runs, peerRun{
			name:    "tls12-" + c.name,
			server:  []string{"-tls1_2", "-cipher", c.cipher},
			clients: []peerClient{{"openssl", []string{"-tls1_2", "-cipher", c.cipher}}},
			want:    map[int][]string{0: tls12},
			suite:   c.suite,
		})
		if strings.Contains(c.cipher, "SHA256") && !strings.Contains(c.cipher, "GCM") {
			runs[len(runs)-1].helloHas = "encrypt_then_mac"
		}
	}
	for _, c := range []struct{ cipher, suite string }{
		{"NULL-MD5", "TLS_RSA_WITH_NULL_MD5"},
		{"NULL-SHA", "TLS_RSA_WITH_NULL_SHA"},
		{"NULL-SHA256", "TLS_RSA_WITH_NULL_SHA256"},
		{"ECDHE-RSA-NULL-SHA", "TLS_ECDHE_RSA_WITH_NULL_SHA"},
		{"ECDHE-ECDSA-NULL-SHA", "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	} {
		cipher := c.cipher + ":@SECLEVEL=0"
		runs = append(runs, peerRun{
			name:    "tls12-" + strings.ToLower(c.cipher),
			server:  []string{"-tls1_2", "-cipher", cipher},
			clients: []peerClient{{"openssl", []string{"-tls1_2", "-cipher", cipher}}},
			want:    map[int][]string{0: tls12},
			suite:   c.suite,
			null:    true,
		})
	}
	// Camellia (RFC 5932, RFC 6367) and ARIA (RFC 6209), the ones
	// OpenSSL serves, and TLS 1.0 CBC with its chained IV.
	for _, c := range []struct{ version, cipher, suite string }{
		{"-tls1_2", "CAMELLIA128-SHA", "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
		{"-tls1", "CAMELLIA128-SHA", "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
		{"-tls1_2", "DHE-RSA-CAMELLIA256-SHA", "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
		{"-tls1_2", "CAMELLIA256-SHA256", "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
		{"-tls1_2", "ECDHE-RSA-CAMELLIA128-SHA256", "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
		{"-tls1_2", "ECDHE-ECDSA-CAMELLIA256-SHA384", "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
		{"-tls1_2", "ARIA128-GCM-SHA256", "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
		{"-tls1_2", "ECDHE-ARIA256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
		{"-tls1_2", "ECDHE-ECDSA-ARIA128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	} {
		cipher := c.cipher + ":@SECLEVEL=0"
		// -bugs: no empty record before the data of TLS 1.0 CBC (the
		// BEAST counter-measure), which tshark shows as an encrypted
		// record for want of plaintext.
		runs = append(runs, peerRun{
			name:    strings.TrimPrefix(c.version, "-") + "-" + strings.ToLower(c.cipher),
			server:  []string{c.version, "-cipher", cipher, "-bugs"},
			clients: []peerClient{{"openssl", []string{c.version, "-cipher", cipher, "-bugs"}}},
			want:    map[int][]string{0: tls12},
			suite:   c.suite,
		})
		runs[len(runs)-1].noOracle = strings.Contains(c.cipher, "ARIA")
	}
	// SEED (RFC 4162), from OpenSSL's legacy provider.
	for _, c := range []struct{ cipher, suite string }{
		{"SEED-SHA", "TLS_RSA_WITH_SEED_CBC_SHA"},
		{"DHE-RSA-SEED-SHA", "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
	} {
		args := []string{"-tls1_2", "-provider", "legacy", "-provider", "default", "-cipher", c.cipher + ":@SECLEVEL=0"}
		runs = append(runs, peerRun{
			name:    "tls1_2-" + strings.ToLower(c.cipher),
			server:  args,
			clients: []peerClient{{"openssl", args}},
			want:    map[int][]string{0: tls12},
			suite:   c.suite,
		})
	}
	// Camellia-GCM, which only GnuTLS serves.
	for _, c := range []struct{ priority, suite string }{
		{"+CAMELLIA-128-GCM:+ECDHE-RSA", "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
		{"+CAMELLIA-256-GCM:+RSA", "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	} {
		priority := "NONE:+VERS-TLS1.2:+AEAD:+SIGN-ALL:+GROUP-ALL:+COMP-NULL:" + c.priority
		runs = append(runs, peerRun{
			name:         "gnutls-" + strings.ToLower(c.suite),
			gnutlsServer: true,
			server:       []string{"--priority", priority},
			clients:      []peerClient{{"gnutls", []string{"--priority", priority}}},
			want:         map[int][]string{0: tls12},
			suite:        c.suite,
		})
	}
	runs = append(runs,
		peerRun{
			name:       "tls12-ecdhe-rsa-aes128-cbc-no-etm",
			server:     []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"},
			clients:    []peerClient{{"openssl", []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256", "-no_etm"}}},
			want:       map[int][]string{0: tls12},
			suite:      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
			helloLacks: "encrypt_then_mac",
		},
		peerRun{
			name:    "tls13-hello-retry-request",
			server:  []string{"-tls1_3", "-groups", "P-256"},
			clients: []peerClient{{"openssl", []string{"-tls1_3", "-groups", "X25519:P-256"}}},
			want:    map[int][]string{0: {"client client_hello", "server hello_retry_request", "client client_hello", "server server_hello", "server finished", "client finished"}},
		},
		peerRun{
			name:    "tls13-resumption",
			server:  []string{"-tls1_3"},
			clients: []peerClient{{"openssl", []string{"-tls1_3", "-sess_out", "{sess}"}}, {"openssl", []string{"-tls1_3", "-sess_in", "{sess}"}}},
			want:    map[int][]string{0: {"server certificate", "server new_session_ticket"}, 1: {"server server_hello", "server finished", "client finished"}},
			avoid:   map[int][]string{1: {"server certificate", "server certificate_verify"}},
		},
		peerRun{
			name:    "tls12-resumption",
			server:  []string{"-tls1_2"},
			clients: []peerClient{{"openssl", []string{"-tls1_2", "-sess_out", "{sess}"}}, {"openssl", []string{"-tls1_2", "-sess_in", "{sess}"}}},
			want:    map[int][]string{0: tls12, 1: {"server server_hello", "server finished", "client finished"}},
			avoid:   map[int][]string{1: {"server certificate", "client client_key_exchange"}},
		},
		peerRun{
			name:    "curl",
			clients: []peerClient{{"curl", nil}},
			want:    map[int][]string{0: {"server certificate", "client finished"}},
		},
		peerRun{
			name:    "curl-tls12",
			clients: []peerClient{{"curl", []string{"--tlsv1.2", "--tls-max", "1.2"}}},
			want:    map[int][]string{0: tls12},
		},
		peerRun{
			name:    "gnutls-cli",
			clients: []peerClient{{"gnutls", nil}},
			want:    map[int][]string{0: {"server certificate", "client finished"}},
		},
	)
	return runs
}

// peerConn is what one client saw: the bytes it sent and received.
type peerConn struct {
	run      *peerRun
	index    int
	port     int
	sent     []byte
	received []byte
	// bodyOnly is set when received holds only the HTTP body (curl).
	bodyOnly bool
}

// TestReadPeers captures real openssl, curl and gnutls-cli connections on
// loopback with dumpcap, then checks `tlstrace read --json` against tshark
// on the same capture and key log: for every connection the list of
// (frame, handshake type) is the same, every record is decrypted, and the
// application data is what the peers sent, byte for byte. Without the key
// log, the encrypted records stay encrypted and the plaintext messages still
// match tshark's.
func TestReadPeers(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "gnutls-cli", "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	writeTestCerts(t, dir)
	keylog := filepath.Join(dir, "keys.txt")
	runs := peerRuns()
	base := 10000 + mrand.IntN(20000) // below the ephemeral ports (32768 and up)
	pcap := filepath.Join(dir, "peers.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp portrange %d-%d", base, base+len(runs)-1), pcap)
	var conns []*peerConn
	for i := range runs {
		conns = append(conns, runPeers(t, dir, &runs[i], base+i, keylog)...)
	}
	stop()

	portRange := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(runs)-1)
	streams := tsharkStreamPorts(t, pcap, portRange)
	if len(streams) != len(conns) {
		t.Fatalf("tshark sees %d connections, the clients made %d", len(streams), len(conns))
	}
	withKeys := tsharkHandshakes(t, pcap, portRange, keylog)
	withoutKeys := tsharkHandshakes(t, pcap, portRange, "")
	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	plain := runJSON(t, "read", pcap, "--json")

	// tshark 4.0 neither decrypts ARIA nor reads the ServerKeyExchange
	// of its suites: those connections are checked below by what the
	// peers sent.
	var oracleConns []int
	for i, pc := range conns {
		if !pc.run.noOracle {
			oracleConns = append(oracleConns, i+1)
		}
	}
	t.Run("oracle", func(t *testing.T) {
		checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: portRange, events: events, conns: oracleConns, rules: []oracleRule{ruleTsharkLost}})
	})
	t.Run("oracle without keys", func(t *testing.T) {
		checkOracle(t, oracleCase{pcap: pcap, decodeAs: portRange, events: plain, conns: oracleConns})
	})

	// Connections are made one after the other, so the n-th TCP stream is
	// the n-th client.
	for stream, port := range streams {
		pc := conns[stream]
		if pc.port != port {
			t.Fatalf("stream %d is on port %d, want %d", stream, port, pc.port)
		}
		conn := stream + 1
		t.Run(fmt.Sprintf("%s/%d", pc.run.name, pc.index), func(t *testing.T) {
			checkPeerConn(t, pc, conn, events, withKeys[stream])
			if pc.run.null {
				checkNullNoKeys(t, pc, conn, plain, withoutKeys[stream])
			} else {
				checkNoKeys(t, conn, plain, withoutKeys[stream])
			}
		})
	}
}

func checkPeerConn(t *testing.T, pc *peerConn, conn int, events []jsonEvent, oracle []string) {
	var got, steps []string
	var sent, received bytes.Buffer
	suite := ""
	for _, ev := range events {
		if ev.Conn != conn || ev.Layer != "tls" {
			continue
		}
		steps = append(steps, ev.From+" "+ev.Type)
		switch ev.Type {
		case "encrypted_record":
			t.Errorf("frame %d: encrypted record not decrypted: %s", ev.Frame, ev.Error)
		case "application_data":
			if pc.run.null && (ev.Record == nil || ev.Record.Encrypted || ev.Record.MAC != "verified") {
				t.Errorf("frame %d: NULL cipher record %+v, want not encrypted, MAC verified", ev.Frame, ev.Record)
			}
			if ev.From == "client" {
				sent.WriteString(appData(t, ev))
			} else {
				received.WriteString(appData(t, ev))
			}
		case "server_hello":
			var f struct {
				CipherSuite struct{ Name string } `json:"cipher_suite"`
			}
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			suite = f.CipherSuite.Name
			if h := pc.run.helloHas; h != "" && !bytes.Contains(ev.Fields, []byte(h)) {
				t.Errorf("server_hello lacks %s", h)
			}
			if h := pc.run.helloLacks; h != "" && bytes.Contains(ev.Fields, []byte(h)) {
				t.Errorf("server_hello has %s", h)
			}
		}
		if ev.Error != "" {
			t.Errorf("frame %d %s: %s", ev.Frame, ev.Type, ev.Error)
		}
		if code, ok := handshakeCode(ev.Type); ok {
			got = append(got, fmt.Sprintf("%d:%d", ev.Frame, code))
		}
	}
	if pc.run.noOracle {
		finished := 0
		got = slices.DeleteFunc(got, func(s string) bool {
			if strings.HasSuffix(s, fmt.Sprintf(":%d", wire.TypeFinished)) && !slices.Contains(oracle, s) {
				finished++
				return true
			}
			return false
		})
		if finished+countSuffix(oracle, fmt.Sprintf(":%d", wire.TypeFinished)) != 2 {
			t.Errorf("%d finished messages that tshark did not decrypt; want two in all", finished)
		}
	}
	if !slices.Equal(got, oracle) {
		t.Errorf("(frame:handshake type)\n tlstrace %v\n tshark   %v", got, oracle)
	}
	for _, w := range pc.run.want[pc.index] {
		if !slices.Contains(steps, w) {
			t.Errorf("no %q in %v", w, steps)
		}
	}
	for _, a := range pc.run.avoid[pc.index] {
		if slices.Contains(steps, a) {
			t.Errorf("unexpected %q in %v", a, steps)
		}
	}
	if pc.run.suite != "" && suite != pc.run.suite {
		t.Errorf("cipher suite %q, want %q", suite, pc.run.suite)
	}
	if !bytes.Equal(sent.Bytes(), pc.sent) {
		t.Errorf("client application data %q, the client sent %q", first(sent.Bytes()), first(pc.sent))
	}
	if pc.bodyOnly {
		if !bytes.HasSuffix(received.Bytes(), pc.received) || len(pc.received) == 0 {
			t.Errorf("server application data %q does not end with the body curl got (%d bytes)", first(received.Bytes()), len(pc.received))
		}
	} else if !bytes.Equal(received.Bytes(), pc.received) {
		t.Errorf("server application data (%d bytes) %q, the client received (%d bytes) %q",
			received.Len(), first(received.Bytes()), len(pc.received), first(pc.received))
	}
}

// checkNoKeys checks the same connection decoded without a key log:
// nothing decrypted, nothing invented.
func checkNoKeys(t *testing.T, conn int, events []jsonEvent, oracle []string) {
	var got []string
	encrypted := 0
	for _, ev := range events {
		if ev.Conn != conn || ev.Layer != "tls" {
			continue
		}
		switch ev.Type {
		case "application_data":
			t.Errorf("frame %d: application data without a key log", ev.Frame)
		case "encrypted_record":
			encrypted++
			if ev.Record == nil || !ev.Record.Encrypted {
				t.Errorf("frame %d: encrypted_record without record.encrypted", ev.Frame)
			}
		}
		if code, ok := handshakeCode(ev.Type); ok {
			got = append(got, fmt.Sprintf("%d:%d", ev.Frame, code))
		}
	}
	if encrypted == 0 {
		t.Error("no encrypted_record without a key log")
	}
	if !slices.Equal(got, oracle) {
		t.Errorf("without keys (frame:handshake type)\n tlstrace %v\n tshark   %v", got, oracle)
	}
}

// checkNullNoKeys checks a connection of a NULL cipher suite decoded
// without a key log: its records are in the clear, so the handshake
// messages after change_cipher_spec and the application data are shown as
// tshark shows them, the MAC unchecked, and the data is what the peers
// sent.
func checkNullNoKeys(t *testing.T, pc *peerConn, conn int, events []jsonEvent, oracle []string) {
	var got []string
	var sent, received bytes.Buffer
	for _, ev := range events {
		if ev.Conn != conn || ev.Layer != "tls" {
			continue
		}
		switch ev.Type {
		case "encrypted_record":
			t.Errorf("frame %d: a NULL cipher record shown as encrypted: %s", ev.Frame, ev.Error)
		case "application_data":
			if ev.Record == nil || ev.Record.Encrypted || ev.Record.MAC != "unchecked" {
				t.Errorf("frame %d: record %+v, want not encrypted, MAC unchecked", ev.Frame, ev.Record)
			}
			if ev.From == "client" {
				sent.WriteString(appData(t, ev))
			} else {
				received.WriteString(appData(t, ev))
			}
		}
		if code, ok := handshakeCode(ev.Type); ok {
			got = append(got, fmt.Sprintf("%d:%d", ev.Frame, code))
		}
	}
	if !slices.Equal(got, oracle) {
		t.Errorf("without keys (frame:handshake type)\n tlstrace %v\n tshark   %v", got, oracle)
	}
	if !bytes.Equal(sent.Bytes(), pc.sent) || !bytes.Equal(received.Bytes(), pc.received) {
		t.Errorf("without keys: application data %q / %q, the peers sent %q / %q",
			first(sent.Bytes()), first(received.Bytes()), first(pc.sent), first(pc.received))
	}
}

func countSuffix(list []string, suffix string) int {
	n := 0
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			n++
		}
	}
	return n
}

func first(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

var handshakeCodes = func() map[string]int {
	m := map[string]int{}
	for i := range 256 {
		if name := wire.HandshakeType(i).String(); !strings.Contains(name, "(") && !strings.HasPrefix(name, "unknown") {
			m[name] = i
		}
	}
	// On the wire a HelloRetryRequest is a server_hello.
	m["hello_retry_request"] = int(wire.TypeServerHello)
	return m
}()

func handshakeCode(typ string) (int, bool) {
	c, ok := handshakeCodes[typ]
	return c, ok
}

// runPeers starts openssl s_server for one scenario and runs its clients
// one after the other. Every peer appends its secrets to keylog.
func runPeers(t *testing.T, dir string, r *peerRun, port int, keylog string) []*peerConn {
	t.Helper()
	if r.gnutlsServer {
		// gnutls-serv does not stop by itself: the test's cleanup ends
		// it.
		startServer(t, "HTTP Server listening", "gnutls-serv", append([]string{"--http", "-p", strconv.Itoa(port),
			"--x509certfile", filepath.Join(dir, "rsa.pem"), "--x509keyfile", filepath.Join(dir, "rsa.key")}, r.server...)...)
	} else {
		args := append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
			"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"),
			"-dcert", filepath.Join(dir, "ec.pem"), "-dkey", filepath.Join(dir, "ec.key"),
			"-www", "-naccept", strconv.Itoa(len(r.clients)), "-keylogfile", keylog}, r.server...)
		wait := startServer(t, "ACCEPT", "openssl", args...)
		defer wait()
	}
	sess := filepath.Join(dir, r.name+".sess")
	var conns []*peerConn
	for i, c := range r.clients {
		var cargs []string
		for _, a := range c.args {
			cargs = append(cargs, strings.ReplaceAll(a, "{sess}", sess))
		}
		pc := &peerConn{run: r, index: i, port: port}
		runClient(t, dir, c.tool, cargs, port, keylog, pc)
		conns = append(conns, pc)
	}
	return conns
}

func runClient(t *testing.T, dir, tool string, args []string, port int, keylog string, pc *peerConn) {
	t.Helper()
	ca := filepath.Join(dir, "ca.pem")
	request := []byte("GET / HTTP/1.0\r\n\r\n")
	var cmd *exec.Cmd
	switch tool {
	case "openssl":
		cmd = exec.Command("openssl", append([]string{"s_client", "-quiet", "-connect", fmt.Sprintf("127.0.0.1:%d", port),
			"-servername", "localhost", "-CAfile", ca, "-verify_return_error", "-keylogfile", keylog}, args...)...)
		cmd.Stdin = bytes.NewReader(request)
		pc.sent = request
	case "gnutls":
		cmd = exec.Command("gnutls-cli", append([]string{"--logfile", filepath.Join(dir, "gnutls.log"), "--x509cafile", ca,
			"-p", strconv.Itoa(port), "localhost"}, args...)...)
		cmd.Env = append(os.Environ(), "SSLKEYLOGFILE="+keylog)
		cmd.Stdin = bytes.NewReader(request)
		pc.sent = request
	case "curl":
		cmd = exec.Command("curl", append([]string{"-sS", "--cacert", ca, "--max-time", "10",
			"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", port), "-H", "User-Agent: tlstrace-test",
			fmt.Sprintf("https://localhost:%d/", port)}, args...)...)
		cmd.Env = append(os.Environ(), "SSLKEYLOGFILE="+keylog)
		pc.sent = []byte(fmt.Sprintf("GET / HTTP/1.1\r\nHost: localhost:%d\r\nAccept: */*\r\nUser-Agent: tlstrace-test\r\n\r\n", port))
		pc.bodyOnly = true
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := runTimeout(cmd, 15*time.Second); err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.String())
	}
	pc.received = stdout.Bytes()
}

func runTimeout(cmd *exec.Cmd, d time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	timer := time.AfterFunc(d, func() { cmd.Process.Kill() })
	defer timer.Stop()
	return cmd.Wait()
}

// startCapture runs dumpcap on the loopback interface until the returned
// function is called.
func startCapture(t *testing.T, filter, file string) func() {
	t.Helper()
	return startCaptureOn(t, "lo", filter, file)
}

// startCaptureOn runs dumpcap on the interface iface ("any" gives a Linux
// cooked capture) until the returned function is called.
func startCaptureOn(t *testing.T, iface, filter, file string) func() {
	t.Helper()
	// dumpcap says "Capturing on" before its filter is in place; UDP
	// probes, which it counts on stderr ("Packets: N"), show when it is.
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	probePort := probe.LocalAddr().(*net.UDPAddr).Port
	filter = fmt.Sprintf("(%s) or (udp port %d)", filter, probePort)
	cmd := exec.Command("dumpcap", "-i", iface, "-f", filter, "-w", file)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(errPipe)
		sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
			if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
				return i + 1, data[:i], nil
			}
			if atEOF && len(data) > 0 {
				return len(data), data, nil
			}
			return 0, nil, nil
		})
		ok := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !ok && strings.HasPrefix(sc.Text(), "Packets: ") {
				ok = true
				started <- ""
			}
		}
		if !ok {
			started <- log.String()
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
wait:
	for {
		select {
		case msg := <-started:
			if msg != "" {
				cmd.Wait()
				t.Fatalf("dumpcap did not start:\n%s", msg)
			}
			break wait
		case <-tick.C:
			probe.WriteTo([]byte("probe"), probe.LocalAddr())
		case <-deadline:
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("dumpcap did not capture in 15 s:\n%s", log.String())
		}
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			// Let the last packets reach the capture before stopping it.
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGINT)
			if err := runWait(cmd, 10*time.Second); err != nil {
				t.Logf("dumpcap: %v", err)
			}
		})
	}
	// A test that fails before it stops the capture does not leave
	// dumpcap running.
	t.Cleanup(stop)
	return stop
}

func runWait(cmd *exec.Cmd, d time.Duration) error {
	timer := time.AfterFunc(d, func() { cmd.Process.Kill() })
	defer timer.Stop()
	return cmd.Wait()
}

// tsharkStreamPorts returns the server port of each TCP stream.
func tsharkStreamPorts(t *testing.T, pcap, decodeAs string) map[int]int {
	t.Helper()
	out := tshark(t, "-r", pcap, "-d", decodeAs, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.dstport")
	m := map[int]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		s, _ := strconv.Atoi(f[0])
		p, _ := strconv.Atoi(f[1])
		m[s] = p
	}
	return m
}

// tsharkHandshakes returns, per TCP stream, tshark's list of
// "frame:handshake type" (several messages in one frame in order).
func tsharkHandshakes(t *testing.T, pcap, decodeAs, keylog string) map[int][]string {
	t.Helper()
	args := []string{"-r", pcap}
	// decodeAs may hold several rules, separated by ";".
	for _, d := range strings.Split(decodeAs, ";") {
		args = append(args, "-d", d)
	}
	if keylog != "" {
		args = append(args, "-o", "tls.keylog_file:"+keylog)
	}
	args = append(args, "-Y", "tls.handshake.type", "-T", "fields", "-E", "separator=/t",
		"-e", "tcp.stream", "-e", "frame.number", "-e", "tls.handshake.type")
	m := map[int][]string{}
	for _, line := range strings.Split(strings.TrimSpace(tshark(t, args...)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		s, _ := strconv.Atoi(f[0])
		for _, typ := range strings.Split(f[2], ",") {
			m[s] = append(m[s], f[1]+":"+typ)
		}
	}
	return m
}

func tshark(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("tshark", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := runTimeout(cmd, 60*time.Second); err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String()
}

// writeTestCerts writes a CA and two localhost leaves it signed, RSA and
// ECDSA, with their keys, into dir.
func writeTestCerts(t *testing.T, dir string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tlstrace test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range []struct {
		name string
		key  any
		pub  any
	}{{"rsa", rsaKey, rsaKey.Public()}, {"ec", ecKey, ecKey.Public()}} {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)),
			Subject:      pkix.Name{CommonName: "localhost"},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, k.pub, caKey)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(dir, k.name+".pem"), "CERTIFICATE", der)
		kd, err := x509.MarshalPKCS8PrivateKey(k.key)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(dir, k.name+".key"), "PRIVATE KEY", kd)
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startServer starts a server program and waits until it prints ready on
// stdout or stderr. The returned function waits for it to exit (killing it
// after 10 s); the test's cleanup kills it too.
func startServer(t *testing.T, ready, name string, args ...string) func() {
	t.Helper()
	srv := exec.Command(name, args...)
	pr, pw := io.Pipe()
	srv.Stdout = pw
	srv.Stderr = pw
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var log bytes.Buffer
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		ok := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !ok && strings.Contains(sc.Text(), ready) {
				ok = true
				up <- true
			}
		}
		if !ok {
			up <- false
		}
	}()
	go func() {
		srv.Wait()
		pw.Close()
		close(done)
	}()
	stop := func() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
			<-done
			t.Errorf("%s did not finish", name)
		}
	}
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			srv.Process.Kill()
			<-done
		}
	})
	select {
	case ok := <-up:
		if !ok {
			<-done
			t.Fatalf("%s %s did not start:\n%s", name, strings.Join(args, " "), log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start in 10 s", name)
	}
	return stop
}
