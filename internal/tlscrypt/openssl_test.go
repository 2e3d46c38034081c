package tlscrypt

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// opensslConnection runs one connection from openssl s_client to openssl
// s_server -www through a recording proxy. The client sends an HTTP/1.0
// GET and the server answers with its status page.
func opensslConnection(t *testing.T, dir string, clientArgs []string) *transcript {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	srv := exec.CommandContext(ctx, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-www",
		"-cert", filepath.Join(dir, "cert.pem"), "-key", filepath.Join(dir, "key.pem"),
		"-cipher", "ALL:@SECLEVEL=0", "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Wait()
	sc := bufio.NewScanner(out)
	var serverAddr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			serverAddr = a
			break
		}
	}
	if serverAddr == "" {
		t.Fatal("s_server did not say where it listens")
	}
	go io.Copy(io.Discard, out)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var toServer, toClient bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp", serverAddr)
		if err != nil {
			return
		}
		defer s.Close()
		done := make(chan struct{})
		go func() {
			io.Copy(io.MultiWriter(s, &toServer), c)
			s.(*net.TCPConn).CloseWrite()
			close(done)
		}()
		io.Copy(io.MultiWriter(c, &toClient), s)
		c.(*net.TCPConn).CloseWrite()
		<-done
	}()

	keyLog := filepath.Join(t.TempDir(), "keys.txt")
	args := append([]string{"s_client", "-connect", ln.Addr().String(), "-keylogfile", keyLog, "-ign_eof", "-quiet"}, clientArgs...)
	cli := exec.CommandContext(ctx, "openssl", args...)
	request := "GET / HTTP/1.0\r\n\r\n"
	cli.Stdin = strings.NewReader(request)
	var cliOut bytes.Buffer
	cli.Stdout, cli.Stderr = &cliOut, &cliOut
	if err := cli.Run(); err != nil {
		t.Fatalf("s_client %v: %v\n%s", clientArgs, err, cliOut.Bytes())
	}
	wg.Wait()
	kl, err := os.ReadFile(keyLog)
	if err != nil {
		t.Fatal(err)
	}
	return &transcript{client: toServer.Bytes(), server: toClient.Bytes(), keyLog: kl,
		clientData: [][]byte{[]byte(request)}}
}

// TestOpenSSLInterop decrypts connections between openssl s_client and
// s_server for what crypto/tls does not speak: encrypt_then_mac (on by
// default in OpenSSL), AES-CCM and AES-CCM-8 in TLS 1.2 and 1.3, SHA-384
// CBC suites and DHE. It is skipped without an openssl binary, except under CI.
func TestOpenSSLInterop(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	if testing.Short() {
		t.Skip("runs openssl")
	}
	dir := t.TempDir()
	writeCert(t, dir, testCertificate(t, false))
	tests := []struct {
		args []string
		etm  bool
	}{
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"}, true},
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0", "-no_etm"}, false},
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0"}, true},
		{[]string{"-tls1", "-cipher", "ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"}, true},
		{[]string{"-tls1_1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"}, true},
		{[]string{"-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0", "-no_etm"}, false},
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-CCM:@SECLEVEL=0"}, false},
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-CCM8:@SECLEVEL=0"}, false},
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:@SECLEVEL=0"}, false},
		{[]string{"-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"}, false},
		{[]string{"-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"}, false},
		{[]string{"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"}, false},
		{[]string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			tr := opensslConnection(t, dir, tt.args)
			tr.wantETM = tt.etm
			clientApp, serverApp := decryptTranscript(t, tr)
			if !bytes.Equal(clientApp, tr.clientData[0]) {
				t.Errorf("client sent %q", clientApp)
			}
			if !bytes.HasPrefix(serverApp, []byte("HTTP/1.0 200 ok\r\n")) {
				t.Errorf("server sent %.40q", serverApp)
			}
		})
	}
}

func writeCert(t testing.TB, dir string, cert tls.Certificate) {
	t.Helper()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}
