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

// TestLabLyingLength checks lying-length through both engines and
// connect: each names the lie at once, though the server waits for the
// client to give up.
func TestLabLyingLength(t *testing.T) {
	servers, ca := startLab(t, "lying-length")
	u, err := url.Parse(servers[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	const cause = "the server's server_hello message claims 131072 bytes in its header, more than a server_hello can hold (65607)"
	for _, args := range [][]string{
		{servers[0].URL, "-m", "10s", "--engine", "own"},
		{servers[0].URL, "-m", "10s", "--engine", "go"},
		{"connect", u.Host, "--timeout", "10s"},
		{"connect", u.Host, "--timeout", "10s", "--engine", "own"},
	} {
		start := time.Now()
		code, _, stderr := runCode(append(args, "--cacert", ca)...)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%v took %v", args, d)
		}
		if code != 6 || !strings.Contains(stderr, "tlstrace: error: "+cause) || !strings.Contains(stderr, "tlstrace: hint: the server's TLS stack writes broken handshake messages") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}

// TestLabLyingLengthPeers records what curl and openssl s_client make of
// lying-length: both refuse it.
func TestLabLyingLengthPeers(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "openssl")
	servers, ca := startLab(t, "lying-length")
	u, err := url.Parse(servers[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"curl", "-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", servers[0].URL},
		{"openssl", "s_client", "-connect", u.Host, "-CAfile", ca, "-brief"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Stdin = strings.NewReader("")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		cancel()
		t.Logf("%s: %v in %v: %s", args[0], err, time.Since(start).Round(time.Millisecond), firstLines(string(out), 2))
		if err == nil {
			t.Errorf("%s accepted the lying ServerHello", args[0])
		}
	}
}
