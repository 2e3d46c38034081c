package handshake

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
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
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// These helpers run the engine against real peers and check what it put
// on the wire with tshark and with the project's decoder.

// tapConn records the bytes a client reads and writes, in order, as a live
// tap does.
type tapConn struct {
	net.Conn
	mu     sync.Mutex
	chunks []capture.Chunk
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.add(false, b[:n])
	return n, err
}

func (c *tapConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.add(true, b[:n])
	return n, err
}

func (c *tapConn) add(fromClient bool, b []byte) {
	if len(b) == 0 {
		return
	}
	c.mu.Lock()
	c.chunks = append(c.chunks, capture.Chunk{FromClient: fromClient, Time: time.Now(), Data: bytes.Clone(b)})
	c.mu.Unlock()
}

// peerCerts holds an RSA and an ECDSA certificate for localhost as PEM
// files.
type peerCerts struct {
	dir             string
	rsaCert, rsaKey string
	ecCert, ecKey   string
	rsaLeaf, ecLeaf *x509.Certificate
}

func newPeerCerts(t *testing.T) *peerCerts {
	t.Helper()
	dir := t.TempDir()
	pc := &peerCerts{dir: dir}
	write := func(name string, c tls.Certificate) (string, string, *x509.Certificate) {
		key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return certFile, keyFile, leaf
	}
	pc.rsaCert, pc.rsaKey, pc.rsaLeaf = write("rsa", tlstest.SelfSigned(t, tlstest.NewKey(t, true), "localhost"))
	pc.ecCert, pc.ecKey, pc.ecLeaf = write("ec", tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost"))
	return pc
}

// opensslServer starts openssl s_server -www on 127.0.0.1 for n
// connections, with the RSA certificate and the ECDSA one (-dcert), and
// returns its address. It is killed when the test ends.
func opensslServer(t *testing.T, pc *peerCerts, n int, args ...string) string {
	t.Helper()
	return opensslServerConf(t, pc, "", n, args...)
}

// opensslServerConf is opensslServer with the OpenSSL configuration file
// conf (none if ""), whose system_default section sets what s_server has
// no option for.
func opensslServerConf(t *testing.T, pc *peerCerts, conf string, n int, args ...string) string {
	t.Helper()
	all := append([]string{"s_server", "-accept", "127.0.0.1:0", "-naccept", strconv.Itoa(n), "-www",
		"-cert", pc.rsaCert, "-key", pc.rsaKey, "-dcert", pc.ecCert, "-dkey", pc.ecKey}, args...)
	return tlstest.OpenSSLServer(t, 60*time.Second, func(cmd *exec.Cmd) {
		if conf != "" {
			cmd.Env = append(os.Environ(), "OPENSSL_CONF="+conf)
		}
	}, all...)
}

// httpGet writes an HTTP/1.0 request on an established connection and
// reads the s_server -www answer to its end.
func httpGet(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
	resp, err := io.ReadAll(c)
	if err != nil && len(resp) == 0 {
		t.Fatalf("reading the response: %v", err)
	}
	if !bytes.HasPrefix(resp, []byte("HTTP/1.")) || !bytes.Contains(resp[:min(len(resp), 20)], []byte(" 200 ")) {
		t.Fatalf("response %.60q", resp)
	}
	return resp
}

// handshakeList returns the handshake messages of a recorded connection
// as "client:1", "server:2", … in the order they were sent, as tshark
// lists them from a capture of it with the key log, and as the project's
// decoder lists them from the same bytes and key log. A record the decoder
// could not decrypt or a step with an error fails the test.
func handshakeLists(t *testing.T, tap *tapConn, keyLog []byte) (tshark, decoder []string) {
	t.Helper()
	dir := t.TempDir()
	client, err := netip.ParseAddrPort(tap.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := netip.ParseAddrPort(tap.RemoteAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	tap.mu.Lock()
	chunks := slices.Clone(tap.chunks)
	tap.mu.Unlock()
	pcap, keyFile := filepath.Join(dir, "conn.pcapng"), filepath.Join(dir, "keys.txt")
	conn := &capture.Conn{Client: client, Server: server, Start: chunks[0].Time, End: chunks[len(chunks)-1].Time, Chunks: chunks}
	if err := capture.WritePcapngFile(pcap, nil, []*capture.Conn{conn}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyLog, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tshark", "-r", pcap, "-d", fmt.Sprintf("tcp.port==%d,tls", server.Port()),
		"-o", "tls.keylog_file:"+keyFile, "-Y", "tls.handshake.type", "-T", "fields", "-E", "separator=/t",
		"-e", "tcp.srcport", "-e", "tls.handshake.type")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 2 {
			continue
		}
		from := "server"
		if f[0] == strconv.Itoa(int(client.Port())) {
			from = "client"
		}
		for _, typ := range strings.Split(f[1], ",") {
			tshark = append(tshark, from+":"+typ)
		}
	}

	keys, _, err := keylog.Parse(bytes.NewReader(keyLog))
	if err != nil {
		t.Fatal(err)
	}
	sess := trace.NewSession(time.Now(), keys, func(ev *trace.Event) {
		if ev.Layer != trace.LayerTLS {
			return
		}
		if ev.Type == trace.TypeEncryptedRecord || ev.Error != "" {
			t.Errorf("decoder: %s %s: %s", ev.From, ev.Type, ev.Error)
		}
		if m, ok := ev.Payload.(*trace.Message); ok && m.HasMsgType {
			decoder = append(decoder, fmt.Sprintf("%s:%d", ev.From, m.MsgType.Value))
		}
	})
	c := sess.NewConn(1, false)
	for _, ch := range chunks {
		side := trace.Server
		if ch.FromClient {
			side = trace.Client
		}
		c.Feed(side, trace.Stamp{}, ch.Data)
	}
	c.Close()
	return tshark, decoder
}

// checkHandshakeLists checks that tshark and the decoder list the same
// messages, and that both hold want (the messages expected, in order).
func checkHandshakeLists(t *testing.T, tap *tapConn, keyLog []byte, want []string) {
	t.Helper()
	oracle, got := handshakeLists(t, tap, keyLog)
	if !slices.Equal(got, oracle) {
		t.Errorf("handshake messages\n decoder %v\n tshark  %v", got, oracle)
	}
	if want != nil && !slices.Equal(got, want) {
		t.Errorf("handshake messages %v, want %v", got, want)
	}
}
