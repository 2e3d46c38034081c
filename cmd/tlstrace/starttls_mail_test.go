package main

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// daemonDir is a temporary directory a daemon's unprivileged processes
// can enter (t.TempDir is 0700, root's): dovecot's login and auth
// processes open sockets under it as their own users.
func daemonDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dovecotPorts are the ports of a dovecot a test started.
type dovecotPorts struct {
	imap, imaps, pop3, pop3s, lmtp, sieve int
	// cacert is the root of the server's certificate.
	cacert string
}

// startDovecot starts dovecot on 127.0.0.1 with IMAP, POP3, LMTP and
// ManageSieve offering STARTTLS, and IMAP and POP3 on ports of implicit
// TLS, with a certificate for localhost.
func startDovecot(t *testing.T) dovecotPorts {
	t.Helper()
	tlstest.RequirePeer(t, "dovecot")
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	p := dovecotPorts{imap: tlstest.FreePort(t), imaps: tlstest.FreePort(t), pop3: tlstest.FreePort(t), pop3s: tlstest.FreePort(t), lmtp: tlstest.FreePort(t), sieve: tlstest.FreePort(t), cacert: root.file}
	mailDirs(t, dir)
	conf := filepath.Join(dir, "dovecot.conf")
	writeFile(t, conf, fmt.Sprintf(`protocols = imap pop3 lmtp sieve
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
ssl = required
ssl_cert = <%[2]s
ssl_key = <%[3]s
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:%[1]s/mail
passdb {
  driver = static
  args = password=`+mailPassword+`
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/home
}
service imap-login {
  inet_listener imap {
    port = %[4]d
  }
  inet_listener imaps {
    port = %[5]d
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = %[6]d
  }
  inet_listener pop3s {
    port = %[7]d
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[8]d
  }
}
service managesieve-login {
  inet_listener sieve {
    port = %[9]d
  }
}
`, dir, cert, key, p.imap, p.imaps, p.pop3, p.pop3s, p.lmtp, p.sieve), 0o644)
	startDaemon(t, daemon{ports: []int{p.imap, p.imaps, p.pop3, p.pop3s, p.lmtp, p.sieve}}, "dovecot", "-F", "-c", conf)
	return p
}

// checkStartTLSScan runs tlstrace scan --starttls against a peer: it
// exits 0, accepts at least one suite, and the highest version it finds
// is version, the one connect got.
func checkStartTLSScan(t *testing.T, p startTLSPeer, version string) {
	t.Helper()
	addr := fmt.Sprintf("localhost:%d", p.port)
	code, out, stderr := runCode("scan", addr, "--starttls", p.proto, "--json", "--timeout", "10s")
	if code != 0 {
		t.Fatalf("tlstrace scan %s --starttls %s: exit %d\n%s", addr, p.proto, code, stderr)
	}
	accepted, best := 0, 0
	for _, ev := range events(t, out) {
		if ev.Layer != "scan" || ev.Type != "suite_accepted" {
			continue
		}
		var f struct{ Version jsonEnum }
		if err := json.Unmarshal(ev.Fields, &f); err != nil {
			t.Fatal(err)
		}
		accepted++
		if f.Version.Value > best {
			best = f.Version.Value
		}
	}
	if accepted == 0 {
		t.Fatalf("tlstrace scan %s --starttls %s: no suite_accepted event\n%s", addr, p.proto, out)
	}
	if got := versionName(best); got != version {
		t.Errorf("tlstrace scan --starttls %s: highest version %s, connect got %s", p.proto, got, version)
	}
}

// versionName names a TLS version number as the JSON events do.
func versionName(v int) string {
	return fmt.Sprintf("TLS 1.%d", v-0x0301)
}

// handshakeVersion returns the version of the handshake_complete event.
func handshakeVersion(t *testing.T, evs []jsonEvent) string {
	t.Helper()
	for _, ev := range evs {
		if ev.Layer == "info" && ev.Type == "handshake_complete" {
			var f struct{ Version string }
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatal(err)
			}
			return f.Version
		}
	}
	t.Fatal("no handshake_complete event")
	return ""
}

// wantDialog checks that the dialog's lines start, in order, with the
// prefixes of want (each "C: " or "S: " then the line's start).
func wantDialog(t *testing.T, lines []string, want ...string) {
	t.Helper()
	i := 0
	for _, l := range lines {
		if i < len(want) && strings.HasPrefix(l, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("dialog lacks %q (after the first %d):\n%s", want[i], i, strings.Join(lines, "\n"))
	}
}

// checkMailURL runs tlstrace URL --ssl-reqd --cacert cacert --json: it
// exits 0 with a verified session, and the dialog's lines ("C: " or "S: "
// then the line) are returned, those before TLS and those inside it.
func checkMailURL(t *testing.T, url, cacert string) (before, inside []string) {
	t.Helper()
	code, out, stderr := runCode(url, "--ssl-reqd", "--cacert", cacert, "--json")
	if code != 0 {
		t.Fatalf("tlstrace %s --ssl-reqd: exit %d\n%s%s", url, code, stderr, out)
	}
	evs := events(t, out)
	handshakeVersion(t, evs)
	for _, ev := range evs {
		if ev.Type != "starttls" {
			continue
		}
		var f struct {
			Line  string
			InTLS bool `json:"in_tls"`
		}
		if err := json.Unmarshal(ev.Fields, &f); err != nil {
			t.Fatal(err)
		}
		mark := "S: "
		if ev.From == "client" {
			mark = "C: "
		}
		if f.InTLS {
			inside = append(inside, mark+f.Line)
		} else {
			before = append(before, mark+f.Line)
		}
	}
	if findEvent(evs, "", "timing") == nil {
		t.Errorf("tlstrace %s: no timing event", url)
	}
	return before, inside
}

// smtpPorts is an SMTP server's STARTTLS port and implicit TLS (smtps)
// port, and the dialogs expected of them.
type smtpPorts struct {
	name          string // the server, as failures name it
	port, tlsPort int
	cacert        string
	dialog        []string // the STARTTLS dialog, up to TLS
	inside        []string // smtp://'s dialog inside TLS
	smtpsInside   []string // smtps://'s
}

// check runs the STARTTLS port against openssl s_client and tshark and
// scans it, then reads both ports as smtp:// --ssl-reqd and smtps:// URLs:
// the server offers no STARTTLS inside TLS, and says nothing before TLS on
// smtps://. It returns the version of the STARTTLS port's handshake.
func (s smtpPorts) check(t *testing.T) string {
	t.Helper()
	peer := startTLSPeer{proto: "smtp", port: s.port, cacert: s.cacert, decodeAs: "smtp"}
	evs := checkStartTLSPeer(t, peer)
	wantDialog(t, dialogLines(t, evs), s.dialog...)
	version := handshakeVersion(t, evs)
	checkStartTLSScan(t, peer, version)

	before, inside := checkMailURL(t, fmt.Sprintf("smtp://localhost:%d/", s.port), s.cacert)
	wantDialog(t, before, s.dialog...)
	wantDialog(t, inside, s.inside...)
	for _, l := range inside {
		if strings.Contains(l, "STARTTLS") {
			t.Errorf("inside TLS, %s still offers STARTTLS: %q", s.name, l)
		}
	}
	before, inside = checkMailURL(t, fmt.Sprintf("smtps://localhost:%d/", s.tlsPort), s.cacert)
	if len(before) > 0 {
		t.Errorf("lines before TLS on smtps://: %q", before)
	}
	wantDialog(t, inside, s.smtpsInside...)
	return version
}

// TestStartTLSDovecot upgrades IMAP, POP3, LMTP and ManageSieve sessions
// of dovecot to TLS, checked against openssl s_client and tshark, scans
// them, and connects to its implicit TLS ports.
func TestStartTLSDovecot(t *testing.T) {
	dv := startDovecot(t)
	for _, tc := range []struct {
		peer   startTLSPeer
		dialog []string
	}{
		{startTLSPeer{proto: "imap", port: dv.imap, cacert: dv.cacert, decodeAs: "imap"},
			[]string{"S: * OK", "C: a001 STARTTLS", "S: a001 OK"}},
		{startTLSPeer{proto: "pop3", port: dv.pop3, cacert: dv.cacert, decodeAs: "pop"},
			[]string{"S: +OK", "C: STLS", "S: +OK"}},
		// tshark has no LMTP dissector: its SMTP one follows LHLO's
		// STARTTLS.
		{startTLSPeer{proto: "lmtp", port: dv.lmtp, cacert: dv.cacert, decodeAs: "smtp"},
			[]string{"S: 220 ", "C: LHLO tlstrace.invalid", "S: 250-", "S: 250 ", "C: STARTTLS", "S: 220 "}},
		// tshark has no ManageSieve dissector: decoded as TLS from the
		// start, the clear-text lines are segments it cannot read and
		// passes over.
		{startTLSPeer{proto: "sieve", port: dv.sieve, cacert: dv.cacert, decodeAs: "tls"},
			[]string{`S: "IMPLEMENTATION"`, `S: "STARTTLS"`, "S: OK", "C: STARTTLS", "S: OK"}},
	} {
		t.Run(tc.peer.proto, func(t *testing.T) {
			evs := checkStartTLSPeer(t, tc.peer)
			wantDialog(t, dialogLines(t, evs), tc.dialog...)
			checkStartTLSScan(t, tc.peer, handshakeVersion(t, evs))
		})
	}
	// The URLs as curl's: the dialog before TLS (for the clear-text
	// schemes, with --ssl-reqd), the handshake, then the greeting,
	// capabilities and quit inside TLS.
	for _, tc := range []struct {
		url            string
		before, inside []string
	}{
		{fmt.Sprintf("imap://localhost:%d/", dv.imap), []string{"S: * OK", "C: a001 STARTTLS", "S: a001 OK"},
			[]string{"C: a002 CAPABILITY", "S: * CAPABILITY ", "S: a002 OK", "C: a003 LOGOUT", "S: * BYE", "S: a003 OK"}},
		{fmt.Sprintf("imaps://localhost:%d/", dv.imaps), nil,
			[]string{"S: * OK", "C: a002 CAPABILITY", "S: a002 OK", "C: a003 LOGOUT", "S: a003 OK"}},
		{fmt.Sprintf("pop3://localhost:%d/", dv.pop3), []string{"S: +OK", "C: STLS", "S: +OK"},
			[]string{"C: CAPA", "S: +OK", "S: SASL", "S: .", "C: QUIT", "S: +OK"}},
		{fmt.Sprintf("pop3s://localhost:%d/", dv.pop3s), nil,
			[]string{"S: +OK", "C: CAPA", "S: +OK", "S: .", "C: QUIT", "S: +OK"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			before, inside := checkMailURL(t, tc.url, dv.cacert)
			if tc.before == nil && len(before) > 0 {
				t.Errorf("lines before TLS on an implicit TLS URL:\n%s", strings.Join(before, "\n"))
			}
			wantDialog(t, before, tc.before...)
			wantDialog(t, inside, tc.inside...)
		})
	}
	// -u logs in inside TLS, after the capabilities, and the password is
	// never shown.
	t.Run("login", func(t *testing.T) {
		for _, tc := range []struct {
			url    string
			inside []string
		}{
			{fmt.Sprintf("imap://localhost:%d/", dv.imap),
				[]string{"C: a002 CAPABILITY", "S: a002 OK", `C: a003 LOGIN "alice" <password withheld>`, "S: a003 OK", "C: a004 LOGOUT", "S: a004 OK"}},
			{fmt.Sprintf("imaps://localhost:%d/", dv.imaps),
				[]string{"S: * OK", `C: a003 LOGIN "alice" <password withheld>`, "S: a003 OK", "C: a004 LOGOUT", "S: a004 OK"}},
			{fmt.Sprintf("pop3://localhost:%d/", dv.pop3),
				[]string{"C: CAPA", "S: .", "C: USER alice", "S: +OK", "C: PASS <password withheld>", "S: +OK", "C: QUIT", "S: +OK"}},
			{fmt.Sprintf("pop3s://localhost:%d/", dv.pop3s),
				[]string{"C: USER alice", "S: +OK", "C: PASS <password withheld>", "S: +OK", "C: QUIT", "S: +OK"}},
		} {
			t.Run(tc.url, func(t *testing.T) {
				wantDialog(t, checkMailLogin(t, tc.url, dv.cacert, "alice"), tc.inside...)
			})
		}
	})
	// The default text view shows the dialog, timed, without -v: the
	// lines before TLS in their section, those inside in the protocol's,
	// and the STARTTLS dialog's time in the waterfall.
	t.Run("text", func(t *testing.T) {
		url := fmt.Sprintf("imap://localhost:%d/", dv.imap)
		code, out, stderr := runCode(url, "--ssl-reqd", "--cacert", dv.cacert)
		if code != 0 {
			t.Fatalf("tlstrace %s --ssl-reqd: exit %d\n%s", url, code, stderr)
		}
		want := []string{"── #1 STARTTLS", "server → client  INFO Starttls  * OK", "client → server  INFO Starttls  a001 STARTTLS",
			"── #1 TLS handshake", "── #1 IMAP", "client → server  INFO IMAP  a002 CAPABILITY", "server → client  INFO IMAP  a002 OK",
			"client → server  INFO IMAP  a003 LOGOUT", "── #1 Timing", ", STARTTLS ", "      STARTTLS  "}
		at := 0
		for _, w := range want {
			i := strings.Index(out[at:], w)
			if i < 0 {
				t.Fatalf("the text view lacks %q after byte %d:\n%s", w, at, out)
			}
			at += i + len(w)
		}
		code, _, stderr = runCode("connect", fmt.Sprintf("localhost:%d", dv.imap), "--starttls", "imap", "--cacert", dv.cacert, "--idle", "100ms")
		if code != 0 || !strings.Contains(stderr, "── #1 STARTTLS") || !strings.Contains(stderr, "client → server  INFO Starttls  a001 STARTTLS") {
			t.Errorf("connect --starttls imap: exit %d, the dialog not shown without -v:\n%s", code, stderr)
		}
	})
	for _, port := range []int{dv.imaps, dv.pop3s} {
		addr := fmt.Sprintf("localhost:%d", port)
		code, _, stderr := runCode("connect", addr, "--cacert", dv.cacert, "--json", "--idle", "500ms", "--timeout", "10s")
		if code != 0 {
			t.Fatalf("tlstrace connect %s (implicit TLS): exit %d\n%s", addr, code, stderr)
		}
		handshakeVersion(t, events(t, stderr))
	}
}

// requireFile is tlstest.RequirePeer for a daemon's program that is not on the
// PATH.
func requireFile(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (Debian package %s) is required under CI: %v", path, pkg, err)
		}
		t.Skipf("%s not installed", path)
	}
}

// TestStartTLSDovecotSubmission speaks SMTP to dovecot's submission
// service (RFC 6409): STARTTLS on one port, implicit TLS on another,
// checked against openssl s_client and tshark, scanned, and as
// smtp:// --ssl-reqd and smtps:// URLs. Nothing is submitted: the relay
// it would pass mail to is never reached.
func TestStartTLSDovecotSubmission(t *testing.T) {
	tlstest.RequirePeer(t, "dovecot")
	requireFile(t, "/usr/lib/dovecot/submission", "dovecot-submissiond")
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	port, tlsPort := tlstest.FreePort(t), tlstest.FreePort(t)
	mailDirs(t, dir)
	conf := filepath.Join(dir, "dovecot.conf")
	writeFile(t, conf, fmt.Sprintf(`protocols = submission
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
hostname = localhost
ssl = required
ssl_cert = <%[2]s
ssl_key = <%[3]s
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:%[1]s/mail
submission_relay_host = 127.0.0.1
submission_relay_port = %[6]d
passdb {
  driver = static
  args = password=`+mailPassword+`
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/home
}
service submission-login {
  inet_listener submission {
    port = %[4]d
  }
  inet_listener submissions {
    port = %[5]d
    ssl = yes
  }
}
`, dir, cert, key, port, tlsPort, relaySink(t)), 0o644)
	startDaemon(t, daemon{ports: []int{port, tlsPort}}, "dovecot", "-F", "-c", conf)

	smtpPorts{
		name: "dovecot", port: port, tlsPort: tlsPort, cacert: root.file,
		dialog:      []string{"S: 220 ", "C: EHLO tlstrace.invalid", "S: 250-", "S: 250-STARTTLS", "S: 250 ", "C: STARTTLS", "S: 220 "},
		inside:      []string{"C: EHLO tlstrace.invalid", "S: 250-", "S: 250 ", "C: QUIT", "S: 221 "},
		smtpsInside: []string{"S: 220 ", "C: EHLO tlstrace.invalid", "S: 250 ", "C: QUIT", "S: 221 "},
	}.check(t)

	// -u logs in with AUTH PLAIN, which the server offers inside TLS only.
	for _, url := range []string{fmt.Sprintf("smtp://localhost:%d/", port), fmt.Sprintf("smtps://localhost:%d/", tlsPort)} {
		wantDialog(t, checkMailLogin(t, url, root.file, "alice"),
			"C: EHLO tlstrace.invalid", "S: 250-AUTH PLAIN", "C: AUTH PLAIN <password withheld>", "S: 235 ", "C: QUIT", "S: 221 ")
	}
}

// startPostfix starts a postfix instance of its own on 127.0.0.1, as
// root (its master drops to the postfix user for smtpd): its
// configuration, queue and data directories under dir, smtpd offering
// STARTTLS on port (smtpd_tls_security_level = may) and implicit TLS on
// tlsPort (smtpd_tls_wrappermode), with cert and key. postfix check makes
// the queue's directories; the master runs in the foreground (-d: it
// stays in the test's process group, which -s, calling setsid, cannot
// do), logging to its standard output. The test's cleanup stops the
// master and waits until its children are gone.
func startPostfix(t *testing.T, dir, cert, key string, port, tlsPort int) {
	t.Helper()
	tlstest.RequirePeer(t, "postfix", "postconf")
	out, err := exec.Command("postconf", "-h", "daemon_directory").Output()
	if err != nil {
		t.Fatalf("postconf -h daemon_directory: %v", err)
	}
	master := filepath.Join(strings.TrimSpace(string(out)), "master")
	requireFile(t, master, "postfix")
	conf, queue, data := filepath.Join(dir, "postfix"), filepath.Join(dir, "queue"), filepath.Join(dir, "data")
	for _, d := range []string{conf, queue, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("the postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	if err := os.Chown(data, uid, -1); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(conf, "main.cf"), fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %s
data_directory = %s
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydestination =
alias_maps =
maillog_file = /dev/stdout
smtpd_tls_cert_file = %s
smtpd_tls_key_file = %s
smtpd_tls_security_level = may
`, queue, data, cert, key), 0o644)
	// Only the services smtpd talks to before a message would arrive;
	// none chrooted.
	writeFile(t, filepath.Join(conf, "master.cf"), fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
127.0.0.1:%d inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
proxymap unix - - n - - proxymap
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`, port, tlsPort), 0o644)
	check := exec.Command("postfix", "-c", conf, "check")
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("postfix -c %s check: %v\n%s", conf, err, out)
	}
	// Registered before the master starts, this runs after its cleanup
	// has stopped it: the master sends its process group SIGTERM as it
	// goes, and the children leave in their own time.
	var pgid int
	t.Cleanup(func() {
		if pgid == 0 {
			return
		}
		deadline := time.Now().Add(10 * time.Second)
		for syscall.Kill(-pgid, 0) == nil {
			if time.Now().After(deadline) {
				syscall.Kill(-pgid, syscall.SIGKILL)
				t.Errorf("postfix's processes did not stop in 10 s")
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	startDaemon(t, daemon{ports: []int{port, tlsPort}}, master, "-c", conf, "-d")
	b, err := os.ReadFile(filepath.Join(queue, "pid", "master.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if pgid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		t.Fatalf("postfix's master.pid: %v", err)
	}
}

// TestStartTLSPostfix speaks SMTP to postfix's smtpd: STARTTLS on one
// port, implicit TLS (smtps) on another, checked against openssl s_client
// and tshark, scanned, and as smtp:// --ssl-reqd and smtps:// URLs.
// Nothing is sent: the sessions end after EHLO.
func TestStartTLSPostfix(t *testing.T) {
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	port, tlsPort := tlstest.FreePort(t), tlstest.FreePort(t)
	startPostfix(t, dir, cert, key, port, tlsPort)

	version := smtpPorts{
		name: "postfix", port: port, tlsPort: tlsPort, cacert: root.file,
		dialog:      []string{"S: 220 localhost ESMTP Postfix", "C: EHLO tlstrace.invalid", "S: 250-localhost", "S: 250-STARTTLS", "S: 250 ", "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS"},
		inside:      []string{"C: EHLO tlstrace.invalid", "S: 250-localhost", "S: 250 ", "C: QUIT", "S: 221 "},
		smtpsInside: []string{"S: 220 localhost ESMTP Postfix", "C: EHLO tlstrace.invalid", "S: 250-localhost", "S: 250 ", "C: QUIT", "S: 221 "},
	}.check(t)

	addr := fmt.Sprintf("localhost:%d", tlsPort)
	code, _, stderr := runCode("connect", addr, "--cacert", root.file, "--json", "--idle", "500ms", "--timeout", "10s")
	if code != 0 {
		t.Fatalf("tlstrace connect %s (smtps): exit %d\n%s", addr, code, stderr)
	}
	if got, want := handshakeVersion(t, events(t, stderr)), version; got != want {
		t.Errorf("smtps: %s, STARTTLS: %s", got, want)
	}
}

// mailPassword is the password of every user of the dovecot the tests
// start: only -u with it logs in.
const mailPassword = "Tl5-w1thheld-9f3k"

// checkMailLogin runs tlstrace URL -u user:password (with --ssl-reqd for
// the clear-text schemes), in the text view and in JSON: with the right
// password it exits 0 and says it logged in, with a wrong one it exits
// with the code of the application step and says the login was refused;
// the password, and its base64 alone and in AUTH PLAIN's message, appear
// nowhere in the output. It returns the JSON dialog inside TLS of the
// right password.
func checkMailLogin(t *testing.T, url, cacert, user string) []string {
	t.Helper()
	var inside []string
	for _, pass := range []string{mailPassword, "wrong-" + mailPassword} {
		plain := "\x00" + user + "\x00" + pass
		secrets := []string{pass, base64.StdEncoding.EncodeToString([]byte(pass)), hex.EncodeToString([]byte(pass)),
			base64.StdEncoding.EncodeToString([]byte(plain)), hex.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte(plain))))}
		for _, format := range []string{"text", "json"} {
			args := []string{url, "--cacert", cacert, "-u", user + ":" + pass}
			if scheme, _, _ := strings.Cut(url, ":"); !strings.HasSuffix(scheme, "s") {
				args = append(args, "--ssl-reqd")
			}
			if format == "json" {
				args = append(args, "--json")
			}
			code, out, stderr := runCode(args...)
			for _, s := range secrets {
				if strings.Contains(out+stderr, s) {
					t.Errorf("%q: the output shows the secret %q:\n%s%s", args, s, out, stderr)
				}
			}
			if format == "text" && !strings.Contains(out, "<password withheld>") {
				t.Errorf("%q: the login line is not shown with its password withheld:\n%s%s", args, out, stderr)
			}
			if pass != mailPassword {
				if code != exitHTTP || !strings.Contains(stderr, "refused the login") || !strings.Contains(stderr, "-u") {
					t.Errorf("%q: exit %d, want %d and the refused login explained:\n%s", args, code, exitHTTP, stderr)
				}
				continue
			}
			if code != 0 || !strings.Contains(stderr, fmt.Sprintf("logged in as %q", user)) {
				t.Fatalf("%q: exit %d, want 0 and the login reported:\n%s%s", args, code, stderr, out)
			}
			// The record that carried the password says which of
			// its bytes are not as sent.
			if masked := `"masked":[{"offset":`; format == "json" && !strings.Contains(out, masked) {
				t.Errorf("%q: no event says %s:\n%s", args, masked, out)
			}
			if format == "json" {
				for _, ev := range events(t, out) {
					if ev.Type != "starttls" {
						continue
					}
					var f struct {
						Line  string
						InTLS bool `json:"in_tls"`
					}
					if err := json.Unmarshal(ev.Fields, &f); err != nil {
						t.Fatal(err)
					}
					if f.InTLS {
						mark := "S: "
						if ev.From == "client" {
							mark = "C: "
						}
						inside = append(inside, mark+f.Line)
					}
				}
			}
		}
	}
	return inside
}

// mailDirs makes the mail and home directories of dovecot's users under
// dir, writable by the user (nobody) that a login runs as.
func mailDirs(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"mail", "home"} {
		d = filepath.Join(dir, d)
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
}

// relaySink listens on 127.0.0.1 as the SMTP relay of dovecot's
// submission service, which connects to it once a user logs in: it
// greets, answers every command with 250 and QUIT with 221, and keeps
// nothing. It returns its port.
func relaySink(t *testing.T) int {
	t.Helper()
	addr := tlstest.Listen(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		r := bufio.NewReader(c)
		fmt.Fprint(c, "220 relay\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(strings.ToUpper(line), "QUIT") {
				fmt.Fprint(c, "221 bye\r\n")
				return
			}
			fmt.Fprint(c, "250 relay\r\n")
		}
	})
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
