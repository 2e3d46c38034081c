package tlstest

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RequirePeer skips the test when one of the programs it runs (openssl,
// tshark, curl…) is not on the PATH, except under CI (CI=true), where a
// missing peer fails it.
func RequirePeer(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI: %v", n, err)
			}
			t.Skipf("%s not installed", n)
		}
	}
}

// OpenSSLServer starts openssl with args, an s_server told to accept on
// 127.0.0.1:0, and returns the address it says it listens on (its
// "ACCEPT " line). setup, if not nil, prepares the command before it
// starts (environment, standard input). The server is killed after
// timeout, or when the test ends, and waited for.
func OpenSSLServer(t testing.TB, timeout time.Duration, setup func(*exec.Cmd), args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, "openssl", args...)
	if setup != nil {
		setup(cmd)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var stderr Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
				addr <- a
				break
			}
		}
		close(addr)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("s_server %v did not start: %s", args[1:], stderr.String())
		}
		return a
	case <-time.After(20 * time.Second):
		t.Fatalf("s_server %v did not say where it listens", args[1:])
	}
	return ""
}
