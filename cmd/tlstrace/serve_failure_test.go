package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// failedHandshake is the fields of a handshake_failed event.
type failedHandshake struct {
	Cause     string `json:"cause"`
	Fix       string `json:"fix"`
	Alert     string `json:"alert"`
	AlertFrom string `json:"alert_from"`
}

// TestServeWireFailures has real clients fail their handshake with
// `tlstrace serve` and checks that the handshake_failed event says why from
// what was on the wire: the cause, the fix and the alert, with its sender.
func TestServeWireFailures(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "gnutls-cli")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	other := newTestCA(t, dir, "other", nil)
	cert, key := root.leaf(t, dir, "server", nil)
	bad, badKey := other.leaf(t, dir, "bad-client", clientTweak)
	expired, expiredKey := root.leaf(t, dir, "expired-client", func(c *x509.Certificate) {
		clientTweak(c)
		c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	})
	good, goodKey := root.leaf(t, dir, "good-client", clientTweak)
	serverOnly, serverOnlyKey := root.leaf(t, dir, "server-only-client", nil)
	inter := newTestCA(t, dir, "inter", root)
	// The client's certificate file without its intermediate.
	lone, loneKey := inter.leaf(t, dir, "lone-client", clientTweak)
	serving := []string{"--cert", cert, "--key", key}
	// command runs a client, ADDR in its arguments replaced by the
	// server's address.
	command := func(name string, args ...string) func(t *testing.T, addr string) {
		return func(t *testing.T, addr string) {
			var all []string
			for _, a := range args {
				all = append(all, strings.ReplaceAll(a, "ADDR", addr))
			}
			cmd := exec.Command(name, all...)
			cmd.Stdin = strings.NewReader("ping\n")
			if b, err := runOutput(cmd, 10*time.Second); err == nil && strings.Contains(string(b), "ping") {
				t.Errorf("%s was served: %s", name, b)
			}
		}
	}
	sClient := func(args ...string) func(t *testing.T, addr string) {
		return command("openssl", append([]string{"s_client", "-connect", "ADDR", "-servername", "localhost", "-CAfile", root.file, "-quiet"}, args...)...)
	}
	// raw connects and sends b, then closes, or with hold waits for the
	// server to close.
	raw := func(b []byte, hold bool) func(t *testing.T, addr string) {
		return func(t *testing.T, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(b)
			if hold {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, c)
			}
		}
	}
	hello := tlstest.ClientHello(t)
	// A TLS 1.2 ClientHello without signature_algorithms, offering one
	// ECDHE_ECDSA suite.
	groups, err := wire.SupportedGroupsExtension([]uint16{29, 23})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: []uint16{0xc02b},
		Extensions: []wire.Extension{groups, wire.ECPointFormatsExtension()}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	noSigalgs, err := wire.AppendRecord(nil, wire.ContentHandshake, wire.VersionTLS10, msg)
	if err != nil {
		t.Fatal(err)
	}
	// Half a ClientHello: a record header announcing 512 bytes, the
	// message header, the version and 30 bytes of the random.
	half := append([]byte{22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3}, make([]byte, 30)...)
	cases := []struct {
		name   string
		flags  []string
		client func(t *testing.T, addr string)
		want   failedHandshake
	}{
		{"curl-without-the-ca", nil, command("curl", "-sS", "https://ADDR/"),
			failedHandshake{"the client does not trust the CA that issued the server's certificate (it sent an unknown_ca alert)",
				"give the client the CA that issued the served certificate", "unknown_ca", "client"}},
		{"no-common-suite", []string{"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"},
			sClient("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"),
			failedHandshake{"the only cipher suite the client offered, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, is not one the server serves (the server sent a handshake_failure alert)",
				"allow one of the client's cipher suites on the server", "handshake_failure", "server"}},
		{"tls13-ccm-only-client", nil, sClient("-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"),
			failedHandshake{"the only cipher suite the client offered, TLS_AES_128_CCM_SHA256, is not one the server serves (the server sent a handshake_failure alert)",
				"allow one of the client's cipher suites on the server (TLS_AES_128_CCM_SHA256 is served by tlstrace's own engine)", "handshake_failure", "server"}},
		{"ecdsa-curve-not-offered", nil, sClient("-tls1_2", "-groups", "P-384:X25519"),
			failedHandshake{"the client refused the server's ECDSA certificate (it sent an illegal_parameter alert): its key is on secp256r1, and the client's supported_groups (secp384r1, x25519) does not list that curve; in TLS 1.2 the certificate's curve must be one the client supports (RFC 8422, Section 5.3)",
				"serve an RSA certificate beside the ECDSA one", "illegal_parameter", "client"}},
		{"no-common-group", nil, sClient("-groups", "x448"),
			failedHandshake{"the only group the client offered, x448, is not one the server serves (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, x25519, secp256r1, secp384r1, secp521r1), and TLS 1.3 needs one for its key exchange (the server sent a handshake_failure alert)",
				"allow one of the client's groups on the server", "handshake_failure", "server"}},
		{"no-common-group-configured", []string{"--curves", "P-384"}, sClient("-groups", "X25519:P-256"),
			failedHandshake{"none of the groups the client offered (x25519, secp256r1) is one the server serves (secp384r1), and TLS 1.3 needs one for its key exchange (the server sent a handshake_failure alert)",
				"allow one of the client's groups on the server", "handshake_failure", "server"}},
		{"no-common-signature-scheme", nil, sClient("-sigalgs", "rsa_pss_rsae_sha256:rsa_pkcs1_sha256"),
			failedHandshake{"the client accepts TLS 1.3 signatures only by rsa_pss_rsae_sha256, rsa_pkcs1_sha256, and the key of the server's certificate signs with none of them: ECDSA P-256 (ecdsa_secp256r1_sha256) (the server sent a handshake_failure alert)",
				"serve a certificate whose key signs with a scheme the client accepts", "handshake_failure", "server"}},
		// TLS 1.2: GnuTLS offers the suites of every key, whatever
		// signatures it accepts (OpenSSL's case is in
		// TestServeSuiteSelection).
		{"no-common-signature-scheme-tls12-gnutls", nil,
			command("gnutls-cli", "--x509cafile", root.file, "--sni-hostname", "localhost", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-SIGN-ALL:+SIGN-RSA-SHA256", "ADDR"),
			failedHandshake{"the client accepts TLS 1.2 signatures only by rsa_pkcs1_sha256, and the key of the server's certificate signs with none of them: ECDSA P-256 (ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512); so the server cannot sign its ServerKeyExchange (the server sent a handshake_failure alert)",
				"serve a certificate whose key signs with a scheme the client accepts", "handshake_failure", "server"}},
		{"no-signature-algorithms-tls12", nil, raw(noSigalgs, true),
			failedHandshake{"the client sent no signature_algorithms in its TLS 1.2 ClientHello, which means it accepts only SHA-1 signatures (RFC 5246, Section 7.4.1.4.1), and the server does not sign with SHA-1 in TLS 1.2 (RFC 9155); the key of the server's certificate signs with ECDSA P-256 (ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512) (the server sent a handshake_failure alert)",
				"have the client send signature_algorithms", "handshake_failure", "server"}},
		{"tls1.1-client", nil, sClient("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"),
			failedHandshake{"no TLS version in common with the client: it offered versions up to TLS 1.1, the server serves TLS 1.2 to TLS 1.3 (the server sent a protocol_version alert)",
				"the client must allow TLS 1.2 to TLS 1.3", "protocol_version", "server"}},
		{"plain-http", nil, command("curl", "-sS", "http://ADDR/"),
			failedHandshake{"the client sent plain HTTP, not TLS", "use an https:// URL", "", ""}},
		{"half-a-client-hello", nil, raw(half, false),
			failedHandshake{"the client closed the connection in the middle of a record (it sent 36 of the 512 bytes its header announces), before its ClientHello was complete",
				"cut off in the middle of the handshake", "", ""}},
		{"silent-client", []string{"--timeout", "1s"}, raw(nil, true),
			failedHandshake{"the client sent nothing within the handshake timeout (1s)", "may not speak TLS", "", ""}},
		{"silent-after-client-hello", []string{"--timeout", "1s"}, raw(hello, true),
			failedHandshake{"the TLS handshake timed out (1s): the client went silent after the server's reply to its ClientHello", "the client speaks TLS but stopped sending mid-handshake", "", ""}},
		{"silent-in-a-client-hello", []string{"--timeout", "1s"}, raw(half, true),
			failedHandshake{"the TLS handshake timed out (1s): the client went silent in the middle of a record (it sent 36 of the 512 bytes its header announces)", "the client speaks TLS but stopped sending mid-handshake", "", ""}},
		{"closed-after-client-hello", nil, raw(hello, false),
			failedHandshake{"the client ", "the client gave up without an alert", "", ""}},
		{"plain-http-untraced", []string{"--no-trace"}, command("curl", "-sS", "http://ADDR/"),
			failedHandshake{"the client sent plain HTTP, not TLS", "use an https:// URL", "", ""}},
		{"no-client-certificate", []string{"--verify-client", "require", "--client-ca", root.file}, sClient(),
			failedHandshake{"the server requires a client certificate and the client sent none (the server sent a certificate_required alert)",
				"give the client a certificate issued by a CA the server trusts", "certificate_required", "server"}},
		{"no-client-certificate-tls12", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-tls1_2"),
			failedHandshake{"the server requires a client certificate and the client sent none (the server asked for one, then sent a handshake_failure alert)",
				"give the client a certificate issued by a CA the server trusts", "handshake_failure", "server"}},
		{"untrusted-client-certificate", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-cert", bad, "-key", badKey),
			failedHandshake{"the client certificate is not trusted: no trusted root found", `if "CN=other" is an intermediate CA, have the client send it after its certificate ("CN=localhost" names it as issuer); if it is a root, trust it with --client-ca FILE`, "bad_certificate", "server"}},
		{"untrusted-client-certificate-root", []string{"--verify-client", "require", "--client-ca", other.file}, sClient("-cert", good, "-key", goodKey, "-cert_chain", root.file),
			failedHandshake{"the client certificate is not trusted: ", `trust the CA "CN=root" that issued it with --client-ca FILE`, "bad_certificate", "server"}},
		{"client-certificate-without-intermediate", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-cert", lone, "-key", loneKey),
			failedHandshake{"the client certificate is not trusted: ", `if "CN=inter" is an intermediate CA, have the client send it after its certificate`, "bad_certificate", "server"}},
		{"expired-client-certificate", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-cert", expired, "-key", expiredKey),
			failedHandshake{"the client certificate is not trusted: ", "renew the client certificate (it expired on ", "bad_certificate", "server"}},
		{"expired-client-certificate-tls12", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-tls1_2", "-cert", expired, "-key", expiredKey),
			failedHandshake{"the client certificate is not trusted: ", "renew the client certificate (it expired on ", "bad_certificate", "server"}},
		{"client-certificate-for-servers", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-cert", serverOnly, "-key", serverOnlyKey),
			failedHandshake{"the client certificate is not trusted: ", "reissue the client certificate with clientAuth in its extendedKeyUsage", "bad_certificate", "server"}},
		{"client-certificate-for-servers-tls12", []string{"--verify-client", "require", "--client-ca", root.file}, sClient("-tls1_2", "-cert", serverOnly, "-key", serverOnlyKey),
			failedHandshake{"the client certificate is not trusted: ", "reissue the client certificate with clientAuth in its extendedKeyUsage", "bad_certificate", "server"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := tlstest.FreePort(t)
			out, stop := startServe(t, port, append(serving, c.flags...)...)
			c.client(t, fmt.Sprintf("127.0.0.1:%d", port))
			// The client may be gone before serve has read what it sent:
			// wait for the verdict (bounded) rather than stop serve under it.
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), `"type":"handshake_failed"`) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			stop()
			var got *failedHandshake
			for _, ev := range parseEvents(t, out.String()) {
				if ev.Type == "verdict" && c.name == "untrusted-client-certificate" {
					// The fix names serve's flag for client CAs.
					var v struct{ Fix string }
					if err := json.Unmarshal(ev.Fields, &v); err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(v.Fix, "--client-ca FILE") || strings.Contains(v.Fix, "--cacert") {
						t.Errorf("the client chain's fix does not name --client-ca: %q", v.Fix)
					}
				}
				if ev.Type != "handshake_failed" {
					continue
				}
				if got != nil {
					t.Fatalf("two failed handshakes:\n%s", out)
				}
				got = &failedHandshake{}
				if err := json.Unmarshal(ev.Fields, got); err != nil {
					t.Fatal(err)
				}
			}
			if got == nil {
				t.Fatalf("no handshake_failed event:\n%s", out)
			}
			if c.name == "closed-after-client-hello" {
				// Closed, or reset when the server's reply came after the
				// close.
				for _, how := range []string{"closed", "reset"} {
					if w := "the client " + how + " the connection during the handshake, after the server's reply to its ClientHello"; got.Cause == w {
						c.want.Cause = w
					}
				}
			}
			if !strings.HasPrefix(got.Cause, c.want.Cause) || !strings.Contains(got.Fix, c.want.Fix) || got.Fix == "" ||
				got.Alert != c.want.Alert || got.AlertFrom != c.want.AlertFrom {
				t.Errorf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
}

// TestServeReadsWhatTheTLSStackLeft sends serve what crypto/tls gives up
// on after a record header's worth of bytes, and checks that the trace
// holds the rest of what the client sent, read off the socket before the
// close, and that its events are in time order: a whole SSL 2.0 hello is
// decoded (crypto/tls reads five of its bytes), one cut short says how
// much of it came, and a record header refused at once is reported after
// the server's alert, when the connection ended.
func TestServeReadsWhatTheTLSStackLeft(t *testing.T) {
	// An SSL 2.0 CLIENT-HELLO offering TLS 1.2 (RFC 5246, Appendix E.2):
	// two cipher specs, no session ID, a 16-byte challenge.
	body := append([]byte{1, 3, 3, 0, 6, 0, 0, 0, 16, 0x00, 0xc0, 0x2f, 0x00, 0x00, 0x2f}, make([]byte, 16)...)
	whole := append([]byte{0x80, byte(len(body))}, body...)
	// The same, its header announcing two bytes more than come.
	short := append([]byte{0x80, byte(len(body) + 2)}, body...)
	cases := []struct {
		name  string
		sent  []byte
		check func(t *testing.T, evs []jsonEvent)
	}{
		{"sslv2-hello", whole, func(t *testing.T, evs []jsonEvent) {
			ev := findEvent(evs, "client", "client_hello")
			if ev == nil || ev.Record == nil || ev.Record.Length != len(body) {
				t.Errorf("no client_hello of the whole SSL 2.0 hello: %+v", ev)
			}
			if ev := findEvent(evs, "client", "partial_record"); ev != nil {
				t.Errorf("partial_record: %s", ev.Error)
			}
		}},
		{"sslv2-hello-cut-short", short, func(t *testing.T, evs []jsonEvent) {
			ev := findEvent(evs, "client", "partial_record")
			if want := fmt.Sprintf("(%d of the %d bytes its header announces seen)", len(body), len(body)+2); ev == nil || !strings.Contains(ev.Error, want) {
				t.Errorf("partial_record %+v, want %q", ev, want)
			}
		}},
		{"oversized-record-header", []byte{22, 3, 1, 0xff, 0xff}, func(t *testing.T, evs []jsonEvent) {
			if findEvent(evs, "client", "partial_record") == nil || findEvent(evs, "server", "alert") == nil {
				t.Errorf("no partial_record and alert")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := tlstest.FreePort(t)
			out, stop := startServe(t, port, "--self-signed")
			conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(c.sent); err != nil {
				t.Fatal(err)
			}
			// The server answers with an alert and closes.
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, conn)
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), `"type":"handshake_failed"`) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			stop()
			evs := parseEvents(t, out.String())
			for i := 1; i < len(evs); i++ {
				if evs[i].T < evs[i-1].T {
					t.Errorf("%s (t=%f) after %s (t=%f)", evs[i].Type, evs[i].T, evs[i-1].Type, evs[i-1].T)
				}
			}
			c.check(t, evs)
			if t.Failed() {
				t.Logf("events:\n%s", out)
			}
		})
	}
}
