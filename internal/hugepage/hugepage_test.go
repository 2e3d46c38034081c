//go:build linux

package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestReserve checks that 16 MiB allocated after Reserve lie in memory
// marked for huge pages: the mapping that holds them has the flag "hg" in
// /proc/self/smaps. Whether the kernel then finds free 2 MiB pages depends
// on how fragmented memory is at the time, so that is only logged.
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
	flags, huge := mapping(t, uintptr(unsafe.Pointer(&b[0])))
	t.Logf("VmFlags: %s; %d kB in huge pages", flags, huge)
	if !slices.Contains(strings.Fields(flags), "hg") {
		t.Errorf("the mapping of 16 MiB allocated after Reserve is not marked for huge pages (VmFlags: %s)", flags)
	}
}

// mapping returns the VmFlags and AnonHugePages of the mapping that holds
// addr.
func mapping(t *testing.T, addr uintptr) (flags string, hugeKB int) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	in, found := false, false
	for s.Scan() {
		line := s.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			if found {
				break
			}
			in = lo <= addr && addr < hi
			found = in
			continue
		}
		if !in {
			continue
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			flags = strings.TrimSpace(v)
		}
		fmt.Sscanf(line, "AnonHugePages: %d kB", &hugeKB)
	}
	if !found {
		t.Fatalf("no mapping holds %#x", addr)
	}
	return flags, hugeKB
}
