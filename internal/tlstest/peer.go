package tlstest

import (
	"os"
	"os/exec"
	"testing"
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
