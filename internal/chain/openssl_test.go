package chain

import (
	"crypto/x509"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/certio"
)

// opensslIn runs openssl in dir: run returns its output and error, must
// returns its output and fails the test when openssl fails.
func opensslIn(t *testing.T, dir string) (run func(args ...string) (string, error), must func(args ...string) string) {
	run = func(args ...string) (string, error) {
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	must = func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	return run, must
}

// certsIn reads the certificates of the file name in dir.
func certsIn(t *testing.T, dir, name string) []*x509.Certificate {
	t.Helper()
	b, err := certio.ReadFile(filepath.Join(dir, name), "")
	if err != nil {
		t.Fatal(err)
	}
	return b.Certs
}
