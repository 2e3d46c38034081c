package scan

import (
	"context"
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

// chosenBy asks openssl s_client, offering ciphers (OpenSSL names) in
// that order, which suite the server at addr chooses.
func chosenBy(t *testing.T, addr, ciphers string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", addr, "-tls1_2", "-cipher", ciphers)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("s_client -cipher %s: %v\n%s", ciphers, err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if _, c, ok := strings.Cut(l, ", Cipher is "); ok {
			return strings.TrimSpace(c)
		}
	}
	t.Fatalf("s_client -cipher %s: no cipher in\n%s", ciphers, out)
	return ""
}

// testsslOrder runs testssl.sh -P on addr and returns its cipher_order
// finding ("server", or the text it gives otherwise).
func testsslOrder(t *testing.T, addr string) string {
	t.Helper()
	// testssl.sh -P takes about 40 s on an idle machine and was seen
	// past two minutes on a loaded one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "testssl.json")
	cmd := exec.CommandContext(ctx, "testssl", "--quiet", "--color", "0", "--warnings", "off", "-P", "--jsonfile", file, addr)
	if out, err := cmd.CombinedOutput(); err != nil && ctx.Err() != nil {
		t.Fatalf("testssl -P: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("testssl wrote no JSON: %v", err)
	}
	var findings []struct{ ID, Finding string }
	if err := json.Unmarshal(b, &findings); err != nil {
		t.Fatalf("testssl's JSON: %v", err)
	}
	for _, f := range findings {
		if f.ID == "cipher_order" {
			return f.Finding
		}
	}
	t.Fatalf("testssl gave no cipher_order finding:\n%s", b)
	return ""
}

// checkTestsslOrder compares testssl.sh's cipher_order on addr with
// truth, the order s_client found offering the suites a then b and b then
// a. testssl.sh 3.0.8 (Debian 12) answers "server" for a server that gives
// each client the first of the two suites it offers: that error is
// logged, any other disagreement fails the test.
func checkTestsslOrder(t *testing.T, addr string, truth Order, a, b string) {
	t.Helper()
	switch ts := testsslOrder(t, addr); {
	case (ts == "server") == (truth == OrderServer):
		t.Logf("testssl.sh agrees: cipher_order %q", ts)
	case ts == "server":
		t.Logf("testssl.sh is wrong: cipher_order %q, but s_client offering %s then %s gets the first suite offered each time", ts, a, b)
	default:
		t.Errorf("testssl.sh says cipher_order %q, s_client shows the %s order", ts, truth)
	}
}

// TestTestsslOrder compares the server-order verdict with testssl.sh's on
// two TLS 1.2 servers offering the same two suites, one with -serverpref
// and one without. The truth is what openssl s_client gets when it offers
// the two suites in one order and then the other: the same suite both
// times is the server's order, the first offered each time the client's.
// testssl.sh 3.0 says "server" for both; the test records where it is
// wrong instead of following it.
func TestTestsslOrder(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "testssl")
	const a, b = "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256"
	for _, c := range []struct {
		name string
		args []string
		want Order
	}{
		{"serverpref", []string{"-serverpref"}, OrderServer},
		{"client-order", nil, OrderClient},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := sServer(t, true, append([]string{"-tls1_2", "-cipher", a + ":" + b}, c.args...)...)
			truth := OrderClient
			if chosenBy(t, addr, a+":"+b) == chosenBy(t, addr, b+":"+a) {
				truth = OrderServer
			}
			if truth != c.want {
				t.Fatalf("s_client finds the %s order on a server configured for the %s order", truth, c.want)
			}
			r := scanOf(t, addr)
			var got Order
			for _, vr := range r.Versions {
				if vr.Version == wire.VersionTLS12 && vr.Outcome == Accepted {
					got = vr.Order
				}
			}
			if got != truth {
				t.Errorf("tlstrace says the %s order, s_client shows the %s order", got, truth)
			}
			checkTestsslOrder(t, addr, truth, a, b)
		})
	}
}
