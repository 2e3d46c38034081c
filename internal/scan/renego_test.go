package scan

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// testsslRenego runs testssl.sh -R on addr and returns the severity of
// its secure_client_renego finding: OK when the server refuses a
// client-initiated renegotiation, MEDIUM or HIGH when it accepts.
func testsslRenego(t *testing.T, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "testssl.json")
	cmd := exec.CommandContext(ctx, "testssl", "--quiet", "--color", "0", "--warnings", "off", "-R", "--jsonfile", file, addr)
	if out, err := cmd.CombinedOutput(); err != nil && ctx.Err() != nil {
		t.Fatalf("testssl -R: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("testssl wrote no JSON: %v", err)
	}
	var findings []struct{ ID, Severity, Finding string }
	if err := json.Unmarshal(b, &findings); err != nil {
		t.Fatalf("testssl's JSON: %v", err)
	}
	for _, f := range findings {
		if f.ID == "secure_client_renego" {
			t.Logf("testssl.sh: %s %s", f.Severity, f.Finding)
			return f.Severity
		}
	}
	t.Fatalf("testssl gave no secure_client_renego finding:\n%s", b)
	return ""
}

// TestScanRenegotiation scans openssl s_server, which refuses a
// client-initiated renegotiation unless -client_renegotiation, and
// gnutls-serv, which accepts one: the client_renegotiation feature and its
// finding agree with testssl.sh's secure_client_renego on each (which is
// HIGH, not MEDIUM, for these HTTP servers: it renegotiates four times in
// a row, which the scan does not).
func TestScanRenegotiation(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "gnutls-serv", "testssl")
	for _, c := range []struct {
		name string
		addr func(t *testing.T) string
		want bool
	}{
		{"openssl-default", func(t *testing.T) string { return sServer(t, true, "-no_tls1_3") }, false},
		{"openssl-client-renegotiation", func(t *testing.T) string { return sServer(t, true, "-no_tls1_3", "-client_renegotiation") }, true},
		{"gnutls", func(t *testing.T) string { return gnutlsServer(t, true, "--http", "--priority", "NORMAL:-VERS-TLS1.3") }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := c.addr(t)
			r := scanOf(t, addr)
			f := r.Feature("client_renegotiation")
			if f == nil || !f.Known || f.Supported != c.want {
				t.Fatalf("client_renegotiation %+v, want supported %v", f, c.want)
			}
			found := slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "client-renegotiation" && f.Severity == Medium })
			if found != c.want {
				t.Errorf("client-renegotiation finding %v, want %v: %+v", found, c.want, r.Findings)
			}
			if sev := testsslRenego(t, addr); (sev != "OK") != c.want || !strings.Contains("OK MEDIUM HIGH", sev) {
				t.Errorf("testssl.sh says %s, the scan supported %v (%s)", sev, f.Supported, f.Detail)
			}
		})
	}
}
