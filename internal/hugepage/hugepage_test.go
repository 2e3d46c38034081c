//go:build linux

package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestReserve checks that 16 MiB allocated after Reserve lie in huge
// pages: the mapping that holds them says so in /proc/self/smaps.
func TestReserve(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("this kernel gives no transparent huge pages (%q, %v)", mode, err)
	}
	Reserve(32 << 20)
	b := make([]byte, 16<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	huge := hugeKB(t, uintptr(unsafe.Pointer(&b[0])))
	t.Logf("%d kB of the mapping in huge pages", huge)
	if huge < 8<<10 {
		t.Errorf("%d kB of the mapping of 16 MiB allocated after Reserve in huge pages", huge)
	}
}

// hugeKB returns AnonHugePages of the mapping that holds addr.
func hugeKB(t *testing.T, addr uintptr) int {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	in := false
	for s.Scan() {
		line := s.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= addr && addr < hi
			continue
		}
		var kb int
		if n, _ := fmt.Sscanf(line, "AnonHugePages: %d kB", &kb); in && n == 1 {
			return kb
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return 0
}
