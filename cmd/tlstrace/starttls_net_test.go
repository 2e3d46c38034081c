package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// checkImplicitTLS connects to a port of implicit TLS (ftps, ldaps,
// XMPP's Direct TLS): a verified session, exit 0, and its version.
func checkImplicitTLS(t *testing.T, port int, cacert string) string {
	t.Helper()
	addr := fmt.Sprintf("localhost:%d", port)
	code, _, stderr := runCode("connect", addr, "--cacert", cacert, "--json", "--idle", "500ms", "--timeout", "10s")
	if code != 0 {
		t.Fatalf("tlstrace connect %s (implicit TLS): exit %d\n%s", addr, code, stderr)
	}
	return handshakeVersion(t, events(t, stderr))
}

// TestStartTLSVsftpd upgrades an FTP session of vsftpd with AUTH TLS,
// checked against openssl s_client and tshark, scans it, and connects to
// a second vsftpd of implicit TLS (ftps). With -u, a local user of its own
// (see ftpUser) logs in inside TLS on both.
func TestStartTLSVsftpd(t *testing.T) {
	tlstest.RequirePeer(t, "vsftpd")
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	port, tlsPort := tlstest.FreePort(t), tlstest.FreePort(t)
	// vsftpd refuses to start with neither local nor anonymous logins; the
	// test logs in with neither. implicit_ssl is global: ftps is a second
	// vsftpd.
	conf := func(name string, port int, implicit bool) string {
		path := filepath.Join(dir, name)
		writeFile(t, path, fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=%d
background=NO
ssl_enable=YES
implicit_ssl=%s
rsa_cert_file=%s
rsa_private_key_file=%s
anonymous_enable=NO
local_enable=YES
secure_chroot_dir=%s
xferlog_enable=NO
`, port, map[bool]string{false: "NO", true: "YES"}[implicit], cert, key, empty), 0o600)
		return path
	}
	startDaemon(t, daemon{ports: []int{port}}, "vsftpd", conf("vsftpd.conf", port, false))
	startDaemon(t, daemon{ports: []int{tlsPort}}, "vsftpd", conf("vsftpd-ftps.conf", tlsPort, true))

	peer := startTLSPeer{proto: "ftp", port: port, cacert: root.file, decodeAs: "ftp"}
	evs := checkStartTLSPeer(t, peer)
	wantDialog(t, dialogLines(t, evs), "S: 220 ", "C: AUTH TLS", "S: 234 ")
	version := handshakeVersion(t, evs)
	checkStartTLSScan(t, peer, version)
	if got := checkImplicitTLS(t, tlsPort, root.file); got != version {
		t.Errorf("ftps: %s, AUTH TLS: %s", got, version)
	}
	// The URLs as curl's: AUTH TLS (ftp:// with --ssl-reqd), then the
	// features and the quit inside TLS.
	before, inside := checkMailURL(t, fmt.Sprintf("ftp://localhost:%d/", port), root.file)
	wantDialog(t, before, "S: 220 ", "C: AUTH TLS", "S: 234 ")
	wantDialog(t, inside, "C: FEAT", "S: 211-", "S:  AUTH TLS", "S: 211 ", "C: QUIT", "S: 221 ")
	_, inside = checkMailURL(t, fmt.Sprintf("ftps://localhost:%d/", tlsPort), root.file)
	wantDialog(t, inside, "S: 220 ", "C: FEAT", "S: 211 ", "C: QUIT", "S: 221 ")

	// -u logs in inside TLS after the features, the data connections
	// protected first (RFC 4217), and the password is never shown.
	user := ftpUser(t, dir)
	login := []string{"C: FEAT", "S: 211 ", "C: PBSZ 0", "S: 200 ", "C: PROT P", "S: 200 ",
		"C: USER " + user, "S: 331 ", "C: PASS <password withheld>", "S: 230 ", "C: PWD", "S: 257 ", "C: QUIT", "S: 221 "}
	wantDialog(t, checkMailLogin(t, fmt.Sprintf("ftp://localhost:%d/", port), root.file, user), login...)
	wantDialog(t, checkMailLogin(t, fmt.Sprintf("ftps://localhost:%d/", tlsPort), root.file, user), append([]string{"S: 220 "}, login...)...)
}

// ftpUser makes a local user of its own for vsftpd's logins, whose
// password is mailPassword and whose home is under dir, and deletes it
// when the test ends: vsftpd logs local users in through PAM, so the user
// must be one of the system. It needs root, as vsftpd does.
func ftpUser(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the FTP login needs root to make a local user")
		}
		t.Skip("the FTP login needs root to make a local user")
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	user := "tlstrace-ftp-" + hex.EncodeToString(b[:])
	home := filepath.Join(dir, "home")
	run := func(stdin string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	// /bin/sh: PAM's pam_shells lets in only users of a listed shell. The
	// account expires after today, so that one left behind by a test that
	// was killed logs no one in with the test's password for long.
	expires := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	run("", "useradd", "--system", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "--expiredate", expires, user)
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", user).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", user, err, out)
		}
	})
	run(user+":"+mailPassword+"\n", "chpasswd")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	run("", "chown", user, home)
	return user
}

// TestStartTLSSlapd upgrades an LDAP session of slapd with the StartTLS
// extended operation, checked against openssl s_client and tshark, scans
// it, and connects to its ldaps port. With -u, the config database's
// root DN binds inside TLS on both.
func TestStartTLSSlapd(t *testing.T) {
	tlstest.RequirePeer(t, "slapd")
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	port, tlsPort := tlstest.FreePort(t), tlstest.FreePort(t)
	conf := filepath.Join(dir, "slapd.conf")
	writeFile(t, conf, fmt.Sprintf(`include /etc/ldap/schema/core.schema
pidfile %s/slapd.pid
argsfile %s/slapd.args
TLSCertificateFile %s
TLSCertificateKeyFile %s
TLSCACertificateFile %s
database config
rootdn %s
rootpw %s
`, dir, dir, cert, key, root.file, slapdAdmin, mailPassword), 0o600)
	startDaemon(t, daemon{ports: []int{port, tlsPort}}, "slapd", "-h", fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", port, tlsPort), "-f", conf, "-d", "0")

	peer := startTLSPeer{proto: "ldap", port: port, cacert: root.file, decodeAs: "ldap"}
	evs := checkStartTLSPeer(t, peer)
	wantDialog(t, dialogLines(t, evs),
		"C: ExtendedRequest (message 1, 31 bytes): StartTLS 1.3.6.1.4.1.1466.20037",
		"S: ExtendedResponse (message 1, ")
	version := handshakeVersion(t, evs)
	checkStartTLSScan(t, peer, version)
	if got := checkImplicitTLS(t, tlsPort, root.file); got != version {
		t.Errorf("ldaps: %s, StartTLS: %s", got, version)
	}
	// The URLs as curl's: StartTLS (ldap:// with --ssl-reqd), then the
	// root DSE read and the unbind inside TLS.
	inTLS := []string{
		`C: SearchRequest (message 2, 81 bytes): base "", scope baseObject, filter (objectClass=*), attributes supportedLDAPVersion, supportedExtension`,
		`S: SearchResultEntry (message 2, `,
		`S: SearchResultDone (message 2, 14 bytes): success (0)`,
		`C: UnbindRequest (message 3, 7 bytes)`,
	}
	before, inside := checkMailURL(t, fmt.Sprintf("ldap://localhost:%d/", port), root.file)
	wantDialog(t, before, "C: ExtendedRequest (message 1, 31 bytes): StartTLS", "S: ExtendedResponse (message 1, ")
	wantDialog(t, inside, inTLS...)
	_, inside = checkMailURL(t, fmt.Sprintf("ldaps://localhost:%d/", tlsPort), root.file)
	wantDialog(t, inside, inTLS...)
	if entry := strings.Join(inside, "\n"); !strings.Contains(entry, "supportedLDAPVersion: 3") || !strings.Contains(entry, "supportedExtension: 1.3.6.1.4.1.1466.20037") {
		t.Errorf("the root DSE lacks LDAP version 3 or StartTLS:\n%s", entry)
	}

	// -u binds inside TLS before the root DSE read, and the password is
	// never shown.
	login := []string{
		`C: BindRequest (message 2, 49 bytes): version 3, name "` + slapdAdmin + `", simple <password withheld>`,
		`S: BindResponse (message 2, 14 bytes): success (0)`,
		`C: SearchRequest (message 3, `,
		`S: SearchResultDone (message 3, 14 bytes): success (0)`,
		`C: UnbindRequest (message 4, 7 bytes)`,
	}
	wantDialog(t, checkMailLogin(t, fmt.Sprintf("ldap://localhost:%d/", port), root.file, slapdAdmin), login...)
	wantDialog(t, checkMailLogin(t, fmt.Sprintf("ldaps://localhost:%d/", tlsPort), root.file, slapdAdmin), login...)
	// A wrong password is refused with its result code named.
	url := fmt.Sprintf("ldaps://localhost:%d/", tlsPort)
	code, _, stderr := runCode(url, "--cacert", root.file, "-u", slapdAdmin+":wrong-"+mailPassword)
	if code != exitHTTP || !strings.Contains(stderr, "invalidCredentials (49)") {
		t.Errorf("%s with a wrong password: exit %d, want %d and invalidCredentials (49) named:\n%s", url, code, exitHTTP, stderr)
	}
}

// slapdAdmin is the root DN of the config database of the slapd the test
// starts, whose password is mailPassword.
const slapdAdmin = "cn=admin,cn=config"

// TestStartTLSProsody upgrades XMPP client and server-to-server streams
// of prosody, checked against openssl s_client and tshark, scans them, and
// connects to its Direct TLS ports (XEP-0368).
func TestStartTLSProsody(t *testing.T) {
	tlstest.RequirePeer(t, "prosody")
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	c2s, s2s, c2sTLS, s2sTLS := tlstest.FreePort(t), tlstest.FreePort(t), tlstest.FreePort(t), tlstest.FreePort(t)
	conf := filepath.Join(dir, "prosody.cfg.lua")
	// openssl s_client -starttls xmpp opens its stream to the address it
	// connects to (127.0.0.1), tlstrace to the name (localhost): prosody
	// serves both names, with the one certificate. Direct TLS finds a
	// host's certificate by the SNI name, so each host names its own, and
	// prosody's directory of certificates is the empty data directory
	// (the test's directory holds localhost.pem, which it would take).
	writeFile(t, conf, fmt.Sprintf(`run_as_root = true
daemonize = false
pidfile = "%[1]s/prosody.pid"
data_path = "%[2]s"
certificates = "%[2]s"
log = { { levels = { min = "info" }, to = "console" } }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { %[3]d }
s2s_ports = { %[4]d }
c2s_direct_tls_ports = { %[5]d }
s2s_direct_tls_ports = { %[6]d }
modules_enabled = { "tls", "saslauth", "dialback" }
modules_disabled = { "posix" }
c2s_require_encryption = true
s2s_require_encryption = true
ssl = { certificate = "%[7]s", key = "%[8]s" }
VirtualHost "localhost"
  ssl = { certificate = "%[7]s", key = "%[8]s" }
VirtualHost "127.0.0.1"
  ssl = { certificate = "%[7]s", key = "%[8]s" }
`, dir, data, c2s, s2s, c2sTLS, s2sTLS, cert, key), 0o600)
	startDaemon(t, daemon{ports: []int{c2s, s2s, c2sTLS, s2sTLS}}, "prosody", "--config", conf, "-F")

	for _, tc := range []struct {
		peer    startTLSPeer
		ns      string
		tlsPort int
	}{
		{startTLSPeer{proto: "xmpp", port: c2s, cacert: root.file, decodeAs: "xmpp"}, "jabber:client", c2sTLS},
		{startTLSPeer{proto: "xmpp-server", port: s2s, cacert: root.file, decodeAs: "xmpp"}, "jabber:server", s2sTLS},
	} {
		t.Run(tc.peer.proto, func(t *testing.T) {
			evs := checkStartTLSPeer(t, tc.peer)
			wantDialog(t, dialogLines(t, evs),
				"C: <?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' xmlns='"+tc.ns+"'",
				"S: <?xml version='1.0'?><stream:stream ",
				"S: <stream:features>",
				"C: <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
				"S: <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
			version := handshakeVersion(t, evs)
			checkStartTLSScan(t, tc.peer, version)
			if got := checkImplicitTLS(t, tc.tlsPort, root.file); got != version {
				t.Errorf("Direct TLS: %s, STARTTLS: %s", got, version)
			}
		})
	}
}

// TestStartTLSInspIRCd upgrades an IRC connection of InspIRCd (its
// starttls module) before registering, checked against openssl s_client
// and tshark, scans it, and connects to its TLS port. openssl s_client
// -starttls irc stops at the first line without a numeric, so the host
// name lookup, whose notice would come first, is off.
func TestStartTLSInspIRCd(t *testing.T) {
	tlstest.RequirePeer(t, "inspircd", "prlimit")
	dir := daemonDir(t)
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "localhost", nil)
	port, tlsPort := tlstest.FreePort(t), tlstest.FreePort(t)
	conf := filepath.Join(dir, "inspircd.conf")
	writeFile(t, conf, fmt.Sprintf(`<server name="irc.localhost" description="tlstrace test" network="tlstrace">
<admin name="test" nick="test" email="test@example.invalid">
<bind address="127.0.0.1" port="%[2]d" type="clients">
<bind address="127.0.0.1" port="%[3]d" type="clients" sslprofile="gnutls">
<connect allow="*" timeout="20" localmax="100" globalmax="100" maxlocal="100" maxglobal="100" useident="no" resolvehostnames="no">
<module name="ssl_gnutls">
<module name="starttls">
<sslprofile name="gnutls" provider="gnutls" certfile="%[4]s" keyfile="%[5]s" dhfile="" cafile="" crlfile="" hash="sha256" requestclientcert="no">
<pid file="%[1]s/inspircd.pid">
<files motd="%[1]s/motd">
<performance softlimit="100" somaxconn="128">
`, dir, port, tlsPort, cert, key), 0o600)
	writeFile(t, filepath.Join(dir, "motd"), "tlstrace test\n", 0o644)
	// InspIRCd raises its own core file limit and, on Debian 12, dumps
	// core as it stops, into the working directory: prlimit sets the hard
	// limit to 0 first (and execs it, so the test stops inspircd itself).
	startDaemon(t, daemon{ports: []int{port, tlsPort}}, "prlimit", "--core=0:0", "inspircd", "--nofork", "--runasroot", "--nolog", "--config", conf)

	// tshark's IRC dissector does not follow STARTTLS: decoded as TLS
	// from the start, the clear-text lines are segments it passes over.
	peer := startTLSPeer{proto: "irc", port: port, cacert: root.file, decodeAs: "tls"}
	evs := checkStartTLSPeer(t, peer)
	wantDialog(t, dialogLines(t, evs), "C: STARTTLS", "S: :irc.localhost 670 ")
	version := handshakeVersion(t, evs)
	checkStartTLSScan(t, peer, version)
	if got := checkImplicitTLS(t, tlsPort, root.file); got != version {
		t.Errorf("TLS port: %s, STARTTLS: %s", got, version)
	}
}
