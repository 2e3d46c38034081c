package handshake

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
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

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// These helpers run the engine as a server for real clients (openssl
// s_client, gnutls-cli) through the project's live tap, and check what
// it put on the wire with tshark and with the decoder.

// serverRun is one connection the engine served.
type serverRun struct {
	err   error
	state State
	// messages are the handshake messages the live decoder showed, as
	// "client:1", "server:2", …; echoed is what the server echoed.
	messages []string
	echoed   string
	// decodeErrors are events the decoder could not decrypt or decode.
	decodeErrors []string
	tracer       *source.Tracer
	port         int
	secrets      []byte
}

// peerServer serves one connection with the engine, traced as serve
// traces it, and echoes what the client sends until it closes.
type peerServer struct {
	addr string
	done chan *serverRun
}

func startPeerServer(t *testing.T, cfg *Config) *peerServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ps := &peerServer{addr: ln.Addr().String(), done: make(chan *serverRun, 1)}
	go func() {
		run := &serverRun{port: ln.Addr().(*net.TCPAddr).Port}
		defer func() { ps.done <- run }()
		raw, err := ln.Accept()
		if err != nil {
			run.err = err
			return
		}
		var mu sync.Mutex
		run.tracer = source.NewTracer(time.Now(), func(ev *trace.Event) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Layer != trace.LayerTLS {
				return
			}
			if ev.Type == trace.TypeEncryptedRecord || ev.Error != "" {
				run.decodeErrors = append(run.decodeErrors, fmt.Sprintf("%s %s: %s", ev.From, ev.Type, ev.Error))
			}
			if m, ok := ev.Payload.(*trace.Message); ok && m.HasMsgType {
				run.messages = append(run.messages, fmt.Sprintf("%s:%d", ev.From, m.MsgType.Value))
			}
		})
		run.tracer.Record = true
		tap := run.tracer.NewTap(raw, 1, trace.Server)
		c := *cfg
		c.KeyLog = run.tracer.KeyLogWriter()
		conn := Server(tap, &c)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		raw.SetDeadline(time.Now().Add(20 * time.Second))
		run.err = conn.HandshakeContext(ctx)
		if run.err == nil {
			run.state = conn.State()
			var echoed bytes.Buffer
			buf := make([]byte, 4096)
			for {
				n, err := conn.Read(buf)
				echoed.Write(buf[:n])
				if n > 0 {
					if _, err := conn.Write(buf[:n]); err != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			run.echoed = echoed.String()
		}
		conn.Close()
		tap.Wait(2 * time.Second)
		run.secrets = run.tracer.Secrets()
	}()
	return ps
}

// wait returns the server's run.
func (ps *peerServer) wait(t *testing.T) *serverRun {
	t.Helper()
	select {
	case r := <-ps.done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the engine server did not finish in 30 s")
	}
	return nil
}

// runClient runs a client program that sends input and returns its
// output (stdout and stderr).
func runClient(t *testing.T, input string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// tsharkMessages lists the handshake messages of the run's capture as
// tshark decrypts them with the key log the engine wrote.
func (r *serverRun) tsharkMessages(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	pcap, keys := filepath.Join(dir, "conn.pcapng"), filepath.Join(dir, "keys.txt")
	if err := capture.WritePcapngFile(pcap, nil, r.tracer.Recorded()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keys, r.secrets, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runClient(t, "", "tshark", "-r", pcap, "-d", fmt.Sprintf("tcp.port==%d,tls", r.port),
		"-o", "tls.keylog_file:"+keys, "-Y", "tls.handshake.type", "-T", "fields", "-E", "separator=/t",
		"-e", "tcp.srcport", "-e", "tls.handshake.type")
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var list []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 2 {
			continue
		}
		from := "client"
		if f[0] == strconv.Itoa(r.port) {
			from = "server"
		}
		for _, typ := range strings.Split(f[1], ",") {
			list = append(list, from+":"+typ)
		}
	}
	return list
}

// check checks a run that should have succeeded: the decoder decrypted
// and decoded everything, its messages equal tshark's and want (when
// given), and the client's input came back.
func (r *serverRun) check(t *testing.T, want []string, echo string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("the engine's handshake failed: %v", r.err)
	}
	for _, e := range r.decodeErrors {
		t.Errorf("decoder: %s", e)
	}
	oracle := r.tsharkMessages(t)
	if !slices.Equal(r.messages, oracle) {
		t.Errorf("handshake messages\n decoder %v\n tshark  %v", r.messages, oracle)
	}
	if want != nil && !slices.Equal(r.messages, want) {
		t.Errorf("handshake messages %v, want %v", r.messages, want)
	}
	if echo != "" && !strings.Contains(r.echoed, echo) {
		t.Errorf("the server read %q, want %q", r.echoed, echo)
	}
}

// keyPairFiles writes a certificate chain and key made by openssl: kind
// is an openssl genpkey algorithm ("ED448", "ED25519", "RSA", "RSA-PSS",
// "EC:P-256"…). The certificate is for localhost, issued by a CA of the
// same kind; it returns the CA file and the engine's Certificate.
type keyPair struct {
	dir, ca, cert, key string
	certificate        Certificate
}

func opensslKeyPair(t *testing.T, dir, name, alg string) *keyPair {
	t.Helper()
	kp := &keyPair{dir: dir, ca: filepath.Join(dir, name+"_ca.pem"), cert: filepath.Join(dir, name+"_cert.pem"), key: filepath.Join(dir, name+"_key.pem")}
	genpkey := func(out string) []string {
		switch {
		case strings.HasPrefix(alg, "EC:"):
			return []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + strings.TrimPrefix(alg, "EC:"), "-out", out}
		case alg == "RSA":
			return []string{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", out}
		}
		return []string{"genpkey", "-algorithm", alg, "-out", out}
	}
	caKey := filepath.Join(dir, name+"_ca_key.pem")
	csr := filepath.Join(dir, name+".csr")
	ext := filepath.Join(dir, name+".ext")
	os.WriteFile(ext, []byte("subjectAltName=DNS:localhost\n"), 0o600)
	for _, args := range [][]string{
		genpkey(caKey),
		{"req", "-new", "-x509", "-key", caKey, "-subj", "/CN=" + name + " CA", "-days", "2", "-out", kp.ca},
		genpkey(kp.key),
		{"req", "-new", "-key", kp.key, "-subj", "/CN=localhost", "-out", csr},
		{"x509", "-req", "-in", csr, "-CA", kp.ca, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", kp.cert},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	key, err := certio.ReadSigner(kp.key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(kp.cert)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	kp.certificate = Certificate{Chain: [][]byte{blk.Bytes}, Key: key}
	return kp
}

// sClient runs openssl s_client against addr as a user checks a server:
// the CA file, the host name verified, and a fatal error on any failure.
// It sends "ping" and ends its input once the echo came back (so that
// s_client has read what the server sent before it, a ticket included),
// or after 10 s.
func sClient(t *testing.T, addr, ca string, args ...string) (string, error) {
	t.Helper()
	all := append([]string{"s_client", "-connect", addr, "-servername", "localhost", "-CAfile", ca,
		"-verify_return_error", "-verify_hostname", "localhost"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", all...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	io.WriteString(stdin, "ping\n")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && !strings.Contains(out.String(), "\nping\n"); {
		select {
		case err := <-done:
			return out.String(), err
		case <-time.After(10 * time.Millisecond):
		}
	}
	stdin.Close()
	err = <-done
	return out.String(), err
}

// Handshake flights as the decoder and tshark list them.
var (
	flight13       = []string{"client:1", "server:2", "server:8", "server:11", "server:15", "server:20", "client:20"}
	flight13Retry  = []string{"client:1", "server:2", "client:1", "server:2", "server:8", "server:11", "server:15", "server:20", "client:20"}
	flight13Client = []string{"client:1", "server:2", "server:8", "server:13", "server:11", "server:15", "server:20", "client:11", "client:15", "client:20"}
	flight12       = []string{"client:1", "server:2", "server:11", "server:12", "server:14", "client:16", "client:20", "server:20"}
	flight12RSA    = []string{"client:1", "server:2", "server:11", "server:14", "client:16", "client:20", "server:20"}
	flight12Client = []string{"client:1", "server:2", "server:11", "server:12", "server:13", "server:14", "client:11", "client:16", "client:15", "client:20", "server:20"}
)

func TestServerOpenSSL13(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	ed := opensslKeyPair(t, dir, "ed448", "ED448")
	ec := opensslKeyPair(t, dir, "ec", "EC:P-256")
	rsaPSS := opensslKeyPair(t, dir, "rsa", "RSA")
	for _, c := range []struct {
		name   string
		kp     *keyPair
		cfg    Config
		args   []string
		want   []string
		suite  uint16
		group  uint16
		scheme string
	}{
		{"ed448 AES-128-GCM", ed, Config{}, []string{"-ciphersuites", "TLS_AES_128_GCM_SHA256"}, flight13, 0x1301, 0, "ed448"},
		{"AES-256-GCM", ec, Config{}, []string{"-ciphersuites", "TLS_AES_256_GCM_SHA384"}, flight13, 0x1302, 0, ""},
		{"ChaCha20-Poly1305", ec, Config{}, []string{"-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"}, flight13, 0x1303, 0, ""},
		{"AES-128-CCM", ec, Config{}, []string{"-ciphersuites", "TLS_AES_128_CCM_SHA256"}, flight13, 0x1304, 0, ""},
		{"AES-128-CCM-8", ec, Config{}, []string{"-ciphersuites", "TLS_AES_128_CCM_8_SHA256"}, flight13, 0x1305, 0, ""},
		{"server allows only CCM", ec, Config{TLS13Suites: []uint16{0x1304}}, []string{"-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_CCM_SHA256"}, flight13, 0x1304, 0, ""},
		{"RSA-PSS", rsaPSS, Config{}, nil, flight13, 0, 0, "RSA-PSS"},
		{"ffdhe2048", ec, Config{}, []string{"-groups", "ffdhe2048"}, flight13, 0, 256, ""},
		{"ffdhe4096", ec, Config{}, []string{"-groups", "ffdhe4096"}, flight13, 0, 258, ""},
		{"P-384", ec, Config{}, []string{"-groups", "P-384"}, flight13, 0, 24, ""},
		{"HelloRetryRequest", ec, Config{Groups: []uint16{23}}, []string{"-groups", "X25519:P-256"}, flight13Retry, 0, 23, ""},
		{"HelloRetryRequest to ffdhe3072", ec, Config{Groups: []uint16{257}}, []string{"-groups", "X25519:ffdhe3072"}, flight13Retry, 0, 257, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Certificates = []Certificate{c.kp.certificate}
			ps := startPeerServer(t, &cfg)
			out, err := sClient(t, ps.addr, c.kp.ca, append([]string{"-tls1_3"}, c.args...)...)
			run := ps.wait(t)
			if err != nil || !strings.Contains(out, "Verify return code: 0 (ok)") {
				t.Fatalf("s_client: %v (server: %v)\n%s", err, run.err, out)
			}
			run.check(t, c.want, "ping")
			if c.suite != 0 && run.state.CipherSuite != c.suite {
				t.Errorf("suite %#04x, want %#04x", run.state.CipherSuite, c.suite)
			}
			if c.group != 0 && run.state.Group != c.group {
				t.Errorf("group %d, want %d", run.state.Group, c.group)
			}
			if c.scheme != "" && !strings.Contains(out, "Peer signature type: "+c.scheme+"\n") {
				t.Errorf("s_client does not report the scheme %s:\n%s", c.scheme, out)
			}
		})
	}
}

func TestServerOpenSSLClientCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	srv := opensslKeyPair(t, dir, "server", "EC:P-256")
	cli := opensslKeyPair(t, dir, "client", "ED25519")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"TLS 1.3", []string{"-tls1_3"}, flight13Client},
		{"TLS 1.2", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}, flight12Client},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []*x509.Certificate
			cfg := &Config{Certificates: []Certificate{srv.certificate}, ClientAuth: true,
				VerifyPeer: func(chain []*x509.Certificate, _ []byte) error { got = chain; return nil }}
			ps := startPeerServer(t, cfg)
			out, err := sClient(t, ps.addr, srv.ca, append(c.args, "-cert", cli.cert, "-key", cli.key)...)
			run := ps.wait(t)
			if err != nil {
				t.Fatalf("s_client: %v (server: %v)\n%s", err, run.err, out)
			}
			run.check(t, c.want, "ping")
			if len(got) != 1 || got[0].Subject.CommonName != "localhost" || run.state.PeerSignatureScheme != schemeEd25519 {
				t.Errorf("VerifyPeer saw %d certificates, scheme %#04x", len(got), run.state.PeerSignatureScheme)
			}
		})
	}
}

func TestServerOpenSSL12(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	rsaKP := opensslKeyPair(t, dir, "rsa", "RSA")
	ec := opensslKeyPair(t, dir, "ec", "EC:P-256")
	ed := opensslKeyPair(t, dir, "ed448", "ED448")
	all := Config{CipherSuites: []uint16{0xC02B, 0xC02F, 0xC024, 0xC028, 0xC009, 0xC013, 0x009E, 0x009F, 0x0067, 0x006B, 0x0033, 0x0039,
		0xC0AC, 0xC0AE, 0xC09E, 0xC0A2, 0xCCA8, 0xCCAA, 0x009C, 0x002F, 0xC09C}}
	for _, c := range []struct {
		name  string
		kp    *keyPair
		args  []string
		want  []string
		suite uint16
	}{
		{"ECDHE-RSA-AES128-GCM-SHA256", rsaKP, []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}, flight12, 0xC02F},
		{"ECDHE-ECDSA-AES256-SHA384 (CBC)", ec, []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"}, flight12, 0xC024},
		{"ECDHE-RSA-AES128-SHA without encrypt-then-MAC", rsaKP, []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA", "-no_etm"}, flight12, 0xC013},
		{"DHE-RSA-AES128-GCM-SHA256", rsaKP, []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}, flight12, 0x009E},
		{"DHE-RSA-AES256-SHA256 (CBC)", rsaKP, []string{"-tls1_2", "-cipher", "DHE-RSA-AES256-SHA256"}, flight12, 0x006B},
		{"DHE-RSA-CHACHA20-POLY1305", rsaKP, []string{"-tls1_2", "-cipher", "DHE-RSA-CHACHA20-POLY1305"}, flight12, 0xCCAA},
		{"ECDHE-ECDSA-AES128-CCM", ec, []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-CCM"}, flight12, 0xC0AC},
		{"ECDHE-ECDSA-AES128-CCM8", ec, []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-CCM8"}, flight12, 0xC0AE},
		{"DHE-RSA-AES128-CCM", rsaKP, []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-CCM"}, flight12, 0xC09E},
		{"AES128-CCM (RSA key exchange)", rsaKP, []string{"-tls1_2", "-cipher", "AES128-CCM"}, flight12RSA, 0xC09C},
		{"AES128-GCM-SHA256 (RSA key exchange)", rsaKP, []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"}, flight12RSA, 0x009C},
		{"Ed448 ECDHE-ECDSA", ed, []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}, flight12, 0xC02B},
		{"TLS 1.1 ECDHE-RSA-AES128-SHA", rsaKP, []string{"-tls1_1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"}, flight12, 0xC013},
		{"TLS 1.0 DHE-RSA-AES256-SHA", rsaKP, []string{"-tls1", "-cipher", "DHE-RSA-AES256-SHA:@SECLEVEL=0"}, flight12, 0x0039},
		{"TLS 1.0 ECDHE-ECDSA-AES128-SHA", ec, []string{"-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"}, flight12, 0xC009},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := all
			cfg.MinVersion = 0x0301
			cfg.Certificates = []Certificate{c.kp.certificate}
			ps := startPeerServer(t, &cfg)
			out, err := sClient(t, ps.addr, c.kp.ca, c.args...)
			run := ps.wait(t)
			if err != nil || !strings.Contains(out, "Verify return code: 0 (ok)") {
				t.Fatalf("s_client: %v (server: %v)\n%s", err, run.err, out)
			}
			run.check(t, c.want, "ping")
			if run.state.CipherSuite != c.suite {
				t.Errorf("suite %#04x, want %#04x", run.state.CipherSuite, c.suite)
			}
		})
	}
}

func TestServerGnuTLS(t *testing.T) {
	tlstest.RequirePeer(t, "gnutls-cli", "openssl", "tshark")
	dir := t.TempDir()
	rsaKP := opensslKeyPair(t, dir, "rsa", "RSA")
	ec := opensslKeyPair(t, dir, "ec", "EC:P-256")
	for _, c := range []struct {
		name     string
		kp       *keyPair
		cfg      Config
		priority string
		want     []string
	}{
		{"TLS 1.3 AES-128-CCM", ec, Config{}, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-CCM", flight13},
		{"TLS 1.3 ffdhe3072", ec, Config{}, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-FFDHE3072", flight13},
		{"TLS 1.3 HelloRetryRequest", ec, Config{Groups: []uint16{25}}, "NORMAL:-VERS-ALL:+VERS-TLS1.3", flight13Retry},
		{"TLS 1.2 DHE-RSA AES-256-CBC", rsaKP, Config{CipherSuites: []uint16{0x0039, 0x006B}}, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-CIPHER-ALL:+AES-256-CBC", flight12},
		{"TLS 1.2 ECDHE-ECDSA AES-128-GCM", ec, Config{}, "NORMAL:-VERS-ALL:+VERS-TLS1.2", flight12},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Certificates = []Certificate{c.kp.certificate}
			ps := startPeerServer(t, &cfg)
			host, port, _ := net.SplitHostPort(ps.addr)
			out, err := runClient(t, "ping\n", "gnutls-cli", "--x509cafile", c.kp.ca, "--priority", c.priority,
				"--sni-hostname", "localhost", "--verify-hostname", "localhost", "-p", port, host)
			run := ps.wait(t)
			if err != nil || !strings.Contains(out, "Handshake was completed") {
				t.Fatalf("gnutls-cli: %v (server: %v)\n%s", err, run.err, out)
			}
			run.check(t, c.want, "ping")
		})
	}
}

// TestServerOpenSSLResumption: the server sends a ticket after a full
// TLS 1.3 handshake, and openssl s_client resumes with it (psk_dhe_ke:
// no certificate, a fresh key share); a ticket sealed with another key is
// not resumed, and the handshake is a full one.
func TestServerOpenSSLResumption(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	ec := opensslKeyPair(t, dir, "ec", "EC:P-256")
	sess := filepath.Join(dir, "sess.pem")
	key := bytes.Repeat([]byte{7}, 32)
	resumed := []string{"client:1", "server:2", "server:8", "server:20", "client:20", "server:4"}
	for _, c := range []struct {
		name   string
		key    []byte
		args   []string
		want   []string
		resume bool
	}{
		{"full handshake with a ticket", key, []string{"-sess_out", sess}, append(slices.Clone(flight13), "server:4"), false},
		{"resumed", key, []string{"-sess_in", sess}, resumed, true},
		{"another server's ticket", bytes.Repeat([]byte{8}, 32), []string{"-sess_in", sess}, append(slices.Clone(flight13), "server:4"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := startPeerServer(t, &Config{Certificates: []Certificate{ec.certificate}, SessionTicketKey: c.key})
			out, err := sClient(t, ps.addr, ec.ca, append([]string{"-tls1_3"}, c.args...)...)
			run := ps.wait(t)
			if err != nil {
				t.Fatalf("s_client: %v (server: %v)\n%s", err, run.err, out)
			}
			run.check(t, c.want, "ping")
			if run.state.DidResume != c.resume || strings.Contains(out, "Reused, TLSv1.3") != c.resume {
				t.Errorf("resumed %v, s_client says:\n%s", run.state.DidResume, out)
			}
		})
	}
}

// TestServerRefusesRenegotiation: a TLS 1.2 client that renegotiates
// (s_client's R command) gets a no_renegotiation warning, not a fatal
// alert: the server declines, as RFC 5746 lets it.
func TestServerRefusesRenegotiation(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	ec := opensslKeyPair(t, dir, "ec", "EC:P-256")
	ps := startPeerServer(t, &Config{Certificates: []Certificate{ec.certificate}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", ps.addr, "-CAfile", ec.ca, "-tls1_2")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "ping\n")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && !strings.Contains(out.String(), "\nping\n"); {
		time.Sleep(10 * time.Millisecond)
	}
	io.WriteString(stdin, "R\n")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && !strings.Contains(out.String(), "no renegotiation"); {
		time.Sleep(10 * time.Millisecond)
	}
	stdin.Close()
	cmd.Wait()
	run := ps.wait(t)
	if !strings.Contains(out.String(), "no renegotiation") {
		t.Errorf("s_client was not told no_renegotiation:\n%s", out.String())
	}
	if run.err != nil {
		t.Fatalf("the handshake failed: %v", run.err)
	}
	run.check(t, append(slices.Clone(flight12), "client:1"), "ping")
}
