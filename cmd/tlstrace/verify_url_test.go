package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/tlstest"
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

// TestVerifyURLAsLive: verify on a server's URL judges its chain as a
// request to it does, against openssl s_server: a chain sent out of order
// is valid with the request's warning; a path that needs an intermediate
// the server does not send fails, as it fails curl, also when --untrusted
// supplies it (openssl verify takes the chain with it: only the server is
// at fault), and the fix says the server must send it, where for a file
// it says to add it to the chain file.
func TestVerifyURLAsLive(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	disorder, disorderKey := inter.leaf(t, dir, "disorder", nil, root, inter)
	bare, bareKey := inter.leaf(t, dir, "bare", nil)

	t.Run("out-of-order", func(t *testing.T) {
		url := fmt.Sprintf("https://localhost:%d/", sServer(t, disorder, disorderKey, "-naccept", "2"))
		code, _, live := runCode("--cacert", root.file, "-m", "10s", "-o", os.DevNull, url)
		if code != 0 || !strings.Contains(live, "out of order") {
			t.Fatalf("the request: exit %d, stderr %q; want 0 and the out-of-order warning", code, live)
		}
		code, _, stderr := runCode("verify", "--cacert", root.file, "-m", "10s", url)
		if code != 0 || stderr != live {
			t.Errorf("verify URL: exit %d, stderr %q\nwant 0 and the request's warnings %q", code, stderr, live)
		}
	})

	t.Run("intermediate-not-sent", func(t *testing.T) {
		url := fmt.Sprintf("https://localhost:%d/", sServer(t, bare, bareKey, "-naccept", "4"))
		// The oracles: curl refuses the server (60, unable to get local
		// issuer certificate), openssl verify takes the chain with the
		// intermediate.
		if err := exec.Command("curl", "-sS", "--cacert", root.file, "-m", "10", "-o", os.DevNull, url).Run(); err == nil {
			t.Fatal("curl accepts the server that does not send its intermediate")
		}
		osl(t, dir, "verify", "-CAfile", root.file, "-untrusted", inter.file, "-verify_hostname", "localhost", bare)

		code, out, stderr := runCode("verify", "--cacert", root.file, "--untrusted", inter.file, "-m", "10s", url)
		if code != exitVerify {
			t.Errorf("verify --untrusted URL: exit %d, want %d\n%s%s", code, exitVerify, out, stderr)
		}
		for _, want := range []string{`the server does not send the intermediate "CN=intermediate"`, "given with --untrusted", "unable to get local issuer certificate",
			`hint: the server must send "CN=intermediate" after the certificate it signed: add it to the server's chain file`} {
			if !strings.Contains(stderr, want) {
				t.Errorf("verify --untrusted URL: stderr lacks %q:\n%s", want, stderr)
			}
		}
		if !strings.Contains(out, "✗ sent") || !strings.Contains(out, "NOT VALID") {
			t.Errorf("verify --untrusted URL: the link of the intermediate is not marked as not sent:\n%s", out)
		}

		code, _, stderr = runCode("verify", "--cacert", root.file, "-m", "10s", url)
		if code != exitVerify || !strings.Contains(stderr, "the server must send it after the certificate it signed: add it to the server's chain file") {
			t.Errorf("verify URL: exit %d, stderr %q; want %d and a fix saying the server must send it", code, stderr, exitVerify)
		}
		code, _, live := runCode("--cacert", root.file, "-m", "10s", url)
		if code != exitVerify || live != stderr {
			t.Errorf("the request: exit %d, stderr %q\nwant %d and verify URL's %q", code, live, exitVerify, stderr)
		}
		code, _, stderr = runCode("verify", "--cacert", root.file, "--name", "localhost", bare)
		if code != exitVerify || !strings.Contains(stderr, "add it to the chain file after the certificate it signed") {
			t.Errorf("verify FILE: exit %d, stderr %q; want %d and a fix saying to add it to the chain file", code, stderr, exitVerify)
		}
	})
}
