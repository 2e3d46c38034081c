package handshake

// This file holds what the engine's tests against real peers share:
// starting openssl and gnutls servers, recording both directions of a
// connection, certificates made by openssl, and the check that tshark,
// given a capture of the session and the engine's key log, lists the same
// handshake messages as the project's decoder.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// lockedBuffer is a buffer safe for a writer and a reader goroutine.
type lockedBuffer = tlstest.Buffer

// startServer runs a server program (openssl or gnutls-serv) with args,
// where the word PORT is replaced by a free port, and waits until the port
// accepts connections. The test's end kills it. It returns the address
// and the program's output so far.
func startServer(t testing.TB, prog string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	addr, out, _ := startServerIn(t, prog, args...)
	return addr, out
}

// startServerIn is startServer that also returns the program's input.
func startServerIn(t testing.TB, prog string, args ...string) (string, *lockedBuffer, io.Writer) {
	t.Helper()
	port := tlstest.FreePort(t)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "PORT", strconv.Itoa(port))
	}
	out := &lockedBuffer{}
	cmd := exec.Command(prog, args...)
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-done
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Wait for the server to print that it listens; connecting to
		// find out would take one of its connections.
		if s := out.String(); strings.Contains(s, "ACCEPT") {
			break
		}
		// gnutls-serv says it listens before it binds: wait until it
		// accepts too (it serves on after a connection that closes).
		if strings.Contains(out.String(), "listening") {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				break
			}
		}
		select {
		case <-done:
			t.Fatalf("%s exited: %s", prog, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start listening on %s: %s", prog, addr, out.String())
		}
	}
	return addr, out, stdin
}

// recorder records both directions of a connection with their times.
type recorder struct {
	net.Conn
	mu     sync.Mutex
	chunks []capture.Chunk
	start  time.Time
}

func (r *recorder) add(fromClient bool, b []byte) {
	r.mu.Lock()
	r.chunks = append(r.chunks, capture.Chunk{FromClient: fromClient, Time: time.Now(), Data: bytes.Clone(b)})
	r.mu.Unlock()
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	if n > 0 {
		r.add(false, b[:n])
	}
	return n, err
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.Conn.Write(b)
	if n > 0 {
		r.add(true, b[:n])
	}
	return n, err
}

// dialRecorded connects to addr through a recorder.
func dialRecorded(t testing.TB, addr string) *recorder {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &recorder{Conn: c, start: time.Now()}
}

// pcapng writes the recorded connection as a pcapng file with the key log
// in a Decryption Secrets Block, and returns its name.
func (r *recorder) pcapng(t testing.TB, keyLog []byte) string {
	t.Helper()
	r.mu.Lock()
	conn := &capture.Conn{
		Client: netip.MustParseAddrPort(r.LocalAddr().String()),
		Server: netip.MustParseAddrPort(r.RemoteAddr().String()),
		Start:  r.start, End: time.Now(), Chunks: slices.Clone(r.chunks),
	}
	r.mu.Unlock()
	name := filepath.Join(t.TempDir(), "session.pcapng")
	if err := capture.WritePcapngFile(name, keyLog, []*capture.Conn{conn}); err != nil {
		t.Fatal(err)
	}
	return name
}

// decoderMessages returns the handshake message types of a capture as the
// project's decoder reads it (a HelloRetryRequest is msg_type 2).
func decoderMessages(t testing.TB, pcap string) []uint64 {
	t.Helper()
	f, err := os.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var types []uint64
	err = source.Read(f, func(ev *trace.Event) {
		if m, ok := ev.Payload.(*trace.Message); ok && m.HasMsgType {
			types = append(types, m.MsgType.Value)
		}
	}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return types
}

// tsharkMessages returns tshark's list of handshake message types of a
// capture, decrypting with the key log embedded in it.
func tsharkMessages(t testing.TB, pcap string, port int) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tshark", "-r", pcap, "-d", fmt.Sprintf("tcp.port==%d,tls", port),
		"-Y", "tls.handshake.type", "-T", "fields", "-e", "tls.handshake.type")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	var types []uint64
	for _, line := range strings.Fields(string(out)) {
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				t.Fatalf("tshark field %q: %v", f, err)
			}
			types = append(types, v)
		}
	}
	return types
}

// openssl runs openssl with args in dir and fails the test if it fails.
func openssl(t testing.TB, dir string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// opensslCert makes a self-signed certificate for localhost with a key of
// the algorithm genpkey names (ED448, ED25519, RSA-PSS, RSA) in dir and
// returns the paths of the certificate and the key.
func opensslCert(t testing.TB, dir, alg string, genArgs ...string) (certFile, keyFile string) {
	t.Helper()
	keyFile = filepath.Join(dir, strings.ToLower(alg)+".key")
	certFile = filepath.Join(dir, strings.ToLower(alg)+".pem")
	openssl(t, dir, append([]string{"genpkey", "-algorithm", alg, "-out", keyFile}, genArgs...)...)
	openssl(t, dir, "req", "-new", "-x509", "-key", keyFile, "-out", certFile, "-days", "2",
		"-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
	return certFile, keyFile
}

// ecdsaCert writes a self-signed ECDSA certificate for localhost on curve
// and its key into dir.
func ecdsaCert(t testing.TB, dir string, curve elliptic.Curve) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	name := "ecdsa-" + curve.Params().Name
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// readAll reads until EOF or the deadline.
func readAll(t testing.TB, c net.Conn, d time.Duration) ([]byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	return io.ReadAll(c)
}
