package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// events parses JSON Lines output.
func events(t *testing.T, out string) []jsonEvent {
	t.Helper()
	var evs []jsonEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var ev jsonEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// findEvent returns the first event of a type (and side, when from is
// not ""), or nil.
func findEvent(evs []jsonEvent, from, typ string) *jsonEvent {
	for i := range evs {
		if evs[i].Type == typ && (from == "" || evs[i].From == from) {
			return &evs[i]
		}
	}
	return nil
}

// TestSeed001Client runs seed 001 end to end: openssl makes the Ed448 files and
// serves them with s_server; crypto/tls cannot verify Ed448, so the
// server refuses its ClientHello and tlstrace's own engine runs the
// handshake on a new connection, saying why. The server's CertificateVerify
// is ed448 and the chain verifies; the certificate has no subjectAltName,
// so the default is exit 7 with a cause that names curl's common-name
// fallback and a hint to add a subjectAltName, and --cn-fallback exits 0.
// connect and verify URL do the same.
func TestSeed001Client(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	seed001(t, dir)
	file := func(name string) string { return filepath.Join(dir, name) }
	// The seed's `openssl s_server -cert server_cert.pem -key
	// server_keypair.pem -accept 4433 -www`, on a free port of the
	// loopback interface.
	port := tlstest.FreePort(t)
	startServer(t, "ACCEPT", "openssl", "s_server", "-cert", file("server_cert.pem"), "-key", file("server_keypair.pem"),
		"-accept", fmt.Sprintf("127.0.0.1:%d", port), "-www")
	url := fmt.Sprintf("https://localhost:%d/", port)
	stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
	defer func() { stdin = os.Stdin }()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"get", []string{url, "--cacert", file("ca_cert.pem"), "--json", "-m", "20s"}},
		{"connect", []string{"connect", fmt.Sprintf("localhost:%d", port), "--cacert", file("ca_cert.pem"), "--json", "--idle", "300ms"}},
	} {
		for _, fallback := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cn-fallback=%v", c.name, fallback), func(t *testing.T) {
				args := c.args
				if fallback {
					args = append(slices.Clone(args), "--cn-fallback")
				}
				stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
				code, out, stderr := runCode(args...)
				trace := out
				if c.name == "connect" {
					trace = stderr // the trace; stdout is the server's data
				}
				evs := events(t, strings.Join(slices.DeleteFunc(strings.Split(trace, "\n"), func(l string) bool { return !strings.HasPrefix(l, "{") }), "\n"))
				switched := findEvent(evs, "local", "engine")
				if switched == nil || switched.Conn != 2 || !strings.Contains(string(switched.Fields), "handshake_failure") ||
					!strings.Contains(string(switched.Fields), `"engine":"tlstrace"`) {
					t.Errorf("no engine event on connection 2 naming the engine and the refusal: %+v", switched)
				}
				cv := findEvent(evs, "server", "certificate_verify")
				if cv == nil || cv.Conn != 2 || !strings.Contains(string(cv.Fields), `"ed448"`) {
					t.Errorf("no ed448 CertificateVerify from the server on connection 2: %+v", cv)
				}
				if v := findEvent(evs, "local", "verify"); v == nil || !strings.Contains(string(v.Fields), "Ed448 signature verified") && !strings.Contains(string(v.Fields), "CN=Test CA") {
					t.Errorf("no verify event with the chain: %+v", v)
				}
				// Said whether or not the chain passes: the server's
				// CertificateVerify came before the name check.
				if switched != nil && !strings.Contains(string(switched.Fields), "the server signs with ed448, which crypto/tls does not implement") {
					t.Errorf("the engine event does not say the server signs with ed448: %s", switched.Fields)
				}
				if fallback {
					if code != 0 {
						t.Fatalf("exit %d with --cn-fallback:\n%s", code, stderr)
					}
					done := findEvent(evs, "local", "handshake_complete")
					if done == nil || !strings.Contains(string(done.Fields), `"engine":"tlstrace"`) {
						t.Errorf("the handshake_complete event does not name tlstrace's engine: %+v", done)
					}
					if c.name == "connect" && !strings.Contains(out, "HTTP/1.0 200 ok") {
						t.Errorf("connect: the server's page did not come: %q", out)
					}
					return
				}
				if code != exitVerify {
					t.Fatalf("exit %d, want %d:\n%s", code, exitVerify, stderr)
				}
				for _, w := range []string{"not valid for localhost", "no subjectAltName", "curl and OpenSSL accept it through the common-name fallback",
					"hint: reissue the certificate with subjectAltName=DNS:localhost", "--cn-fallback"} {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr lacks %q:\n%s", w, stderr)
					}
				}
				if strings.Contains(stderr, "relax --ciphers") {
					t.Errorf("the hint still says to relax --ciphers/--curves:\n%s", stderr)
				}
			})
		}
	}
	t.Run("engine-go", func(t *testing.T) {
		code, _, stderr := runCode(url, "--cacert", file("ca_cert.pem"), "--engine", "go", "-m", "20s")
		if code != exitTLS || !strings.Contains(stderr, "handshake_failure") || !strings.Contains(stderr, "drop --engine go") || strings.Contains(stderr, "relax --ciphers") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	})
	t.Run("engine-own", func(t *testing.T) {
		code, out, stderr := runCode(url, "--cacert", file("ca_cert.pem"), "--engine", "own", "--cn-fallback", "--json", "-m", "20s")
		evs := events(t, out)
		engine := findEvent(evs, "local", "engine")
		if code != 0 || engine == nil || engine.Conn != 1 || !strings.Contains(string(engine.Fields), `"reason":"asked for with --engine own"`) ||
			findEvent(evs, "", "handshake_complete") == nil || findEvent(evs, "", "handshake_complete").Conn != 1 {
			t.Errorf("exit %d, want the own engine on the first connection, with an engine event that says it was asked for:\n%s", code, stderr)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		code, out, stderr := runCode(url, "--cacert", file("ca_cert.pem"), "-k", "--json", "-m", "20s")
		evs := events(t, out)
		v, done := findEvent(evs, "local", "verify"), findEvent(evs, "local", "handshake_complete")
		if code != 0 || v == nil || !strings.Contains(string(v.Fields), "NOT trusted; going on because of --insecure") ||
			done == nil || !strings.Contains(string(done.Fields), `"engine":"tlstrace"`) {
			t.Errorf("exit %d, want the own engine's handshake going on past the name:\n%s", code, stderr)
		}
	})
	t.Run("gnutls-serv", func(t *testing.T) {
		// The seed's files served by GnuTLS: the same retry, the same
		// Ed448 handshake.
		tlstest.RequirePeer(t, "gnutls-serv")
		port := tlstest.FreePort(t)
		startServer(t, "HTTP Server listening", "gnutls-serv", "--http", "-p", strconv.Itoa(port),
			"--x509certfile", file("server_cert.pem"), "--x509keyfile", file("server_keypair.pem"))
		code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", file("ca_cert.pem"), "--cn-fallback", "--json", "-m", "20s")
		evs := events(t, out)
		cv, done := findEvent(evs, "server", "certificate_verify"), findEvent(evs, "local", "handshake_complete")
		if code != 0 || findEvent(evs, "local", "engine") == nil || cv == nil || !strings.Contains(string(cv.Fields), `"ed448"`) ||
			done == nil || !strings.Contains(string(done.Fields), `"engine":"tlstrace"`) {
			t.Errorf("exit %d, want an Ed448 handshake by the own engine after a retry:\n%s", code, stderr)
		}
	})
	t.Run("verify-url", func(t *testing.T) {
		code, _, stderr := runCode("verify", url, "--cacert", file("ca_cert.pem"), "-m", "20s")
		if code != exitVerify || !strings.Contains(stderr, "common-name fallback") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
		code, out, stderr := runCode("verify", url, "--cacert", file("ca_cert.pem"), "-m", "20s", "--cn-fallback")
		if code != 0 || !strings.Contains(out, "Ed448 signature verified") {
			t.Errorf("exit %d with --cn-fallback:\n%s%s", code, out, stderr)
		}
	})
}

// TestEngineAgainstTshark runs, against openssl s_server as curl does, the
// settings crypto/tls lacks: each handshake is by tlstrace's own engine,
// the server_hello names the suite (or the key share the group), and
// tshark, reading a capture of the session with the SSLKEYLOGFILE tlstrace
// wrote, decrypts the same handshake messages and the HTTP request.
// Servers that allow only what crypto/tls lacks (TLS_AES_128_CCM_SHA256;
// DHE-RSA-AES256-CCM8 in TLS 1.2; DHE in TLS 1.0) refuse crypto/tls's
// ClientHello; the own engine then runs on a second connection.
func TestEngineAgainstTshark(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "dumpcap", "tshark")
	dir := t.TempDir()
	ca := newTestCA(t, dir, "root", nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := ca.leafWithKey(t, dir, "server-rsa", rsaKey, nil)
	clientCert, clientKey := ca.leaf(t, dir, "client", func(c *x509.Certificate) {
		c.Subject.CommonName = "test client"
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	mtls := []string{"--engine", "own", "--cert", clientCert, "--key", clientKey}
	b, _ := os.ReadFile(cert)
	leaf, err := parseFirstCert(b)
	if err != nil {
		t.Fatal(err)
	}
	staple := writeStaple(t, dir, ca, leaf, ocsp.Good)
	pin := "sha256//" + sha256b64(leaf.RawSubjectPublicKeyInfo)
	checked := []string{"--engine", "own", "--cert-status", "--pinnedpubkey", pin}
	keylog := filepath.Join(dir, "keys.txt")
	t.Setenv("SSLKEYLOGFILE", keylog)
	cases := []struct {
		name  string
		srv   []string
		flags []string
		want  string // in the server_hello's fields
		conns int
	}{
		// --engine own: an engine event that says it was asked for, a
		// client certificate sent.
		{"own-mtls-tls13", []string{"-Verify", "1", "-CAfile", ca.file}, mtls, `"cipher_suite":{"name":"TLS_AES_128_GCM_SHA256"`, 1},
		{"own-mtls-tls12", []string{"-tls1_2", "-Verify", "1", "-CAfile", ca.file}, mtls, `"cipher_suite":{"name":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"`, 1},
		// The stapled OCSP response and the pin checked on the own
		// engine's chain (the verify event says "ocsp":"good"; the root
		// sent after the leaf, where curl looks for the issuer).
		{"own-ocsp-pin-tls13", []string{"-status_file", staple, "-cert_chain", ca.file}, checked, `"cipher_suite":{"name":"TLS_AES_128_GCM_SHA256"`, 1},
		{"own-ocsp-pin-tls12", []string{"-tls1_2", "-status_file", staple, "-cert_chain", ca.file}, checked, `"cipher_suite":{"name":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"`, 1},
		{"dhe-aes128-gcm", []string{"-tls1_2"}, []string{"--ciphers", "DHE-RSA-AES128-GCM-SHA256"}, `"cipher_suite":{"name":"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"`, 1},
		{"dhe-aes256-cbc", []string{"-tls1_2"}, []string{"--ciphers", "DHE-RSA-AES256-SHA256"}, `"cipher_suite":{"name":"TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"`, 1},
		{"ccm", []string{"-tls1_2", "-cipher", "ALL"}, []string{"--ciphers", "AES128-CCM:DHE-RSA-AES128-CCM"}, `"cipher_suite":{"name":"TLS_RSA_WITH_AES_128_CCM"`, 1},
		{"tls12-ccm8-only-server", []string{"-tls1_2", "-cipher", "DHE-RSA-AES256-CCM8"}, nil, `"cipher_suite":{"name":"TLS_DHE_RSA_WITH_AES_256_CCM_8"`, 2},
		{"tls10-dhe-only-server", []string{"-tls1", "-cipher", "DHE-RSA-AES128-SHA:@SECLEVEL=0"}, []string{"--tlsv1.0"}, `"cipher_suite":{"name":"TLS_DHE_RSA_WITH_AES_128_CBC_SHA"`, 2},
		{"tls13-chacha", nil, []string{"--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256"}, `"cipher_suite":{"name":"TLS_CHACHA20_POLY1305_SHA256"`, 1},
		{"tls13-ccm-only-server", []string{"-ciphersuites", "TLS_AES_128_CCM_SHA256"}, nil, `"cipher_suite":{"name":"TLS_AES_128_CCM_SHA256"`, 2},
		{"tls13-ffdhe2048", nil, []string{"--tlsv1.3", "--curves", "ffdhe2048"}, `"ffdhe2048"`, 1},
		// --reconnect: the second connection resumes the first's session.
		{"tls13-aes256-resumed", nil, []string{"--tls13-ciphers", "TLS_AES_256_GCM_SHA384", "--reconnect", "1"}, `"cipher_suite":{"name":"TLS_AES_256_GCM_SHA384"`, 2},
		{"tls12-dhe-resumed", []string{"-tls1_2"}, []string{"--ciphers", "DHE-RSA-AES256-GCM-SHA384", "--reconnect", "1"}, `"cipher_suite":{"name":"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"`, 2},
	}
	base := freeRange(t, len(cases))
	pcap := filepath.Join(dir, "engine.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp portrange %d-%d", base, base+len(cases)-1), pcap)
	outputs := make([][]jsonEvent, len(cases))
	for i, c := range cases {
		port := base + i
		args := append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-www", "-naccept", strconv.Itoa(c.conns)}, c.srv...)
		startServer(t, "ACCEPT", "openssl", args...)
		code, out, stderr := runCode(append([]string{fmt.Sprintf("https://localhost:%d/", port), "--cacert", ca.file, "--json", "-m", "20s"}, c.flags...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d:\n%s", c.name, code, stderr)
		}
		outputs[i] = events(t, out)
	}
	stop()
	decodeAs := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(cases)-1)
	isServer := func(p int) bool { return p >= base && p < base+len(cases) }
	oracle := tsharkDirections(t, pcap, decodeAs, keylog, isServer)
	requests := tsharkBySide(t, pcap, decodeAs, keylog, "http.request.method", isServer)
	stream := 0
	for i, c := range cases {
		evs := outputs[i]
		for conn := 1; conn <= c.conns; conn++ {
			got := map[string][]string{}
			for _, ev := range evs {
				if ev.Conn != conn || ev.Layer != "tls" {
					continue
				}
				if ev.Type == "encrypted_record" {
					t.Errorf("%s: a record was not decrypted: %s", c.name, ev.Error)
				}
				if code, ok := handshakeCode(ev.Type); ok {
					got[ev.From] = append(got[ev.From], strconv.Itoa(code))
				}
			}
			for _, side := range []string{"client", "server"} {
				if !slices.Equal(got[side], oracle[stream][side]) {
					t.Errorf("%s conn %d, %s's handshake messages:\n tlstrace %v\n tshark   %v", c.name, conn, side, got[side], oracle[stream][side])
				}
			}
			if conn == c.conns && !slices.Equal(requests[stream]["client"], []string{"GET"}) {
				t.Errorf("%s: tshark did not decrypt the request with tlstrace's key log: %v", c.name, requests[stream])
			}
			stream++
		}
		var hello *jsonEvent
		for j := range evs {
			if evs[j].Type == "server_hello" && evs[j].Conn == c.conns {
				hello = &evs[j]
			}
		}
		if hello == nil || !strings.Contains(string(hello.Fields), c.want) {
			t.Errorf("%s: the server_hello lacks %s", c.name, c.want)
		}
		var done, switched *jsonEvent
		for j := range evs {
			switch evs[j].Type {
			case "handshake_complete":
				done = &evs[j]
			case "engine":
				switched = &evs[j]
			}
		}
		if done == nil || done.Conn != c.conns || !strings.Contains(string(done.Fields), `"engine":"tlstrace"`) {
			t.Errorf("%s: handshake_complete %+v, want one by tlstrace's engine on connection %d", c.name, done, c.conns)
		}
		if strings.HasSuffix(c.name, "-only-server") && (switched == nil || !strings.Contains(string(switched.Fields), "the server chose TLS_")) {
			t.Errorf("%s: the engine event does not name the suite crypto/tls lacks: %+v", c.name, switched)
		}
		if strings.HasSuffix(c.name, "-resumed") && !strings.Contains(string(done.Fields), `"resumed":true`) {
			t.Errorf("%s: the second connection did not resume: %s", c.name, done.Fields)
		}
		own := slices.Contains(c.flags, "own")
		if switched == nil || switched.Conn != c.conns || own != strings.Contains(string(switched.Fields), `"reason":"asked for with --engine own"`) {
			t.Errorf("%s: engine event %+v, want one on connection %d, asked for with --engine own when it was", c.name, switched, c.conns)
		}
		if slices.Contains(c.flags, "--cert") && findEvent(evs, "client", "certificate_verify") == nil {
			t.Errorf("%s: no client CertificateVerify", c.name)
		}
		if v := findEvent(evs, "local", "verify"); slices.Contains(c.flags, "--cert-status") && (v == nil || !strings.Contains(string(v.Fields), `"ocsp":"good"`) || !strings.Contains(string(v.Fields), pin)) {
			t.Errorf("%s: the verify event lacks the good OCSP response or the pin: %+v", c.name, v)
		}
	}
}

// freeRange returns the first of n consecutive ports below the ephemeral
// ones (32768 and up) that nothing listens on now, so that one capture
// filter and one tshark decode rule cover them; other tests pick ports
// there too.
func freeRange(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := 10000 + mrand.IntN(20000)
		free := true
		for p := base; p < base+n && free; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			ln.Close()
		}
		if free {
			return base
		}
	}
	t.Fatalf("no %d free ports in a row", n)
	return 0
}

// TestEnginePSSCertificate serves a certificate whose key is RSASSA-PSS
// (RFC 4055), made by openssl, in TLS 1.2 and TLS 1.3: crypto/tls offers
// none of the rsa_pss_pss schemes such a key signs with, so the server
// refuses its ClientHello, and the own engine connects again; its engine
// event names the scheme the server signed with.
func TestEnginePSSCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if b, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048", "-nodes",
		"-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, b)
	}
	for _, version := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(version, func(t *testing.T) {
			port := tlstest.FreePort(t)
			startServer(t, "ACCEPT", "openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-www", version)
			code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", cert, "--json", "-m", "20s")
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			evs := events(t, out)
			switched := findEvent(evs, "local", "engine")
			if switched == nil || switched.Conn != 2 || !strings.Contains(string(switched.Fields), "the server signs with rsa_pss_pss_sha256, its certificate's key being RSASSA-PSS") {
				t.Errorf("the engine event does not name the server's rsa_pss_pss scheme: %+v", switched)
			}
		})
	}
}

// TestRetryWeakSuites: servers that allow only a CCM_8 suite (TLS 1.3 and
// 1.2) or a static RSA one refuse crypto/tls's ClientHello; the own
// engine's retry connects, and the warnings say the suite is weak and
// weaker than any crypto/tls offered (the alert may have been forged).
func TestRetryWeakSuites(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	ca := newTestCA(t, dir, "root", nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := ca.leafWithKey(t, dir, "server-rsa", rsaKey, nil)
	const downgrade = "is weaker than every suite crypto/tls offered: tlstrace's own engine got it on its retry"
	for _, c := range []struct {
		name string
		srv  []string
		want []string
	}{
		{"tls13-ccm8", []string{"-ciphersuites", "TLS_AES_128_CCM_8_SHA256"}, []string{"TLS_AES_128_CCM_8_SHA256, an AES-CCM suite with an 8-byte authentication tag", downgrade}},
		{"tls12-ccm8", []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-CCM8"}, []string{"TLS_DHE_RSA_WITH_AES_128_CCM_8, an AES-CCM suite with an 8-byte authentication tag", downgrade}},
		{"tls12-static-rsa", []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"}, []string{"TLS_RSA_WITH_AES_128_GCM_SHA256, a static RSA key exchange", downgrade}},
		// As strong as crypto/tls's: no downgrade said.
		{"tls12-dhe-gcm", []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := tlstest.FreePort(t)
			startServer(t, "ACCEPT", "openssl", append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", cert, "-key", key, "-www", "-naccept", "2"}, c.srv...)...)
			code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", ca.file, "--json", "-m", "20s")
			if code != 0 || !strings.Contains(out, `"type":"engine"`) {
				t.Fatalf("exit %d, want a retry by the own engine: %s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, "tlstrace: warning: "+w) && !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if c.want == nil && strings.Contains(stderr, downgrade) {
				t.Errorf("a downgrade said:\n%s", stderr)
			}
		})
	}
}
