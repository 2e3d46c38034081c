package main

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// rareScenarios are handshakes TestOraclePeers does not make: a
// HelloRetryRequest, TLS 1.3 post-handshake client authentication,
// KeyUpdates sent by the client, and TLS 1.2 sessions resumed by session
// ID and by ticket over five more connections each (s_client -reconnect).
func rareScenarios(dir string) []oracleScenario {
	talk := []scriptStep{
		{"client", "ping\n", "server", "ping"},
		{"server", "pong\n", "client", "pong"},
	}
	rsa := []string{"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key")}
	ec := []string{"-cert", filepath.Join(dir, "ec.pem"), "-key", filepath.Join(dir, "ec.key")}
	return []oracleScenario{
		{
			// The client's key share is for X25519, which the server
			// does not take: it asks for P-384 (RFC 8446, Section 4.1.4).
			name:   "HelloRetryRequest",
			server: append([]string{"-tls1_3", "-groups", "P-384"}, rsa...),
			client: []string{"-tls1_3", "-groups", "X25519:P-384"},
			script: talk,
		},
		{
			// The server asks for the client's certificate in the
			// handshake, and again after it with s_server's c (RFC
			// 8446, Section 4.6.2), which the client answers with a
			// Certificate, CertificateVerify and Finished.
			name:   "post-handshake client authentication",
			server: append([]string{"-tls1_3", "-verify", "1", "-CAfile", filepath.Join(dir, "ca.pem")}, rsa...),
			client: append([]string{"-tls1_3", "-enable_pha"}, ec...),
			script: append(append([]scriptStep{}, talk...),
				scriptStep{"server", "c\n", "server", "SSL_do_handshake"},
				scriptStep{"client", "after\n", "server", "after"},
				scriptStep{"server", "back\n", "client", "back"}),
		},
		{
			// s_client's k sends a KeyUpdate, its K one that asks the
			// server for one too.
			name:   "KeyUpdate by the client",
			server: append([]string{"-tls1_3"}, rsa...),
			client: []string{"-tls1_3"},
			script: append(append([]scriptStep{}, talk...),
				scriptStep{"client", "k\n", "client", "KEYUPDATE"},
				scriptStep{"client", "one\n", "server", "one"},
				scriptStep{"client", "K\n", "client", "KEYUPDATE"},
				scriptStep{"client", "two\n", "server", "two"},
				scriptStep{"server", "back\n", "client", "back"}),
		},
		{
			name:   "TLS 1.2 session ID resumption",
			server: append([]string{"-tls1_2", "-no_ticket", "-naccept", "6"}, rsa...),
			client: []string{"-tls1_2", "-no_ticket", "-reconnect"},
		},
		{
			name:   "TLS 1.2 ticket resumption",
			server: append([]string{"-tls1_2", "-naccept", "6"}, rsa...),
			client: []string{"-tls1_2", "-reconnect"},
		},
	}
}

// TestOracleRarePeers captures on loopback the handshakes of
// rareScenarios and compares each connection, field by field, with what
// tshark shows (checkOracle). It then checks that each scenario did on the
// wire what it is for, and that the resumed TLS 1.2 connections decrypt
// with the key log's lines of the first connection of each server alone,
// as tshark decrypts them: resumption keeps the master secret.
func TestOracleRarePeers(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "dumpcap", "tshark", "editcap")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	writeTestCerts(t, dir)
	keylog := filepath.Join(dir, "keys.txt")
	scenarios := rareScenarios(dir)
	base := 47000 + mrand.IntN(900)
	pcap := filepath.Join(dir, "lo.pcapng")
	stop := startCaptureOn(t, "lo", fmt.Sprintf("tcp portrange %d-%d", base, base+len(scenarios)-1), pcap)
	for i, sc := range scenarios {
		runScenario(t, dir, sc, base+i, keylog)
	}
	stop()
	decodeAs := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(scenarios)-1)
	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	// tshark 4.0, after the client's post-handshake Finished, no longer
	// decrypts the client's records, which tlstrace opens under the
	// client's application traffic secret, their tags checked: a
	// post-handshake Finished changes no key (RFC 8446, Section 4.6.2).
	pha := oracleRule{
		why: "tshark leaves encrypted the client's records after its post-handshake Finished; tlstrace opens and authenticates them",
		same: func(conn int, got, want oracleStep) bool {
			return conn == 2 && want.kind == "encrypted_record" && (got.kind == "application_data" || got.kind == "alert") &&
				got.from == "client" && got.frame == want.frame && outer(got.record) == outer(want.record)
		},
	}
	checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{pha}})

	steps := tlstraceSteps(t, events)
	kinds := func(conn int) string {
		var l []string
		for _, s := range steps[conn] {
			l = append(l, s.from+" "+s.kind)
		}
		return strings.Join(l, ",") + ","
	}
	inOrder := func(conn int, want ...string) {
		t.Helper()
		all := kinds(conn)
		for _, w := range want {
			i := strings.Index(all, w+",")
			if i < 0 {
				t.Errorf("conn %d: no %q in order in %s", conn, want, kinds(conn))
				return
			}
			all = all[i+len(w)+1:]
		}
	}
	inOrder(1, "client client_hello", "server hello_retry_request", "client client_hello", "server server_hello", "server finished", "client finished", "client application_data")
	inOrder(2, "server certificate_request", "client certificate", "client certificate_verify", "client finished",
		"server certificate_request", "client certificate", "client certificate_verify", "client finished", "client application_data")
	// Each certificate the client sent, in the handshake and after it, is
	// judged: its x509 verdict follows it.
	var judged []string
	for _, ev := range events {
		if ev.Conn == 2 && (ev.From == "client" && ev.Type == "certificate" || ev.Type == "verdict") {
			judged = append(judged, ev.Type)
		}
	}
	if want := []string{"certificate", "verdict", "certificate", "verdict"}; !slices.Equal(judged, want) {
		t.Errorf("conn 2: the client's certificates and their verdicts: %v, want %v", judged, want)
	}
	inOrder(3, "client key_update", "client application_data", "client key_update", "client application_data", "server key_update", "server application_data")
	// Connections 4-9 and 10-15: a full handshake, then five resumed.
	for _, first := range []int{4, 10} {
		inOrder(first, "server certificate", "client client_key_exchange", "client finished", "server finished")
		for conn := first + 1; conn < first+6; conn++ {
			inOrder(conn, "client client_hello", "server server_hello", "server finished", "client finished")
			if strings.Contains(kinds(conn), "certificate") {
				t.Errorf("conn %d is no resumption: %s", conn, kinds(conn))
			}
		}
	}

	t.Run("KeyUpdate lost", func(t *testing.T) {
		// The segment of the client's first KeyUpdate deleted: the
		// client's records after it are under the next generation of
		// its traffic secret, from sequence number 0, which tlstrace
		// tries after missing bytes; tshark, counting on under the old
		// key, leaves them encrypted.
		frame := 0
		for _, s := range steps[3] {
			if s.from == "client" && s.kind == "key_update" {
				frame = s.frame
				break
			}
		}
		for _, s := range steps[3] {
			if s.frame == frame && s.kind != "key_update" {
				t.Fatalf("frame %d holds more than the KeyUpdate: %s", frame, s)
			}
		}
		if frame == 0 {
			t.Fatal("no client KeyUpdate in conn 3")
		}
		lost := filepath.Join(dir, "lost-update.pcapng")
		editcap(t, pcap, lost, strconv.Itoa(frame))
		events := runJSON(t, "read", lost, "--keylog", keylog, "--json")
		afterUpdate := oracleRule{
			why: "after the bytes of a KeyUpdate missing from the capture, tlstrace decrypts the side's records under the next generation of its secret; tshark leaves them encrypted",
			same: func(conn int, got, want oracleStep) bool {
				return conn == 3 && want.kind == "encrypted_record" && got.from == "client" && got.frame == want.frame && outer(got.record) == outer(want.record) &&
					(got.kind == "application_data" || got.kind == "alert" || got.kind == "key_update")
			},
		}
		checkOracle(t, oracleCase{pcap: lost, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{pha, afterUpdate, ruleNoHeader}})
		var data string
		said := false
		for _, ev := range events {
			if ev.Conn != 3 || ev.From != "client" || ev.Layer != "tls" {
				continue
			}
			switch {
			case ev.Type == "encrypted_record" && ev.Record != nil:
				t.Errorf("frame %d: not decrypted: %s", ev.Frame, ev.Error)
			case ev.Type == "application_data":
				data += appData(t, ev)
				for _, a := range ev.Record.Anomalies {
					said = said || strings.Contains(a.Text, "which held 1 KeyUpdate of this side")
				}
			}
		}
		if data != "ping\none\ntwo\n" {
			t.Errorf("the client's data %q, want %q", data, "ping\none\ntwo\n")
		}
		if !said {
			t.Error("no anomaly says the missing bytes held a KeyUpdate")
		}
	})

	t.Run("resumed with the first connection's secret", func(t *testing.T) {
		// The key log without the CLIENT_RANDOM lines of the resumed
		// connections.
		kl, err := os.ReadFile(keylog)
		if err != nil {
			t.Fatal(err)
		}
		b := string(kl)
		var randoms []string
		for _, ev := range events {
			if ev.Type == "client_hello" && (ev.Conn == 4 || ev.Conn == 10) {
				var hello struct{ Random string }
				if err := json.Unmarshal(ev.Fields, &hello); err != nil {
					t.Fatal(err)
				}
				randoms = append(randoms, hello.Random)
			}
		}
		var keep []string
		for _, line := range strings.Split(b, "\n") {
			f := strings.Fields(line)
			if len(f) == 3 && (f[0] != "CLIENT_RANDOM" || slices.Contains(randoms, strings.ToLower(f[1]))) {
				keep = append(keep, line)
			}
		}
		if len(randoms) != 2 || !strings.Contains(b, "CLIENT_RANDOM") {
			t.Fatalf("client randoms %v of the first TLS 1.2 connections", randoms)
		}
		first := filepath.Join(dir, "first.txt")
		writeFile(t, first, strings.Join(keep, "\n")+"\n", 0o600)
		events := runJSON(t, "read", pcap, "--keylog", first, "--json")
		checkOracle(t, oracleCase{pcap: pcap, keylog: first, decodeAs: decodeAs, events: events, rules: []oracleRule{pha}})
		for _, ev := range events {
			if ev.Type == "encrypted_record" {
				t.Errorf("conn %d frame %d: not decrypted: %s", ev.Conn, ev.Frame, ev.Error)
			}
		}
	})
}
