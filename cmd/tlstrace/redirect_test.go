package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// startRedirectNginx runs nginx with an HTTPS server (HTTP/2 and 1.1)
// whose /other redirects to a plain HTTP server on another port and host
// name (127.0.0.1), /same to itself, /private/ok.txt asks for alice's
// password (Basic authentication), and whose other paths, as the HTTP
// server's, answer with the credentials they were sent. It returns the
// two ports.
func startRedirectNginx(t *testing.T, dir, cert, key string) (int, int) {
	t.Helper()
	tlstest.RequirePeer(t, "nginx")
	httpsPort, httpPort := tlstest.FreePort(t), tlstest.FreePort(t)
	prefix := filepath.Join(dir, "nginx")
	os.MkdirAll(prefix, 0o755)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	// nginx takes a password in clear as {PLAIN}.
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("alice:{PLAIN}s3cret\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "private"), 0o755)
	os.WriteFile(filepath.Join(dir, "private", "ok.txt"), []byte("welcome\n"), 0o644)
	conf := filepath.Join(dir, "nginx.conf")
	fmt.Fprintf(mustCreate(t, conf), `%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	server {
		listen 127.0.0.1:%[3]d ssl http2;
		ssl_certificate %[4]s;
		ssl_certificate_key %[5]s;
		location = /other { return 302 http://127.0.0.1:%[6]d/landed; }
		location = /private/ok.txt {
			auth_basic "tlstrace";
			auth_basic_user_file %[7]s;
			root %[8]s;
		}
		location = /same { return 302 https://LOCALHOST:%[3]d/landed; }
		location / { return 200 "auth=[$http_authorization] cookie=[$http_cookie] host=[$http_host]\n"; }
	}
	server {
		listen 127.0.0.1:%[6]d;
		location / { return 200 "auth=[$http_authorization] cookie=[$http_cookie] host=[$http_host]\n"; }
	}
}
`, user, prefix, httpsPort, cert, key, httpPort, filepath.Join(dir, "htpasswd"), dir)
	cmd := exec.Command("nginx", "-c", conf, "-p", prefix, "-e", filepath.Join(prefix, "error.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		runWait(cmd, 10*time.Second)
	})
	waitListening(t, httpsPort)
	waitListening(t, httpPort)
	return httpsPort, httpPort
}

// TestRedirectCredentials: as curl, -L sends the Authorization and Cookie
// headers of -H to a redirect target only when its scheme, host and port
// are the URL's (CVE-2018-1000007, CVE-2022-27776), a Host header only to
// the URL's host, unless --location-trusted; what was not sent is said,
// and a redirect to an http:// URL is warned of.
func TestRedirectCredentials(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil, root)
	httpsPort, httpPort := startRedirectNginx(t, dir, cert, key)
	creds := []string{"-H", "Authorization: Bearer s3cret", "-H", "Cookie: session=s3cret", "--cacert", root.file, "--body", "-m", "10s"}
	for _, c := range []struct {
		name string
		args []string
		// body is what the last server was sent; note what stderr says.
		body, note string
	}{
		{"other-origin", []string{fmt.Sprintf("https://localhost:%d/other", httpsPort), "-L"},
			"auth=[] cookie=[] host=[127.0.0.1:" + fmt.Sprint(httpPort) + "]",
			fmt.Sprintf("tlstrace: note: Authorization (-H), Cookie (-H) not sent to http://127.0.0.1:%d/landed", httpPort)},
		{"other-origin-host", []string{fmt.Sprintf("https://localhost:%d/other", httpsPort), "-L", "-H", "Host: localhost"},
			"auth=[] cookie=[] host=[127.0.0.1:" + fmt.Sprint(httpPort) + "]",
			fmt.Sprintf("tlstrace: note: Authorization (-H), Cookie (-H), Host (-H) not sent to http://127.0.0.1:%d/landed", httpPort)},
		// The host is compared without case, as curl compares it.
		{"same-origin", []string{fmt.Sprintf("https://localhost:%d/same", httpsPort), "-L"},
			"auth=[Bearer s3cret] cookie=[session=s3cret]", ""},
		{"trusted", []string{fmt.Sprintf("https://localhost:%d/other", httpsPort), "--location-trusted"},
			"auth=[Bearer s3cret] cookie=[session=s3cret]", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCode(append(c.args, creds...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(out, c.body) {
				t.Errorf("the last server was sent other headers than %q:\n%s", c.body, out)
			}
			if c.note != "" && !strings.Contains(stderr, c.note) {
				t.Errorf("stderr lacks %q:\n%s", c.note, stderr)
			}
			if c.note == "" && strings.Contains(stderr, "note:") {
				t.Errorf("stderr has a note:\n%s", stderr)
			}
			// /other redirects to http://: the hop is in clear text.
			left := fmt.Sprintf("tlstrace: warning: the redirect from https://localhost:%d/other to http://127.0.0.1:%d/landed left TLS", httpsPort, httpPort)
			if other := strings.Contains(c.args[0], "/other"); other != strings.Contains(stderr, left) {
				t.Errorf("redirect to http:// %v, and stderr warns %q: %v:\n%s", other, left, !other, stderr)
			}
		})
	}
}

// TestURLCredentials: as curl, the user and password of an https:// URL
// are sent as Basic authentication (nginx's auth_basic lets them in); the
// password and its base64 are in no view (text -vv, curl's, JSON, the
// HTML report), the bytes masked said so; a redirect to another origin
// does not get them; an http:// URL with a password, or --pcap, is
// refused. -u sends its own, in place of the URL's.
func TestURLCredentials(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "server", nil, root)
	httpsPort, httpPort := startRedirectNginx(t, dir, cert, key)
	private := fmt.Sprintf("https://alice:s3cret@localhost:%d/private/ok.txt", httpsPort)
	const b64 = "YWxpY2U6czNjcmV0" // alice:s3cret
	report := filepath.Join(dir, "report.html")
	for _, args := range [][]string{
		{"--body", "-vv"},
		{"--body", "--http1.1", "-vv"},
		{"--body", "--format", "curl"},
		{"--json", "--html", report},
		{"--json", "--http1.1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, stderr := runCode(append([]string{private, "--cacert", root.file, "-m", "10s"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(out, "status") && !strings.Contains(out, "200") {
				t.Errorf("no response:\n%s", out)
			}
			if slices.Contains(args, "--body") && !strings.Contains(out, "welcome") {
				t.Errorf("nginx did not let alice in:\n%s", out)
			}
			if slices.Contains(args, "--json") && !strings.Contains(out, `"masked":[`) {
				t.Errorf("no masked bytes said:\n%s", out)
			}
			html, _ := os.ReadFile(report)
			for _, secret := range []string{"s3cret", b64} {
				if strings.Contains(out, secret) || strings.Contains(stderr, secret) || strings.Contains(string(html), secret) {
					t.Errorf("%s shown:\n%s\n%s", secret, out, stderr)
				}
			}
		})
	}
	// -u, as curl's, sends its user and password, in place of the URL's.
	bare := fmt.Sprintf("https://localhost:%d/private/ok.txt", httpsPort)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"dash-u", []string{bare, "-u", "alice:s3cret", "--body", "-vv"}},
		{"dash-u-http2-json", []string{bare, "-u", "alice:s3cret", "--json"}},
		{"dash-u-replaces-url", []string{strings.Replace(private, "s3cret", "guess", 1), "-u", "alice:s3cret", "--body", "--format", "curl"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCode(append(c.args, "--cacert", root.file, "-m", "10s")...)
			if code != 0 || !(strings.Contains(out, "welcome") || strings.Contains(out, `"status":200`)) {
				t.Fatalf("exit %d, nginx did not let alice in: %s\n%s", code, stderr, out)
			}
			for _, secret := range []string{"s3cret", b64} {
				if strings.Contains(out, secret) || strings.Contains(stderr, secret) {
					t.Errorf("%s shown:\n%s\n%s", secret, out, stderr)
				}
			}
		})
	}
	t.Run("dash-u-other-origin", func(t *testing.T) {
		code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/other", httpsPort), "-u", "alice:s3cret", "-L", "--cacert", root.file, "--body", "-m", "10s")
		if code != 0 || !strings.Contains(out, "auth=[]") || !strings.Contains(stderr, "tlstrace: note: the user and password of -u (Authorization) not sent to http://127.0.0.1:"+fmt.Sprint(httpPort)+"/landed") {
			t.Errorf("exit %d: %s\n%s", code, stderr, out)
		}
	})
	t.Run("wrong-password", func(t *testing.T) {
		code, out, stderr := runCode(strings.Replace(private, "s3cret", "guess", 1), "--cacert", root.file, "--json", "-m", "10s")
		if code != 0 || !strings.Contains(out, `"status":401`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("other-origin", func(t *testing.T) {
		code, out, stderr := runCode(fmt.Sprintf("https://alice:s3cret@localhost:%d/other", httpsPort), "-L", "--cacert", root.file, "--body", "-m", "10s")
		if code != 0 || !strings.Contains(out, "auth=[]") || !strings.Contains(stderr, "tlstrace: note: the URL's user and password (Authorization) not sent to http://127.0.0.1:"+fmt.Sprint(httpPort)+"/landed") {
			t.Errorf("exit %d: %s\n%s", code, stderr, out)
		}
	})
	for _, c := range []struct {
		args  []string
		cause string
	}{
		{[]string{fmt.Sprintf("http://alice:s3cret@127.0.0.1:%d/", httpPort)}, "would send the password in clear text"},
		{[]string{private, "--pcap", filepath.Join(dir, "x.pcapng")}, "--pcap with a password (-u, or in the URL)"},
		{[]string{bare, "-u", "alice:s3cret", "--pcap", filepath.Join(dir, "x.pcapng")}, "--pcap with a password (-u, or in the URL)"},
		{[]string{fmt.Sprintf("http://127.0.0.1:%d/", httpPort), "-u", "alice:s3cret"}, "-u with http://127.0.0.1"},
	} {
		code, _, stderr := runCode(c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.cause) || strings.Contains(stderr, "s3cret") {
			t.Errorf("%v: exit %d: %s", c.args, code, stderr)
		}
	}
}
