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
// server that does not answer HTTP (or is scanned with STARTTLS: no HSTS
// request), high for an HTTP server that completes four renegotiations
// in a row, none for one that refuses a later one (mitigated); and, when
// the HTTP request could not be made, the worse of the two.
func TestRenegotiationFinding(t *testing.T) {
	const noRequest = HTTPCheck(99)
	for _, c := range []struct {
		http HTTPCheck
		done int
		want string
	}{
		{HTTPNone, 1, "medium"}, {HTTPNone, 4, "medium"}, {HTTPAnswered, 4, "high"}, {HTTPAnswered, 3, ""},
		{noRequest, 4, "medium"}, {HTTPUnchecked, 4, "high"}, {HTTPUnchecked, 3, "medium"},
	} {
		r := &Result{Features: []Feature{{Name: "client_renegotiation", Known: true, Supported: true}}, Renegotiations: c.done}
		if c.http != noRequest {
			r.HTTP = c.http
			r.Features = append(r.Features, Feature{Name: "hsts", Known: c.http == HTTPAnswered})
		}
		got := ""
		if fs := renegotiationFinding(r); len(fs) == 1 {
			got = fs[0].Severity.String()
		}
		if got != c.want {
			t.Errorf("HTTP %d, %d renegotiations: %q, want %q", c.http, c.done, got, c.want)
		}
	}
}

// TestScanHSTSOverEngine scans HTTPS servers crypto/tls cannot talk to:
// openssl s_server with TLS 1.0 and 1.1 alone (and every suite), which
// renegotiates when the client asks, and one whose TLS 1.3 group is
// ffdhe2048 alone and whose ECDHE suite has no curve left. The HTTP
// request is made over what the probes found, so the server is seen to
// answer HTTP: no-hsts is found, and the renegotiation is graded by the
// HTTP rule (four in a row: high).
func TestScanHSTSOverEngine(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	for _, c := range []struct {
		name   string
		args   []string
		renego string
	}{
		{"tls1.0-1.1", []string{"-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0", "-client_renegotiation"}, "high"},
		{"ffdhe2048", []string{"-groups", "ffdhe2048", "-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384", "-no_ticket"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := scanOf(t, sServer(t, true, c.args...))
			if f := r.Feature("hsts"); f == nil || !f.Known || f.Supported || r.HTTP != HTTPAnswered {
				t.Errorf("hsts %+v, HTTP %d: want known, not supported, answered", f, r.HTTP)
			}
			if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "no-hsts" }) {
				t.Errorf("findings %v lack no-hsts", r.Findings)
			}
			got := ""
			if i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "client-renegotiation" }); i >= 0 {
				got = r.Findings[i].Severity.String()
			}
			if got != c.renego {
				t.Errorf("client-renegotiation %q, want %q", got, c.renego)
			}
		})
	}
}

// TestScanInsecureRenegotiation scans gnutls-serv with RFC 5746 turned
// off (%DISABLE_SAFE_RENEGOTIATION), which still renegotiates when the
// client asks: the renegotiation is completed without RFC 5746's
// binding, which makes no-secure-renegotiation critical, and its fix
// names the setting that turned RFC 5746 off (the library is current:
// updating it would not help), as well as an old library; and the fix of
// client-renegotiation does not give that priority string, which leaves
// renegotiation on.
func TestScanInsecureRenegotiation(t *testing.T) {
	tlstest.RequirePeer(t, "gnutls-serv")
	r := scanOf(t, gnutlsServer(t, true, "--http", "--priority", "NORMAL:%DISABLE_SAFE_RENEGOTIATION:-VERS-TLS1.3"))
	if !r.InsecureRenegotiation || r.Renegotiations == 0 {
		t.Errorf("insecure %v after %d renegotiations, want insecure and some", r.InsecureRenegotiation, r.Renegotiations)
	}
	for _, f := range r.Findings {
		switch f.Rule {
		case "no-secure-renegotiation":
			if f.Severity != Critical {
				t.Errorf("no-secure-renegotiation: %s, want critical", f.Severity)
			}
			if !strings.Contains(f.Fix, "%DISABLE_SAFE_RENEGOTIATION") || !strings.Contains(f.Fix, "update") {
				t.Errorf("no-secure-renegotiation fix %q: want both the configuration that disables RFC 5746 and an old library", f.Fix)
			}
		case "client-renegotiation":
			if strings.Contains(f.Fix, "DISABLE_SAFE_RENEGOTIATION") {
				t.Errorf("client-renegotiation fix %q gives a priority string that leaves renegotiation on", f.Fix)
			}
		}
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "no-secure-renegotiation" }) || r.Grade != "F" {
		t.Errorf("grade %s, findings %v: want F and no-secure-renegotiation", r.Grade, r.Findings)
	}
}
