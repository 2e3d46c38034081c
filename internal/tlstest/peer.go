package tlstest

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
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

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// a peer program the test starts there. It is picked at random below the
// kernel's ephemeral ports (net.ipv4.ip_local_port_range), which the
// kernel never gives an outgoing connection: a port it gives for
// "127.0.0.1:0" can be taken, before the peer binds it, as the local port
// of a connection made by a test running in parallel (a dovecot test
// failed so, "Address already in use").
func FreePort(t testing.TB) int {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	const base = 10000 // above the ports of the system's own services
	for range 100 {
		if low <= base+1000 {
			break
		}
		port := base + rand.IntN(low-base)
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			ln.Close()
			return port
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
