package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// pgBin is where Debian's postgresql-15 package puts its programs.
const pgBin = "/usr/lib/postgresql/15/bin/"

// runAs runs a program to its end as the user cred (nil: as the test).
func runAs(t *testing.T, cred *syscall.Credential, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := runTimeout(cmd, 30*time.Second); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, log.String())
	}
}

// unprivileged returns the credentials of the system user name, and
// gives it dir (and what is in it).
func unprivileged(t *testing.T, name, dir string) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("the %s user (made by its package): %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// startPostgres runs a PostgreSQL 15 server on a free port of 127.0.0.1,
// with TLS unless cert is "", and returns the port. PostgreSQL refuses to run as root: it
// runs as the postgres user, which owns its files (the key 0600).
func startPostgres(t *testing.T, cert, key string) int {
	t.Helper()
	tlstest.RequirePeer(t, pgBin+"initdb", pgBin+"postgres")
	dir := filepath.Join(daemonDir(t), "pg")
	for _, d := range []string{"data", "sock"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ssl := []string{"-c", "ssl=off"}
	if cert != "" {
		for _, f := range []string{cert, key} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, filepath.Base(f)), string(b), 0o600)
		}
		ssl = []string{"-c", "ssl=on", "-c", "ssl_cert_file=" + filepath.Join(dir, filepath.Base(cert)), "-c", "ssl_key_file=" + filepath.Join(dir, filepath.Base(key))}
	}
	cred := unprivileged(t, "postgres", dir)
	data := filepath.Join(dir, "data")
	runAs(t, cred, pgBin+"initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C")
	port := tlstest.FreePort(t)
	startDaemon(t, daemon{cred: cred, ready: "database system is ready to accept connections"}, pgBin+"postgres", append([]string{"-D", data,
		"-k", filepath.Join(dir, "sock"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-c", "fsync=off"}, ssl...)...)
	return port
}

// startMariaDB runs a MariaDB server on a free port of 127.0.0.1, with
// TLS unless cert is "", and returns the port.
func startMariaDB(t *testing.T, cacert, cert, key string) int {
	t.Helper()
	tlstest.RequirePeer(t, "mariadb-install-db", "mariadbd")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	runAs(t, nil, "mariadb-install-db", "--no-defaults", "--datadir="+data, "--auth-root-authentication-method=normal",
		"--user=root", "--skip-test-db")
	port := tlstest.FreePort(t)
	args := []string{"--no-defaults", "--datadir=" + data,
		"--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"), "--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--user=root", "--skip-log-bin", "--innodb-buffer-pool-size=16M"}
	if cert != "" {
		args = append(args, "--ssl-cert="+cert, "--ssl-key="+key, "--ssl-ca="+cacert)
	}
	startDaemon(t, daemon{ready: "ready for connections"}, "mariadbd", args...)
	return port
}

// TestStartTLSPostgres upgrades a session of PostgreSQL 15 with its
// SSLRequest, checked against openssl s_client -starttls postgres and
// tshark, and scans it. PostgreSQL 17's direct TLS (ALPN "postgresql",
// no SSLRequest) is not checked: version 15 does not speak it, and
// closes a connection that starts with a ClientHello.
func TestStartTLSPostgres(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "postgres", nil)
	p := startTLSPeer{proto: "postgres", port: startPostgres(t, cert, key), cacert: root.file, decodeAs: "pgsql"}
	evs := checkStartTLSPeer(t, p)
	lines := dialogLines(t, evs)
	if want := "C: SSLRequest (8 bytes, code 80877103)\nS: S (TLS accepted)"; strings.Join(lines, "\n") != want {
		t.Errorf("dialog:\n%s\nwant\n%s", strings.Join(lines, "\n"), want)
	}
	checkStartTLSScan(t, p, handshakeVersion(t, evs))
}

// TestStartTLSMariaDB upgrades a session of MariaDB with the SSLRequest
// its greeting allows, checked against openssl s_client -starttls mysql
// and tshark, and scans it.
func TestStartTLSMariaDB(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "mariadb", nil)
	p := startTLSPeer{proto: "mysql", port: startMariaDB(t, root.file, cert, key), cacert: root.file, decodeAs: "mysql"}
	evs := checkStartTLSPeer(t, p)
	lines := dialogLines(t, evs)
	// MariaDB's version string starts with "5.5.5-" for old clients.
	wantDialog(t, lines, `S: Handshake v10 (`, `C: SSLRequest (32 bytes, seq 1): capabilities 0x00008a01 with CLIENT_SSL`)
	if len(lines) != 2 || !strings.Contains(lines[0], "-MariaDB") || !strings.HasSuffix(lines[0], "SSL offered (CLIENT_SSL)") {
		t.Errorf("dialog:\n%s", strings.Join(lines, "\n"))
	}
	checkStartTLSScan(t, p, handshakeVersion(t, evs))
}

// TestStartTLSDatabaseRefused: PostgreSQL with ssl=off answers the
// SSLRequest 'N', MariaDB without a certificate offers no CLIENT_SSL;
// connect fails after the dialog, which shows the refusal as it was, and
// nothing of TLS is sent.
func TestStartTLSDatabaseRefused(t *testing.T) {
	for _, tc := range []struct {
		proto string
		start func(*testing.T) int
		last  *regexp.Regexp
	}{
		{"postgres", func(t *testing.T) int { return startPostgres(t, "", "") }, regexp.MustCompile(`^S: N \(TLS refused\)$`)},
		{"mysql", func(t *testing.T) int { return startMariaDB(t, "", "", "") }, regexp.MustCompile(`^S: Handshake v10 .*-MariaDB.*, SSL not offered \(no CLIENT_SSL\)$`)},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			port := tc.start(t)
			code, _, stderr := runCode("connect", fmt.Sprintf("localhost:%d", port), "--starttls", tc.proto, "--json", "--timeout", "10s")
			if code == 0 {
				t.Fatalf("connect --starttls %s to a server without TLS: exit 0", tc.proto)
			}
			// The trace's JSON lines, then the error.
			var trace []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "{") {
					trace = append(trace, l)
				}
			}
			evs := events(t, strings.Join(trace, "\n"))
			lines := dialogLines(t, evs)
			if len(lines) == 0 || !tc.last.MatchString(lines[len(lines)-1]) {
				t.Errorf("dialog:\n%s\nwant the last line to match %s", strings.Join(lines, "\n"), tc.last)
			}
			for _, ev := range evs {
				if ev.Type == "client_hello" {
					t.Errorf("a ClientHello after the server refused TLS")
				}
			}
		})
	}
}

// TestPostgresDirectTLS: PostgreSQL 17's direct TLS is connect --alpn
// postgresql with no SSLRequest. Only version 15 is installed here, which
// does not speak it, so the session is checked against a crypto/tls
// server that, as PostgreSQL 17 does, refuses a client that does not
// offer ALPN "postgresql"; and PostgreSQL 15 is shown to close the
// connection on such a ClientHello, as its log says ("invalid length of
// startup packet").
func TestPostgresDirectTLS(t *testing.T) {
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	certFile, keyFile := root.leaf(t, dir, "postgres", nil)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := starttls.Lookup("postgres")
	if err != nil || p.ALPN != "postgresql" {
		t.Fatalf("postgres: ALPN %v, %v", p, err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{p.ALPN},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.NegotiatedProtocol != p.ALPN {
				return errors.New("direct TLS needs ALPN postgresql")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acceptEach(ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.(*tls.Conn).Handshake()
		c.Close()
	})
	addr := ln.Addr().String()
	code, _, stderr := runCode("connect", addr, "--alpn", p.ALPN, "--servername", "localhost", "--cacert", root.file, "--json", "--idle", "100ms")
	if code != 0 {
		t.Fatalf("connect --alpn postgresql: exit %d\n%s", code, stderr)
	}
	var alpn string
	for _, ev := range events(t, stderr) {
		if ev.Type == "handshake_complete" {
			var f struct{ ALPN string }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			alpn = f.ALPN
		}
		if ev.Type == "starttls" {
			t.Errorf("a STARTTLS dialog in direct TLS: %s", ev.Fields)
		}
	}
	if alpn != p.ALPN {
		t.Errorf("ALPN %q, want %q", alpn, p.ALPN)
	}
	if code, _, _ := runCode("connect", addr, "--servername", "localhost", "--cacert", root.file, "--idle", "100ms"); code == 0 {
		t.Errorf("connect without --alpn: exit 0 from a server that needs ALPN")
	}

	port := startPostgres(t, certFile, keyFile)
	code, _, stderr = runCode("connect", fmt.Sprintf("127.0.0.1:%d", port), "--alpn", p.ALPN, "--servername", "localhost",
		"--cacert", root.file, "--json", "--timeout", "10s")
	if code == 0 {
		t.Fatalf("PostgreSQL 15 took a direct TLS session:\n%s", stderr)
	}
}
