package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestReadAlteredRecord captures openssl s_client sending two lines to
// openssl s_server -rev, which sends them back reversed, over TLS 1.3 and
// over TLS 1.2 with AES-128-GCM, and changes one byte of the ciphertext of three records in
// the capture: the server's EncryptedExtensions and the client's first
// application data record (TLS 1.3), and the client's Finished, its first
// protected record (TLS 1.2). Each is the first record of its side under
// its key, which a key log line of another session fails to open alike:
// the side's next record opening with the same key at the next sequence
// number tells them apart. Each altered record is reported as not
// authenticated, its bytes changed, not the key log line blamed, and
// every other record decrypts. With the key log's CLIENT_TRAFFIC_SECRET_0
// changed instead, the client's application records still blame the line
// (SecretMismatchError). tshark, reading the altered capture, leaves the
// three records encrypted too.
func TestReadAlteredRecord(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	c := captureRev(t, 23000+os.Getpid()%1000)
	keylog, full, port, nth := c.keylog, c.full, c.port, c.nth
	dir := c.dir
	decodeAs := fmt.Sprintf("tcp.port==%d,tls", port)
	targets := []alteredRecord{
		// TLS 1.3: the server's first protected record is its
		// EncryptedExtensions; the client's second, after its Finished,
		// its first application data.
		{1, "server", nth("0 server", 23, 0), 6, "TLS 1.3 EncryptedExtensions"},
		{1, "client", nth("0 client", 23, 1), 6, "TLS 1.3 first application data"},
		// TLS 1.2: the client's Finished follows its change_cipher_spec;
		// its ciphertext follows the 8-byte explicit nonce.
		{2, "client", nth("1 client", 22, 2), 5 + 8 + 2, "TLS 1.2 AES-GCM Finished"},
	}
	pcap, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		needle := tg.rec[:min(len(tg.rec), 24)]
		if bytes.Count(pcap, needle) != 1 {
			t.Fatalf("%s: its first bytes are %d times in the capture", tg.what, bytes.Count(pcap, needle))
		}
		pcap[bytes.Index(pcap, needle)+tg.at] ^= 0x01
	}
	altered := filepath.Join(dir, "altered.pcapng")
	if err := os.WriteFile(altered, pcap, 0o600); err != nil {
		t.Fatal(err)
	}

	events := runJSON(t, "read", altered, "--keylog", keylog, "--json")
	checkInOrder(t, events)
	said := map[string]int{}
	decrypted := map[string]int{}
	for _, ev := range events {
		key := fmt.Sprintf("%d %s", ev.Conn, ev.From)
		switch {
		case ev.Type == "encrypted_record":
			said[key]++
			want := fmt.Sprintf("not authenticated: record 0 of the %s (", ev.From)
			if !strings.HasPrefix(ev.Error, want) || !strings.Contains(ev.Error, "its bytes differ from those that were sent") {
				t.Errorf("conn %d frame %d: %s's encrypted record: %q", ev.Conn, ev.Frame, ev.From, ev.Error)
			}
		case ev.Layer == "tls" && ev.Record != nil && ev.Record.Encrypted:
			decrypted[key]++
		}
	}
	for _, tg := range targets {
		key := fmt.Sprintf("%d %s", tg.conn, tg.side)
		if said[key] != 1 || decrypted[key] < 2 {
			t.Errorf("%s altered: %d records of the %s of conn %d not authenticated (want 1), %d decrypted", tg.what, said[key], tg.side, tg.conn, decrypted[key])
		}
	}
	if said["2 server"] != 0 || decrypted["2 server"] < 2 {
		t.Errorf("conn 2: %d server records not authenticated, %d decrypted", said["2 server"], decrypted["2 server"])
	}
	// tshark leaves the altered records encrypted, and, counting no
	// sequence number for them, the records of their side after them
	// under the same key.
	afterAltered := oracleRule{
		why: "after a record that does not authenticate, tlstrace opens the side's records under the same key at the sequence numbers after its own; tshark leaves them encrypted",
		same: func(conn int, got, want oracleStep) bool {
			altered := slices.ContainsFunc(targets, func(tg alteredRecord) bool { return tg.conn == conn && tg.side == got.from })
			return altered && want.kind == "encrypted_record" && got.kind != "encrypted_record" &&
				got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
		},
	}
	checkOracle(t, oracleCase{pcap: altered, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{afterAltered}})

	// The key log line wrong, the capture as it was: the line is blamed.
	b, err := os.ReadFile(keylog)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "CLIENT_TRAFFIC_SECRET_0" {
			digit := byte('0')
			if f[2][10] == '0' {
				digit = '1'
			}
			line = f[0] + " " + f[1] + " " + f[2][:10] + string(digit) + f[2][11:]
		}
		lines = append(lines, line)
	}
	bad := filepath.Join(dir, "bad-keys.txt")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	events = runJSON(t, "read", full, "--keylog", bad, "--json")
	checkInOrder(t, events)
	n := 0
	for _, ev := range events {
		if ev.Type != "encrypted_record" {
			continue
		}
		n++
		if ev.Conn != 1 || ev.From != "client" || !strings.HasPrefix(ev.Error, "decryption failed: the key log's CLIENT_TRAFFIC_SECRET_0 for client random ") ||
			!strings.Contains(ev.Error, "does not open the client's records (record 0: authentication tag mismatch): the line does not belong to this session") {
			t.Errorf("conn %d frame %d: %s's encrypted record: %q", ev.Conn, ev.Frame, ev.From, ev.Error)
		}
	}
	if n < 2 {
		t.Errorf("the wrong CLIENT_TRAFFIC_SECRET_0 leaves %d client records encrypted, want its lines' and its alert's", n)
	}
	checkOracle(t, oracleCase{pcap: full, keylog: bad, decodeAs: decodeAs, events: events})
}

// alteredRecord is a record of a capture whose byte at is changed.
type alteredRecord struct {
	conn int
	side string
	rec  []byte
	at   int // from the record's start
	what string
}

// revCapture is a capture of openssl s_client sending two lines to openssl
// s_server -rev, over TLS 1.3 (conn 1) and over TLS 1.2 with AES-128-GCM
// (conn 2), with its key log.
type revCapture struct {
	dir, keylog, full string
	port              int
	// records holds each side's records ("stream side", tshark's stream
	// numbers from 0).
	records map[string][][]byte
	// nth returns the n-th record (from 0) of type typ of a side.
	nth func(key string, typ byte, n int) []byte
}

// captureRev captures the sessions of a revCapture, the server on port.
func captureRev(t *testing.T, port int) *revCapture {
	t.Helper()
	dir := t.TempDir()
	writeTestCerts(t, dir)
	srv := exec.Command("openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"), "-rev", "-quiet")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitListening(t, port)
	keylog := filepath.Join(dir, "keys.txt")
	full := filepath.Join(dir, "full.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), full)
	for _, args := range [][]string{{"-tls1_3"}, {"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}} {
		// s_client sends each line it reads as a record: two, a
		// moment apart, then close_notify at the end of its input.
		cmd := exec.Command("openssl", append([]string{"s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port),
			"-servername", "localhost", "-CAfile", filepath.Join(dir, "ca.pem"), "-keylogfile", keylog, "-no_ign_eof"}, args...)...)
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var outb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &outb, &outb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"first line\n", "second line\n"} {
			time.Sleep(300 * time.Millisecond)
			in.Write([]byte(line))
		}
		time.Sleep(300 * time.Millisecond)
		in.Close()
		if err := cmd.Wait(); err != nil || !strings.Contains(outb.String(), "enil dnoces") {
			t.Fatalf("s_client %v: %v\n%s", args, err, outb.String())
		}
	}
	stop()

	// Each side's records, from the stream bytes tshark gives.
	records := map[string][][]byte{} // "stream side"
	streams := map[string][]byte{}
	out := tshark(t, "-r", full, "-Y", "tcp.len>0", "-T", "fields", "-E", "separator=/t",
		"-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.payload")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		side := "client"
		if f[1] == strconv.Itoa(port) {
			side = "server"
		}
		b, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatal(err)
		}
		streams[f[0]+" "+side] = append(streams[f[0]+" "+side], b...)
	}
	for k, b := range streams {
		for len(b) >= 5 {
			n := 5 + (int(b[3])<<8 | int(b[4]))
			if n > len(b) {
				t.Fatalf("%s: a record of %d bytes past the end of the stream (a segment sent twice?)", k, n)
			}
			records[k] = append(records[k], b[:n])
			b = b[n:]
		}
	}
	// nth returns the n-th record (from 0) of type typ of a side.
	nth := func(key string, typ byte, n int) []byte {
		t.Helper()
		for _, r := range records[key] {
			if r[0] == typ {
				if n == 0 {
					return r
				}
				n--
			}
		}
		var types []byte
		for _, r := range records[key] {
			types = append(types, r[0])
		}
		t.Fatalf("%s: no record %d of type %d (types %v)", key, n, typ, types)
		return nil
	}
	return &revCapture{dir: dir, keylog: keylog, full: full, port: port, records: records, nth: nth}
}

// TestReadAlteredRecordsInARow captures the sessions of TestReadAlteredRecord
// and changes one byte of the ciphertext of records in a row, each run
// starting with the first record of its side under its key: the TLS 1.3
// server's EncryptedExtensions, Certificate and CertificateVerify (three,
// each in a record of its own; its Finished after them opens), the TLS 1.3
// client's two lines (its close_notify after them opens), and the TLS 1.2
// client's Finished and first line (its second line opens). Each altered
// record is reported as not authenticated, at its own sequence number,
// not the key log line blamed, and every other record decrypts. tshark
// leaves the altered records encrypted too. Then the TLS 1.3 client's
// Finished alone is changed, its only record under its key: decrypted
// without its tag it reads as a Finished, so it is reported altered too,
// not undecided.
func TestReadAlteredRecordsInARow(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "dumpcap", "tshark")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	c := captureRev(t, 43000+os.Getpid()%1000)
	nth := c.nth
	// seq is each target's sequence number under its key.
	targets := []alteredRecord{
		{1, "server", nth("0 server", 23, 0), 6, "TLS 1.3 EncryptedExtensions"},
		{1, "server", nth("0 server", 23, 1), 6, "TLS 1.3 Certificate"},
		{1, "server", nth("0 server", 23, 2), 6, "TLS 1.3 CertificateVerify"},
		{1, "client", nth("0 client", 23, 1), 6, "TLS 1.3 first line"},
		{1, "client", nth("0 client", 23, 2), 6, "TLS 1.3 second line"},
		{2, "client", nth("1 client", 22, 2), 5 + 8 + 2, "TLS 1.2 AES-GCM Finished"},
		{2, "client", nth("1 client", 23, 0), 5 + 8 + 2, "TLS 1.2 AES-GCM first line"},
	}
	// The server's Finished is a record of its own, after them (its
	// verify_data of 32 or 48 bytes, with SHA-256 or SHA-384).
	if fin := nth("0 server", 23, 3); len(fin) != 5+4+32+1+16 && len(fin) != 5+4+48+1+16 {
		t.Fatalf("the TLS 1.3 server's fourth protected record is %d bytes, not its Finished alone", len(fin))
	}
	pcap, err := os.ReadFile(c.full)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		needle := tg.rec[:min(len(tg.rec), 24)]
		if bytes.Count(pcap, needle) != 1 {
			t.Fatalf("%s: its first bytes are %d times in the capture", tg.what, bytes.Count(pcap, needle))
		}
		pcap[bytes.Index(pcap, needle)+tg.at] ^= 0x01
	}
	altered := filepath.Join(c.dir, "altered.pcapng")
	if err := os.WriteFile(altered, pcap, 0o600); err != nil {
		t.Fatal(err)
	}

	events := runJSON(t, "read", altered, "--keylog", c.keylog, "--json")
	checkInOrder(t, events)
	said := map[string][]string{}
	decrypted := map[string]int{}
	for _, ev := range events {
		key := fmt.Sprintf("%d %s", ev.Conn, ev.From)
		switch {
		case ev.Type == "encrypted_record":
			said[key] = append(said[key], ev.Error)
		case ev.Layer == "tls" && ev.Record != nil && ev.Record.Encrypted:
			decrypted[key]++
		}
	}
	for _, key := range []string{"1 server", "1 client", "2 client"} {
		var want []string
		for _, tg := range targets {
			if fmt.Sprintf("%d %s", tg.conn, tg.side) == key {
				want = append(want, fmt.Sprintf("not authenticated: record %d of the %s (authentication tag mismatch) does not open with the key that opens the %[2]s's records after it at the sequence numbers after its own, so its bytes differ from those that were sent", len(want), tg.side))
			}
		}
		ok := len(said[key]) == len(want)
		for i := range min(len(said[key]), len(want)) {
			ok = ok && strings.HasPrefix(said[key][i], want[i])
		}
		if !ok || decrypted[key] < 2 {
			t.Errorf("conn %s: %d decrypted, not authenticated:\n%s\nwant\n%s", key, decrypted[key], strings.Join(said[key], "\n"), strings.Join(want, "\n"))
		}
	}
	if len(said["2 server"]) != 0 || decrypted["2 server"] < 2 {
		t.Errorf("conn 2: server records not authenticated %q, %d decrypted", said["2 server"], decrypted["2 server"])
	}
	afterAltered := oracleRule{
		why: "after records that do not authenticate, tlstrace opens the side's records under the same key at the sequence numbers after their own; tshark leaves them encrypted",
		same: func(conn int, got, want oracleStep) bool {
			altered := slices.ContainsFunc(targets, func(tg alteredRecord) bool { return tg.conn == conn && tg.side == got.from })
			return altered && want.kind == "encrypted_record" && got.kind != "encrypted_record" &&
				got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
		},
	}
	checkOracle(t, oracleCase{pcap: altered, keylog: c.keylog, decodeAs: fmt.Sprintf("tcp.port==%d,tls", c.port), events: events, rules: []oracleRule{afterAltered}})

	// The TLS 1.3 client's Finished alone: its only record under its
	// handshake traffic secret, the next under its application traffic
	// secret. Decrypted without its tag it reads as a Finished: the key
	// is right, and the record altered.
	pcap, err = os.ReadFile(c.full)
	if err != nil {
		t.Fatal(err)
	}
	fin := nth("0 client", 23, 0)
	if bytes.Count(pcap, fin[:24]) != 1 {
		t.Fatal("the client's Finished is not once in the capture")
	}
	pcap[bytes.Index(pcap, fin[:24])+5+6] ^= 0x01
	altered = filepath.Join(c.dir, "altered-finished.pcapng")
	if err := os.WriteFile(altered, pcap, 0o600); err != nil {
		t.Fatal(err)
	}
	events = runJSON(t, "read", altered, "--keylog", c.keylog, "--json")
	checkInOrder(t, events)
	n, decrypted1 := 0, 0
	for _, ev := range events {
		switch {
		case ev.Type == "encrypted_record":
			n++
			want := "not authenticated: record 0 of the client (authentication tag mismatch) does not open with its key, though the key is right: decrypted without its tag, the record reads as whole handshake messages (finished)"
			if ev.Conn != 1 || ev.From != "client" || !strings.HasPrefix(ev.Error, want) {
				t.Errorf("conn %d frame %d: %s's encrypted record: %q", ev.Conn, ev.Frame, ev.From, ev.Error)
			}
		case ev.Conn == 1 && ev.From == "client" && ev.Layer == "tls" && ev.Record != nil && ev.Record.Encrypted:
			decrypted1++
		}
	}
	if n != 1 || decrypted1 < 3 {
		t.Errorf("the client's Finished altered: %d records not decrypted (want 1), %d of the client's decrypted", n, decrypted1)
	}
	onlyFin := oracleRule{
		why: "the client's records after its altered Finished are under its application traffic secret, which tlstrace opens; tshark leaves them encrypted",
		same: func(conn int, got, want oracleStep) bool {
			return conn == 1 && got.from == "client" && want.kind == "encrypted_record" && got.kind != "encrypted_record" &&
				got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
		},
	}
	checkOracle(t, oracleCase{pcap: altered, keylog: c.keylog, decodeAs: fmt.Sprintf("tcp.port==%d,tls", c.port), events: events, rules: []oracleRule{onlyFin}})
}
