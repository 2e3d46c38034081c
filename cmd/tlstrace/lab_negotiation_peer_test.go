package main

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestLabNegotiationPeers runs curl and openssl s_client against
// sni-required and cbc-only: curl and s_client fail on sni-required
// without a server name and connect with one, and both connect to
// cbc-only without a word about its CBC suite (tlstrace warns).
func TestLabNegotiationPeers(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "openssl")
	servers, ca := startLab(t, "sni-required", "cbc-only")
	run := func(name string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		t.Logf("%s %s: %v: %s", name, strings.Join(args, " "), err, firstLines(string(out), 3))
		return string(out), err
	}
	sni, cbc := servers[0], servers[1]
	u, err := url.Parse(sni.URL)
	if err != nil {
		t.Fatal(err)
	}
	byName := "https://localhost:" + u.Port() + "/"
	if _, err := run("curl", "-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", sni.URL); err == nil {
		t.Error("curl was served by sni-required without a server name")
	}
	if _, err := run("curl", "-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", byName); err != nil {
		t.Error("curl was refused by sni-required with a server name")
	}
	if out, err := run("openssl", "s_client", "-connect", u.Host, "-noservername", "-CAfile", ca, "-brief"); err == nil || !strings.Contains(out, "unrecognized name") {
		t.Error("openssl s_client without a server name: no unrecognized_name alert")
	}
	if _, err := run("openssl", "s_client", "-connect", u.Host, "-servername", "localhost", "-CAfile", ca, "-verify_return_error", "-brief"); err != nil {
		t.Error("openssl s_client was refused by sni-required with a server name")
	}

	c, err := url.Parse(cbc.URL)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run("curl", "-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", cbc.URL); err != nil || out != "" {
		t.Errorf("curl on cbc-only: %v %q, want a silent success", err, out)
	}
	if out, err := run("openssl", "s_client", "-connect", c.Host, "-CAfile", ca, "-verify_return_error", "-verify_ip", c.Hostname(), "-brief"); err != nil ||
		!strings.Contains(out, "ECDHE-ECDSA-AES128-SHA") {
		t.Errorf("openssl s_client on cbc-only: %v, want a connection with ECDHE-ECDSA-AES128-SHA", err)
	}
}
