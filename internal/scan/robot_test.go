package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// testsslROBOT runs testssl.sh's ROBOT check on addr and returns its
// finding's severity and text.
func testsslROBOT(t *testing.T, addr string) (severity, finding string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "testssl.json")
	cmd := exec.CommandContext(ctx, "testssl", "--quiet", "--color", "0", "--warnings", "off", "--robot", "--jsonfile", file, addr)
	if out, err := cmd.CombinedOutput(); err != nil && ctx.Err() != nil {
		t.Fatalf("testssl --robot: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var items []struct{ ID, Severity, Finding string }
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatalf("testssl's JSON: %v\n%s", err, b)
	}
	for _, it := range items {
		if it.ID == "ROBOT" {
			return it.Severity, it.Finding
		}
	}
	t.Fatalf("testssl gave no ROBOT finding:\n%s", b)
	return "", ""
}

// TestScanROBOT scans openssl s_server (OpenSSL 3), nginx and
// gnutls-serv with suites of RSA key exchange, which react alike to
// every ClientKeyExchange, and the lab's robot fault, which answers a
// bad padding with its own alerts: the first three are not padding
// oracles, the lab is a strong one, with a high finding. testssl.sh's
// ROBOT check is the oracle of the verdicts on openssl and the lab (it
// takes two minutes a server; nginx and gnutls-serv agreed with it too
// when the check was written). A server without RSA key exchange is not
// probed.
func TestScanROBOT(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "nginx", "gnutls-serv", "testssl")
	robotLab := labServer(t, "robot")
	if e := robotLab.Entry(); e.Expect.Scan != "robot" || e.Expect.Exit != 0 || !strings.Contains(e.Fault, "ROBOT") {
		t.Errorf("the lab lists robot as %+v", e)
	}
	const same = "a Finished no key opens, the server sent the alert "
	for _, c := range []struct {
		name       string
		addr       func(t *testing.T) string
		suite      string
		vulnerable bool
		detail     string
		// testssl: ask testssl.sh too (two minutes a server).
		testssl bool
	}{
		{"openssl", func(t *testing.T) string { return sServer(t, true, "-cipher", "AES128-SHA") }, "TLS_RSA_WITH_AES_128_CBC_SHA", false, same + "bad_record_mac: it does not tell them apart", true},
		{"nginx", func(t *testing.T) string {
			return nginxServer(t, "ssl_ciphers AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256;")
		}, "TLS_RSA_WITH_AES_256_GCM_SHA384", false, same + "bad_record_mac: it does not tell them apart", false},
		{"gnutls", func(t *testing.T) string {
			return gnutlsServer(t, true, "--priority", "NORMAL:+RSA:-VERS-TLS1.3", "--http")
		}, "", false, "it does not tell them apart, no padding oracle", false},
		{"lab", func(t *testing.T) string { return robotLab.Host() }, "TLS_RSA_WITH_AES_128_GCM_SHA256", true,
			"to a block that is well formed and to a block whose secret's version is 0x0202, not the ClientHello's it sent the alert bad_record_mac; to a block whose first two bytes are 0x4117, not 0x0002 it sent the alert decrypt_error; to a block whose 0x00 is two bytes before its end, not before a 48-byte secret and to a block with no 0x00 after the padding it sent the alert handshake_failure; twice alike", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := c.addr(t)
			r := scanOf(t, addr)
			f := r.Feature("robot")
			if f == nil || !f.Known || f.Supported != c.vulnerable || f.Version != wire.VersionTLS12 || !strings.Contains(f.Detail, c.detail) || !strings.HasPrefix(f.Detail, "with "+c.suite) {
				t.Fatalf("robot %+v, want known, vulnerable %v, with %q", f, c.vulnerable, c.detail)
			}
			if c.vulnerable && !strings.Contains(f.Detail, "a strong one") {
				t.Errorf("robot %q, want a strong oracle", f.Detail)
			}
			found := false
			for _, fd := range r.Findings {
				if fd.Rule == "robot" {
					found = fd.Severity == High && strings.HasPrefix(fd.Cause, f.Detail)
				}
			}
			if found != c.vulnerable {
				t.Errorf("robot finding %v, want %v: %+v", found, c.vulnerable, r.Findings)
			}
			if !c.testssl {
				return
			}
			sev, text := testsslROBOT(t, addr)
			if got := strings.Contains(text, "VULNERABLE"); got != c.vulnerable || sev == "WARN" {
				t.Errorf("testssl.sh says %s %q, the scan vulnerable %v", sev, text, c.vulnerable)
			}
		})
	}
	t.Run("no-rsa-kx", func(t *testing.T) {
		r := scanOf(t, goServer(t, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}))
		f := r.Feature("robot")
		if f == nil || !f.Known || f.Supported || f.Version != wire.VersionTLS12 || !strings.Contains(f.Detail, "ROBOT does not apply, not probed") {
			t.Errorf("robot %+v, want known, not vulnerable, not probed", f)
		}
	})
}

// TestRobotBlock decrypts each kind of block with crypto/rsa: only the
// well-formed one and the one of the wrong version are PKCS#1 v1.5
// blocks holding a 48-byte secret, and only the first has the client's
// version.
func TestRobotBlock(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for k := range robotPayloads {
		block, err := robotBlock(k, key.Size(), wire.VersionTLS12)
		if err != nil {
			t.Fatal(err)
		}
		//lint:ignore SA1019 the test checks the blocks against the PKCS#1 v1.5 decryption they are made to fail.
		secret, err := rsa.DecryptPKCS1v15(nil, key, rsaEncryptRaw(&key.PublicKey, block))
		switch k {
		case robotGood, robotWrongVersion:
			if err != nil || len(secret) != 48 {
				t.Errorf("block %d: %v, a secret of %d bytes", k, err, len(secret))
			} else if good := bytes.Equal(secret[:2], []byte{3, 3}); good != (k == robotGood) {
				t.Errorf("block %d: secret version % x", k, secret[:2])
			}
		case robotWrongPosition:
			if err != nil || len(secret) != 1 {
				t.Errorf("block %d: %v, a secret of %d bytes, want 1", k, err, len(secret))
			}
		default:
			if err == nil {
				t.Errorf("block %d decrypts", k)
			}
		}
	}
}

// TestRobotVerdict judges made-up reactions: all alike is no oracle;
// different and twice alike a strong or weak oracle; different and then
// otherwise, or a handshake that failed, unknown.
func TestRobotVerdict(t *testing.T) {
	alert := func(d wire.AlertDescription) robotReaction {
		return robotReaction{reply: ccsReply{alert: d, hasAlert: true}}
	}
	mac, derr := alert(wire.AlertBadRecordMAC), alert(wire.AlertDecryptError)
	closed := robotReaction{reply: ccsReply{closed: true}}
	round := func(r ...robotReaction) [robotPayloads]robotReaction { return [robotPayloads]robotReaction(r) }
	strong := round(mac, derr, closed, closed, mac)
	weak := round(mac, derr, derr, derr, mac)
	for _, c := range []struct {
		name       string
		first      [robotPayloads]robotReaction
		second     *[robotPayloads]robotReaction
		known, vul bool
		detail     string
	}{
		{name: "alike", first: round(mac, mac, mac, mac, mac), known: true, detail: "the server sent the alert bad_record_mac: it does not tell them apart, no padding oracle"},
		{name: "strong", first: strong, second: &strong, known: true, vul: true, detail: "a strong one"},
		{name: "weak", first: weak, second: &weak, known: true, vul: true, detail: "a weak one"},
		{name: "inconsistent", first: strong, second: &weak, detail: "to a block whose 0x00 is two bytes before its end, not before a 48-byte secret it closed the connection without an alert, then sent the alert decrypt_error"},
		{name: "not-again", first: strong, detail: "could not make them again"},
		{name: "failed", first: round(mac, mac, robotReaction{failed: "alert handshake_failure"}, mac, mac), detail: "did not reach the key exchange (alert handshake_failure)"},
		{name: "errors-alike", first: round(robotReaction{reply: ccsReply{err: os.ErrClosed}}, robotReaction{reply: ccsReply{err: os.ErrInvalid}}, robotReaction{reply: ccsReply{err: os.ErrClosed}}, robotReaction{reply: ccsReply{err: os.ErrClosed}}, robotReaction{reply: ccsReply{err: os.ErrClosed}}), known: true, detail: "no padding oracle"},
	} {
		t.Run(c.name, func(t *testing.T) {
			known, vul, detail := robotVerdict(c.first, c.second)
			if known != c.known || vul != c.vul || !strings.Contains(detail, c.detail) {
				t.Errorf("known %v, vulnerable %v, %q; want %v, %v, with %q", known, vul, detail, c.known, c.vul, c.detail)
			}
		})
	}
}

// TestRobotFinishedLen checks the length of the Finished record against
// what crypto/tls's suites need: a nonce, 16 bytes and a tag for GCM; an
// IV from TLS 1.1 on, then the bytes and MAC padded to a block for CBC.
func TestRobotFinishedLen(t *testing.T) {
	for _, c := range []struct {
		suite, v uint16
		want     int
	}{
		{0x009c, wire.VersionTLS12, 40}, // TLS_RSA_WITH_AES_128_GCM_SHA256
		{0x002f, wire.VersionTLS12, 64}, // TLS_RSA_WITH_AES_128_CBC_SHA
		{0x002f, wire.VersionTLS10, 48},
		{0x003c, wire.VersionTLS12, 80}, // TLS_RSA_WITH_AES_128_CBC_SHA256
		{0x000a, wire.VersionTLS12, 48}, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{0x0005, wire.VersionTLS12, 36}, // TLS_RSA_WITH_RC4_128_SHA
		{0xc0a0, wire.VersionTLS12, 32}, // TLS_RSA_WITH_AES_128_CCM_8
	} {
		if got := robotFinishedLen(c.suite, c.v); got != c.want {
			t.Errorf("%s in %s: %d, want %d", wire.CipherSuiteName(c.suite), wire.VersionName(c.v), got, c.want)
		}
	}
}
