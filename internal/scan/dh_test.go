package scan

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// tempKeyBits asks openssl s_client which DH group size the server at
// addr uses with suite (an OpenSSL name) in TLS 1.2: its "Server Temp
// Key: DH, N bits" line.
func tempKeyBits(t *testing.T, addr, suite string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", addr, "-tls1_2", "-cipher", suite+":@SECLEVEL=0")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("s_client -cipher %s: %v\n%s", suite, err, out)
	}
	m := regexp.MustCompile(`Server Temp Key: DH, (\d+) bits`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("s_client -cipher %s: no DH temp key in\n%s", suite, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestScanDHGroup scans openssl s_server offering only DHE suites, with
// RFC 5114's 1024-bit group and with its automatic group: the size read
// from each version's ServerKeyExchange is the one openssl s_client
// reports, and dh-small is found for the 1024-bit group only.
func TestScanDHGroup(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	params := filepath.Join(t.TempDir(), "dh1024.pem")
	if out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_rfc5114:1", "-out", params).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name  string
		args  []string
		small bool
	}{
		{"rfc5114-1024", []string{"-dhparam", params}, true},
		{"auto", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := sServer(t, true, append([]string{"-min_protocol", "TLSv1.1", "-max_protocol", "TLSv1.2", "-cipher", "kDHE:@SECLEVEL=0"}, c.args...)...)
			want := tempKeyBits(t, addr, "DHE-RSA-AES128-GCM-SHA256")
			r := scanOf(t, addr)
			if len(r.DH) != 2 {
				t.Fatalf("DH groups %+v, want TLS 1.1 and TLS 1.2", r.DH)
			}
			for _, g := range r.DH {
				if g.Bits != want || g.Err != "" {
					t.Errorf("%s: %d bits (%s), s_client says %d", wire.VersionName(g.Version), g.Bits, g.Err, want)
				}
			}
			i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "dh-small" })
			if (i >= 0) != c.small {
				t.Fatalf("dh-small found %v, want %v (%d bits): %+v", i >= 0, c.small, want, r.Findings)
			}
			if c.small && (r.Findings[i].Severity != Medium || !strings.Contains(r.Findings[i].Cause, "1024 bits in TLS 1.2")) {
				t.Errorf("dh-small: %+v", r.Findings[i])
			}
		})
	}
}
