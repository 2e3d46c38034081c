package scan

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// nginxServer starts nginx on a free port of 127.0.0.1 serving TLS with a
// test-made RSA certificate and the ssl_* directives given, one process
// (master_process off) stopped when the test ends; it returns the
// address.
func nginxServer(t *testing.T, directives string) string {
	t.Helper()
	certFile, keyFile := writeCert(t, true)
	addr := "127.0.0.1:" + strconv.Itoa(tlstest.FreePort(t))
	dir := t.TempDir()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
daemon off;
master_process off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	server {
		listen %[3]s ssl;
		ssl_certificate %[4]s;
		ssl_certificate_key %[5]s;
		%[6]s
		location / { return 200 "hello\n"; }
	}
}
`, user, dir, addr, certFile, keyFile, directives)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-c", confFile, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx ended: %s%s", stderr.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNginxAgreement scans nginx in two configurations, its defaults
// (TLS 1.2 and 1.3, the client's order) and a legacy one (TLS 1.0 to
// 1.3, every OpenSSL cipher, the server's order): the versions and the
// suites per version equal sslscan's and nmap ssl-enum-ciphers'. The
// order verdict is checked against openssl s_client offering two suites
// in both orders (the truth), then compared with nmap's and testssl.sh's.
func TestNginxAgreement(t *testing.T) {
	tlstest.RequirePeer(t, "nginx", "openssl", "sslscan", "nmap", "testssl")
	const a, b = "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256"
	for _, c := range []struct {
		name, directives string
		order            Order
	}{
		{"defaults", "ssl_protocols TLSv1.2 TLSv1.3;", OrderClient},
		{"legacy-serverpref", "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers ALL:@SECLEVEL=0; ssl_prefer_server_ciphers on;", OrderServer},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := nginxServer(t, c.directives)
			truth := OrderClient
			if chosenBy(t, addr, a+":"+b) == chosenBy(t, addr, b+":"+a) {
				truth = OrderServer
			}
			if truth != c.order {
				t.Fatalf("s_client finds the %s order on nginx configured for the %s order", truth, c.order)
			}
			r := scanOf(t, addr)
			own := ownView(r)
			for _, vr := range r.Versions {
				if vr.Outcome == Accepted {
					t.Logf("%s: %d suites, order %s", wire.VersionName(vr.Version), len(vr.Suites), vr.Order)
				}
			}
			if ss := sslscanView(t, addr); !sameView(own, ss) {
				t.Errorf("tlstrace and sslscan differ\ntlstrace:\n%s\nsslscan:\n%s", own, ss)
			}
			nm, pref := nmapView(t, addr)
			if !sameView(own, nm) {
				t.Errorf("tlstrace and nmap differ\ntlstrace:\n%s\nnmap:\n%s", own, nm)
			}
			v12 := r.Version(wire.VersionTLS12)
			if v12 == nil || v12.Outcome != Accepted {
				t.Fatalf("TLS 1.2 not accepted: %+v", v12)
			}
			if v12.Order != truth {
				t.Errorf("tlstrace says the TLS 1.2 order is %s, s_client shows %s", v12.Order, truth)
			}
			if p, ok := pref[wire.VersionTLS12]; ok && p != truth.String() {
				t.Errorf("nmap says the TLS 1.2 order is %q, s_client shows %s", p, truth)
			}
			checkTestsslOrder(t, addr, truth, a, b)
		})
	}
}

// TestNginxHSTS scans nginx sending Strict-Transport-Security headers
// that browsers do not keep: max-age=0 (the policy deleted, RFC 6797,
// Section 6.1.1; testssl.sh: "HSTS is disabled") and a header whose
// max-age appears twice (ignored as a whole, Section 6.1); and one they
// keep.
func TestNginxHSTS(t *testing.T) {
	tlstest.RequirePeer(t, "nginx")
	for _, tc := range []struct {
		header string
		ok     bool
		detail string
	}{
		{"max-age=0", false, "(max-age=0: browsers forget the host's policy, RFC 6797, Section 6.1.1)"},
		{"max-age=31536000; max-age=0", false, "(browsers ignore it: the directive max-age appears twice)"},
		{`max-age="31536000"; includeSubDomains`, true, ""},
	} {
		t.Run(tc.header, func(t *testing.T) {
			addr := nginxServer(t, fmt.Sprintf("add_header Strict-Transport-Security '%s' always;", tc.header))
			r := scanOf(t, addr)
			f := r.Feature("hsts")
			if f == nil || !f.Known || f.Supported != tc.ok || !strings.HasSuffix(f.Detail, tc.detail) {
				t.Fatalf("hsts %+v, want supported %v, detail ending %q", f, tc.ok, tc.detail)
			}
			found := slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "no-hsts" })
			if found == tc.ok {
				t.Errorf("no-hsts finding %v, want %v", found, !tc.ok)
			}
		})
	}
}

// TestNginxRejectHandshake scans, by address (no SNI), nginx with
// ssl_reject_handshake, which refuses hellos that name none of its
// servers with an unrecognized_name alert (as a default server in front
// of named ones does): no version is accepted, and the summary says
// that the server wants a name.
func TestNginxRejectHandshake(t *testing.T) {
	tlstest.RequirePeer(t, "nginx")
	r := scanOf(t, nginxServer(t, "ssl_reject_handshake on; ssl_protocols TLSv1.2 TLSv1.3;"))
	if r.Grade != "" || !strings.Contains(r.Ungraded, "the server accepted no version; it refused hellos with an unrecognized_name alert, and none named the server (SNI)") {
		t.Errorf("grade %q, ungraded %q", r.Grade, r.Ungraded)
	}
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted {
			t.Errorf("%s accepted", wire.VersionName(vr.Version))
		}
	}
}
