package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/lab"
)

// startLab serves the lab's faults on ports the system chooses until the
// test ends; it returns the servers and the root CA's file.
func startLab(t *testing.T, names ...string) ([]*lab.Server, string) {
	t.Helper()
	l, err := lab.New()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := l.WriteCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	servers, err := l.Listen(0, names)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Serve(ctx, func() []byte { return lab.Index(servers, ca) })
		}()
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return servers, ca
}

// TestLabDiagnoses checks that tlstrace URL names each of the lab's
// faults: its exit code, a cause line and a hint, in bounded time.
func TestLabDiagnoses(t *testing.T) {
	want := map[string]struct{ cause, hint string }{
		"index":            {},
		"expired":          {"expired on", "must be renewed"},
		"not-yet-valid":    {"is not valid before", "check this machine's clock"},
		"wrong-host":       {"it lists only wrong.host.example", "reissue it with IP:127.0.0.1"},
		"no-san":           {"it has no subjectAltName, only the common name", "--cn-fallback"},
		"self-signed":      {"is self-signed and not trusted", "trust it explicitly"},
		"untrusted-root":   {"the chain ends at \"CN=tlstrace lab untrusted CA\", which is not a trusted CA", "--cacert"},
		"incomplete-chain": {"issued by \"CN=tlstrace lab intermediate CA\", which was not sent", "the server must send it after the certificate it signed"},
		"sha1-chain":       {"is signed with ECDSA-SHA1, which is no longer accepted", "reissue it with a SHA-256"},
		"rsa1024":          {`the leaf certificate "CN=localhost" has a 1024-bit RSA key`, "at least 2048 bits"},
		"not-a-ca":         {`"CN=tlstrace lab server (not a CA)" signed a certificate but is not a CA`, "basicConstraints CA:TRUE"},
		"pathlen-exceeded": {`the path length constraint of "CN=tlstrace lab CA with pathlen 0" is exceeded`, "larger pathlen"},
		"clientauth-only":  {`the extended key usage of "CN=localhost" lists clientAuth, not serverAuth, which a server's certificate needs`, "reissue the certificate with serverAuth in its extendedKeyUsage"},
		"name-constraints": {`the name constraints of "CN=tlstrace lab CA for example.com only" rule out the certificate: permitted DNS example.com: the leaf's localhost falls outside them`, "a CA allowed to sign these names"},
		"revoked":          {`the certificate "CN=localhost" was revoked on `, "must replace the certificate"},
		"long-validity":    {`the certificate "CN=localhost" is valid for 400 days, more than the 398 days a public CA may issue`, "none needed from a private CA"},
		"dhe-1024":         {"the server's DHE group has only 1024 bits, below the 2048 the client accepts: a group this small falls to the Logjam attack", "a DHE group of 2048 bits or more"},
		"huge-headers":     {"the response headers are larger than 300 KiB", "curl refuses them too"},
		"tls10-only":       {"no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.3 and TLS 1.2)", "--tlsv1.0"},
		"tls11-only":       {"no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.3 and TLS 1.2)", "--tlsv1.1"},
		"no-common-suite":  {"the server found no cipher suite, group or signature algorithm in common", "relax --ciphers"},
		"mtls-required":    {"the server requires a client certificate (certificate_required alert)", "--cert FILE --key FILE"},
		"alpn-mismatch":    {"the server speaks none of the application protocols the client offered", "add h2 or http/1.1 to the server's ALPN list"},
		"sni-required":     {"the server requires the host's name (SNI), and the client sent none", "--resolve NAME:PORT:ADDRESS"},
		"cbc-only":         {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (TLS 1.2), a CBC cipher suite", "enable AEAD suites on the server"},
		"garbage":          {`did not answer with TLS (first bytes "SSH-2")`, "check the port"},
		"plain-http":       {"the server answered in plain HTTP, not TLS", "use http://"},
		"silent":           {"the TLS handshake timed out", "check that the server answers"},
		"slow":             {"the TLS handshake timed out after 2s: the server sent only", "raise -m"},
		"reset":            {"reset the connection during the handshake, after its ServerHello", "its log says why"},
		"truncated-record": {"closed the connection in the middle of a record", "cut the connection"},
		"oversized-record": {"a record header that claims 20000 bytes, more than TLS allows", "breaks the record layer"},
		"sslv2":            {"the server answered in SSL 2.0", "RFC 6176"},
		"alert-storm":      {"the server sent 40 warning alerts (the last unrecognized_name)", "is misbehaving"},
		"corrupt-cert":     {"a certificate that does not parse", "damaged"},
		"heartbleed":       {},
		"ccs-injection":    {},
		"robot":            {},
		"lying-length":     {"the server's server_hello message claims 131072 bytes in its header, more than a server_hello can hold (65607): the length lies (45 bytes of it came)", "writes broken handshake messages"},
	}
	servers, ca := startLab(t, append([]string{"index"}, lab.Names...)...)
	if len(want) != len(servers) {
		t.Fatalf("%d servers, %d expectations", len(servers), len(want))
	}
	for _, s := range servers {
		t.Run(s.Name, func(t *testing.T) {
			w, ok := want[s.Name]
			if !ok {
				t.Fatalf("no expectation for %s", s.Name)
			}
			args := []string{s.URL, "--cacert", ca, "-m", "10s"}
			if s.Name == "silent" || s.Name == "slow" {
				args[len(args)-1] = "2s"
			}
			start := time.Now()
			code, _, stderr := runCode(args...)
			if d := time.Since(start); d > 12*time.Second {
				t.Errorf("took %v", d)
			}
			if code != s.Exit {
				t.Errorf("exit %d, want %d\n%s", code, s.Exit, stderr)
			}
			if s.Exit == 0 && !s.Warning {
				if stderr != "" {
					t.Errorf("stderr: %s", stderr)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 2 {
				t.Fatalf("want a cause line and a hint line, got:\n%s", stderr)
			}
			prefix := "tlstrace: error: "
			if s.Warning {
				prefix = "tlstrace: warning: "
			}
			if !strings.HasPrefix(lines[0], prefix) || !strings.Contains(lines[0], w.cause) {
				t.Errorf("cause %q, want one with %q", lines[0], w.cause)
			}
			if !strings.HasPrefix(lines[1], "tlstrace: hint: ") || !strings.Contains(lines[1], w.hint) {
				t.Errorf("hint %q, want one with %q", lines[1], w.hint)
			}
		})
	}
}

// TestLabSNIByName checks that sni-required serves a client that names
// the host, as its hint says: in the URL, and with --resolve.
func TestLabSNIByName(t *testing.T) {
	servers, ca := startLab(t, "sni-required")
	port := servers[0].URL[strings.LastIndexByte(servers[0].URL, ':')+1 : len(servers[0].URL)-1]
	for _, args := range [][]string{
		{"https://localhost:" + port + "/"},
		{"https://localhost:" + port + "/", "--resolve", "localhost:" + port + ":127.0.0.1"},
	} {
		code, _, stderr := runCode(append(args, "--cacert", ca, "-m", "10s")...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}

// TestLabConnectWarns checks that connect, like tlstrace URL, warns of
// cbc-only's CBC suite with its fix, and connects.
func TestLabConnectWarns(t *testing.T) {
	servers, ca := startLab(t, "cbc-only")
	host := strings.TrimSuffix(strings.TrimPrefix(servers[0].URL, "https://"), "/")
	code, _, stderr := runCode("connect", host, "--cacert", ca, "--timeout", "10s")
	// The trace goes to stderr too (stdout is the session's data).
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "tlstrace: ") {
			lines = append(lines, l)
		}
	}
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "tlstrace: warning: the connection uses TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (TLS 1.2), a CBC cipher suite") ||
		!strings.HasPrefix(lines[1], "tlstrace: hint: enable AEAD suites on the server") {
		t.Errorf("exit %d\n%s", code, strings.Join(lines, "\n"))
	}
}

// TestLabRC4Warns has a client that offers RC4 connect to
// no-common-suite, whose only suite is RC4: it connects, with a warning
// that RFC 7465 prohibits RC4.
func TestLabRC4Warns(t *testing.T) {
	servers, ca := startLab(t, "no-common-suite")
	code, _, stderr := runCode(servers[0].URL, "--cacert", ca, "-m", "10s", "--ciphers", "ECDHE-ECDSA-RC4-SHA")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "tlstrace: warning: the connection uses TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, an RC4 cipher suite") ||
		!strings.Contains(lines[0], "RFC 7465 prohibits RC4") || !strings.HasPrefix(lines[1], "tlstrace: hint: remove it from the server and enable AEAD suites") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// TestLabCA checks that the root CA is written readable by all.
func TestLabCA(t *testing.T) {
	_, ca := startLab(t, "index")
	fi, err := os.Stat(ca)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 || filepath.Base(ca) != "ca.pem" {
		t.Errorf("%s mode %v, want ca.pem 0644", ca, fi.Mode().Perm())
	}
}

// TestLabCommand runs tlstrace lab --json: one line per server as it
// starts, the index page listing them, and an end when cancelled.
func TestLabCommand(t *testing.T) {
	dir := t.TempDir()
	var out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runLab(ctx, 0, dir, true, &out) }()
	var lines []lab.Entry
	for deadline := time.Now().Add(10 * time.Second); ; {
		lines = lines[:0]
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var x lab.Entry
			if json.Unmarshal([]byte(l), &x) == nil {
				lines = append(lines, x)
			}
		}
		if len(lines) == len(lab.Names)+1 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("listing:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ca := filepath.Join(dir, "ca.pem")
	if lines[0].Name != "index" || lines[0].Expect.Exit != 0 || lines[1].Name != "expired" || lines[1].Expect.Exit != 7 || lines[1].Fault == "" {
		t.Errorf("listing: %+v", lines[:2])
	}
	code, body, stderr := runCode(lines[0].URL, "--cacert", ca, "-m", "10s", "--body")
	if code != 0 || !strings.Contains(body, "tlstrace "+lines[1].URL+" --cacert ") {
		t.Errorf("index: exit %d\n%s\n%s", code, body, stderr)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lab did not stop when cancelled")
	}
}

// TestLabInsecureWeakKey checks that -k still connects to rsa1024, and
// says loudly that the chain is not trusted.
func TestLabInsecureWeakKey(t *testing.T) {
	servers, ca := startLab(t, "rsa1024")
	code, stdout, stderr := runCode(servers[0].URL, "--cacert", ca, "-m", "10s", "-k")
	if code != 0 || !strings.Contains(stderr, "tlstrace: warning: --insecure") || !strings.Contains(stdout, "NOT trusted; going on because of --insecure") ||
		!strings.Contains(stdout, "RSA 1024 bits, below the 2048 bits") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
