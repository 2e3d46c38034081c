package scan

import (
	"context"
	"crypto/tls"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// sClient runs openssl s_client against addr with args, sending stdin,
// and returns what it printed.
func sClient(t *testing.T, addr, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", append([]string{"s_client", "-connect", addr}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		t.Fatalf("s_client %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// resumedBy says what openssl s_client finds of the server's resumption:
// -reconnect by session ID alone (-no_ticket) and with tickets in TLS
// 1.2, and in TLS 1.3 a session saved after an HTTP request (so that the
// tickets are read) and offered again.
func resumedBy(t *testing.T, addr string) map[string]bool {
	t.Helper()
	sess := filepath.Join(t.TempDir(), "sess.pem")
	withTicket := sClient(t, addr, "", "-tls1_2", "-reconnect")
	sClient(t, addr, "GET / HTTP/1.0\r\n\r\n", "-tls1_3", "-sess_out", sess, "-ign_eof")
	return map[string]bool{
		"session_id_resumption": strings.Contains(sClient(t, addr, "", "-tls1_2", "-no_ticket", "-reconnect"), "\nReused, TLSv1.2"),
		"ticket_resumption":     strings.Contains(withTicket, "\nReused, TLSv1.2") && strings.Contains(withTicket, "TLS session ticket:"),
		"psk_resumption":        strings.Contains(sClient(t, addr, "", "-tls1_3", "-sess_in", sess), "\nReused, TLSv1.3"),
	}
}

// TestScanResumption compares the resumption the scan tries with what
// openssl s_client gets, on s_server with tickets, without (-no_ticket:
// session IDs, and stateful TLS 1.3 tickets) and with no session cache
// either; and what the ServerHello offers: a session ID whenever the
// server keeps sessions by ID, though with a ticket offered OpenSSL sends
// none (RFC 5077, Section 3.4).
func TestScanResumption(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	for _, c := range []struct {
		name  string
		args  []string
		want  map[string]bool
		hello map[string]bool
	}{
		{"tickets", nil, map[string]bool{"session_id_resumption": true, "ticket_resumption": true, "psk_resumption": true}, map[string]bool{"session_id": true, "session_ticket": true}},
		{"no-ticket", []string{"-no_ticket"}, map[string]bool{"session_id_resumption": true, "ticket_resumption": false, "psk_resumption": true}, map[string]bool{"session_id": true, "session_ticket": false}},
		{"no-cache", []string{"-no_ticket", "-no_cache"}, map[string]bool{"session_id_resumption": false, "ticket_resumption": false, "psk_resumption": false}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := sServer(t, true, c.args...)
			truth := resumedBy(t, addr)
			r := scanOf(t, addr)
			for name, want := range c.want {
				if truth[name] != want {
					t.Errorf("s_client finds %s %v on s_server %v, want %v", name, truth[name], c.args, want)
				}
				f := r.Feature(name)
				if f == nil || !f.Known || f.Supported != truth[name] {
					t.Errorf("%s: %+v, s_client says %v", name, f, truth[name])
					continue
				}
				t.Logf("%s %s: %v, %s", name, wire.VersionName(f.Version), f.Supported, f.Detail)
			}
			for name, want := range c.hello {
				if f := r.Feature(name); f == nil || !f.Known || f.Supported != want {
					t.Errorf("%s: %+v, want supported %v", name, f, want)
				}
			}
			if f := r.Feature("early_data"); c.want["psk_resumption"] && (f == nil || !f.Known || f.Supported) {
				t.Errorf("early_data %+v, want known and not supported (s_server without -early_data)", f)
			}
		})
	}
}

// TestScanEarlyData: s_server -early_data (which cannot serve -www) puts
// early_data in its tickets, allowing 16384 bytes of 0-RTT data.
func TestScanEarlyData(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	certFile, keyFile := writeCert(t, true)
	addr := sServerFiles(t, certFile, keyFile, "-early_data")
	r := scanOf(t, addr)
	if f := r.Feature("early_data"); f == nil || !f.Known || !f.Supported || !strings.Contains(f.Detail, "16384 bytes") {
		t.Errorf("early_data %+v, want supported with 16384 bytes", f)
	}
}

// TestScanResumptionGoTLS: crypto/tls resumes TLS 1.2 sessions by ticket
// only (it keeps no session cache) and TLS 1.3 ones by PSK, with tickets
// that allow no early data; with tickets disabled, by neither.
func TestScanResumptionGoTLS(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		addr := goServer(t, &tls.Config{SessionTicketsDisabled: disabled})
		r := scanOf(t, addr)
		for name, want := range map[string]bool{"ticket_resumption": !disabled, "psk_resumption": !disabled, "session_id_resumption": false} {
			if f := r.Feature(name); f == nil || !f.Known || f.Supported != want {
				t.Errorf("tickets disabled %v: %s %+v, want supported %v", disabled, name, f, want)
			}
		}
		if f := r.Feature("early_data"); (f != nil) == disabled || f != nil && (!f.Known || f.Supported) {
			t.Errorf("tickets disabled %v: early_data %+v", disabled, f)
		}
	}
}

// TestScanResumptionClientCertificate: s_server -Verify 1 asks every
// client for a certificate and refuses one that sends none, so no
// session is made to resume; the evidence says that the server asked.
func TestScanResumptionClientCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	certFile, keyFile := writeCert(t, true)
	addr := sServerFiles(t, certFile, keyFile, "-Verify", "1", "-CAfile", certFile)
	r := scanOf(t, addr)
	for _, name := range []string{"session_id_resumption", "ticket_resumption"} {
		f := r.Feature(name)
		if f == nil || f.Known || !strings.HasSuffix(f.Detail, "after the server asked for a client certificate (CertificateRequest), which the scan has none to send") {
			t.Errorf("%s: %+v, want unknown, the server having asked for a client certificate", name, f)
		}
	}
}
