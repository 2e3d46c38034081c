package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
)

// TestVerifyURL fetches a chain from a local server through the client's
// dialer: --resolve, --connect-to and --servername reach it under a name
// that is not in DNS, and that name is the one verified.
func TestVerifyURL(t *testing.T) {
	dir := t.TempDir()
	caKey, _ := certgen.GenerateKey("p256")
	caDER, err := certgen.Issue(certgen.Config{CommonName: "verify test CA", Profile: certgen.ProfileCA, Key: caKey})
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := certgen.GenerateKey("p256")
	der, err := certgen.Issue(certgen.Config{CommonName: "verify.test", SANs: []string{"verify.test"}, Profile: certgen.ProfileServer,
		NotAfter: time.Now().Add(time.Hour), Key: key, Issuer: ca, IssuerKey: caKey})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acceptEach(ln, func(c net.Conn) {
		c.(*tls.Conn).Handshake()
		c.Close()
	})
	port := ln.Addr().(*net.TCPAddr).Port
	url := fmt.Sprintf("https://verify.test:%d/", port)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"resolve", []string{url, "--resolve", fmt.Sprintf("verify.test:%d:127.0.0.1", port)}, 0, "verify.test"},
		{"connect-to", []string{url, "--connect-to", fmt.Sprintf("verify.test:%d:127.0.0.1:%d", port, port), "-m", "10s"}, 0, "verify.test"},
		{"servername", []string{fmt.Sprintf("127.0.0.1:%d", port), "--servername", "verify.test", "--connect-timeout", "5s"}, 0, "verify.test"},
		{"wrong name", []string{fmt.Sprintf("127.0.0.1:%d", port)}, exitVerify, "127.0.0.1"},
		{"ipv6 only", []string{url, "--resolve", fmt.Sprintf("verify.test:%d:127.0.0.1", port), "-6"}, exitConnect, ""},
		{"bad resolve", []string{url, "--resolve", "verify.test"}, exitUsage, "--resolve"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCode(append([]string{"verify", "--cacert", caFile}, c.args...)...)
			if code != c.code || !strings.Contains(out+stderr, c.want) {
				t.Errorf("exit %d, want %d: %s%s", code, c.code, out, stderr)
			}
		})
	}
}
