package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// lockedBuffer is a buffer safe for a writer and a reader goroutine.
type lockedBuffer = tlstest.Buffer

// waitFor waits up to 10 s until buf holds s.
func waitFor(t *testing.T, buf *lockedBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(buf.String(), s) {
			return
		}
	}
	t.Fatalf("no %q in 10 s:\n%s", s, buf.String())
}

// capturedPeers is the start of a test that captures real peers on
// loopback: it skips the test (or fails it under CI) without the programs
// named, and in -short; it writes the test certificates into dir and
// names the key log, the capture file name.pcapng and a port to use.
func capturedPeers(t *testing.T, name string, programs ...string) (dir, keylog, pcap string, port int) {
	t.Helper()
	tlstest.RequirePeer(t, programs...)
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir = t.TempDir()
	writeTestCerts(t, dir)
	return dir, filepath.Join(dir, "keys.txt"), filepath.Join(dir, name+".pcapng"), 10000 + mrand.IntN(20000)
}

// waitExit waits 10 s at most for a program started by startOpenSSL to
// exit.
func waitExit(t *testing.T, name string, done chan error) {
	t.Helper()
	select {
	case <-done:
		done <- nil
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit", name)
	}
}

// checkTshark compares got, the frames and types of the handshake
// messages of the capture's connection number conn (from 0), with
// tshark's, and the events with tshark's decoding of the same capture.
func checkTshark(t *testing.T, pcap, keylog string, port, conn int, got []string, events []jsonEvent) {
	t.Helper()
	decodeAs := fmt.Sprintf("tcp.port==%d,tls", port)
	oracle := tsharkHandshakes(t, pcap, decodeAs, keylog)[conn]
	if !slices.Equal(got, oracle) {
		t.Errorf("(frame:handshake type)\n tlstrace %v\n tshark   %v", got, oracle)
	}
	checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: decodeAs, events: events})
}

// TestReadKeyUpdatePeer captures an openssl s_server that sends two
// KeyUpdates (its "k" and "K" commands; the second asks the client to update
// too) to an openssl s_client. Both log to one key log, where OpenSSL writes
// SERVER_TRAFFIC_SECRET_N and CLIENT_TRAFFIC_SECRET_N once per KeyUpdate
// and side: successive generations under one label, which are no warning.
// The records after each KeyUpdate decrypt, and the handshake messages are
// tshark's.
func TestReadKeyUpdatePeer(t *testing.T) {
	dir, keylog, pcap, port := capturedPeers(t, "keyupdate", "openssl", "dumpcap", "tshark")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)

	var srvOut, cliOut lockedBuffer
	srvIn, srvDone := startOpenSSL(t, &srvOut, "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"),
		"-tls1_3", "-naccept", "1", "-keylogfile", keylog)
	waitFor(t, &srvOut, "ACCEPT")

	cliIn, cliDone := startOpenSSL(t, &cliOut, "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port),
		"-servername", "localhost", "-CAfile", filepath.Join(dir, "ca.pem"), "-verify_return_error",
		"-tls1_3", "-keylogfile", keylog)
	waitFor(t, &cliOut, "Verify return code: 0")
	waitFor(t, &srvOut, "CIPHER is")
	// s_server takes a line of one letter as a command, so each line is
	// written once the one before has arrived.
	for _, step := range []struct{ send, wait string }{
		{"k\n", "KEY UPDATE"}, {"hello\n", "hello"}, {"K\n", "KEY UPDATE"}, {"world\n", "world"},
	} {
		io.WriteString(srvIn, step.send)
		if step.wait == "KEY UPDATE" {
			// s_server says nothing when it sends a KeyUpdate; give it
			// time to read the command on its own.
			time.Sleep(200 * time.Millisecond)
			continue
		}
		waitFor(t, &cliOut, step.wait)
	}
	io.WriteString(cliIn, "bye\n")
	waitFor(t, &srvOut, "bye")
	cliIn.Close()
	waitExit(t, "s_client", cliDone)
	waitExit(t, "s_server", srvDone)
	stop()

	b, err := os.ReadFile(keylog)
	if err != nil {
		t.Fatal(err)
	}
	kl := string(b)
	if !strings.Contains(kl, "SERVER_TRAFFIC_SECRET_N") || !strings.Contains(kl, "CLIENT_TRAFFIC_SECRET_N") {
		t.Fatalf("openssl logged no secret of a KeyUpdate:\n%s", kl)
	}

	var out, errb bytes.Buffer
	if code := run([]string{"read", pcap, "--keylog", keylog, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("warnings on the key log:\n%s", errb.String())
	}
	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	var got, steps []string
	data := map[string]string{}
	for _, ev := range events {
		if ev.Layer != "tls" {
			continue
		}
		steps = append(steps, ev.From+" "+ev.Type)
		switch ev.Type {
		case "encrypted_record":
			t.Errorf("frame %d: encrypted record not decrypted: %s", ev.Frame, ev.Error)
		case "application_data":
			data[ev.From] += appData(t, ev)
		}
		if code, ok := handshakeCode(ev.Type); ok {
			got = append(got, fmt.Sprintf("%d:%d", ev.Frame, code))
		}
	}
	checkTshark(t, pcap, keylog, port, 0, got, events)
	if n := strings.Count(strings.Join(steps, ","), "server key_update"); n != 2 {
		t.Errorf("%d server key_update, want 2: %v", n, steps)
	}
	if n := strings.Count(strings.Join(steps, ","), "client key_update"); n != 1 {
		t.Errorf("%d client key_update, want 1: %v", n, steps)
	}
	if data["server"] != "hello\nworld\n" || data["client"] != "bye\n" {
		t.Errorf("application data %q, want the server's %q and the client's %q", data, "hello\nworld\n", "bye\n")
	}
}

// TestReadResumedClientHelloPeer captures an openssl s_client that resumes
// a TLS 1.3 session (-sess_out, then -sess_in): its second ClientHello ends
// with pre_shared_key, as RFC 8446, Section 4.2.11 wants, and no anomaly
// says otherwise, in the JSON or the text.
func TestReadResumedClientHelloPeer(t *testing.T) {
	dir, keylog, pcap, port := capturedPeers(t, "resumed", "openssl", "dumpcap")
	r := peerRun{
		name:    "tls13-resumption",
		server:  []string{"-tls1_3"},
		clients: []peerClient{{"openssl", []string{"-tls1_3", "-sess_out", "{sess}"}}, {"openssl", []string{"-tls1_3", "-sess_in", "{sess}"}}},
	}
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	runPeers(t, dir, &r, port, keylog)
	stop()

	for _, args := range [][]string{{"read", pcap, "--json"}, {"read", pcap, "--keylog", keylog, "--json"}, {"read", pcap, "-v"}, {"read", pcap, "--keylog", keylog, "-v"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errb.String())
		}
		if bytes.Contains(out.Bytes(), []byte("not the last extension")) {
			t.Errorf("%v: an anomaly says pre_shared_key is not last:\n%s", args, out.String())
		}
	}
	var hellos []jsonEvent
	for _, ev := range runJSON(t, "read", pcap, "--json") {
		if ev.Type == "client_hello" {
			hellos = append(hellos, ev)
		}
	}
	if len(hellos) != 2 {
		t.Fatalf("%d client_hello, want 2", len(hellos))
	}
	var f struct {
		Extensions []struct {
			Type struct{ Name string } `json:"extension_type"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(hellos[1].Fields, &f); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Extensions); n == 0 || f.Extensions[n-1].Type.Name != "pre_shared_key" {
		t.Errorf("the resumed ClientHello's extensions do not end with pre_shared_key: %+v", f.Extensions)
	}
}

// TestReadPartialPlaintextRecordPeer captures a connection to an openssl
// s_server that ends inside the client's first record: half a ClientHello,
// then a close. The cut record is plaintext (a handshake record): it is a
// partial_record that says so, not an encrypted_record.
func TestReadPartialPlaintextRecordPeer(t *testing.T) {
	dir, _, pcap, port := capturedPeers(t, "cut", "openssl", "dumpcap")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	wait := startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"), "-naccept", "1")
	hello := tlstest.ClientHello(t)
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(hello[:60]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	wait()
	stop()

	var cut []jsonEvent
	for _, ev := range runJSON(t, "read", pcap, "--json") {
		switch ev.Type {
		case "partial_record":
			cut = append(cut, ev)
		case "encrypted_record":
			t.Errorf("frame %d: an encrypted_record in a connection that sent no encrypted byte: %s", ev.Frame, ev.Error)
		}
	}
	want := fmt.Sprintf("the connection ended inside a record (55 of the %d bytes its header announces seen)", len(hello)-5)
	if len(cut) != 1 || cut[0].From != "client" || cut[0].Record == nil || cut[0].Record.Encrypted ||
		cut[0].Record.Type.Name != "handshake" || cut[0].Error != want {
		t.Fatalf("partial records %+v, want one of the client, a handshake record not encrypted, saying %q", cut, want)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"read", pcap}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("PartialRecord  handshake, 55 of %d bytes seen", len(hello)-5)) || strings.Contains(out.String(), "EncryptedRecord") {
		t.Errorf("the text does not show the cut handshake record as such:\n%s", out.String())
	}
}

// TestReadPlainTCPPeer captures curl fetching a page over plain HTTP: the
// connection is a TCP stream that is not TLS, shown as a tcp not_tls step
// naming its first bytes, and no tls step at all.
func TestReadPlainTCPPeer(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "dumpcap")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain\n")
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	pcap := filepath.Join(t.TempDir(), "plain.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	cmd := exec.Command("curl", "-sS", "--max-time", "10", srv.URL+"/")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "plain\n" {
		t.Fatalf("curl: %v: %q", err, out)
	}
	stop()

	var notTLS []jsonEvent
	for _, ev := range runJSON(t, "read", pcap, "--json") {
		if ev.Layer == "tls" {
			t.Errorf("frame %d: a tls %s in a plain HTTP connection", ev.Frame, ev.Type)
		}
		if ev.Type == "not_tls" {
			notTLS = append(notTLS, ev)
		}
	}
	if len(notTLS) != 1 || notTLS[0].Layer != "tcp" || notTLS[0].From != "client" ||
		notTLS[0].Error != "the first bytes (474554202f) are not a TLS record; not decoded further" {
		t.Fatalf("not_tls steps %+v, want one tcp step of the client naming its first bytes", notTLS)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"read", pcap}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), `TCP  NotTls  first bytes "GET /"`) {
		t.Errorf("the text does not show the plain stream as a TCP step:\n%s", out.String())
	}
}

// startOpenSSL starts openssl with args, its output in out and its input
// the returned pipe; the test's end kills it if it still runs.
func startOpenSSL(t *testing.T, out *lockedBuffer, args ...string) (io.WriteCloser, chan error) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return in, done
}

// TestReadEarlyDataHTTPPeer captures HTTP requests sent as 0-RTT data by
// openssl s_client, once to the openssl s_server that issued its ticket,
// which accepts them, and once to a new s_server, whose ticket keys are
// new: it refuses the ticket and so the early data, and skips those
// records (RFC 8446, Section 4.2.10). The accepted early request is the
// start of the client's HTTP stream; the rejected one is shown as a 0-RTT
// record but is no part of it: the request the server read is the one
// sent after the handshake, not a body of the discarded one.
func TestReadEarlyDataHTTPPeer(t *testing.T) {
	dir, keylog, pcap, port := capturedPeers(t, "early-http", "openssl", "dumpcap")
	sess := filepath.Join(dir, "sess.pem")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	request := func(path, body string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
	}
	earlyFile := func(name, req string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(req), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// The rejected early request announces a body longer than itself:
	// read as part of the stream, it would swallow the real request.
	accepted := earlyFile("accepted.txt", request("/accepted-early", "a"))
	rejected := earlyFile("rejected.txt", strings.TrimSuffix(request("/rejected-early", strings.Repeat("r", 200)), strings.Repeat("r", 200)))
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)

	server := func(out *lockedBuffer, n string) chan error {
		_, done := startOpenSSL(t, out, "s_server", "-accept", addr,
			"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"),
			"-tls1_3", "-early_data", "-naccept", n, "-keylogfile", keylog)
		waitFor(t, out, "ACCEPT")
		return done
	}
	client := func(out *lockedBuffer, args ...string) (io.WriteCloser, chan error) {
		return startOpenSSL(t, out, append([]string{"s_client", "-connect", addr, "-servername", "localhost",
			"-CAfile", filepath.Join(dir, "ca.pem"), "-tls1_3", "-keylogfile", keylog}, args...)...)
	}

	var srvA lockedBuffer
	doneA := server(&srvA, "2")
	var out1 lockedBuffer
	in1, done1 := client(&out1, "-sess_out", sess)
	waitFor(t, &out1, "Verify return code: 0")
	io.WriteString(in1, "hi\n")
	waitFor(t, &srvA, "hi")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(sess); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session written:\n%s", out1.String())
		}
	}
	in1.Close()
	waitExit(t, "the first s_client", done1)

	var out2 lockedBuffer
	in2, done2 := client(&out2, "-sess_in", sess, "-early_data", accepted)
	waitFor(t, &srvA, "/accepted-early")
	waitFor(t, &out2, "Verify return code: 0")
	io.WriteString(in2, request("/accepted-1rtt", "b"))
	waitFor(t, &srvA, "/accepted-1rtt")
	in2.Close()
	waitExit(t, "the second s_client", done2)
	waitExit(t, "the first s_server", doneA)

	var srvB lockedBuffer
	doneB := server(&srvB, "1")
	var out3 lockedBuffer
	in3, done3 := client(&out3, "-sess_in", sess, "-early_data", rejected)
	waitFor(t, &out3, "Early data was rejected")
	io.WriteString(in3, request("/real", "c"))
	waitFor(t, &srvB, "/real")
	in3.Close()
	waitExit(t, "the third s_client", done3)
	waitExit(t, "the second s_server", doneB)
	stop()
	if strings.Contains(srvB.String(), "/rejected-early") {
		t.Fatalf("the second server read the early data:\n%s", srvB.String())
	}

	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	urls := map[int][]string{}
	early := map[int]int{}
	for _, ev := range events {
		if ev.Layer == "http" && ev.Type == "request" {
			var f struct{ URL string }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			urls[ev.Conn] = append(urls[ev.Conn], f.URL)
		}
		if ev.Type == "application_data" && ev.Record != nil && ev.Record.EarlyData {
			early[ev.Conn]++
		}
		if ev.Type == "encrypted_extensions" && ev.Conn == 3 && !strings.Contains(string(ev.Fields), "rejected the client's early data") {
			t.Errorf("the rejecting EncryptedExtensions says %s", ev.Fields)
		}
	}
	if early[2] == 0 || early[3] == 0 {
		t.Errorf("0-RTT records per connection %v, want some in connections 2 and 3", early)
	}
	want := map[int][]string{2: {"/accepted-early", "/accepted-1rtt"}, 3: {"/real"}}
	for conn, w := range want {
		if !slices.Equal(urls[conn], w) {
			t.Errorf("connection %d: requests %q, want %q", conn, urls[conn], w)
		}
	}
}

// TestReadEarlyDataPeer captures an openssl s_client that sends 0-RTT data
// (-early_data) on a session it resumes from an openssl s_server started
// with -early_data. The client's change_cipher_spec after its early data
// key is plaintext (RFC 8446, Appendix D.4), not an undecryptable record,
// and the early data decrypts; the handshake messages are tshark's. With a
// key log that lacks the early traffic secret, every record that needs it
// says so.
func TestReadEarlyDataPeer(t *testing.T) {
	dir, keylog, pcap, port := capturedPeers(t, "early", "openssl", "dumpcap", "tshark")
	sess := filepath.Join(dir, "sess.pem")
	early := filepath.Join(dir, "early.txt")
	if err := os.WriteFile(early, []byte("early hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)

	var srvOut lockedBuffer
	srvIn, _ := startOpenSSL(t, &srvOut, "s_server", "-accept", addr,
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"),
		"-tls1_3", "-early_data", "-naccept", "2", "-keylogfile", keylog)
	waitFor(t, &srvOut, "ACCEPT")
	client := func(out *lockedBuffer, args ...string) (io.WriteCloser, chan error) {
		return startOpenSSL(t, out, append([]string{"s_client", "-connect", addr, "-servername", "localhost",
			"-CAfile", filepath.Join(dir, "ca.pem"), "-tls1_3", "-keylogfile", keylog}, args...)...)
	}

	// The first connection gets a ticket (sent once the client has sent
	// data) and writes the session.
	var out1 lockedBuffer
	in1, done1 := client(&out1, "-sess_out", sess)
	waitFor(t, &out1, "Verify return code: 0")
	io.WriteString(in1, "hi\n")
	waitFor(t, &srvOut, "hi")
	io.WriteString(srvIn, "there\n")
	waitFor(t, &out1, "there")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(sess); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session written:\n%s", out1.String())
		}
	}
	in1.Close()
	waitExit(t, "the first s_client", done1)

	var out2 lockedBuffer
	in2, done2 := client(&out2, "-sess_in", sess, "-early_data", early)
	waitFor(t, &srvOut, "early hello")
	io.WriteString(in2, "again\n")
	waitFor(t, &srvOut, "again")
	in2.Close()
	waitExit(t, "the second s_client", done2)
	stop()

	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	var got, steps []string
	data, early := "", ""
	for _, ev := range events {
		if ev.Conn != 2 || ev.Layer != "tls" {
			continue
		}
		steps = append(steps, ev.From+" "+ev.Type)
		// The 0-RTT records, and they alone, are marked early_data
		// (docs/json.md): the client's application data and the
		// EndOfEarlyData, which the early traffic key protects too
		// (RFC 8446, Section 4.5).
		if ev.Record != nil && ev.Record.EarlyData {
			switch {
			case ev.From == "client" && ev.Type == "application_data":
				early += appData(t, ev)
			case ev.From == "client" && ev.Type == "end_of_early_data":
				early += "<EndOfEarlyData>"
			default:
				t.Errorf("frame %d: the %s's %s is marked early_data", ev.Frame, ev.From, ev.Type)
			}
		}
		switch ev.Type {
		case "encrypted_record":
			t.Errorf("frame %d: encrypted record not decrypted: %s", ev.Frame, ev.Error)
		case "application_data":
			if ev.From == "client" {
				data += appData(t, ev)
			}
		}
		if code, ok := handshakeCode(ev.Type); ok {
			got = append(got, fmt.Sprintf("%d:%d", ev.Frame, code))
		}
	}
	if len(steps) < 3 || steps[0] != "client client_hello" || steps[1] != "client change_cipher_spec" || steps[2] != "client application_data" {
		t.Errorf("the 0-RTT connection starts %v, want the ClientHello, a plaintext change_cipher_spec and the early data", steps)
	}
	if data != "early hello\nagain\n" {
		t.Errorf("client application data %q, want %q", data, "early hello\nagain\n")
	}
	if early != "early hello\n<EndOfEarlyData>" {
		t.Errorf("the records marked early_data carry %q, want the early data and the EndOfEarlyData", early)
	}
	checkTshark(t, pcap, keylog, port, 1, got, events)

	// Without the early traffic secret the 0-RTT records stay encrypted,
	// as tshark leaves them, and each says that this secret is missing:
	// the EndOfEarlyData too, which comes after the ServerHello and which
	// the client's handshake key does not open.
	b, err := os.ReadFile(keylog)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "CLIENT_EARLY_TRAFFIC_SECRET ") {
			kept = append(kept, l)
		}
	}
	noEarly := filepath.Join(dir, "noearly.txt")
	if err := os.WriteFile(noEarly, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	eoed := 0
	for _, ev := range events {
		if ev.Conn == 2 && ev.Type == "end_of_early_data" {
			eoed = ev.Frame
		}
	}
	events = runJSON(t, "read", pcap, "--keylog", noEarly, "--json")
	checkOracle(t, oracleCase{pcap: pcap, keylog: noEarly, decodeAs: fmt.Sprintf("tcp.port==%d,tls", port), events: events})
	var frames []int
	for _, ev := range events {
		if ev.Conn != 2 || ev.Type != "encrypted_record" {
			continue
		}
		frames = append(frames, ev.Frame)
		if ev.From != "client" || !strings.Contains(ev.Error, "no key: ") || !strings.Contains(ev.Error, " CLIENT_EARLY_TRAFFIC_SECRET") {
			t.Errorf("frame %d: the %s's encrypted record says %q, want that the key log has no CLIENT_EARLY_TRAFFIC_SECRET", ev.Frame, ev.From, ev.Error)
		}
	}
	if len(frames) != 2 || frames[1] != eoed {
		t.Errorf("encrypted records in frames %v, want the early data's and the EndOfEarlyData's (frame %d)", frames, eoed)
	}
}

// TestReadClientAuthNoClientHandshakeSecret captures a TLS 1.3 handshake
// in which openssl s_server asks for a client certificate, and reads it
// with a key log that lacks the CLIENT_HANDSHAKE_TRAFFIC_SECRET: the
// client's three handshake records (Certificate, CertificateVerify,
// Finished) stay encrypted, each saying that this secret protects the
// client's handshake records, its certificate among them, and its
// application data is decrypted.
func TestReadClientAuthNoClientHandshakeSecret(t *testing.T) {
	dir, keylog, pcap, port := capturedPeers(t, "clientauth", "openssl", "dumpcap")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	runScenario(t, dir, oracleScenario{
		name: "client certificate",
		server: []string{"-tls1_3", "-Verify", "1", "-CAfile", filepath.Join(dir, "ca.pem"),
			"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key")},
		client: []string{"-tls1_3", "-cert", filepath.Join(dir, "ec.pem"), "-key", filepath.Join(dir, "ec.key")},
		script: []scriptStep{{"client", "ping\n", "server", "ping"}},
	}, port, keylog)
	stop()
	b, err := os.ReadFile(keylog)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ") {
			kept = append(kept, l)
		}
	}
	partial := filepath.Join(dir, "partial.txt")
	if err := os.WriteFile(partial, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	var encrypted int
	data := ""
	for _, ev := range runJSON(t, "read", pcap, "--keylog", partial, "--json") {
		if ev.From != "client" || ev.Layer != "tls" {
			continue
		}
		switch ev.Type {
		case "encrypted_record":
			encrypted++
			if !strings.Contains(ev.Error, "which protects the client's handshake records (its Finished, after its Certificate and CertificateVerify when the server asked for one)") {
				t.Errorf("frame %d: %s", ev.Frame, ev.Error)
			}
		case "application_data":
			data += appData(t, ev)
		}
	}
	if encrypted != 3 || data != "ping\n" {
		t.Errorf("%d encrypted records from the client, want 3 (Certificate, CertificateVerify, Finished); application data %q", encrypted, data)
	}
}

// oddFirstRecords are plaintext records no TLS stack sends first: a
// handshake message of type 99, which no registry names, and an alert of
// level 7.
var oddFirstRecords = [][]byte{
	{0x16, 3, 1, 0, 8, 0x63, 0, 0, 4, 'a', 'b', 'c', 'd'},
	{0x15, 3, 3, 0, 2, 7, 0x28},
}

// sendOdd connects to addr, sends b and reads until the peer closes or
// for a second.
func sendOdd(t *testing.T, addr string, b []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, c)
}

// checkOddFirstRecords checks the client's events of the connections that
// sent oddFirstRecords: the first bytes of a connection are plaintext, so
// they are a handshake message of unknown type, with its bytes and an
// anomaly, and an alert of unknown level, never an encrypted record.
func checkOddFirstRecords(t *testing.T, events []jsonEvent) {
	t.Helper()
	got := map[int]string{}
	for _, ev := range events {
		if ev.From != "client" || ev.Layer != "tls" {
			continue
		}
		if ev.Type == "encrypted_record" {
			t.Errorf("conn %d: an encrypted record: %s", ev.Conn, ev.Error)
		}
		var f struct {
			Body  string
			Level struct{ Name string }
		}
		json.Unmarshal(ev.Fields, &f)
		got[ev.Conn] += fmt.Sprintf("%s %s%s;", ev.Type, f.Body, f.Level.Name)
		if ev.Record == nil || ev.Record.Encrypted {
			t.Errorf("conn %d: %s in record %+v", ev.Conn, ev.Type, ev.Record)
		}
	}
	want := map[int]string{1: "unknown_99 61626364;", 2: "alert unknown_7;"}
	for conn, w := range want {
		if got[conn] != w {
			t.Errorf("conn %d: the client's TLS events %q, want %q", conn, got[conn], w)
		}
	}
}

// TestReadOddFirstRecords captures clients whose first bytes are
// oddFirstRecords, sent to openssl s_server: the capture holds the
// connections from their SYN, so these are plaintext records.
func TestReadOddFirstRecords(t *testing.T) {
	dir, _, pcap, port := capturedPeers(t, "odd", "openssl", "dumpcap", "tshark")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), pcap)
	var srvOut lockedBuffer
	startOpenSSL(t, &srvOut, "s_server", "-accept", addr,
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"))
	waitFor(t, &srvOut, "ACCEPT")
	for _, b := range oddFirstRecords {
		sendOdd(t, addr, b)
	}
	stop()
	checkOddFirstRecords(t, runJSON(t, "read", pcap, "--json"))
	// tshark takes the handshake message of unknown type for an
	// encrypted one, a guess that a capture holding the connection from
	// its SYN rules out; the alert it reads as tlstrace does.
	out := tshark(t, "-r", pcap, "-d", fmt.Sprintf("tcp.port==%d,tls", port), "-Y", fmt.Sprintf("tls.alert_message && tcp.dstport==%d", port),
		"-T", "fields", "-e", "tls.alert_message.level")
	if got := strings.Fields(out); !slices.Equal(got, []string{"7"}) {
		t.Errorf("tshark: the client's alert levels %q, want 7", got)
	}
}

// TestServeOddFirstRecords sends oddFirstRecords to tlstrace serve, which
// reads them from no capture: they are plaintext all the same.
func TestServeOddFirstRecords(t *testing.T) {
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--self-signed")
	for _, b := range oddFirstRecords {
		sendOdd(t, fmt.Sprintf("127.0.0.1:%d", port), b)
	}
	stop()
	checkOddFirstRecords(t, parseEvents(t, out.String()))
}
