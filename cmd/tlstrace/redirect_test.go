package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// startRedirectNginx runs nginx with an HTTPS server on httpsPort whose
// /other redirects to a plain HTTP server on another port and host name
// (127.0.0.1), /same to itself, and whose other paths, as the HTTP
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
		listen 127.0.0.1:%[3]d ssl;
		ssl_certificate %[4]s;
		ssl_certificate_key %[5]s;
		location = /other { return 302 http://127.0.0.1:%[6]d/landed; }
		location = /same { return 302 https://LOCALHOST:%[3]d/landed; }
		location / { return 200 "auth=[$http_authorization] cookie=[$http_cookie] host=[$http_host]\n"; }
	}
	server {
		listen 127.0.0.1:%[6]d;
		location / { return 200 "auth=[$http_authorization] cookie=[$http_cookie] host=[$http_host]\n"; }
	}
}
`, user, prefix, httpsPort, cert, key, httpPort)
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
// the URL's host, unless --location-trusted; what was not sent is said.
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
		})
	}
}
