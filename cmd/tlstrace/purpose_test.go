package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestAnyEKUPeers: a server whose leaf lists anyExtendedKeyUsage alone,
// which crypto/x509 takes for serverAuth, fails verification as curl
// fails it (exit 60, unsuitable certificate purpose): get exits with the
// verification's code and names the extended key usage.
func TestAnyEKUPeers(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	tlstest.RequirePeer(t, "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "anyeku", func(l *x509.Certificate) {
		l.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	})
	var ee *exec.ExitError
	url := fmt.Sprintf("https://localhost:%d/", sServer(t, cert, key))
	if err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, url).Run(); !errors.As(err, &ee) || ee.ExitCode() != 60 {
		t.Fatalf("curl: %v, want exit 60", err)
	}
	url = fmt.Sprintf("https://localhost:%d/", sServer(t, cert, key))
	code, out, stderr := runCode(url, "--cacert", root.file, "-m", "10s")
	if code != exitVerify {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitVerify, out, stderr)
	}
	if w := "crypto/x509 takes anyExtendedKeyUsage for any use, but OpenSSL, curl and Firefox refuse it"; !strings.Contains(stderr, w) {
		t.Errorf("stderr does not say %q:\n%s", w, stderr)
	}
}
