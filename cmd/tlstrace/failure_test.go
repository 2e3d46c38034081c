package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/lab"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

func plainHTTP(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestGetWireFailures checks that handshake failures are explained by what
// was on the wire: exit code, cause line and fix line.
func TestGetWireFailures(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	hello := lab.ServerHello
	// raw answers the ClientHello with b, then closes or, with wait, waits
	// for the client to close.
	raw := func(b []byte, wait bool) func(t *testing.T) string {
		return func(t *testing.T) string { return tlstest.Listen(t, lab.Answer(b, wait)) }
	}
	openssl := func(args ...string) func(t *testing.T) string {
		return func(t *testing.T) string {
			cert, key := root.leaf(t, dir, "leaf", nil, root)
			return fmt.Sprintf("localhost:%d", sServer(t, cert, key, args...))
		}
	}
	badCert := lab.CorruptCert
	// resetAfter answers the ClientHello with b, then resets the
	// connection.
	resetAfter := func(b []byte) func(t *testing.T) string {
		return func(t *testing.T) string { return tlstest.Listen(t, lab.ResetAfter(b)) }
	}
	// slow answers the ClientHello with b one byte at a time, then waits
	// for the client to close.
	slow := func(b []byte) func(t *testing.T) string {
		return func(t *testing.T) string { return tlstest.Listen(t, lab.Slow(b, 100*time.Millisecond)) }
	}
	cases := []struct {
		name   string
		server func(t *testing.T) string
		flags  []string
		cause  string
		hint   string
	}{
		{"oversized-record", raw(lab.OversizedRecord, true), nil,
			"the server sent a record header that claims 20000 bytes, more than TLS allows (at most 16384 bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1)", "breaks the record layer"},
		{"version-never-offered", raw(hello(0x0300, 0xc02f), true), nil,
			"the server chose SSL 3.0, a version the client did not offer (it offered TLS 1.3, TLS 1.2)", "cannot speak it"},
		{"older-version-not-offered", raw(hello(0x0301, 0xc013), true), nil,
			"the server chose TLS 1.0, a version the client did not offer (it offered TLS 1.3, TLS 1.2)", "--tlsv1.0"},
		{"reset-mid-handshake", resetAfter(hello(0x0303, 0xc02f)), nil,
			"the server reset the connection during the handshake, after its ServerHello", "dropped the connection mid-handshake without an alert: its log says why"},
		{"unknown-suite", raw(hello(0x0303, 0xcafe), true), nil,
			"the client refused the server's handshake with a handshake_failure alert", "breaks the protocol"},
		{"alert-storm", raw(lab.AlertStorm, true), nil,
			"the server sent 40 warning alerts (the last unrecognized_name) where its handshake should have gone on", "is misbehaving"},
		{"oversized-handshake-message", raw(append(hello(0x0303, 0xc02f), 22, 3, 3, 0, 4, 11, 0x10, 0, 0), true), nil,
			"the client refused the server's handshake with an internal_error alert: tls: handshake message of length 1048576 bytes", "breaks the protocol"},
		{"corrupt-certificate", raw(badCert, true), []string{"-m", "2s"},
			"the server sent a certificate that does not parse (certificate 0 (the leaf) of its Certificate message: x509: malformed certificate)", "certificate file is damaged"},
		{"corrupt-certificate-then-close", raw(badCert, false), nil,
			"the server sent a certificate that does not parse (certificate 0 (the leaf) of its Certificate message: x509: malformed certificate)", "certificate file is damaged"},
		{"sslv2-server-hello", raw(lab.SSLv2Hello, true), nil,
			"the server answered in SSL 2.0 (a SERVER-HELLO), which no TLS client speaks", "RFC 6176"},
		{"slow-server", slow([]byte{22, 3, 3}), []string{"-m", "2s"},
			"the TLS handshake timed out after 2s: the server sent only part of a record in that time (3 of the 5 bytes of its header)", "raise -m/--max-time"},
		{"stalled-in-a-message", raw(append([]byte{22, 3, 3, 0, 20}, hello(0x0303, 0xc02f)[5:25]...), true), []string{"-m", "2s"},
			"the TLS handshake timed out after 2s: the server sent only part of a handshake message in that time (16 of the 45 bytes its header announces)", "raise -m/--max-time"},
		{"plain-http", plainHTTP, nil, "the server answered in plain HTTP, not TLS", "use http:// for this port"},
		{"not-tls", raw(lab.Garbage, true), nil,
			`the server did not answer with TLS (first bytes "SSH-2")`, "check the port: this one does not speak TLS"},
		{"closed-inside-a-record", raw(lab.TruncatedRecord, false), nil,
			"the server closed the connection in the middle of a record (it sent 20 of the 84 bytes its header announces)", "cut the connection"},
		{"closed-between-records", raw(nil, false), nil,
			"the server closed the connection during the handshake", "the server may not speak TLS on this port"},
		{"protocol-version", openssl("-tls1_2"), []string{"--tlsv1.3"},
			"no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.3)", "allow older versions with --tlsv1.2, --tlsv1.1 or --tlsv1.0"},
		{"tls1.0-only-server", openssl("-tls1", "-cipher", "ALL:@SECLEVEL=0"), nil,
			"no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.3 and TLS 1.2)", "--tlsv1.0"},
		{"tls1.1-only-server", openssl("-tls1_1", "-cipher", "ALL:@SECLEVEL=0"), nil,
			"no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.3 and TLS 1.2)", "--tlsv1.1"},
		{"no-common-suite", openssl("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"), []string{"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"},
			"the server found no cipher suite, group or signature algorithm in common (handshake_failure alert)", "relax --ciphers, --tls13-ciphers or --curves"},
		{"certificate-required", openssl("-Verify", "1", "-CAfile", root.file), nil,
			"the server requires a client certificate (certificate_required alert)", "pass one with --cert FILE --key FILE"},
		{"certificate-required-tls12", openssl("-tls1_2", "-Verify", "1", "-CAfile", root.file), nil,
			"the server requires a client certificate (it asked for one, then sent a handshake_failure alert)", "pass one with --cert FILE --key FILE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := c.server(t)
			args := append([]string{"https://" + addr + "/", "--cacert", root.file, "-m", "10s"}, c.flags...)
			code, _, stderr := runCode(args...)
			if code != exitTLS {
				t.Errorf("exit %d, want %d\n%s", code, exitTLS, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 2 {
				t.Fatalf("want a cause line and a hint line, got:\n%s", stderr)
			}
			if want := "tlstrace: error: " + c.cause; !strings.HasPrefix(lines[0], want) {
				t.Errorf("cause %q, want %q", lines[0], want)
			}
			if want := "tlstrace: hint: "; !strings.HasPrefix(lines[1], want) || !strings.Contains(lines[1], c.hint) {
				t.Errorf("hint %q, want one with %q", lines[1], c.hint)
			}
			// verify URL explains a failed handshake as the client does
			// (the servers of openssl take one connection).
			if !strings.Contains(c.name, "tls1") && !strings.Contains(c.name, "protocol") &&
				!strings.Contains(c.name, "suite") && !strings.HasPrefix(c.name, "certificate-required") {
				vcode, _, vstderr := runCode(append([]string{"verify"}, args...)...)
				// verify has no run time to name.
				switch c.name {
				case "slow-server":
					stderr = strings.Replace(stderr, "timed out after 2s: the server sent only part of a record in that time (3 of the 5 bytes of its header)", "timed out: the server sent only part of a record (3 of the 5 bytes of its header), then nothing", 1)
				case "stalled-in-a-message":
					stderr = strings.Replace(stderr, "timed out after 2s: the server sent only part of a handshake message in that time (16 of the 45 bytes its header announces)", "timed out: the server sent only part of a handshake message (16 of the 45 bytes its header announces), then nothing", 1)
				}
				if vcode != code || vstderr != stderr {
					t.Errorf("verify: exit %d, %q; want %d, %q", vcode, vstderr, code, stderr)
				}
			}
		})
	}
}
