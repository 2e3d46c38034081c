package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// seed001 makes seed 001's files with the openssl commands exactly as the
// seed writes them: an Ed448 CA and an Ed448 server certificate for
// localhost (no subjectAltName), in dir.
func seed001(t *testing.T, dir string) {
	t.Helper()
	for _, cmd := range []string{
		"openssl genpkey -algorithm ED448 -out ca_keypair.pem",
		`openssl req -new -x509 -key ca_keypair.pem -subj "/CN=Test CA" -days 365 -out ca_cert.pem`,
		"openssl genpkey -algorithm ED448 -out server_keypair.pem",
		`openssl req -new -key server_keypair.pem -subj "/CN=localhost" -out server.csr`,
		"openssl x509 -req -in server.csr -CA ca_cert.pem -CAkey ca_keypair.pem -CAcreateserial -days 365 -out server_cert.pem",
	} {
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
	}
}

// TestServeSeed001 serves seed 001's Ed448 certificate: crypto/tls cannot,
// so the own engine does, and openssl s_client verifies it (return code
// 0). The trace shows the client's messages decoded and decrypted, as it
// does for crypto/tls.
func TestServeSeed001(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	seed001(t, dir)
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", dir+"/server_cert.pem", "--key", dir+"/server_keypair.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "openssl", "s_client", "-connect", fmt.Sprintf("localhost:%d", port),
		"-verify_return_error", "-verify_hostname", "localhost", "-CAfile", "ca_cert.pem")
	c.Dir = dir
	c.Stdin = strings.NewReader("hello\n")
	got, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "Verify return code: 0 (ok)") {
		t.Fatalf("s_client: %v\n%s", err, got)
	}
	if !strings.Contains(string(got), "Peer signature type: ed448\n") {
		t.Errorf("s_client does not report an Ed448 handshake signature:\n%s", got)
	}
	// Wait for the server's close_notify to be traced, then stop.
	closed := func() bool {
		s := out.String()
		for _, ev := range parseEvents(t, s[:strings.LastIndex(s, "\n")+1]) {
			if ev.From == "server" && ev.Type == "alert" {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); !closed() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	var types []string
	complete, engines := false, 0
	for _, ev := range cleanEvents(t, out.String()) {
		if ev.Layer == "tls" && ev.Type != "application_data" && ev.Type != "change_cipher_spec" && ev.Type != "alert" {
			types = append(types, ev.From+":"+ev.Type)
		}
		if ev.Type == "engine" {
			engines++
			if !strings.Contains(string(ev.Fields), "Ed448") {
				t.Errorf("the engine event does not say why: %s", ev.Fields)
			}
		}
		if ev.Type == "handshake_complete" {
			complete = true
			if !strings.Contains(string(ev.Fields), "TLS 1.3") || !strings.Contains(string(ev.Fields), `"engine":"tlstrace"`) {
				t.Errorf("handshake_complete %s", ev.Fields)
			}
		}
	}
	want := "client:client_hello server:server_hello server:encrypted_extensions server:certificate server:certificate_verify server:finished client:finished server:new_session_ticket"
	if strings.Join(types, " ") != want {
		t.Errorf("handshake messages\n got %s\nwant %s", strings.Join(types, " "), want)
	}
	if !complete || engines != 1 {
		t.Errorf("handshake_complete %v, %d engine events", complete, engines)
	}
}

// TestServeOwnEngineWWW serves the www page over the own engine (seed
// 001's Ed448 certificate) to curl, asking for HTTP/2: the engine offers
// only http/1.1 (net/http serves HTTP/2 only over crypto/tls), and the
// page shows the client its handshake.
func TestServeOwnEngineWWW(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	dir := t.TempDir()
	seed001(t, dir)
	port := tlstest.FreePort(t)
	_, stop := startServe(t, port, "--cert", dir+"/server_cert.pem", "--key", dir+"/server_keypair.pem", "--mode", "www")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := exec.CommandContext(ctx, "curl", "-sS", "--http2", "--cacert", dir+"/ca_cert.pem", fmt.Sprintf("https://localhost:%d/json", port)).CombinedOutput()
	stop()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, got)
	}
	for _, want := range []string{`"version": "TLS 1.3"`, `"alpn": "http/1.1"`, `"server_name": "localhost"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("/json lacks %s:\n%s", want, got)
		}
	}
}

// TestServeTLS10 serves TLS 1.0 and 1.1 (--tlsv1.0) on the own engine to
// openssl s_client at security level 0, and the trace says which version
// was negotiated.
func TestServeTLS10(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", cert, "--key", key, "--tlsv1.0")
	for _, v := range []struct{ flag, name string }{{"-tls1", "TLSv1"}, {"-tls1_1", "TLSv1.1"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c := exec.CommandContext(ctx, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), v.flag,
			"-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", root.file, "-verify_return_error", "-verify_hostname", "localhost")
		c.Stdin = strings.NewReader("ping\n")
		got, err := c.CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(got), "Protocol  : "+v.name+"\n") || !strings.Contains(string(got), "Verify return code: 0 (ok)") {
			t.Fatalf("s_client %s: %v\n%s", v.flag, err, got)
		}
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	var versions []string
	for _, h := range completedHandshakes(t, cleanEvents(t, out.String())) {
		versions = append(versions, h.Version)
	}
	if strings.Join(versions, " ") != "TLS 1.0 TLS 1.1" {
		t.Errorf("handshakes of %q, want TLS 1.0 and TLS 1.1", versions)
	}
}

// TestServeTLSMax11 serves with --tls-max 1.1 alone, below the default
// minimum (TLS 1.2): TLS 1.1 is served to openssl s_client on the own
// engine, as openssl s_server -tls1_1 serves it, and TLS 1.0, not asked
// for, is refused.
func TestServeTLSMax11(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--engine", "own", "--cert", cert, "--key", key, "--tls-max", "1.1")
	for _, v := range []struct {
		flag, name string
		ok         bool
	}{{"-tls1_1", "TLSv1.1", true}, {"-tls1", "TLSv1", false}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c := exec.CommandContext(ctx, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), v.flag,
			"-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", root.file, "-verify_return_error", "-verify_hostname", "localhost")
		c.Stdin = strings.NewReader("ping\n")
		got, err := c.CombinedOutput()
		cancel()
		if served := err == nil && strings.Contains(string(got), "Protocol  : "+v.name+"\n"); served != v.ok {
			t.Errorf("s_client %s: served %v, want %v: %v\n%s", v.flag, served, v.ok, err, got)
		}
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	// The TLS 1.0 client's failure is the one error event.
	var versions []string
	events := parseEvents(t, out.String())
	for _, h := range completedHandshakes(t, events) {
		versions = append(versions, h.Version)
	}
	if strings.Join(versions, " ") != "TLS 1.1" {
		t.Errorf("handshakes of %q, want TLS 1.1", versions)
	}
	for _, ev := range events {
		if ev.Error != "" && !strings.Contains(ev.Error, "sent alert protocol_version: the client offers TLS 1.0; this server speaks TLS 1.1") {
			t.Errorf("event %s from %s: %s", ev.Type, ev.From, ev.Error)
		}
	}
}

// TestServeOwnEngineOCSPStaple: the own engine staples --ocsp-staple in
// TLS 1.3 (in the leaf's CertificateEntry) and in TLS 1.2 (a
// CertificateStatus message), and the client checks it (the root sent
// after the leaf, where curl looks for the issuer the response names).
func TestServeOwnEngineOCSPStaple(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil, root)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	staple := writeStaple(t, dir, root, leaf, ocsp.Good)
	for _, max := range []string{"1.3", "1.2"} {
		port := tlstest.FreePort(t)
		_, stop := startServe(t, port, "--cert", cert, "--key", key, "--mode", "http", "--ocsp-staple", staple, "--engine", "own", "--tls-max", max)
		code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--json")
		stop()
		if code != 0 || !strings.Contains(out, `"ocsp":"good"`) || !strings.Contains(out, `"TLS `+max) {
			t.Errorf("TLS %s: exit %d: %s", max, code, stderr)
		}
	}
}

// TestServeOwnEngineClientCertificate: with --verify-client require, the
// own engine asks for a client certificate, checks its CertificateVerify
// (Ed448, made with openssl) and serve verifies its chain against
// --client-ca; a client without one is refused with certificate_required,
// and the trace says why.
func TestServeOwnEngineClientCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	seed001(t, dir)
	for _, cmd := range []string{
		"openssl genpkey -algorithm ED448 -out client_keypair.pem",
		`openssl req -new -key client_keypair.pem -subj "/CN=Test client" -out client.csr`,
		"openssl x509 -req -in client.csr -CA ca_cert.pem -CAkey ca_keypair.pem -CAcreateserial -days 365 -out client_cert.pem",
	} {
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
	}
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", dir+"/server_cert.pem", "--key", dir+"/server_keypair.pem",
		"--verify-client", "require", "--client-ca", dir+"/ca_cert.pem")
	for _, withCert := range []bool{true, false} {
		args := []string{"s_client", "-connect", fmt.Sprintf("localhost:%d", port), "-CAfile", "ca_cert.pem", "-verify_return_error"}
		if withCert {
			args = append(args, "-cert", "client_cert.pem", "-key", "client_keypair.pem")
		} else {
			// The refusal comes after the client's Finished: wait for it.
			args = append(args, "-ign_eof")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c := exec.CommandContext(ctx, "openssl", args...)
		c.Dir = dir
		c.Stdin = strings.NewReader("ping\n")
		got, err := c.CombinedOutput()
		cancel()
		if withCert && err != nil {
			t.Fatalf("s_client with a certificate: %v\n%s", err, got)
		}
		if !withCert && !strings.Contains(string(got), "alert certificate required") {
			t.Errorf("s_client without a certificate was not refused with certificate_required:\n%s", got)
		}
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	var complete, failed, verified bool
	for _, ev := range parseEvents(t, out.String()) {
		switch {
		case ev.Type == "handshake_complete" && ev.Conn == 1:
			complete = strings.Contains(string(ev.Fields), `"client_certificate":true`)
		case ev.Type == "handshake_failed" && ev.Conn == 2:
			failed = strings.Contains(ev.Error+string(ev.Fields), "certificate_required")
		case ev.Conn == 1 && ev.Layer == "x509" && ev.Error != "":
			t.Errorf("the client's chain: %s %s", ev.Type, ev.Error)
		case ev.Conn == 1 && ev.Layer == "x509":
			verified = true
		}
	}
	if !complete || !failed || !verified {
		t.Errorf("complete with a client certificate %v, refused without %v, chain verified %v:\n%s", complete, failed, verified, out.String())
	}
}

// echoClient runs openssl s_client with args in dir, sends a line and ends
// its input once the line came back (so that it has read the session
// ticket sent before the echo), or after 10 s.
func echoClient(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "openssl", append([]string{"s_client"}, args...)...)
	c.Dir = dir
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	fmt.Fprintln(stdin, "hello")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && !strings.Contains(out.String(), "\nhello\n"); {
		select {
		case err := <-done:
			t.Fatalf("s_client %s: %v\n%s", strings.Join(args, " "), err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	stdin.Close()
	if err := <-done; err != nil {
		t.Fatalf("s_client %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestServeOwnEngineResumption: serve on the own engine gives TLS 1.3
// clients a ticket, s_client resumes with it, and the trace decrypts the
// resumed session and says it was resumed.
func TestServeOwnEngineResumption(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	seed001(t, dir)
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--cert", dir+"/server_cert.pem", "--key", dir+"/server_keypair.pem")
	args := []string{"-connect", fmt.Sprintf("localhost:%d", port), "-CAfile", "ca_cert.pem", "-verify_return_error"}
	echoClient(t, dir, append(args, "-sess_out", "sess.pem")...)
	if got := echoClient(t, dir, append(args, "-sess_in", "sess.pem")...); !strings.Contains(got, "Reused, TLSv1.3") {
		t.Errorf("s_client did not resume:\n%s", got)
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	var resumed []bool
	for _, h := range completedHandshakes(t, cleanEvents(t, out.String())) {
		resumed = append(resumed, h.Resumed)
	}
	if len(resumed) != 2 || resumed[0] || !resumed[1] {
		t.Errorf("handshakes resumed: %v, want [false true]", resumed)
	}
}

// TestServeOwnEngineSuites: serve with a DHE suite (--ciphers), a single
// TLS 1.3 suite (--tls13-ciphers) or an ffdhe group (--curves) runs on
// the own engine, and openssl s_client gets what was asked for.
func TestServeOwnEngineSuites(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := root.leafWithKey(t, dir, "server", rsaKey, nil)
	for _, c := range []struct {
		serve, client, want []string
	}{
		{[]string{"--ciphers", "DHE-RSA-AES128-GCM-SHA256", "--tls-max", "1.2"}, []string{"-tls1_2"},
			[]string{"Cipher is DHE-RSA-AES128-GCM-SHA256", "Server Temp Key: DH, 2048 bits"}},
		{[]string{"--ciphers", "DHE-RSA-AES256-SHA256", "--tls-max", "1.2"}, []string{"-tls1_2"},
			[]string{"Cipher is DHE-RSA-AES256-SHA256"}},
		{[]string{"--tls13-ciphers", "TLS_AES_128_CCM_SHA256"}, []string{"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_CCM_SHA256"},
			[]string{"Cipher is TLS_AES_128_CCM_SHA256"}},
		{[]string{"--curves", "ffdhe2048"}, []string{"-tls1_3", "-groups", "X25519:ffdhe2048"},
			[]string{"TLSv1.3", "Server Temp Key: DH, 2048 bits"}},
	} {
		port := tlstest.FreePort(t)
		out, stop := startServe(t, port, append([]string{"--cert", cert, "--key", key}, c.serve...)...)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, "openssl", append([]string{"s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port),
			"-CAfile", root.file, "-verify_return_error", "-verify_hostname", "localhost"}, c.client...)...)
		cmd.Stdin = strings.NewReader("ping\n")
		got, err := cmd.CombinedOutput()
		cancel()
		time.Sleep(100 * time.Millisecond)
		stop()
		if err != nil {
			t.Fatalf("serve %v, s_client %v: %v\n%s", c.serve, c.client, err, got)
		}
		for _, w := range c.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("serve %v, s_client %v: no %q in\n%s", c.serve, c.client, w, got)
			}
		}
		if !strings.Contains(out.String(), `"engine":"tlstrace"`) {
			t.Errorf("serve %v: the own engine did not serve", c.serve)
		}
	}
}

// cleanEvents parses serve's JSON trace s and fails the test for each
// event that says an error or is a record left encrypted.
func cleanEvents(t *testing.T, s string) []jsonEvent {
	t.Helper()
	events := parseEvents(t, s)
	for _, ev := range events {
		if ev.Error != "" || ev.Type == "encrypted_record" {
			t.Errorf("event %s from %s: %s", ev.Type, ev.From, ev.Error)
		}
	}
	return events
}

// completedHandshake is what the tests read of a handshake_complete event.
type completedHandshake struct {
	Version string
	Resumed bool
}

// completedHandshakes returns the handshake_complete events, in order.
func completedHandshakes(t *testing.T, events []jsonEvent) []completedHandshake {
	t.Helper()
	var hs []completedHandshake
	for _, ev := range events {
		if ev.Type == "handshake_complete" {
			var h completedHandshake
			if err := json.Unmarshal(ev.Fields, &h); err != nil {
				t.Fatalf("handshake_complete fields: %v", err)
			}
			hs = append(hs, h)
		}
	}
	return hs
}
