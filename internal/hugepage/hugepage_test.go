//go:build linux

package hugepage

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestReserve checks that memory allocated after Reserve costs a fraction
// of the page faults of 4 KiB pages: 16 MiB is 4096 of them.
func TestReserve(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("this kernel gives no transparent huge pages (%q, %v)", mode, err)
	}
	Reserve(32 << 20)
	before := faults(t)
	b := make([]byte, 16<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	n := faults(t) - before
	t.Logf("%d page faults for 16 MiB", n)
	if n > 1024 {
		t.Errorf("%d page faults for 16 MiB after Reserve: not in huge pages", n)
	}
}

func faults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}
