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
// gnutls-serv, which accepts them, both serving HTTP: the
// client_renegotiation feature and the severity of its finding (none,
// medium, high) are testssl.sh's secure_client_renego (OK, MEDIUM, HIGH)
// on each.
func TestScanRenegotiation(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "gnutls-serv", "testssl")
	for _, c := range []struct {
		name string
		addr func(t *testing.T) string
		want string
	}{
		{"openssl-default", func(t *testing.T) string { return sServer(t, true, "-no_tls1_3") }, "OK"},
		{"openssl-client-renegotiation", func(t *testing.T) string { return sServer(t, true, "-no_tls1_3", "-client_renegotiation") }, "HIGH"},
		{"gnutls", func(t *testing.T) string { return gnutlsServer(t, true, "--http", "--priority", "NORMAL:-VERS-TLS1.3") }, "HIGH"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := c.addr(t)
			r := scanOf(t, addr)
			f := r.Feature("client_renegotiation")
			if f == nil || !f.Known || f.Supported != (c.want != "OK") {
				t.Fatalf("client_renegotiation %+v, want %s", f, c.want)
			}
			got := "OK"
			if i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "client-renegotiation" }); i >= 0 {
				got = strings.ToUpper(r.Findings[i].Severity.String())
			}
			if got != c.want {
				t.Errorf("client-renegotiation %s, want %s (%s)", got, c.want, f.Detail)
			}
			if sev := testsslRenego(t, addr); sev != got {
				t.Errorf("testssl.sh says %s, the scan %s (%s)", sev, got, f.Detail)
			}
		})
	}
}

// TestRenegotiationFinding checks testssl.sh's grades: medium for a
// server that does not answer HTTP, high for an HTTP server that
// completes four renegotiations in a row, none for one that refuses a
// later one (mitigated).
func TestRenegotiationFinding(t *testing.T) {
	for _, c := range []struct {
		http bool
		done int
		want string
	}{
		{false, 1, "medium"}, {false, 4, "medium"}, {true, 4, "high"}, {true, 3, ""},
	} {
		r := &Result{Features: []Feature{{Name: "client_renegotiation", Known: true, Supported: true}}, Renegotiations: c.done}
		if c.http {
			r.Features = append(r.Features, Feature{Name: "hsts", Known: true})
		}
		got := ""
		if fs := renegotiationFinding(r); len(fs) == 1 {
			got = fs[0].Severity.String()
		}
		if got != c.want {
			t.Errorf("HTTP %v, %d renegotiations: %q, want %q", c.http, c.done, got, c.want)
		}
	}
}
