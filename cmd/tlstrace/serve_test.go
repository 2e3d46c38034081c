package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// syncBuffer is a buffer safe for a writer and a reader goroutine.
type syncBuffer = tlstest.Buffer

// startServe runs `tlstrace serve` in process until the test ends (or the
// returned stop is called) and waits until it accepts connections.
func startServe(t *testing.T, port int, args ...string) (*syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	all := append([]string{"serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--json"}, args...)
	go func() { done <- runContext(ctx, all, out, errb) }()
	for i := 0; ; i++ {
		if strings.Contains(errb.String(), "serving") {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
		if i == 200 {
			t.Fatalf("serve did not start: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("serve exited %d: %s", code, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Errorf("serve did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return out, stop
}

func parseEvents(t *testing.T, s string) []jsonEvent {
	t.Helper()
	var out []jsonEvent
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var ev jsonEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad JSON %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

// TestServeClients has real clients connect to `tlstrace serve --mode www`
// while dumpcap captures: curl (TLS 1.2, TLS 1.3, HTTP/2), openssl s_client
// (TLS 1.2, resumption with -sess_out/-sess_in in TLS 1.3 and 1.2, with a
// client certificate)
// and gnutls-cli. For each connection the handshake messages each way
// equal tshark's, and the JA3 equals tshark's tls.handshake.ja3.
func TestServeClients(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "gnutls-cli", "dumpcap", "tshark")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	clientCert, clientKey := root.leaf(t, dir, "client", clientTweak)
	keylog := filepath.Join(dir, "keys.txt")
	port := 10000 + int(time.Now().UnixNano()%20000)
	pcap := filepath.Join(dir, "serve.pcapng")
	stopCapture := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	out, stop := startServe(t, port, "--cert", cert, "--key", key, "--mode", "www", "--keylog", keylog,
		"--verify-client", "request", "--client-ca", root.file)
	url := fmt.Sprintf("https://localhost:%d/", port)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	sess, sess12 := filepath.Join(dir, "sess.pem"), filepath.Join(dir, "sess12.pem")
	type client struct {
		name string
		cmd  []string
	}
	request := "GET /json HTTP/1.0\r\nHost: localhost\r\n\r\n"
	sClient := func(args ...string) []string {
		return append([]string{"openssl", "s_client", "-connect", addr, "-servername", "localhost", "-CAfile", root.file, "-verify_return_error", "-quiet"}, args...)
	}
	clients := []client{
		{"curl-tls12", []string{"curl", "-sS", "--cacert", root.file, "--tlsv1.2", "--tls-max", "1.2", "--http1.1", url + "json"}},
		{"curl-tls13", []string{"curl", "-sS", "--cacert", root.file, "--tlsv1.3", "--http1.1", url + "json"}},
		{"curl-h2", []string{"curl", "-sS", "--cacert", root.file, "--http2", url + "json"}},
		{"s_client-tls12", sClient("-tls1_2")},
		{"s_client-sess-out", sClient("-sess_out", sess)},
		{"s_client-sess-in", sClient("-sess_in", sess)},
		{"s_client-tls12-sess-out", sClient("-tls1_2", "-sess_out", sess12)},
		{"s_client-tls12-sess-in", sClient("-tls1_2", "-sess_in", sess12)},
		{"s_client-cert", sClient("-cert", clientCert, "-key", clientKey)},
		{"gnutls-cli", []string{"gnutls-cli", "--logfile", filepath.Join(dir, "gnutls.log"), "--x509cafile", root.file, "-p", strconv.Itoa(port), "localhost"}},
	}
	bodies := map[string]string{}
	for _, c := range clients {
		cmd := exec.Command(c.cmd[0], c.cmd[1:]...)
		cmd.Stdin = strings.NewReader(request)
		cmd.Env = append(os.Environ(), "SSLKEYLOGFILE="+filepath.Join(dir, "client-keys.txt"))
		b, err := runOutput(cmd, 20*time.Second)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, b)
		}
		bodies[c.name] = string(b)
	}
	stop()
	stopCapture()

	// The www page showed each client its own handshake.
	if !strings.Contains(bodies["curl-h2"], `"alpn": "h2"`) || !strings.Contains(bodies["curl-tls12"], `"version": "TLS 1.2"`) {
		t.Errorf("/json: %s", bodies["curl-h2"])
	}
	if !strings.Contains(bodies["s_client-cert"], `"client_certificate": "CN=localhost`) {
		t.Errorf("/json lacks the client certificate: %s", bodies["s_client-cert"])
	}

	events := parseEvents(t, out.String())
	decodeAs := fmt.Sprintf("tcp.port==%d,tls", port)
	t.Run("read", func(t *testing.T) {
		checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: decodeAs, events: runJSON(t, "read", pcap, "--keylog", keylog, "--json")})
	})
	oracle := tsharkDirections(t, pcap, decodeAs, keylog, func(p int) bool { return p == port })
	ja3 := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(tshark(t, "-r", pcap, "-d", decodeAs, "-Y", "tls.handshake.type == 1",
		"-T", "fields", "-e", "tcp.stream", "-e", "tls.handshake.ja3")), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			s, _ := strconv.Atoi(f[0])
			ja3[s] = f[1]
		}
	}
	for i, c := range clients {
		conn := i + 1
		t.Run(c.name, func(t *testing.T) {
			got := map[string][]string{}
			var fp, done string
			var requests, responses []string
			for _, ev := range events {
				if ev.Conn != conn {
					continue
				}
				// The client's request and the server's answer, read
				// from the decrypted data.
				if ev.Layer == "http" && (ev.Type == "request" || ev.Type == "response") {
					var h struct {
						URL    string
						Status int
					}
					json.Unmarshal(ev.Fields, &h)
					if ev.Type == "request" {
						requests = append(requests, h.URL)
					} else {
						responses = append(responses, strconv.Itoa(h.Status))
					}
				}
				if ev.Type == "encrypted_record" {
					t.Errorf("not decrypted: %s", ev.Error)
				}
				if ev.Type == "client_fingerprint" {
					var f struct{ JA3 string }
					json.Unmarshal(ev.Fields, &f)
					fp = f.JA3
				}
				if ev.Type == "handshake_complete" {
					done = string(ev.Fields)
				}
				if code, ok := handshakeCode(ev.Type); ok && ev.Layer == "tls" {
					got[ev.From] = append(got[ev.From], strconv.Itoa(code))
				}
			}
			for _, side := range []string{"client", "server"} {
				if !slices.Equal(got[side], oracle[i][side]) {
					t.Errorf("%s's handshake messages:\n tlstrace %v\n tshark   %v", side, got[side], oracle[i][side])
				}
			}
			if fp == "" || fp != ja3[i] {
				t.Errorf("JA3 %q, tshark %q", fp, ja3[i])
			}
			if len(requests) != 1 || !strings.HasSuffix(requests[0], "/json") || !slices.Equal(responses, []string{"200"}) {
				t.Errorf("HTTP requests %q and responses %q, want one GET …/json answered 200", requests, responses)
			}
			if strings.HasSuffix(c.name, "sess-in") && !strings.Contains(done, `"resumed":true`) {
				t.Errorf("not resumed: %s", done)
			}
			// A resumed TLS 1.2 session exchanges no key: no group,
			// so no group's rank either.
			if c.name == "s_client-tls12-sess-in" && (strings.Contains(done, `"group`)) {
				t.Errorf("a group is reported for a TLS 1.2 resumption: %s", done)
			}
		})
	}
}

// TestServeMTLS: --verify-client require rejects a client without a
// certificate and one from an unknown CA (explaining why), and accepts one
// from --client-ca.
func TestServeMTLS(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	other := newTestCA(t, dir, "other", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	good, goodKey := root.leaf(t, dir, "good-client", clientTweak)
	bad, badKey := other.leaf(t, dir, "bad-client", clientTweak)
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", cert, "--key", key, "--mode", "echo", "--verify-client", "require", "--client-ca", root.file, "--timeout", "2s")
	try := func(args ...string) (string, error) {
		cmd := exec.Command("openssl", append([]string{"s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-CAfile", root.file, "-quiet"}, args...)...)
		cmd.Stdin = strings.NewReader("ping\n")
		b, err := runOutput(cmd, 10*time.Second)
		return string(b), err
	}
	if b, err := try(); err == nil && strings.Contains(b, "ping") {
		t.Errorf("a client without a certificate was served: %s", b)
	}
	if b, err := try("-cert", bad, "-key", badKey); err == nil && strings.Contains(b, "ping") {
		t.Errorf("a client with an unknown CA was served: %s", b)
	}
	if b, _ := try("-cert", good, "-key", goodKey); !strings.Contains(b, "ping") {
		t.Errorf("the good client was not echoed: %s", b)
	}
	stop()
	log := out.String()
	for _, w := range []string{`"cause":"the server requires a client certificate and the client sent none`, `"type":"verdict"`, `not a trusted CA`, `"client_certificate":true`} {
		if !strings.Contains(log, w) {
			t.Errorf("serve output lacks %s", w)
		}
	}
}

func runOutput(cmd *exec.Cmd, d time.Duration) ([]byte, error) {
	var b bytes.Buffer
	cmd.Stdout = &b
	cmd.Stderr = &b
	err := runTimeout(cmd, d)
	return b.Bytes(), err
}

func clientTweak(c *x509.Certificate) {
	c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
}

// TestServeChromium loads the www page in headless Chromium, which must
// show Chromium its own ClientHello (GREASE, a hybrid post-quantum group).
func TestServeChromium(t *testing.T) {
	tlstest.RequirePeer(t, "chromium", "dumpcap", "tshark")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	b, _ := os.ReadFile(cert)
	leaf, err := parseFirstCert(b)
	if err != nil {
		t.Fatal(err)
	}
	port := 10000 + int(time.Now().UnixNano()%20000)
	pcap := filepath.Join(dir, "chromium.pcapng")
	stopCapture := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	keylog := filepath.Join(dir, "keys.txt")
	out, stop := startServe(t, port, "--cert", cert, "--key", key, "--mode", "www", "--keylog", keylog)
	cmd := exec.Command("chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--ignore-certificate-errors-spki-list="+sha256b64(leaf.RawSubjectPublicKeyInfo),
		"--dump-dom", fmt.Sprintf("https://localhost:%d/", port))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := runTimeout(cmd, 90*time.Second); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := stdout.String()
	for _, w := range []string{"Your TLS handshake", "GREASE", "hybrid post-quantum", "TLS 1.3", "t13d"} {
		if !strings.Contains(dom, w) {
			t.Errorf("the page Chromium loaded lacks %q", w)
		}
	}
	stop()
	stopCapture()
	// Chromium's JA3 (GREASE and all) as tshark computes it.
	want := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(tshark(t, "-r", pcap, "-d", fmt.Sprintf("tcp.port==%d,tls", port),
		"-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tls.handshake.ja3")), "\n") {
		if line != "" {
			want[line] = true
		}
	}
	got := 0
	for _, ev := range parseEvents(t, out.String()) {
		if ev.Type == "client_fingerprint" {
			var f struct{ JA3 string }
			json.Unmarshal(ev.Fields, &f)
			if !want[f.JA3] {
				t.Errorf("JA3 %s is not among tshark's %v", f.JA3, want)
			}
			got++
		}
	}
	if got == 0 || len(want) == 0 {
		t.Errorf("%d fingerprints, %d from tshark", got, len(want))
	}
	// Chromium's connections read back from the capture, field by field
	// what tshark shows (GREASE, compressed certificates, HTTP/2).
	decodeAs := fmt.Sprintf("tcp.port==%d,tls", port)
	checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: decodeAs, events: runJSON(t, "read", pcap, "--keylog", keylog, "--json")})
}

// TestServeRobustAndSNI: a client that connects and says nothing and one
// that sends garbage do not hold up others; two certificates are chosen by
// SNI; --ocsp-staple staples a response the client checks.
func TestServeRobustAndSNI(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	certA, keyA := root.leaf(t, dir, "a", func(c *x509.Certificate) { c.DNSNames, c.Subject.CommonName = []string{"a.test"}, "a.test" })
	certB, keyB := root.leaf(t, dir, "b", func(c *x509.Certificate) { c.DNSNames, c.Subject.CommonName = []string{"b.test"}, "b.test" })
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", certA, "--key", keyA, "--cert", certB, "--key", keyB, "--mode", "http", "--timeout", "3s")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	garbage, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	garbage.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	defer garbage.Close()
	for _, name := range []string{"a.test", "b.test"} {
		start := time.Now()
		code, _, stderr := runCode(fmt.Sprintf("https://%s:%d/", name, port), "--resolve", fmt.Sprintf("%s:%d:127.0.0.1", name, port), "--cacert", root.file, "-m", "5s")
		if code != 0 {
			t.Errorf("%s: exit %d: %s", name, code, stderr)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v behind a silent client", name, d)
		}
	}
	stop()
	if !strings.Contains(out.String(), `"type":"handshake_failed"`) {
		t.Errorf("the garbage client was not reported")
	}
}

// TestServeOCSPStaple: the response given with --ocsp-staple reaches the
// client, which checks it with --cert-status (the root sent after the
// leaf, where curl looks for the issuer the response names).
func TestServeOCSPStaple(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil, root)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	staple := writeStaple(t, dir, root, leaf, ocsp.Good)
	port := tlstest.FreePort(t)
	startServe(t, port, "--cert", cert, "--key", key, "--mode", "http", "--ocsp-staple", staple)
	code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--json")
	if code != 0 || !strings.Contains(out, `"ocsp":"good"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestServeSuiteRank checks the place of the chosen suite among those
// s_client offered: OpenSSL adds TLS_EMPTY_RENEGOTIATION_INFO_SCSV to
// the list (RFC 5746, Section 3.3), a signal, not a suite to choose, so
// that two suites offered are two.
func TestServeSuiteRank(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", cert, "--key", key)
	cmd := exec.Command("openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-tls1_2",
		"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", "-brief")
	cmd.Stdin = strings.NewReader("ping\n")
	if b, err := runOutput(cmd, 10*time.Second); err != nil {
		t.Fatalf("s_client: %v\n%s", err, b)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), `"type":"handshake_complete"`) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	var done struct {
		Rank    int `json:"cipher_suite_rank"`
		Offered int `json:"cipher_suites_offered"`
	}
	for _, ev := range parseEvents(t, out.String()) {
		if ev.Type == "handshake_complete" {
			if err := json.Unmarshal(ev.Fields, &done); err != nil {
				t.Fatal(err)
			}
		}
	}
	if done.Rank != 1 || done.Offered != 2 {
		t.Errorf("suite %d of %d, want 1 of 2:\n%s", done.Rank, done.Offered, out)
	}
}

// TestServeHelloRetry has openssl s_client offer a key share only for
// ffdhe2048, which serve does not take in TLS 1.3, so that serve asks for
// x25519 with a HelloRetryRequest: each ClientHello gets its
// client_fingerprint, numbered 1 and 2, and handshake_complete ranks the
// choices against the offer (the first hello's, which the second must
// repeat).
func TestServeHelloRetry(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--self-signed")
	cmd := exec.Command("openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-tls1_3", "-groups", "ffdhe2048:X25519", "-brief")
	cmd.Stdin = strings.NewReader("ping\n")
	if b, err := runOutput(cmd, 10*time.Second); err != nil {
		t.Fatalf("s_client: %v\n%s", err, b)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), `"type":"handshake_complete"`) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	var hellos []int
	var done struct {
		HRR       bool `json:"hello_retry_request"`
		GroupRank int  `json:"group_rank"`
		Groups    int  `json:"groups_offered"`
	}
	for _, ev := range parseEvents(t, out.String()) {
		switch ev.Type {
		case "client_fingerprint":
			var f struct {
				Hello int `json:"hello"`
			}
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			hellos = append(hellos, f.Hello)
		case "handshake_complete":
			if err := json.Unmarshal(ev.Fields, &done); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(hellos) != 2 || hellos[0] != 1 || hellos[1] != 2 {
		t.Errorf("client_fingerprint of hellos %v, want 1 and 2", hellos)
	}
	if !done.HRR || done.GroupRank != 2 || done.Groups != 2 {
		t.Errorf("handshake_complete %+v, want a HelloRetryRequest and group 2 of 2", done)
	}
	if t.Failed() {
		t.Logf("events:\n%s", out)
	}
}
