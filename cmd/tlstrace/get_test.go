package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestDemo runs `tlstrace demo` and checks the steps of its trace.
func TestDemo(t *testing.T) {
	for _, args := range [][]string{{"demo", "--json"}, {"demo", "--json", "--http1.1", "--tls12"}} {
		events := runJSON(t, args...)
		var steps []string
		for _, ev := range events {
			if ev.Error != "" {
				t.Errorf("%v: %s %s: %s", args, ev.Layer, ev.Type, ev.Error)
			}
			if ev.Type == "encrypted_record" {
				t.Errorf("%v: a record was not decrypted", args)
			}
			if ev.Layer != "tls" || !strings.HasPrefix(ev.Type, "application") {
				steps = append(steps, ev.Layer+" "+ev.From+" "+ev.Type)
			}
		}
		want := []string{"dns local lookup", "tcp local connect", "tls client client_hello", "tls server server_hello",
			"tls server certificate", "x509 local verify", "tls client finished", "info local handshake_complete",
			"http client request", "http server response", "http server body", "info local timing"}
		if slices.Contains(args, "--tls12") {
			want = slices.Insert(want, 5, "tls server server_key_exchange", "tls server server_hello_done")
		} else {
			want = slices.Insert(want, 4, "tls server encrypted_extensions")
		}
		if !isSubsequence(want, steps) {
			t.Errorf("%v: steps\n%v\nlack, in order,\n%v", args, steps, want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"demo"}, &out, &errb); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errb.String())
	}
	for _, w := range []string{"ClientHello", "EncryptedExtensions  ALPN h2, [decrypted]", "Verify  trusted", "HTTP Response  HTTP/2.0 200\n", "TLS handshake"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("demo output lacks %q:\n%s", w, out.String())
		}
	}
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// testCA is a CA made for a test, with its certificate written to a file.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	file string
}

func newTestCA(t *testing.T, dir, name string, parent *testCA) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: c, key: key, file: filepath.Join(dir, name+".pem")}
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// leaf issues a localhost server certificate, changed by tweak, and writes
// it followed by chain into name.pem, its key into name.key. A nil ca makes
// it self-signed.
func (ca *testCA) leaf(t *testing.T, dir, name string, tweak func(*x509.Certificate), chain ...*testCA) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return ca.leafWithKey(t, dir, name, key, tweak, chain...)
}

// leafWithKey is leaf with a given key (an RSA key for the RSA suites).
func (ca *testCA) leafWithKey(t *testing.T, dir, name string, key crypto.Signer, tweak func(*x509.Certificate), chain ...*testCA) (string, string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tweak != nil {
		tweak(tmpl)
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if ca != nil {
		issuer, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	// name.pem holds the leaf and its chain; name-chain.pem the chain only
	// (openssl s_server -cert_chain).
	var extra []byte
	for _, c := range chain {
		b, _ := os.ReadFile(c.file)
		extra = append(extra, b...)
	}
	if len(extra) > 0 {
		b, _ := os.ReadFile(certFile)
		os.WriteFile(certFile, append(b, extra...), 0o644)
		os.WriteFile(strings.TrimSuffix(certFile, ".pem")+"-chain.pem", extra, 0o644)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	writePEM(t, keyFile, "PRIVATE KEY", kd)
	return certFile, keyFile
}

// pki is a root, an intermediate, a localhost server certificate it
// issued (with the chain), and a client certificate from the root.
type pki struct {
	root, inter           *testCA
	cert, key             string
	clientCert, clientKey string
	leaf                  *x509.Certificate
}

func newPKI(t *testing.T, dir string) *pki {
	t.Helper()
	p := &pki{root: newTestCA(t, dir, "root", nil)}
	p.inter = newTestCA(t, dir, "intermediate", p.root)
	p.cert, p.key = p.inter.leaf(t, dir, "server", nil, p.inter)
	p.clientCert, p.clientKey = p.root.leaf(t, dir, "client", func(c *x509.Certificate) {
		c.Subject.CommonName = "test client"
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	b, _ := os.ReadFile(p.cert)
	p.leaf, _ = parseFirstCert(b)
	return p
}

// writeStaple writes an OCSP response with the given status for leaf,
// signed by its issuer ca, and returns the file name.
func writeStaple(t *testing.T, dir string, ca *testCA, leaf *x509.Certificate, status int) string {
	t.Helper()
	now := time.Now()
	resp, err := ocsp.CreateResponse(ca.cert, ca.cert, ocsp.Response{
		Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
		RevokedAt: now.Add(-time.Minute), RevocationReason: ocsp.KeyCompromise,
	}, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, fmt.Sprintf("staple-%x.der", leaf.SerialNumber))
	os.WriteFile(name, resp, 0o644)
	return name
}

// sServer starts `openssl s_server -www` for one connection and returns its
// port.
func sServer(t *testing.T, cert, key string, args ...string) int {
	t.Helper()
	port := tlstest.FreePort(t)
	all := append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-www", "-naccept", "1"}, chainArgs(cert)...)
	all = append(all, args...)
	startServer(t, "ACCEPT", "openssl", all...)
	return port
}

// chainArgs passes the intermediates of a leaf made by testCA.leaf to
// openssl s_server, which takes only the first certificate of -cert.
func chainArgs(cert string) []string {
	chain := strings.TrimSuffix(cert, ".pem") + "-chain.pem"
	if _, err := os.Stat(chain); err == nil {
		return []string{"-cert_chain", chain}
	}
	return nil
}

func chainOf(cert string) string { return strings.TrimSuffix(cert, ".pem") + "-chain.pem" }

func runCode(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// checkRunFailed checks that the JSON Lines out of a run that failed
// end with its run_failed event, which says what stderr says: the error,
// the hint, and the exit code, with the step that code stands for.
func checkRunFailed(t *testing.T, out, stderr string, code int) {
	t.Helper()
	evs := parseEvents(t, out)
	if len(evs) == 0 || evs[len(evs)-1].Type != "run_failed" {
		t.Errorf("the JSON does not end with run_failed:\n%s", out)
		return
	}
	ev := evs[len(evs)-1]
	var f struct {
		Step     string `json:"step"`
		ExitCode int    `json:"exit_code"`
		Hint     string `json:"hint"`
	}
	if err := json.Unmarshal(ev.Fields, &f); err != nil {
		t.Fatal(err)
	}
	said := "tlstrace: error: " + ev.Error + "\n"
	if f.Hint != "" {
		said += "tlstrace: hint: " + f.Hint + "\n"
	}
	step := map[int]string{exitUsage: "usage", exitDNS: "dns", exitConnect: "connect", exitTLS: "tls", exitVerify: "verify", exitHTTP: "http"}[code]
	if ev.Conn != 0 || ev.From != "local" || ev.Layer != "info" || !strings.HasSuffix(stderr, said) || f.ExitCode != code || f.Step != step {
		t.Errorf("run_failed %+v %+v, want step %q, exit code %d and what stderr says:\n%s", ev, f, step, code, stderr)
	}
}

// TestGetFailures checks that each way a connection fails gives its exit
// code, one line of cause and one of fix.
func TestGetFailures(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	other := newTestCA(t, dir, "other-root", nil)
	type tc struct {
		name  string
		cert  func() (string, string)
		srv   []string
		flags []string
		code  int
		cause string
	}
	now := time.Now()
	cases := []tc{
		{"expired", func() (string, string) {
			return inter.leaf(t, dir, "expired", func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-72*time.Hour), now.Add(-24*time.Hour) }, inter)
		}, nil, nil, exitVerify, "expired on"},
		{"not-yet-valid", func() (string, string) {
			return inter.leaf(t, dir, "future", func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(24*time.Hour), now.Add(72*time.Hour) }, inter)
		}, nil, nil, exitVerify, "is not valid before"},
		{"wrong-host", func() (string, string) {
			return inter.leaf(t, dir, "wronghost", func(c *x509.Certificate) { c.DNSNames, c.IPAddresses = []string{"www.example.org"}, nil }, inter)
		}, nil, nil, exitVerify, "not valid for localhost: it lists only www.example.org"},
		{"self-signed", func() (string, string) { return (*testCA)(nil).leaf(t, dir, "self", nil) }, nil, nil, exitVerify, "self-signed"},
		{"unknown-ca", func() (string, string) { return other.leaf(t, dir, "unknown", nil, other) }, nil, nil, exitVerify, "not a trusted CA"},
		{"missing-intermediate", func() (string, string) { return inter.leaf(t, dir, "nointer", nil) }, nil, nil, exitVerify, `issued by "CN=intermediate", which was not sent`},
		{"no-common-version", func() (string, string) { return inter.leaf(t, dir, "v12", nil, inter) }, []string{"-tls1_2"}, []string{"--tlsv1.3"}, exitTLS, "no TLS version in common"},
		{"no-common-suite", func() (string, string) { return inter.leaf(t, dir, "suite", nil, inter) }, []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"}, []string{"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"}, exitTLS, "no cipher suite"},
		{"client-certificate-required", func() (string, string) { return inter.leaf(t, dir, "mtls", nil, inter) }, []string{"-Verify", "1", "-CAfile", root.file}, nil, exitTLS, "requires a client certificate"},
		{"pin-mismatch", func() (string, string) { return inter.leaf(t, dir, "pin", nil, inter) }, nil, []string{"--pinnedpubkey", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, exitVerify, "matches none of the pinned keys"},
		{"no-ocsp-staple", func() (string, string) { return inter.leaf(t, dir, "ocsp", nil, inter) }, nil, []string{"--cert-status"}, exitVerify, "stapled no OCSP response"},
	}
	// The client's advice is worded with the flags here, in the hint and
	// in the verify event's fix and error alike.
	said := map[string]struct{ hint, event string }{
		"pin-mismatch":   {"if the key changed on purpose, update --pinnedpubkey", `"fix":"if the key changed on purpose, update --pinnedpubkey"`},
		"no-ocsp-staple": {"enable OCSP stapling on the server, or drop --cert-status", `"error":"the server stapled no OCSP response (--cert-status asks for one)"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cert, key := c.cert()
			port := sServer(t, cert, key, c.srv...)
			args := append([]string{fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "-m", "10s", "--json"}, c.flags...)
			w, words := said[c.name]
			code, out, stderr := runCode(args...)
			checkRunFailed(t, out, stderr, code)
			if words && (!strings.Contains(stderr, "tlstrace: hint: "+w.hint+"\n") || !strings.Contains(out, w.event)) {
				t.Errorf("want the hint %q and the event's %s:\n%s\n%s", w.hint, w.event, stderr, out)
			}
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "tlstrace: error: ") || !strings.HasPrefix(lines[1], "tlstrace: hint: ") {
				t.Errorf("want a cause line and a hint line, got:\n%s", stderr)
			}
			if !strings.Contains(stderr, c.cause) {
				t.Errorf("cause lacks %q:\n%s", c.cause, stderr)
			}
		})
	}
	// -k waives the chain's verdict, not the pin nor --cert-status: curl
	// checks both with -k too (exit 90 and 91), and -k --pinnedpubkey is
	// how a self-signed server is trusted by its key.
	t.Run("insecure-keeps-pin-and-status", func(t *testing.T) {
		cert, key := (*testCA)(nil).leaf(t, dir, "self-k", nil)
		b, _ := os.ReadFile(cert)
		leaf, _ := parseFirstCert(b)
		pin := "sha256//" + sha256b64(leaf.RawSubjectPublicKeyInfo)
		for _, k := range []struct {
			flags []string
			code  int
			said  string
		}{
			{[]string{"--pinnedpubkey", pin}, 0, "NOT trusted; going on because of --insecure"},
			{[]string{"--pinnedpubkey", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, exitVerify, "matches none of the pinned keys"},
			{[]string{"--cert-status"}, exitVerify, "stapled no OCSP response"},
			{[]string{"--engine", "own", "--pinnedpubkey", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, exitVerify, "matches none of the pinned keys"},
		} {
			url := fmt.Sprintf("https://localhost:%d/", sServer(t, cert, key))
			code, out, stderr := runCode(append([]string{url, "-k", "-m", "10s"}, k.flags...)...)
			if code != k.code || !strings.Contains(out+stderr, k.said) {
				t.Errorf("-k %q: exit %d, want %d and %q:\n%s\n%s", k.flags, code, k.code, k.said, out, stderr)
			}
		}
	})
	for _, status := range []int{ocsp.Good, ocsp.Revoked} {
		name := map[int]string{ocsp.Good: "ocsp-good", ocsp.Revoked: "ocsp-revoked"}[status]
		t.Run(name, func(t *testing.T) {
			cert, key := inter.leaf(t, dir, name, nil, inter)
			b, _ := os.ReadFile(cert)
			leaf, _ := parseFirstCert(b)
			staple := writeStaple(t, dir, inter, leaf, status)
			port := sServer(t, cert, key, "-status_file", staple)
			code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--json")
			if status == ocsp.Good {
				if code != 0 || !strings.Contains(out, `"ocsp":"good"`) {
					t.Errorf("exit %d, %s", code, stderr)
				}
				return
			}
			if code != exitVerify || !strings.Contains(stderr, "was revoked") || !strings.Contains(out, `"ocsp":"revoked"`) {
				t.Errorf("exit %d, %s", code, stderr)
			}
		})
	}
	t.Run("ocsp-signed-by-ca-with-its-certificate", func(t *testing.T) {
		// openssl ocsp -rsigner CA: the issuer signs and puts its own
		// certificate in the response, which curl and OpenSSL accept.
		cert, key := inter.leaf(t, dir, "ocsp-openssl", nil, inter)
		b, _ := os.ReadFile(cert)
		leaf, _ := parseFirstCert(b)
		der, err := x509.MarshalPKCS8PrivateKey(inter.key)
		if err != nil {
			t.Fatal(err)
		}
		interKey := filepath.Join(dir, "intermediate-key.pem")
		os.WriteFile(interKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		index := filepath.Join(dir, "ocsp-index.txt")
		os.WriteFile(index, fmt.Appendf(nil, "V\t%s\t\t%X\tunknown\t/CN=ocsp-openssl\n", time.Now().Add(24*time.Hour).UTC().Format("060102150405Z"), leaf.SerialNumber), 0o644)
		staple := filepath.Join(dir, "ocsp-openssl.der")
		if out, err := exec.Command("openssl", "ocsp", "-index", index, "-rsigner", inter.file, "-rkey", interKey, "-CA", inter.file,
			"-issuer", inter.file, "-cert", cert, "-respout", staple, "-ndays", "1").CombinedOutput(); err != nil {
			t.Fatalf("openssl ocsp: %v\n%s", err, out)
		}
		port := sServer(t, cert, key, "-status_file", staple)
		code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--json")
		if code != 0 || !strings.Contains(out, `"ocsp":"good"`) {
			t.Errorf("exit %d, %s", code, stderr)
		}
	})
	t.Run("chain-order", func(t *testing.T) {
		// The chain sent root first: trusted all the same, with a
		// warning; sent in order, without.
		for _, c := range []struct {
			name  string
			chain []*testCA
			warn  bool
		}{{"misordered", []*testCA{root, inter}, true}, {"ordered", []*testCA{inter, root}, false}} {
			cert, key := inter.leaf(t, dir, c.name, nil, c.chain...)
			port := sServer(t, cert, key)
			code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--json")
			warned := strings.Contains(stderr, `tlstrace: warning: the server sends its chain out of order: certificate [1] "CN=root" did not issue certificate [0] "CN=localhost", which was issued by "CN=intermediate"`) &&
				strings.Contains(out, `"warnings":[{"cause":"the server sends its chain out of order`)
			if code != 0 || warned != c.warn {
				t.Errorf("%s: exit %d, warned %v, want 0, %v: %s", c.name, code, warned, c.warn, stderr)
			}
		}
	})
	t.Run("insecure", func(t *testing.T) {
		cert, key := (*testCA)(nil).leaf(t, dir, "self-k", nil)
		port := sServer(t, cert, key)
		code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "-k", "--json")
		if code != 0 {
			t.Fatalf("-k: exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "warning: --insecure") {
			t.Errorf("-k did not warn: %q", stderr)
		}
		if !strings.Contains(out, `"verdict":"NOT trusted; going on because of --insecure"`) {
			t.Errorf("-k: the verdict does not say the chain is not trusted")
		}
	})
	t.Run("refused", func(t *testing.T) {
		code, _, stderr := runCode(fmt.Sprintf("https://127.0.0.1:%d/", tlstest.FreePort(t)))
		if code != exitConnect || !strings.Contains(stderr, "refused") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			// Accept and say nothing.
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		start := time.Now()
		code, _, stderr := runCode(fmt.Sprintf("https://%s/", ln.Addr()), "-m", "1s")
		if code != exitTLS || !strings.Contains(stderr, "timed out") {
			t.Errorf("exit %d: %s", code, stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("-m 1s took %v", d)
		}
	})
	t.Run("plain-http", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		code, _, stderr := runCode(fmt.Sprintf("https://%s/", ln.Addr()))
		if code != exitTLS || !strings.Contains(stderr, "plain HTTP") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

// TestGetOptions checks curl's options against openssl s_server.
func TestGetOptions(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := newPKI(t, dir)
	root, cert, key, clientCert, clientKey, leaf := p.root, p.cert, p.key, p.clientCert, p.clientKey, p.leaf
	pin := "sha256//" + sha256b64(leaf.RawSubjectPublicKeyInfo)
	for _, c := range []struct {
		name  string
		srv   []string
		flags []string
		want  []string // substrings of the JSON output
	}{
		{"tls12-suite", []string{"-tls1_2"}, []string{"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"}, []string{`"cipher_suite":"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"`, `"version":"TLS 1.2"`}},
		{"tls13", nil, []string{"--tlsv1.3"}, []string{`"version":"TLS 1.3"`}},
		{"curves", nil, []string{"--curves", "P-384"}, []string{`"group":"secp384r1"`}},
		{"pin", nil, []string{"--pinnedpubkey", pin}, []string{`"public_key_pin":"` + pin}},
		{"mtls", []string{"-Verify", "1", "-CAfile", root.file}, []string{"--cert", clientCert, "--key", clientKey}, []string{`"type":"certificate_verify"`, `"from":"client","layer":"tls","type":"certificate"`}},
		{"http1.1", nil, []string{"--http1.1"}, []string{`"alpn"`, `"proto":"HTTP/1.0"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := sServer(t, cert, key, append([]string{"-alpn", "http/1.1"}, c.srv...)...)
			args := append([]string{fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--json", "-m", "10s"}, c.flags...)
			code, out, stderr := runCode(args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s", w)
				}
			}
		})
	}
}

func parseFirstCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	return x509.ParseCertificate(blk.Bytes)
}

// TestGetAgainstTshark captures tlstrace's own connections to real servers
// and checks that the TLS messages it shows, each way, are those tshark
// decodes from the capture with the key log tlstrace wrote (SSLKEYLOGFILE).
func TestGetAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "gnutls-serv", "nginx", "dumpcap", "tshark")
	dir := t.TempDir()
	p := newPKI(t, dir)
	root, inter, cert, key, clientCert, clientKey, leaf := p.root, p.inter, p.cert, p.key, p.clientCert, p.clientKey, p.leaf
	rsaKeyPair, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaCert, rsaKey := inter.leafWithKey(t, dir, "server-rsa", rsaKeyPair, nil, inter)
	stapleFile := writeStaple(t, dir, inter, leaf, ocsp.Good)
	keylog := filepath.Join(dir, "keys.txt")
	t.Setenv("SSLKEYLOGFILE", keylog)
	type server struct {
		name  string
		start func(port int)
		flags []string
	}
	servers := []server{
		{"openssl-tls13", func(port int) {
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-cert_chain", chainOf(cert), "-www", "-naccept", "1", "-tls1_3")
		}, nil},
		{"openssl-tls12-rsa", func(port int) {
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", rsaCert, "-key", rsaKey, "-cert_chain", chainOf(rsaCert), "-www", "-naccept", "1", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		}, nil},
		{"openssl-tls12", func(port int) {
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-cert_chain", chainOf(cert), "-www", "-naccept", "1", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
		}, nil},
		{"gnutls-serv", func(port int) {
			startServer(t, "HTTP Server listening", "gnutls-serv", "--http", "-p", strconv.Itoa(port), "--x509certfile", cert, "--x509keyfile", key)
		}, []string{"--http1.1"}},
		{"openssl-resumed", func(port int) {
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-cert_chain", chainOf(cert), "-www", "-naccept", "2")
		}, []string{"--reconnect", "1"}},
		{"openssl-mtls", func(port int) {
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-cert_chain", chainOf(cert), "-www", "-naccept", "1", "-Verify", "1", "-CAfile", root.file)
		}, []string{"--cert", clientCert, "--key", clientKey}},
		{"openssl-ocsp-staple", func(port int) {
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-cert_chain", chainOf(cert), "-www", "-naccept", "1", "-status_file", stapleFile, "-tls1_2")
		}, []string{"--cert-status"}},
		{"nginx-h2", func(port int) {
			startNginx(t, dir, cert, key, port, tlstest.FreePort(t))
		}, nil},
	}
	base := 10000 + int(time.Now().UnixNano()%20000) // below the ephemeral ports
	pcap := filepath.Join(dir, "get.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp portrange %d-%d", base, base+len(servers)-1), pcap)
	outputs := make([]string, len(servers))
	for i, s := range servers {
		s.start(base + i)
		args := append([]string{fmt.Sprintf("https://localhost:%d/", base+i), "--cacert", root.file, "--json", "-m", "10s"}, s.flags...)
		code, out, stderr := runCode(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", s.name, code, stderr)
		}
		outputs[i] = out
	}
	stop()
	if i := slices.IndexFunc(servers, func(s server) bool { return s.name == "openssl-resumed" }); !strings.Contains(outputs[i], `"resumed":true`) {
		t.Errorf("--reconnect 1 did not resume the session")
	}
	decodeAs := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(servers)-1)
	t.Run("read", func(t *testing.T) {
		// The capture of these connections read back: field by field
		// what tshark shows.
		checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: decodeAs, events: runJSON(t, "read", pcap, "--keylog", keylog, "--json")})
	})
	oracle := tsharkDirections(t, pcap, decodeAs, keylog, func(p int) bool { return p >= base && p < base+len(servers) })
	h2Oracle := tsharkBySide(t, pcap, decodeAs, keylog, "http2.type", func(p int) bool { return p >= base && p < base+len(servers) })
	stream := 0
	for i, s := range servers {
		var events []jsonEvent
		for _, line := range strings.Split(strings.TrimSpace(outputs[i]), "\n") {
			var ev jsonEvent
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			events = append(events, ev)
		}
		conns := map[int]bool{}
		for _, ev := range events {
			conns[ev.Conn] = true
		}
		for conn := 1; conn <= len(conns); conn++ {
			got := map[string][]string{}
			for _, ev := range events {
				if ev.Conn != conn || ev.Layer != "tls" {
					continue
				}
				if ev.Type == "encrypted_record" {
					t.Errorf("%s: a record was not decrypted: %s", s.name, ev.Error)
				}
				if code, ok := handshakeCode(ev.Type); ok {
					got[ev.From] = append(got[ev.From], strconv.Itoa(code))
				}
			}
			if s.name == "nginx-h2" {
				checkH2Frames(t, events, conn, h2Oracle[stream])
			}
			want := oracle[stream]
			for _, side := range []string{"client", "server"} {
				if !slices.Equal(got[side], want[side]) {
					t.Errorf("%s conn %d, %s's handshake messages:\n tlstrace %v\n tshark   %v", s.name, conn, side, got[side], want[side])
				}
			}
			stream++
		}
	}
}

// tsharkDirections returns, per TCP stream, the handshake types tshark
// decodes from each side, in order.
func tsharkDirections(t *testing.T, pcap, decodeAs, keylog string, serverPort func(int) bool) map[int]map[string][]string {
	return tsharkBySide(t, pcap, decodeAs, keylog, "tls.handshake.type", serverPort)
}

// tsharkBySide returns, per TCP stream, the values of a tshark field seen
// in the frames each side sent, in order.
func tsharkBySide(t *testing.T, pcap, decodeAs, keylog, fieldName string, serverPort func(int) bool) map[int]map[string][]string {
	t.Helper()
	out := tshark(t, "-r", pcap, "-d", decodeAs, "-o", "tls.keylog_file:"+keylog, "-Y", fieldName,
		"-T", "fields", "-E", "separator=/t", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", fieldName)
	m := map[int]map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		s, _ := strconv.Atoi(f[0])
		src, _ := strconv.Atoi(f[1])
		side := "client"
		if serverPort(src) {
			side = "server"
		}
		if m[s] == nil {
			m[s] = map[string][]string{}
		}
		m[s][side] = append(m[s][side], strings.Split(f[2], ",")...)
	}
	return m
}

// TestGetCurlFormat checks that --format curl prints the TLS lines `curl -v`
// prints against the same server, plus the server's ChangeCipherSpec.
func TestGetCurlFormat(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "nginx", "gnutls-serv")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	cert, key := inter.leaf(t, dir, "server", nil, inter)
	rsaKeyPair, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaCert, rsaKey := inter.leafWithKey(t, dir, "server-rsa", rsaKeyPair, nil, inter)
	sslServer := func(args ...string) func() int {
		return func() int { return sServer(t, cert, key, args...) }
	}
	nginxPort, gnutlsPort := 0, 0
	for _, c := range []struct {
		name  string
		start func() int // a server for one connection, or one that stays
	}{
		{"tls13", sslServer("-tls1_3")},
		{"tls12", sslServer("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")},
		{"tls12-rsa", func() int {
			return sServer(t, rsaCert, rsaKey, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		}},
		{"nginx", func() int {
			if nginxPort == 0 {
				nginxPort, _ = startNginx(t, dir, cert, key)
			}
			return nginxPort
		}},
		{"gnutls-serv", func() int {
			if gnutlsPort == 0 {
				gnutlsPort = tlstest.FreePort(t)
				startServer(t, "HTTP Server listening", "gnutls-serv", "--http", "-p", strconv.Itoa(gnutlsPort), "--x509certfile", cert, "--x509keyfile", key)
			}
			return gnutlsPort
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := c.start()
			url := fmt.Sprintf("https://localhost:%d/", port)
			cmd := exec.Command("curl", "-v", "-sS", "-o", "/dev/null", "--cacert", root.file, url)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, b)
			}
			want := tlsLines(string(b))
			port = c.start()
			code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--format", "curl")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got := tlsLines(out)
			// The suite may differ: OpenSSL's client prefers AES-256,
			// crypto/tls AES-128.
			got = slices.DeleteFunc(got, func(s string) bool { return strings.HasPrefix(s, "* SSL connection") })
			want = slices.DeleteFunc(want, func(s string) bool { return strings.HasPrefix(s, "* SSL connection") })
			serverCCS := func(s string) bool { return strings.HasSuffix(s, "(IN), TLS change cipher, Change cipher spec (1):") }
			if !slices.ContainsFunc(got, serverCCS) {
				t.Errorf("the server's ChangeCipherSpec is missing")
			}
			got = slices.DeleteFunc(got, serverCCS)
			if strings.Contains(string(b), "left intact") {
				// curl keeps a kept-alive connection for reuse and exits
				// without close_notify; tlstrace closes it properly.
				got = slices.DeleteFunc(got, func(s string) bool { return strings.HasSuffix(s, "(OUT), TLS alert, close notify (256):") })
			}
			if !slices.Equal(got, want) {
				t.Errorf("TLS lines differ\n tlstrace:\n  %s\n curl -v:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func tlsLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "* TLSv") || strings.HasPrefix(l, "* SSL connection using") {
			if strings.HasPrefix(l, "* SSL connection using") {
				// curl 7.88 does not print the group.
				parts := strings.Split(l, " / ")
				l = strings.Join(parts[:min(2, len(parts))], " / ")
			}
			out = append(out, l)
		}
	}
	return out
}

// startNginx runs nginx with an HTTPS server (HTTP/2, the full chain) on
// one port and a plain HTTP server that redirects to it on another. It
// returns the two ports.
func startNginx(t *testing.T, dir, cert, key string, ports ...int) (int, int) {
	t.Helper()
	tlstest.RequirePeer(t, "nginx")
	httpsPort, httpPort := tlstest.FreePort(t), tlstest.FreePort(t)
	if len(ports) == 2 {
		httpsPort, httpPort = ports[0], ports[1]
	}
	conf := filepath.Join(dir, "nginx.conf")
	os.MkdirAll(filepath.Join(dir, "nginx"), 0o755)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	fmt.Fprintf(mustCreate(t, conf), `%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	server {
		listen 127.0.0.1:%[3]d ssl http2;
		ssl_certificate %[4]s;
		ssl_certificate_key %[5]s;
		location / {
			add_header X-Test "$http_x_test";
			return 200 "method=$request_method proto=$server_protocol\n";
		}
	}
	server {
		listen 127.0.0.1:%[6]d;
		location / { return 302 https://localhost:%[3]d/landed; }
	}
}
`, user, filepath.Join(dir, "nginx"), httpsPort, cert, key, httpPort)
	cmd := exec.Command("nginx", "-c", conf, "-p", filepath.Join(dir, "nginx"), "-e", filepath.Join(dir, "nginx", "error.log"))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		runWait(cmd, 10*time.Second)
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpPort))
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("nginx did not start: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return httpsPort, httpPort
}

func mustCreate(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestGetNginx: HTTP/2 and a full chain, a redirect from plain HTTP to
// HTTPS (-L), HEAD, POST, request headers, and --http1.1.
func TestGetNginx(t *testing.T) {
	tlstest.RequirePeer(t, "nginx")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	cert, key := inter.leaf(t, dir, "server", nil, inter)
	httpsPort, httpPort := startNginx(t, dir, cert, key)
	https := fmt.Sprintf("https://localhost:%d/", httpsPort)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"h2", []string{https}, []string{`"alpn":"h2"`, `"proto":"HTTP/2.0"`, `"status":200`, `"verified_chain":["CN=localhost","CN=intermediate","CN=root"]`, `"type":"h2_frame"`, `":status: 200"`, `"name":"SETTINGS"`}},
		{"http1.1", []string{https, "--http1.1"}, []string{`"alpn":"http/1.1"`, `"proto":"HTTP/1.1"`}},
		{"redirect", []string{fmt.Sprintf("http://localhost:%d/", httpPort), "-L"}, []string{`"status":302`, `"url":"https://localhost:` + strconv.Itoa(httpsPort) + `/landed"`, `"conn":2`}},
		{"head", []string{https, "-I"}, []string{`"method":"HEAD"`}},
		{"post", []string{https, "-d", "a=b"}, []string{`"method":"POST"`, `"content-length: 3"`, `"body_length":3`}},
		{"post-http1.1", []string{https, "-d", "a=b", "--http1.1"}, []string{`"method":"POST"`, `"Content-Length: 3"`, `"body_length":3`}},
		// HTTP/2 writes header names in lower case.
		{"header", []string{https, "-H", "X-Test: hello"}, []string{`"x-test: hello"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCode(append(c.args, "--cacert", root.file, "--json", "-m", "10s")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s", w)
				}
			}
		})
	}
	// curl -H "Name:" removes a header, User-Agent too: net/http must not
	// put its own in its place.
	for _, proto := range []string{"--http2", "--http1.1"} {
		t.Run("no-user-agent"+proto, func(t *testing.T) {
			code, out, stderr := runCode(https, proto, "-H", "User-Agent:", "-H", "Accept:", "--cacert", root.file, "--json", "-m", "10s")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if low := strings.ToLower(out); !strings.Contains(low, `"type":"request"`) || strings.Contains(low, "user-agent") || strings.Contains(low, "accept:") {
				t.Errorf("the request has a User-Agent or Accept header:\n%s", out)
			}
		})
	}
	t.Run("body", func(t *testing.T) {
		code, out, stderr := runCode(https, "--cacert", root.file, "--body", "-X", "PUT")
		if code != 0 || !strings.Contains(out, "method=PUT proto=HTTP/2.0") {
			t.Errorf("exit %d: %s\n%s", code, stderr, out)
		}
	})
}

// TestPcapOut checks that --pcap writes a capture that tshark decrypts
// with no key log file (the secrets are embedded), and that tlstrace read
// decodes the same messages.
func TestPcapOut(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	file := filepath.Join(t.TempDir(), "demo.pcapng")
	code, live, stderr := runCode("demo", "--json", "--pcap", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("--pcap file: %v (mode %v), want 0600", err, fi.Mode())
	}
	out := tshark(t, "-r", file, "-Y", "http2.header.name == \":status\"", "-T", "fields", "-e", "http2.header.value")
	if !strings.Contains(out, "200") {
		t.Errorf("tshark did not decrypt the HTTP/2 response: %q", out)
	}
	var liveTypes, readTypes []string
	for _, line := range strings.Split(strings.TrimSpace(live), "\n") {
		var ev jsonEvent
		json.Unmarshal([]byte(line), &ev)
		if ev.Layer == "tls" || ev.Type == "h2_frame" {
			liveTypes = append(liveTypes, ev.From+" "+ev.Type)
		}
	}
	for _, ev := range runJSON(t, "read", file, "--json") {
		if ev.Layer == "tls" || ev.Type == "h2_frame" {
			readTypes = append(readTypes, ev.From+" "+ev.Type)
		}
	}
	if !slices.Contains(readTypes, "server h2_frame") {
		t.Errorf("read decoded no HTTP/2 frames from the capture")
	}
	if !slices.Equal(liveTypes, readTypes) {
		t.Errorf("read of the --pcap file\n %v\nlive\n %v", readTypes, liveTypes)
	}
}

// TestGetMoreOptions: --resolve, --connect-to, -o, --capath,
// CURL_CA_BUNDLE, a PKCS#12 client certificate made by openssl, -4, and
// the clear errors for what crypto/tls cannot do.
func TestGetMoreOptions(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", func(c *x509.Certificate) { c.DNSNames = append(c.DNSNames, "www.test.example") })
	clientCert, clientKey := root.leaf(t, dir, "client", func(c *x509.Certificate) {
		c.Subject.CommonName = "p12 client"
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	p12 := filepath.Join(dir, "client.p12")
	if b, err := exec.Command("openssl", "pkcs12", "-export", "-in", clientCert, "-inkey", clientKey, "-out", p12, "-passout", "pass:secret").CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, b)
	}
	capath := filepath.Join(dir, "capath")
	os.Mkdir(capath, 0o755)
	b, _ := os.ReadFile(root.file)
	os.WriteFile(filepath.Join(capath, "root.pem"), b, 0o644)
	body := filepath.Join(dir, "body.html")

	t.Run("resolve-output-capath", func(t *testing.T) {
		port := sServer(t, cert, key)
		code, _, stderr := runCode(fmt.Sprintf("https://www.test.example:%d/", port), "--resolve", fmt.Sprintf("www.test.example:%d:127.0.0.1", port), "--capath", capath, "-o", body, "-4")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if b, _ := os.ReadFile(body); !bytes.Contains(b, []byte("<HTML>")) && !bytes.Contains(b, []byte("<html>")) {
			t.Errorf("-o wrote %q", first(b))
		}
	})
	t.Run("connect-to-env-ca", func(t *testing.T) {
		port := sServer(t, cert, key)
		t.Setenv("CURL_CA_BUNDLE", root.file)
		code, out, stderr := runCode("https://www.test.example/", "--connect-to", fmt.Sprintf("www.test.example:443:127.0.0.1:%d", port), "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, `"host_name"`) || !strings.Contains(out, "www.test.example") {
			t.Errorf("SNI is not the URL's host")
		}
	})
	// curl's forms: a wildcard host, a host in another case than the
	// URL's, --connect-to's empty HOST1 and PORT1 (any). The name does
	// not resolve: a lookup would fail the run.
	for _, c := range []struct {
		name string
		url  string
		args func(port int) []string
	}{
		{"resolve-wildcard", "https://www.test.example:%d/", func(port int) []string { return []string{"--resolve", fmt.Sprintf("*:%d:127.0.0.1", port)} }},
		{"resolve-case", "https://WWW.Test.Example:%d/", func(port int) []string {
			return []string{"--resolve", fmt.Sprintf("www.test.example:%d:127.0.0.1", port)}
		}},
		{"connect-to-any", "https://www.test.example/?port=%d", func(port int) []string {
			return []string{"--connect-to", fmt.Sprintf("::127.0.0.1:%d", port)}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := sServer(t, cert, key)
			code, out, stderr := runCode(append([]string{fmt.Sprintf(c.url, port), "--cacert", root.file, "--json", "-m", "10s"}, c.args(port)...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(out, fmt.Sprintf(`"remote":"127.0.0.1:%d"`, port)) {
				t.Errorf("not connected to 127.0.0.1:%d:\n%s", port, out)
			}
		})
	}
	// curl: "Couldn't parse CURLOPT_RESOLVE entry" (exit 49); a usage
	// error here, with no lookup of the address.
	for _, arg := range [][]string{{"--resolve", "localhost:42010:notanip"}, {"--resolve", "localhost:x:127.0.0.1"}, {"--connect-to", "localhost:443:127.0.0.1:x"}} {
		code, _, stderr := runCode(append([]string{"https://localhost:42010/"}, arg...)...)
		if code != exitUsage || !strings.Contains(stderr, arg[0]) {
			t.Errorf("%v: exit %d: %s", arg, code, stderr)
		}
	}
	t.Run("p12-client-certificate", func(t *testing.T) {
		port := sServer(t, cert, key, "-Verify", "1", "-CAfile", root.file)
		code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert", p12, "--cert-type", "P12", "--pass", "secret", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, `"from":"client","layer":"tls","type":"certificate_verify"`) {
			t.Errorf("no client CertificateVerify")
		}
	})
	for _, c := range []struct {
		args  []string
		cause string
	}{
		{[]string{"--ciphers", "DHE-DSS-AES128-GCM-SHA256"}, "not a TLS 1.0–1.2 cipher suite crypto/tls or tlstrace's own engine implements"},
		{[]string{"--engine", "go", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256"}, "while crypto/tls always offers all three"},
		{[]string{"--tls13-ciphers", "TLS_AES_512_GCM_SHA768"}, "not a TLS 1.3 suite"},
		{[]string{"--curves", "X448"}, "implements the group"},
		{[]string{"--tls-max", "1.4"}, "want 1.0, 1.1, 1.2 or 1.3"},
		{[]string{"--pinnedpubkey", "sha256//nope"}, "not a base64 SHA-256"},
	} {
		code, _, stderr := runCode(append([]string{"https://localhost:1/"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.cause) {
			t.Errorf("%v: exit %d: %s", c.args, code, stderr)
		}
	}
	// A --pinnedpubkey file that holds no public key says what it holds.
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	for file, holds := range map[string]string{cert: "a certificate, not a public key", key: "a private key, not a public key", empty: "nothing"} {
		code, _, stderr := runCode("https://localhost:1/", "--pinnedpubkey", file)
		if code != exitInput || !strings.Contains(stderr, "the file holds "+holds+"\n") || !strings.Contains(stderr, "hint: give sha256//BASE64 (tlstrace cert pin CERT prints it)") {
			t.Errorf("--pinnedpubkey %s: exit %d: %s", file, code, stderr)
		}
	}
}

func checkH2Frames(t *testing.T, events []jsonEvent, conn int, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, ev := range events {
		if ev.Conn != conn || ev.Type != "h2_frame" {
			continue
		}
		var f struct{ Type struct{ Value int } }
		json.Unmarshal(ev.Fields, &f)
		got[ev.From] = append(got[ev.From], strconv.Itoa(f.Type.Value))
	}
	for _, side := range []string{"client", "server"} {
		if len(want[side]) == 0 || !slices.Equal(got[side], want[side]) {
			t.Errorf("%s's HTTP/2 frame types:\n tlstrace %v\n tshark   %v", side, got[side], want[side])
		}
	}
}

// sha256b64 is the base64 SHA-256 of b, as curl's pins write it.
func sha256b64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestGetHeadersAsSent: the request and response of a live run are shown
// as the bytes on the wire have them, over TLS and in clear text: header
// names in the case the server wrote, in its order, and none dropped
// (net/http's view canonicalises names, sorts them and removes
// Connection).
func TestGetHeadersAsSent(t *testing.T) {
	const response = "HTTP/1.1 200 Fine\r\nzeta: 1\r\nContent-type: text/plain\r\nalpha: 2\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
	wantResponse := `"proto":"HTTP/1.1","status":200,"reason":"Fine","headers":["zeta: 1","Content-type: text/plain","alpha: 2","Connection: close","Content-Length: 2"]`
	dir := t.TempDir()
	ca := newTestCA(t, dir, "root", nil)
	pair := ca.keyPair(t, dir, "server")
	serve := func(c net.Conn) error {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if line == "\r\n" {
				break
			}
		}
		_, err := io.WriteString(c, response)
		return err
	}
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			addr, errc := serveOnce(t, func(c net.Conn) error {
				if scheme == "https" {
					tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{pair}})
					defer tc.Close()
					return serve(tc)
				}
				return serve(c)
			})
			code, out, stderr := runCode(scheme+"://"+addr+"/x?y", "--cacert", ca.file, "--json", "-m", "10s")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(out, `"type":"response"`); n != 1 {
				t.Errorf("%d response events, want 1", n)
			}
			if !strings.Contains(out, wantResponse) {
				t.Errorf("the response is not as sent: want %s in\n%s", wantResponse, out)
			}
			wantRequest := `"method":"GET","url":"/x?y","headers":["Host: ` + addr + `","User-Agent: tlstrace/` + version() + `","Accept: */*"]`
			if n := strings.Count(out, `"type":"request"`); n != 1 || !strings.Contains(out, wantRequest) {
				t.Errorf("%d request events; want one with %s in\n%s", n, wantRequest, out)
			}
			if strings.Index(out, `"type":"request"`) > strings.Index(out, `"type":"response"`) {
				t.Errorf("the response comes before the request:\n%s", out)
			}
		})
	}
}
