package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// An oracleScenario is one openssl s_server and one s_client connected
// to it, and what they say to each other once the handshake is done.
type oracleScenario struct {
	name           string
	server, client []string
	// script is run in order: a line sent by one side, then text waited
	// for in the output of either.
	script []scriptStep
	// check looks at the connection's steps (from and type, in order).
	check func(t *testing.T, steps []oracleStep)
	// fails is set for a handshake that fails: there is no script, and
	// the client's output must say fails.
	fails string
	// ipv6 connects over ::1 instead of 127.0.0.1.
	ipv6 bool
}

type scriptStep struct {
	to   string // "client" or "server": whose stdin gets send
	send string
	on   string // "client" or "server": whose output shows wait
	wait string
}

const testPSK = "5a17ba5edc0ffee0123456789abcdef0"

func oracleScenarios(dir string) []oracleScenario {
	talk := []scriptStep{
		{"client", "ping\n", "server", "ping"},
		{"server", "pong\n", "client", "pong"},
	}
	has := func(want ...string) func(*testing.T, []oracleStep) {
		return func(t *testing.T, steps []oracleStep) {
			t.Helper()
			var got []string
			for _, s := range steps {
				got = append(got, s.from+" "+s.kind)
			}
			all := strings.Join(got, ",") + ","
			for _, w := range want {
				i := strings.Index(all, w+",")
				if i < 0 {
					t.Errorf("no %q in order in %v", want, got)
					return
				}
				all = all[i+len(w)+1:]
			}
		}
	}
	small := func(want ...string) func(*testing.T, []oracleStep) {
		return func(t *testing.T, steps []oracleStep) {
			t.Helper()
			has(want...)(t, steps)
			for _, s := range steps {
				var typ, n int
				var inner string
				fmt.Sscanf(strings.ReplaceAll(s.record, "/", " "), "%d %s %d", &typ, &inner, &n)
				// 512 bytes of plaintext and what protection adds.
				if n > 512+64 {
					t.Errorf("%s: a record of %d bytes", s, n)
				}
			}
		}
	}
	rsa := []string{"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key")}
	big := []string{"-cert", filepath.Join(dir, "big.pem"), "-key", filepath.Join(dir, "big.key"), "-cert_chain", filepath.Join(dir, "ca.pem")}
	return []oracleScenario{
		{
			// s_client's R renegotiates: a second ClientHello on the
			// protected connection (RFC 5746).
			name:   "renegotiation by the client",
			server: append([]string{"-tls1_2", "-client_renegotiation"}, rsa...),
			client: []string{"-tls1_2"},
			script: append(append([]scriptStep{}, talk...),
				scriptStep{"client", "R\n", "client", "RENEGOTIATING"},
				scriptStep{"client", "after\n", "server", "after"},
				scriptStep{"server", "back\n", "client", "back"}),
			check: has("client client_hello", "server finished", "client client_hello", "server server_hello", "server finished", "client application_data"),
		},
		{
			// OpenSSL 3 servers refuse it unless told otherwise: a
			// no_renegotiation warning, to which s_client answers with
			// a fatal handshake_failure.
			name:   "renegotiation refused",
			server: append([]string{"-tls1_2"}, rsa...),
			client: []string{"-tls1_2"},
			script: append(append([]scriptStep{}, talk...),
				scriptStep{"client", "R\n", "client", "no renegotiation"}),
			check: has("client client_hello", "server alert", "client alert"),
		},
		{
			// s_server's r sends a HelloRequest (RFC 5246, Section
			// 7.4.1.1), which s_client answers with a ClientHello.
			name:   "renegotiation by the server",
			server: append([]string{"-tls1_2"}, rsa...),
			client: []string{"-tls1_2"},
			script: append(append([]scriptStep{}, talk...),
				scriptStep{"server", "r\n", "server", "SSL_do_handshake -> 1"},
				scriptStep{"client", "after\n", "server", "after"},
				scriptStep{"server", "back\n", "client", "back"}),
			check: has("server hello_request", "client client_hello", "server server_hello", "server finished", "server application_data"),
		},
		{
			name:   "TLS 1.3 handshake in 512-byte records",
			server: append([]string{"-tls1_3", "-max_send_frag", "512"}, rsa...),
			client: []string{"-tls1_3", "-max_send_frag", "512"},
			script: talk,
			check:  small("server certificate", "server certificate_verify", "client finished"),
		},
		{
			name:   "TLS 1.2 handshake in 512-byte records",
			server: append([]string{"-tls1_2", "-max_send_frag", "512"}, rsa...),
			client: []string{"-tls1_2", "-max_send_frag", "512"},
			script: talk,
			check:  small("server certificate", "server server_hello_done", "client client_key_exchange", "server finished"),
		},
		{
			name:   "TLS 1.3 certificate chain over 16 KiB",
			server: append([]string{"-tls1_3"}, big...),
			client: []string{"-tls1_3"},
			script: talk,
			check:  has("server certificate", "server certificate_verify"),
		},
		{
			name:   "TLS 1.2 certificate chain over 16 KiB",
			server: append([]string{"-tls1_2"}, big...),
			client: []string{"-tls1_2"},
			script: talk,
			check:  has("server certificate", "server server_key_exchange", "server server_hello_done"),
		},
		{
			name:   "TLS 1.2 static RSA key exchange",
			server: append([]string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"}, rsa...),
			client: []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"},
			script: talk,
			check:  has("server certificate", "server server_hello_done", "client client_key_exchange", "client finished"),
		},
		{
			// An external PSK (RFC 8446, Section 4.2.11) with no
			// certificate at all.
			name:   "TLS 1.3 external PSK",
			server: []string{"-tls1_3", "-nocert", "-psk", testPSK},
			client: []string{"-tls1_3", "-psk", testPSK},
			script: talk,
			check:  has("client client_hello", "server server_hello", "server encrypted_extensions", "server finished", "client finished"),
		},
		{
			name:   "TLS 1.2 finite-field DHE",
			server: append([]string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}, rsa...),
			client: []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"},
			script: talk,
			check:  has("server server_key_exchange", "client client_key_exchange", "server finished"),
		},
		{
			name:   "TLS 1.3 client certificate",
			server: append([]string{"-tls1_3", "-Verify", "1", "-CAfile", filepath.Join(dir, "ca.pem")}, rsa...),
			client: []string{"-tls1_3", "-cert", filepath.Join(dir, "ec.pem"), "-key", filepath.Join(dir, "ec.key")},
			script: talk,
			check:  has("server certificate_request", "server finished", "client certificate", "client certificate_verify", "client finished"),
		},
		{
			name:   "TLS 1.2 client certificate",
			server: append([]string{"-tls1_2", "-Verify", "1", "-CAfile", filepath.Join(dir, "ca.pem")}, rsa...),
			client: []string{"-tls1_2", "-cert", filepath.Join(dir, "ec.pem"), "-key", filepath.Join(dir, "ec.key")},
			script: talk,
			check:  has("server certificate_request", "server server_hello_done", "client certificate", "client client_key_exchange", "client certificate_verify", "client finished"),
		},
		{
			// A fatal alert in the clear: the client does not know the
			// server's CA (RFC 5246, Section 7.2.2).
			name:   "TLS 1.2 certificate refused",
			server: append([]string{"-tls1_2"}, rsa...),
			client: []string{"-tls1_2", "-verify_return_error", "-CAfile", filepath.Join(dir, "big.pem")},
			fails:  "verify error",
			check:  has("server server_hello_done", "client alert"),
		},
		{
			// The same alert, encrypted under the handshake keys.
			name:   "TLS 1.3 certificate refused",
			server: append([]string{"-tls1_3"}, rsa...),
			client: []string{"-tls1_3", "-verify_return_error", "-CAfile", filepath.Join(dir, "big.pem")},
			fails:  "verify error",
			check:  has("server certificate_verify", "server finished", "client alert"),
		},
		{
			// TLS 1.0 CBC, whose records chain their IVs, and TLS 1.1
			// (OpenSSL allows them at security level 0).
			name:   "TLS 1.0",
			server: append([]string{"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"}, rsa...),
			client: []string{"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"},
			script: talk,
			check:  has("server server_key_exchange", "client finished", "server finished", "client application_data", "server application_data"),
		},
		{
			name:   "TLS 1.1",
			server: append([]string{"-tls1_1", "-cipher", "AES256-SHA:@SECLEVEL=0"}, rsa...),
			client: []string{"-tls1_1", "-cipher", "AES256-SHA:@SECLEVEL=0"},
			script: talk,
			check:  has("client client_key_exchange", "server finished", "client application_data", "server application_data"),
		},
		{
			name:   "TLS 1.3 over IPv6",
			server: append([]string{"-tls1_3"}, rsa...),
			client: []string{"-tls1_3"},
			script: talk,
			ipv6:   true,
			check:  has("client client_hello", "server finished", "client application_data", "server application_data"),
		},
		{
			// A session whose ticket allows early data, for the next.
			name:   "TLS 1.3 session for 0-RTT",
			server: append([]string{"-tls1_3", "-early_data"}, rsa...),
			client: []string{"-tls1_3", "-sess_out", filepath.Join(dir, "early.sess")},
			script: talk,
			check:  has("server finished", "server new_session_ticket"),
		},
		{
			// Another server, which cannot read the ticket: it does a
			// full handshake and skips the 0-RTT data, which the key
			// log still opens (RFC 8446, Section 4.2.10).
			name:   "TLS 1.3 0-RTT rejected",
			server: append([]string{"-tls1_3"}, rsa...),
			client: []string{"-tls1_3", "-sess_in", filepath.Join(dir, "early.sess"), "-early_data", filepath.Join(dir, "early.txt")},
			script: talk,
			check:  has("client client_hello", "client application_data", "server server_hello", "server certificate", "client finished"),
		},
		{
			name:   "TLS 1.2 PSK",
			server: []string{"-tls1_2", "-nocert", "-psk", testPSK, "-cipher", "PSK-AES128-GCM-SHA256"},
			client: []string{"-tls1_2", "-psk", testPSK, "-cipher", "PSK-AES128-GCM-SHA256"},
			script: talk,
			check:  has("server server_hello", "server server_hello_done", "client client_key_exchange", "server finished"),
		},
	}
}

// runScenario starts the scenario's s_server on port, connects its
// s_client, runs the script and waits until both have exited.
func runScenario(t *testing.T, dir string, sc oracleScenario, port int, keylog string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if sc.ipv6 {
		addr = fmt.Sprintf("[::1]:%d", port)
	}
	var srvOut, cliOut lockedBuffer
	srvIn, srvDone := startOpenSSL(t, &srvOut, append([]string{"s_server", "-accept", addr,
		"-naccept", "1", "-keylogfile", keylog}, sc.server...)...)
	waitFor(t, &srvOut, "ACCEPT")
	cliIn, cliDone := startOpenSSL(t, &cliOut, append([]string{"s_client", "-connect", addr,
		"-servername", "localhost", "-keylogfile", keylog}, sc.client...)...)
	if sc.fails != "" {
		waitFor(t, &cliOut, sc.fails)
	} else {
		waitFor(t, &srvOut, "CIPHER is")
		waitFor(t, &cliOut, "Verify return code")
	}
	in := map[string]io.Writer{"client": cliIn, "server": srvIn}
	out := map[string]*lockedBuffer{"client": &cliOut, "server": &srvOut}
	for _, s := range sc.script {
		seen := strings.Count(out[s.on].String(), s.wait)
		io.WriteString(in[s.to], s.send)
		for deadline := time.Now().Add(10 * time.Second); strings.Count(out[s.on].String(), s.wait) <= seen; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %q from the %s in 10 s:\n%s", sc.name, s.wait, s.on, out[s.on].String())
			}
		}
	}
	cliIn.Close()
	for name, done := range map[string]chan error{"s_client": cliDone, "s_server": srvDone} {
		select {
		case <-done:
			done <- nil
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: %s did not exit", sc.name, name)
		}
	}
}

// writeBigCert writes big.pem and big.key into dir: a self-signed
// localhost certificate whose 1,000 subject alternative names make it
// larger than a record (16 KiB). The server sends the CA of writeTestCerts
// after it.
func writeBigCert(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"localhost"}
	for i := range 1000 {
		names = append(names, fmt.Sprintf("host-%04d.example.test", i))
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(100),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     names,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(der) <= 16384 {
		t.Fatalf("the big certificate has %d bytes", len(der))
	}
	writePEM(t, filepath.Join(dir, "big.pem"), "CERTIFICATE", der)
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "big.key"), "PRIVATE KEY", kd)
}

// TestOraclePeers captures, on Linux's "any" interface (a Linux cooked
// capture, nanosecond timestamps), openssl s_client and s_server in the
// cases the other peer tests do not reach: renegotiation started by either
// side, handshakes cut into 512-byte records, a certificate chain over 16
// KiB, static RSA key exchange, and external PSKs in TLS 1.3 and 1.2. Each
// connection, field by field, is what tshark shows (checkOracle).
func TestOraclePeers(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "dumpcap", "tshark", "editcap")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	writeTestCerts(t, dir)
	writeBigCert(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "early.txt"), []byte("early data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keylog := filepath.Join(dir, "keys.txt")
	scenarios := oracleScenarios(dir)
	base := 10000 + mrand.IntN(20000)
	pcap := filepath.Join(dir, "any.pcapng")
	stop := startCaptureOn(t, "any", fmt.Sprintf("tcp portrange %d-%d", base, base+len(scenarios)-1), pcap)
	for i, sc := range scenarios {
		runScenario(t, dir, sc, base+i, keylog)
	}
	stop()
	decodeAs := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(scenarios)-1)
	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: decodeAs, events: events})
	steps := tlstraceSteps(t, events)
	// firstClientData is the frame of the first application data the
	// client of scenario name sent, 0 if none.
	firstClientData := func(name string) int {
		for i, sc := range scenarios {
			if sc.name != name {
				continue
			}
			for _, s := range steps[i+1] {
				if s.from == "client" && s.kind == "application_data" {
					return s.frame
				}
			}
		}
		return 0
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.check(t, steps[i+1]) })
	}
	if b, err := os.ReadFile(pcap); err != nil || len(b) < 12 || binary.LittleEndian.Uint32(b[8:]) != 0x1a2b3c4d {
		t.Fatalf("dumpcap did not write a little-endian pcapng (%v)", err)
	}
	if p := tshark(t, "-r", pcap, "-c", "1", "-T", "fields", "-e", "frame.protocols"); !strings.HasPrefix(p, "sll:") {
		t.Fatalf("the capture on any is not a Linux cooked capture: %q", p)
	}

	t.Run("without keys", func(t *testing.T) {
		events := runJSON(t, "read", pcap, "--json")
		checkOracle(t, oracleCase{pcap: pcap, decodeAs: decodeAs, events: events, rules: []oracleRule{ruleProtectedCCS}})
	})
	t.Run("secrets block", func(t *testing.T) {
		// The key log inside the capture (a pcapng Decryption Secrets
		// Block), which both read without being given a key log.
		dsb := filepath.Join(dir, "dsb.pcapng")
		editcap(t, "--inject-secrets", "tls,"+keylog, pcap, dsb)
		events := runJSON(t, "read", dsb, "--json")
		checkOracle(t, oracleCase{pcap: dsb, decodeAs: decodeAs, events: events})
		if !slices.ContainsFunc(events, func(ev jsonEvent) bool { return ev.Type == "application_data" }) {
			t.Error("nothing decrypted with the secrets block")
		}
	})

	nsec := filepath.Join(dir, "nsec.pcap")
	t.Run("nanosecond pcap", func(t *testing.T) {
		// The same packets in a pcap file with nanosecond timestamps
		// (magic a1b23c4d): the same events, to the nanosecond.
		editcap(t, "-F", "nsecpcap", pcap, nsec)
		if b, err := os.ReadFile(nsec); err != nil || binary.LittleEndian.Uint32(b) != 0xa1b23c4d {
			t.Fatalf("editcap did not write a nanosecond pcap (%v)", err)
		}
		again := runJSON(t, "read", nsec, "--keylog", keylog, "--json")
		if !reflect.DeepEqual(again, events) {
			t.Errorf("the nanosecond pcap gives other events than the pcapng it was written from")
		}
		checkOracle(t, oracleCase{pcap: nsec, keylog: keylog, decodeAs: decodeAs, events: again})
	})

	t.Run("snaplen", func(t *testing.T) {
		snap := filepath.Join(dir, "snap.pcap")
		editcap(t, "-s", "100", nsec, snap)
		events := runJSON(t, "read", snap, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: snap, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{ruleProtectedCCS, ruleNoHeader}})
	})

	t.Run("small segments", func(t *testing.T) {
		// Every payload cut into segments of 300 bytes: records,
		// record headers and handshake messages span packets, and
		// each step comes in the frame that completed it.
		seg := filepath.Join(dir, "segments.pcap")
		if read, written := segmentPackets(t, nsec, seg, 300); written < read+100 {
			t.Fatalf("%d packets cut into %d", read, written)
		}
		events := runJSON(t, "read", seg, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: seg, keylog: keylog, decodeAs: decodeAs, events: events})
	})

	t.Run("deleted segment", func(t *testing.T) {
		// The segment that holds the client's first application data
		// deleted, in the static RSA and the TLS 1.3 PSK connections.
		var drop []string
		for _, name := range []string{"TLS 1.2 static RSA key exchange", "TLS 1.3 external PSK"} {
			if f := firstClientData(name); f != 0 {
				drop = append(drop, strconv.Itoa(f))
			}
		}
		if len(drop) != 2 {
			t.Fatalf("frames to delete %v, want 2", drop)
		}
		lost := filepath.Join(dir, "lost.pcap")
		editcap(t, append([]string{nsec, lost}, drop...)...)
		events := runJSON(t, "read", lost, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: lost, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{ruleAfterGap, ruleNoHeader}})
	})

	t.Run("begun after a handshake", func(t *testing.T) {
		// The capture from the client's first application data of the
		// static RSA connection on: its handshake is not in it, so its
		// records (application data, the encrypted close_notify alerts)
		// are encrypted records that say why, as tshark leaves them
		// encrypted, never plaintext.
		from := firstClientData("TLS 1.2 static RSA key exchange")
		if from == 0 {
			t.Fatal("no application data of the static RSA connection")
		}
		late := filepath.Join(dir, "late.pcap")
		editcap(t, "-r", nsec, late, fmt.Sprintf("%d-%d", from, 1<<30))
		events := runJSON(t, "read", late, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: late, keylog: keylog, decodeAs: decodeAs, events: events})
		var kinds []string
		for _, s := range tlstraceSteps(t, events)[1] {
			kinds = append(kinds, s.from+" "+s.kind)
		}
		if !slices.Equal(kinds, []string{"client encrypted_record", "server encrypted_record", "client encrypted_record", "server encrypted_record"}) {
			t.Errorf("the connection begun before the capture shows %v, want the encrypted records of the ping, the pong and each side's close_notify", kinds)
		}
		for _, ev := range events {
			if ev.Conn == 1 && ev.Type == "encrypted_record" && ev.Error != "not plaintext, and the capture holds no ClientHello or ServerHello of this connection (it began after the handshake): the keys that protect it cannot be known" {
				t.Errorf("frame %d: encrypted record says %q", ev.Frame, ev.Error)
			}
		}
		// Without a SYN or a ClientHello the roles were inferred from the
		// ports, and both views say so, first.
		var first jsonEvent
		for _, ev := range events {
			if ev.Conn == 1 {
				first = ev
				break
			}
		}
		var roles struct{ Client, Server, By string }
		if first.Type == "roles_inferred" {
			json.Unmarshal(first.Fields, &roles)
		}
		if first.Type != "roles_inferred" || first.Layer != "tcp" || first.From != "local" || roles.By != "port" || roles.Client == "" || roles.Server == "" {
			t.Errorf("the first step of the connection begun before the capture is %s %s %s, want roles inferred by port", first.Layer, first.Type, first.Fields)
		}
		if text := runText(t, "read", late, "--keylog", keylog); !strings.Contains(text, "no SYN captured: client "+roles.Client+", server "+roles.Server+" inferred: the client is the side with the higher (ephemeral) port") {
			t.Errorf("the text view does not say the roles were inferred:\n%s", text)
		}
	})

	t.Run("begun inside a record", func(t *testing.T) {
		// The same capture, its first packet the client's first
		// application data without its first 10 bytes: the client's
		// bytes begin inside a record, which is no reason to take the
		// connection for one that is not TLS. The bytes before the
		// first record header are said to be missing (tshark shows them
		// as continuation data), and every record after them of either
		// side is an encrypted record, as tshark shows it.
		from := firstClientData("TLS 1.2 static RSA key exchange")
		if from == 0 {
			t.Fatal("no application data of the static RSA connection")
		}
		trimmed := filepath.Join(dir, "trimmed.pcap")
		trimPacket(t, nsec, trimmed, from, 10)
		inside := filepath.Join(dir, "inside.pcap")
		editcap(t, "-r", trimmed, inside, fmt.Sprintf("%d-%d", from, 1<<30))
		events := runJSON(t, "read", inside, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: inside, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{ruleNoHeader}})
		var kinds []string
		for _, ev := range events {
			if ev.Conn == 1 && ev.Layer == "tls" {
				kinds = append(kinds, ev.From+" "+ev.Type+" "+ev.Error)
			}
		}
		first := "client encrypted_record 24 bytes before the first record header of this side: the capture began inside a record"
		rest := " encrypted_record not plaintext, and the capture holds no ClientHello or ServerHello of this connection (it began after the handshake): the keys that protect it cannot be known"
		// The client's first bytes are known not to start a record when
		// its next record, the close_notify, shows where records start.
		if want := []string{"server" + rest, first, "client" + rest, "server" + rest}; !slices.Equal(kinds, want) {
			t.Errorf("the connection begun inside a record shows\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
		}
	})

	// twoTickets finds the first TLS 1.3 connection whose server sent
	// its tickets in two frames: the frames a and b, and the connection.
	twoTickets := func(t *testing.T) (a, b, conn int) {
		t.Helper()
		for i, sc := range scenarios {
			if !strings.HasPrefix(sc.name, "TLS 1.3") || b != 0 {
				continue
			}
			a, conn = 0, i+1
			for _, s := range steps[i+1] {
				if s.from == "server" && s.kind == "new_session_ticket" {
					if a == 0 {
						a = s.frame
					} else if b == 0 && s.frame != a {
						b = s.frame
					}
				}
			}
		}
		if a == 0 || b == 0 {
			t.Fatalf("no two server tickets in two frames (%d, %d)", a, b)
		}
		return a, b, conn
	}

	t.Run("reordered segment", func(t *testing.T) {
		// The server's two TLS 1.3 tickets, sent in two segments,
		// reordered in the capture (each place keeps its time): the
		// second ticket's segment comes right before the first's. (A
		// client ACK of the first ticket between them would say that
		// the peer has bytes the capture lacks, and they are then
		// given up as a gap.)
		a, b, conn := twoTickets(t)
		swapped := filepath.Join(dir, "swapped.pcap")
		movePacketBefore(t, nsec, swapped, a, b)
		events := runJSON(t, "read", swapped, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: swapped, keylog: keylog, decodeAs: decodeAs, events: events, outOfOrder: true})
		// Both tickets come where the first one's bytes arrived (right
		// after the second's), which made the second one's contiguous
		// (as tshark reassembles).
		var at []int
		for _, s := range tlstraceSteps(t, events)[conn] {
			if s.kind == "new_session_ticket" {
				at = append(at, s.frame)
			}
		}
		if len(at) != 2 || at[0] != a+1 || at[1] != a+1 {
			t.Errorf("tickets at frames %v, want both at %d", at, a+1)
		}
	})

	t.Run("reordered after its acknowledgement", func(t *testing.T) {
		// The segment of the server's first TLS 1.3 ticket moved to
		// just after the client's first acknowledgement of the second
		// ticket's segment: the client had it (it acknowledges what
		// follows), the capture holds it later. tlstrace waits for it,
		// as tshark's out-of-order reassembly does, instead of giving
		// the bytes up as missing at the acknowledgement.
		a, b, conn := twoTickets(t)
		// The frame, source port, raw sequence and acknowledgement
		// numbers of the packets of the connection.
		var rows [][]uint64
		for _, line := range strings.Split(strings.TrimSpace(tshark(t, "-r", nsec, "-Y", fmt.Sprintf("tcp.stream==%d", conn-1),
			"-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "tcp.srcport", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw")), "\n") {
			var row []uint64
			for _, f := range strings.Split(line, "\t") {
				n, _ := strconv.ParseUint(f, 10, 64)
				row = append(row, n)
			}
			rows = append(rows, row)
		}
		var server, bSeq uint64
		for _, r := range rows {
			if len(r) == 4 && int(r[0]) == b {
				server, bSeq = r[1], r[2]
			}
		}
		c := 0
		for _, r := range rows {
			if len(r) == 4 && int(r[0]) > b && r[1] != server && int32(uint32(r[3])-uint32(bSeq)) >= 0 {
				c = int(r[0])
				break
			}
		}
		if c == 0 {
			t.Fatalf("no acknowledgement by the client of frame %d", b)
		}
		late := filepath.Join(dir, "late-ticket.pcap")
		movePacketAfter(t, nsec, late, a, c)
		events := runJSON(t, "read", late, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: late, keylog: keylog, decodeAs: decodeAs, events: events, outOfOrder: true})
		// Both tickets come where the first one's segment now is (frame
		// c: the packets after it moved up by one), no bytes missing.
		var at []int
		for _, ev := range events {
			if ev.Conn == conn && ev.Type == "new_session_ticket" {
				at = append(at, ev.Frame)
			}
			if ev.Conn == conn && ev.Type == "gap" {
				t.Errorf("frame %d: a gap of the reordered connection", ev.Frame)
			}
		}
		if len(at) != 2 || at[0] != c || at[1] != c {
			t.Errorf("tickets at frames %v, want both at %d", at, c)
		}
	})

	t.Run("retransmitted segments", func(t *testing.T) {
		// The segment of the client's first application data sent
		// again right after the packet that follows it, in the TLS 1.3
		// PSK connection as it was, in the static RSA connection with
		// its last byte changed. Both are retransmissions, as tshark
		// flags them (tcp.analysis.retransmission); the changed one
		// says that its bytes differ from the first copy, which is the
		// one decoded.
		same, changed := firstClientData("TLS 1.3 external PSK"), firstClientData("TLS 1.2 static RSA key exchange")
		if same == 0 || changed == 0 {
			t.Fatalf("no client application data (%d, %d)", same, changed)
		}
		again := filepath.Join(dir, "again.pcap")
		duplicatePackets(t, nsec, again, map[int]bool{same: false, changed: true})
		events := runJSON(t, "read", again, "--keylog", keylog, "--json")
		checkOracle(t, oracleCase{pcap: again, keylog: keylog, decodeAs: decodeAs, events: events})
		var want []int
		for _, line := range strings.Fields(tshark(t, "-r", again, "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "frame.number")) {
			n, _ := strconv.Atoi(line)
			want = append(want, n)
		}
		var got []int
		differ := map[int]string{}
		retransmitted := map[int]bool{}
		for _, ev := range events {
			if ev.Type == "retransmission" {
				got = append(got, ev.Frame)
				differ[ev.Frame] = ev.Error
				retransmitted[ev.Conn] = true
			}
		}
		slices.Sort(got)
		// The loopback capture may hold a retransmission of its own (a
		// busy machine): tshark's list is the oracle, and the two copies
		// must be on it.
		if len(want) < 2 || !slices.Equal(got, want) {
			t.Fatalf("retransmissions at frames %v, tshark flags %v (want the 2 copies at least)", got, want)
		}
		// The frames moved by the copies: the first copy inserted after
		// frame+1 is frame+2; the second one is one further when it
		// comes after the first.
		sameAt, changedAt := same+2, changed+2
		if changed > same {
			changedAt++
		} else {
			sameAt++
		}
		if !slices.Contains(want, sameAt) || !slices.Contains(want, changedAt) {
			t.Errorf("tshark flags %v, not the copies at frames %d and %d", want, sameAt, changedAt)
		}
		if differ[sameAt] != "" {
			t.Errorf("frame %d: the unchanged copy says %q", sameAt, differ[sameAt])
		}
		if e := differ[changedAt]; !strings.HasPrefix(e, "1 of the ") || !strings.Contains(e, "differ from the first copy") {
			t.Errorf("frame %d: the changed copy says %q, want that 1 byte differs", changedAt, e)
		}
		sums := 0
		for _, ev := range events {
			if ev.Type == "retransmission_summary" {
				sums++
			}
		}
		if sums != len(retransmitted) || sums < 2 {
			t.Errorf("%d retransmission summaries, want one per connection with a retransmission", sums)
		}
	})

	for _, side := range []string{"client", "server"} {
		t.Run(side+" handshake secret missing", func(t *testing.T) {
			// The key log without the side's handshake traffic
			// secrets: in TLS 1.3 its handshake records (the client's
			// Finished; the server's EncryptedExtensions to Finished)
			// cannot be decrypted, and say which secret is missing;
			// its application records can, with its traffic secret,
			// from the first whose tag authenticates under it.
			missing := strings.ToUpper(side) + "_HANDSHAKE_TRAFFIC_SECRET"
			b, err := os.ReadFile(keylog)
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, line := range strings.Split(string(b), "\n") {
				if !strings.HasPrefix(line, missing+" ") {
					kept = append(kept, line)
				}
			}
			partial := filepath.Join(dir, "no-"+side+"-handshake.keys")
			if err := os.WriteFile(partial, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
			events := runJSON(t, "read", nsec, "--keylog", partial, "--json")
			conn := 0
			for i, sc := range scenarios {
				if sc.name == "TLS 1.3 over IPv6" {
					conn = i + 1
				}
			}
			var kinds []string
			for _, ev := range events {
				if ev.Conn != conn || ev.Layer != "tls" || ev.From != side {
					continue
				}
				kinds = append(kinds, ev.Type)
				if ev.Type == "encrypted_record" && !strings.Contains(ev.Error, "no "+missing) {
					t.Errorf("frame %d: encrypted record says %q, want the missing secret named", ev.Frame, ev.Error)
				}
			}
			ruleTrafficSecret := oracleRule{
				why: "without the " + side + " handshake traffic secret tlstrace opens the " + side + "'s application records with its traffic secret (the tag proves it); tshark leaves them encrypted",
				same: func(_ int, got, want oracleStep) bool {
					return want.kind == "encrypted_record" && got.from == side &&
						(got.kind == "application_data" || got.kind == "alert" || got.kind == "new_session_ticket") &&
						got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
				},
			}
			checkOracle(t, oracleCase{pcap: nsec, keylog: partial, decodeAs: decodeAs, events: events, conns: []int{conn}, rules: []oracleRule{ruleTrafficSecret}})
			// The hello, then the handshake records (after a
			// change_cipher_spec when one is sent) encrypted, then
			// what follows decrypted: the client's ping and
			// close_notify; the server's tickets, its answer and its
			// close_notify.
			got := slices.DeleteFunc(slices.Clone(kinds), func(k string) bool { return k == "change_cipher_spec" })
			want := []string{"client_hello", "encrypted_record", "application_data", "alert"}
			if side == "server" {
				// Each encrypted record is one step; the decrypted
				// ones are compared by kind, without repeats.
				got = slices.Compact(got)
				want = []string{"server_hello", "encrypted_record", "new_session_ticket", "application_data", "alert"}
			}
			if !slices.Equal(got, want) {
				t.Errorf("the %s's steps %v, want %v", side, kinds, want)
			}
		})
	}
}

// segmentPackets writes the pcap file in (Linux cooked, IPv4) to out with
// the TCP payload of every packet cut into segments of at most n bytes,
// each a packet of its own with its sequence number, IPv4 length and
// header checksum, at the time of the packet it came from: the segments
// of a path with a small MSS, where records and their headers span
// packets.
func segmentPackets(t *testing.T, in, out string, n int) (read, written int) {
	t.Helper()
	f, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(f[20:]) != 113 {
		t.Fatalf("link type %d, want 113 (Linux cooked)", binary.LittleEndian.Uint32(f[20:]))
	}
	o := append([]byte(nil), f[:24]...)
	for off := 24; off+16 <= len(f); {
		ts := f[off : off+8]
		size := int(binary.LittleEndian.Uint32(f[off+8:]))
		pkt := f[off+16 : off+16+size]
		off += 16 + size
		read++
		const sll = 16
		var hdr, payload []byte
		var ihl, thl int
		if binary.BigEndian.Uint16(pkt[14:]) == 0x0800 && pkt[sll+9] == 6 { // IPv4, TCP
			ihl = int(pkt[sll]&0x0f) * 4
			tcp := pkt[sll+ihl:]
			thl = int(tcp[12]>>4) * 4
			hdr, payload = pkt[:sll+ihl+thl], tcp[thl:]
		}
		if len(payload) <= n {
			written++
			o = binary.LittleEndian.AppendUint32(append(o, ts...), uint32(size))
			o = append(binary.LittleEndian.AppendUint32(o, uint32(size)), pkt...)
			continue
		}
		seq := binary.BigEndian.Uint32(pkt[sll+ihl+4:])
		for i := 0; i < len(payload); i += n {
			chunk := payload[i:min(i+n, len(payload))]
			p := append(append([]byte(nil), hdr...), chunk...)
			ip := p[sll : sll+ihl]
			binary.BigEndian.PutUint16(ip[2:], uint16(ihl+thl+len(chunk)))
			ip[10], ip[11] = 0, 0
			var sum uint32
			for j := 0; j < ihl; j += 2 {
				sum += uint32(binary.BigEndian.Uint16(ip[j:]))
			}
			for sum > 0xffff {
				sum = sum&0xffff + sum>>16
			}
			binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
			seg := p[sll+ihl:]
			binary.BigEndian.PutUint32(seg[4:], seq+uint32(i))
			if i+n < len(payload) {
				seg[13] &^= 0x09 // FIN and PSH on the last segment only
			}
			o = binary.LittleEndian.AppendUint32(append(o, ts...), uint32(len(p)))
			o = append(binary.LittleEndian.AppendUint32(o, uint32(len(p))), p...)
			written++
		}
	}
	if err := os.WriteFile(out, o, 0o600); err != nil {
		t.Fatal(err)
	}
	return read, written
}

// movePacketBefore writes the pcap file in to out with the data of packet
// b (numbered from 1) moved to just before packet a, each place keeping
// its time: a segment captured ahead of the one before it, with nothing
// of either side in between.
func movePacketBefore(t *testing.T, in, out string, a, b int) {
	t.Helper()
	rewritePackets(t, in, out, a, b, func(pkts [][]byte) {
		moved := pkts[b-1]
		copy(pkts[a:b], pkts[a-1:b-1])
		pkts[a-1] = moved
	})
}

// movePacketAfter writes the pcap file in to out with the data of packet a
// (numbered from 1) moved to just after packet b, each place keeping its
// time: a segment captured after the packets that followed it.
func movePacketAfter(t *testing.T, in, out string, a, b int) {
	t.Helper()
	rewritePackets(t, in, out, a, b, func(pkts [][]byte) {
		moved := pkts[a-1]
		copy(pkts[a-1:b-1], pkts[a:b])
		pkts[b-1] = moved
	})
}

// rewritePackets writes the pcap file in to out with its packets'
// record lengths and data reordered by move, each place keeping its time;
// packets a < b (numbered from 1) must be in the file.
func rewritePackets(t *testing.T, in, out string, a, b int, move func(pkts [][]byte)) {
	t.Helper()
	f, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte // record header's lengths and data, without the time
	var times [][]byte
	for off := 24; off+16 <= len(f); {
		n := int(binary.LittleEndian.Uint32(f[off+8:]))
		times = append(times, f[off:off+8])
		pkts = append(pkts, f[off+8:off+16+n])
		off += 16 + n
	}
	if a < 1 || b <= a || b > len(pkts) {
		t.Fatalf("packets %d and %d of %d", a, b, len(pkts))
	}
	move(pkts)
	o := append([]byte(nil), f[:24]...)
	for i := range pkts {
		o = append(append(o, times[i]...), pkts[i]...)
	}
	if err := os.WriteFile(out, o, 0o600); err != nil {
		t.Fatal(err)
	}
}

// duplicatePackets writes the pcap file in to out with a copy of each
// packet of dup (numbered from 1) after the packet that follows it, at that
// packet's time; a copy marked true has the last byte of its TCP payload
// changed (Linux cooked IPv4; loopback checksums are not checked).
func duplicatePackets(t *testing.T, in, out string, dup map[int]bool) {
	t.Helper()
	f, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte // record header's lengths and data, without the time
	var times [][]byte
	for off := 24; off+16 <= len(f); {
		n := int(binary.LittleEndian.Uint32(f[off+8:]))
		times = append(times, f[off:off+8])
		pkts = append(pkts, f[off+8:off+16+n])
		off += 16 + n
	}
	o := append([]byte(nil), f[:24]...)
	var later [][]byte // copies to write after the next packet
	for i := range pkts {
		o = append(append(o, times[i]...), pkts[i]...)
		for _, c := range later {
			o = append(append(o, times[i]...), c...)
		}
		later = nil
		if change, ok := dup[i+1]; ok {
			c := append([]byte(nil), pkts[i]...)
			if change {
				c[len(c)-1] ^= 0xff
			}
			later = append(later, c)
		}
	}
	if err := os.WriteFile(out, o, 0o600); err != nil {
		t.Fatal(err)
	}
}

// trimPacket writes the pcap file in (Linux cooked, IPv4) to out with the
// first n bytes of the TCP payload of packet frame (numbered from 1) cut
// off, its sequence number, IPv4 length and header checksum set to match:
// the packet as a capture that began inside a record sees it.
func trimPacket(t *testing.T, in, out string, frame, n int) {
	t.Helper()
	f, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(f[20:]) != 113 {
		t.Fatalf("link type %d, want 113 (Linux cooked)", binary.LittleEndian.Uint32(f[20:]))
	}
	o := append([]byte(nil), f[:24]...)
	for i, off := 1, 24; off+16 <= len(f); i++ {
		ts := f[off : off+8]
		size := int(binary.LittleEndian.Uint32(f[off+8:]))
		pkt := f[off+16 : off+16+size]
		off += 16 + size
		if i == frame {
			const sll = 16
			if binary.BigEndian.Uint16(pkt[14:]) != 0x0800 || pkt[sll+9] != 6 {
				t.Fatalf("packet %d is not IPv4 TCP", frame)
			}
			ihl := int(pkt[sll]&0x0f) * 4
			thl := int(pkt[sll+ihl+12]>>4) * 4
			if len(pkt) < sll+ihl+thl+n {
				t.Fatalf("packet %d has less than %d bytes of payload", frame, n)
			}
			p := append(append([]byte(nil), pkt[:sll+ihl+thl]...), pkt[sll+ihl+thl+n:]...)
			ip := p[sll : sll+ihl]
			binary.BigEndian.PutUint16(ip[2:], uint16(len(p)-sll))
			ip[10], ip[11] = 0, 0
			var sum uint32
			for j := 0; j < ihl; j += 2 {
				sum += uint32(binary.BigEndian.Uint16(ip[j:]))
			}
			for sum > 0xffff {
				sum = sum&0xffff + sum>>16
			}
			binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
			seq := p[sll+ihl+4:]
			binary.BigEndian.PutUint32(seq, binary.BigEndian.Uint32(seq)+uint32(n))
			pkt = p
		}
		o = binary.LittleEndian.AppendUint32(append(o, ts...), uint32(len(pkt)))
		o = append(binary.LittleEndian.AppendUint32(o, uint32(len(pkt))), pkt...)
	}
	if err := os.WriteFile(out, o, 0o600); err != nil {
		t.Fatal(err)
	}
}
