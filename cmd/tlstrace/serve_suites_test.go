package main

import (
	"crypto/rand"
	"crypto/rsa"
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

// hello12 is a TLS 1.2 ClientHello record offering suites, with exts.
func hello12(t *testing.T, suites []uint16, exts ...wire.Extension) []byte {
	t.Helper()
	msg, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: suites, Extensions: exts}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := wire.AppendRecord(nil, wire.ContentHandshake, wire.VersionTLS10, msg)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// serveVerdict starts serve with flags, runs client against its address and
// returns the handshake_failed event, or nil when the handshake completed.
func serveVerdict(t *testing.T, flags []string, client func(t *testing.T, addr string)) *failedHandshake {
	t.Helper()
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, flags...)
	client(t, fmt.Sprintf("127.0.0.1:%d", port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s := out.String(); strings.Contains(s, `"type":"handshake_failed"`) || strings.Contains(s, `"type":"handshake_complete"`) {
			break
		}
	}
	stop()
	var got *failedHandshake
	done := false
	for _, ev := range parseEvents(t, out.String()) {
		switch ev.Type {
		case "handshake_complete":
			done = true
		case "handshake_failed":
			got = &failedHandshake{}
			if err := json.Unmarshal(ev.Fields, got); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got == nil && !done {
		t.Fatalf("neither handshake_complete nor handshake_failed:\n%s", out)
	}
	return got
}

// TestServeSuiteSelection has TLS 1.2 clients fail crypto/tls's choice of
// a cipher suite at each of its steps (a suite the server serves, for the
// key of its certificate, with ECDHE when the suite needs it, then a
// signature the client accepts), checks that the cause names the step and
// what the client sent, then follows the fix (on the server or the
// client) and checks that the handshake completes.
func TestServeSuiteSelection(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "gnutls-cli")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	ecCert, ecKey := root.leaf(t, dir, "ecdsa", nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// keyEncipherment, which clients require of a key for the RSA key
	// exchange (RFC 5280, Section 4.2.1.3).
	rsaCert, rsaKeyFile := root.leafWithKey(t, dir, "rsa", rsaKey, func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageKeyEncipherment })
	ec := []string{"--cert", ecCert, "--key", ecKey}
	rsaToo := append([]string{"--cert", rsaCert, "--key", rsaKeyFile}, ec...)
	onlyRSA := []string{"--cert", rsaCert, "--key", rsaKeyFile}
	run := func(name string, args ...string) func(t *testing.T, addr string) {
		return func(t *testing.T, addr string) {
			host, port, _ := net.SplitHostPort(addr)
			var all []string
			for _, a := range args {
				all = append(all, strings.NewReplacer("ADDR", addr, "HOST", host, "PORT", port).Replace(a))
			}
			cmd := exec.Command(name, all...)
			cmd.Stdin = strings.NewReader("")
			runOutput(cmd, 10*time.Second)
		}
	}
	sClient := func(args ...string) func(t *testing.T, addr string) {
		return run("openssl", append([]string{"s_client", "-connect", "ADDR", "-servername", "localhost", "-CAfile", root.file}, args...)...)
	}
	gnutls := func(priority string) func(t *testing.T, addr string) {
		return run("gnutls-cli", "--insecure", "--port", "PORT", "--priority", priority, "HOST")
	}
	// raw sends a ClientHello and reads what the server answers.
	raw := func(b []byte) func(t *testing.T, addr string) {
		return func(t *testing.T, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(b)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			io.Copy(io.Discard, c)
		}
	}
	// answered sends a ClientHello and checks that the server answers
	// with a ServerHello; the handshake goes no further.
	answered := func(b []byte) func(t *testing.T, addr string) {
		return func(t *testing.T, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(b)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			head := make([]byte, 6)
			if _, err := io.ReadFull(c, head); err != nil || head[0] != byte(wire.ContentHandshake) || head[5] != byte(wire.TypeServerHello) {
				t.Errorf("the server did not answer with a ServerHello: % x, %v", head, err)
			}
		}
	}
	sigalgs, err := wire.SignatureAlgorithmsExtension(13, []uint16{0x0403, 0x0804, 0x0401})
	if err != nil {
		t.Fatal(err)
	}
	groups := func(gs ...uint16) wire.Extension {
		e, err := wire.SupportedGroupsExtension(gs)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	compressed := wire.Extension{Type: wire.ExtECPointFormats, Data: []byte{1, 1}}
	ecdsaSuite := []uint16{0xc02b}
	cases := []struct {
		name         string
		flags        []string
		client       func(t *testing.T, addr string)
		cause, fix   string
		fixed        []string
		fixedClient  func(t *testing.T, addr string)
		alert        string
		causeIsExact bool
		// hello: the fixed client only checks that the server answers
		// with a ServerHello, then closes.
		hello bool
	}{
		{name: "no-supported-groups", flags: ec, client: raw(hello12(t, ecdsaSuite, sigalgs, wire.ECPointFormatsExtension())),
			cause: "the cipher suites the client offered that the server serves for its key (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; the server's certificate has an ECDSA P-256 key) all use ECDHE, which the server cannot do with this client: the client sent no supported_groups extension, and ECDHE needs a group in common (RFC 8422, Section 5.1.1) (the server sent a handshake_failure alert)",
			fix:   "have the client send supported_groups (RFC 8422, Section 5.1.1) with a group the server serves in TLS 1.2 (x25519, secp256r1, secp384r1, secp521r1)", causeIsExact: true,
			fixed: ec, fixedClient: answered(hello12(t, ecdsaSuite, sigalgs, wire.ECPointFormatsExtension(), groups(23))), hello: true},
		{name: "no-common-group", flags: ec, client: raw(hello12(t, ecdsaSuite, sigalgs, groups(30))),
			cause: "the cipher suites the client offered that the server serves for its key (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; the server's certificate has an ECDSA P-256 key) all use ECDHE, which the server cannot do with this client: none of the groups in the client's supported_groups (x448) is one the server serves in TLS 1.2 (x25519, secp256r1, secp384r1, secp521r1)",
			fix:   "have the client send supported_groups",
			fixed: ec, fixedClient: answered(hello12(t, ecdsaSuite, sigalgs, groups(30, 29))), hello: true},
		{name: "no-uncompressed-point-format", flags: ec, client: raw(hello12(t, ecdsaSuite, sigalgs, groups(23), compressed)),
			cause: "the client's ec_point_formats (ansiX962_compressed_prime) leaves out the uncompressed format", alert: "missing_extension",
			fix:   "have the client list the uncompressed point format in ec_point_formats",
			fixed: ec, fixedClient: answered(hello12(t, ecdsaSuite, sigalgs, groups(23), wire.ECPointFormatsExtension())), hello: true},
		// GnuTLS without extensions sends neither supported_groups nor
		// signature_algorithms: the fix needs both.
		{name: "no-extensions-gnutls", flags: ec, client: gnutls("NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_EXTENSIONS"),
			cause: "the cipher suites the client offered that the server serves for its key (5 suites; the server's certificate has an ECDSA P-256 key) all use ECDHE, which the server cannot do with this client: the client sent no supported_groups extension, and ECDHE needs a group in common (RFC 8422, Section 5.1.1); it sent no signature_algorithms either",
			fix:   "and signature_algorithms with SHA-256 schemes",
			fixed: ec, fixedClient: gnutls("NORMAL:-VERS-ALL:+VERS-TLS1.2")},
		// With an RSA key the RSA key exchange needs no group: GnuTLS
		// offers it, and allowing it on the server is the other fix.
		{name: "no-extensions-gnutls-rsa", flags: onlyRSA, client: gnutls("NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_EXTENSIONS"),
			cause: "the cipher suites the client offered that the server serves for its key (5 suites; the server's certificate has an RSA 2048 bits key) all use ECDHE",
			fix:   "or allow on the server a suite with the RSA key exchange that the client offers (TLS_RSA_WITH_AES_256_GCM_SHA384), which needs neither",
			fixed: append([]string{"--ciphers", "ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384"}, onlyRSA...)},
		{name: "suites-for-an-rsa-key", flags: ec, client: sClient("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"),
			cause: "the cipher suites the client offered that the server serves (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) need a certificate with an RSA key, and the server's certificate has an ECDSA P-256 key (the server sent a handshake_failure alert)", causeIsExact: true,
			fix:   "serve an RSA certificate beside the ECDSA one (a second certificate and key: the server picks the one the client's suites fit), or have the client offer ECDHE_ECDSA suites",
			fixed: rsaToo},
		{name: "suites-not-served-for-an-rsa-key", flags: ec, client: sClient("-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:CAMELLIA128-SHA"),
			cause: "none of the cipher suites the client offered (TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_CAMELLIA_128_CBC_SHA) is one the server serves; those tlstrace can serve (TLS_DHE_RSA_WITH_AES_128_GCM_SHA256) need a certificate with an RSA key, and the server's certificate has an ECDSA P-256 key (the server sent a handshake_failure alert)", causeIsExact: true,
			fix:   "serve an RSA certificate beside the ECDSA one and allow TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 on the server",
			fixed: append([]string{"--ciphers", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}, rsaToo...)},
		// OpenSSL offers only the suites of the keys whose signatures it
		// accepts.
		{name: "signatures-and-suites-for-an-rsa-key", flags: ec, client: sClient("-tls1_2", "-sigalgs", "rsa_pss_rsae_sha256:rsa_pkcs1_sha256"),
			cause: "the cipher suites the client offered that the server serves (5 suites) need a certificate with an RSA key, and the server's certificate has an ECDSA P-256 key; nor does the client's signature_algorithms (rsa_pss_rsae_sha256, rsa_pkcs1_sha256) hold a scheme that key signs with: ECDSA P-256 (ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512)",
			fix:   "serve an RSA certificate beside the ECDSA one", fixed: rsaToo},
		// Go 1.26 leaves the RSA key exchange out of its defaults.
		{name: "rsa-key-exchange-not-by-default", flags: onlyRSA, client: sClient("-tls1_2", "-cipher", "AES128-GCM-SHA256"),
			cause: "the only cipher suite the client offered, TLS_RSA_WITH_AES_128_GCM_SHA256, is not one the server serves (the server sent a handshake_failure alert)", causeIsExact: true,
			fix:   "allow one of the client's cipher suites on the server (TLS_RSA_WITH_AES_128_GCM_SHA256)",
			fixed: append([]string{"--ciphers", "AES128-GCM-SHA256"}, onlyRSA...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := serveVerdict(t, c.flags, c.client)
			if got == nil {
				t.Fatal("the handshake completed")
			}
			alert := c.alert
			if alert == "" {
				alert = "handshake_failure"
			}
			if (c.causeIsExact && got.Cause != c.cause) || !strings.HasPrefix(got.Cause, c.cause) || !strings.Contains(got.Fix, c.fix) ||
				got.Alert != alert || got.AlertFrom != "server" {
				t.Errorf("got  %+v\nwant cause %q, fix %q, alert %s", *got, c.cause, c.fix, alert)
			}
			client := c.fixedClient
			if client == nil {
				client = c.client
			}
			if got := serveVerdict(t, c.fixed, client); got != nil && !(c.hello && got.Alert == "") {
				t.Errorf("with the fix, the handshake still fails: %+v", *got)
			}
		})
	}
}
