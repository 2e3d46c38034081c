package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	mrand "math/rand/v2"
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
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestReadMissingBytes captures real peers (openssl s_server -WWW serving a
// file of 20,000 bytes, curl fetching it over TLS 1.3 and TLS 1.2) with
// dumpcap on loopback, then reads the capture damaged three ways, and
// compares with what tshark says of each:
//   - cut to 100 bytes a packet (editcap -s 100, as dumpcap -s 100 writes
//     it): each connection says once that packets were truncated, where
//     tshark first says "Packet size limited during capture", and no
//     partial or protected bytes come out as plaintext records;
//   - one server data segment deleted (editcap): the gap comes at the frame
//     where tshark says "previous segment not captured", with that frame's
//     time, before the FINs, and the records after it are encrypted records
//     saying why, never plaintext;
//   - its link type changed to USER0 (editcap -T user0): exit 3 and an
//     error naming the link type.
func TestReadMissingBytes(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "dumpcap", "tshark", "editcap")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	port := blobServer(t, dir, 20000)
	keylog := filepath.Join(dir, "keys.txt")

	full := filepath.Join(dir, "full.pcapng")
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), full)
	for _, args := range [][]string{nil, {"--tlsv1.2", "--tls-max", "1.2"}} {
		cmd := exec.Command("curl", append([]string{"-sS", "--cacert", filepath.Join(dir, "ca.pem"), "--max-time", "10",
			"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", port), "-o", os.DevNull,
			fmt.Sprintf("https://localhost:%d/blob", port)}, args...)...)
		cmd.Env = append(os.Environ(), "SSLKEYLOGFILE="+keylog)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	stop()
	decodeAs := fmt.Sprintf("tcp.port==%d,tls", port)
	if n := len(tsharkStreamPorts(t, full, decodeAs)); n != 2 {
		t.Fatalf("tshark sees %d connections, want 2", n)
	}

	t.Run("snaplen", func(t *testing.T) {
		snap := filepath.Join(dir, "snap.pcapng")
		editcap(t, "-s", "100", full, snap)
		// tshark: the first frame of each stream cut short.
		want := map[int]int{}
		for _, f := range tsharkRows(t, snap, decodeAs, "frame.cap_len < frame.len", "tcp.stream", "frame.number") {
			if _, ok := want[f[0]+1]; !ok {
				want[f[0]+1] = f[1]
			}
		}
		events := runJSON(t, "read", snap, "--keylog", keylog, "--json")
		got := map[int]int{}
		for _, ev := range events {
			if ev.Type == "truncated" {
				if _, ok := got[ev.Conn]; ok {
					t.Errorf("conn %d: truncated more than once (frame %d)", ev.Conn, ev.Frame)
				}
				got[ev.Conn] = ev.Frame
				if !strings.Contains(ev.Error, "packet size limited during capture") {
					t.Errorf("conn %d: truncated event says %q", ev.Conn, ev.Error)
				}
			}
			if ev.Layer == "tls" && (ev.Type == "application_data" || ev.Type == "alert") && (ev.Record == nil || !ev.Record.Encrypted) {
				t.Errorf("conn %d frame %d: %s shown as plaintext from a capture that holds 100 bytes a packet", ev.Conn, ev.Frame, ev.Type)
			}
		}
		if len(want) != 2 || !mapsEqual(got, want) {
			t.Errorf("truncated events (conn: frame) %v, tshark's first truncated frames %v", got, want)
		}
		checkInOrder(t, events)
		checkOracle(t, oracleCase{pcap: snap, keylog: keylog, decodeAs: decodeAs, events: events})
		text := runText(t, "read", snap, "--keylog", keylog)
		if c := strings.Count(text, "packet size limited during capture"); c != 2 {
			t.Errorf("the text says %d times that packets were truncated, want 2 (once per connection):\n%s", c, text)
		}
	})

	t.Run("deleted segment", func(t *testing.T) {
		// Delete, in each connection, the server's largest data segment,
		// which some other server data follows.
		var drop []string
		last := map[int]int{}
		biggest := map[int][2]int{}
		for _, f := range tsharkRows(t, full, decodeAs, fmt.Sprintf("tcp.srcport==%d && tcp.len>0", port), "tcp.stream", "frame.number", "tcp.len") {
			last[f[0]] = f[1]
			if f[2] > biggest[f[0]][1] {
				biggest[f[0]] = [2]int{f[1], f[2]}
			}
		}
		for s, b := range biggest {
			if b[0] == last[s] {
				t.Fatalf("stream %d: the largest server segment (frame %d) is its last", s, b[0])
			}
			drop = append(drop, strconv.Itoa(b[0]))
		}
		lost := filepath.Join(dir, "lost.pcapng")
		editcap(t, append([]string{full, lost}, drop...)...)
		want := map[int]int{}
		for _, f := range tsharkRows(t, lost, decodeAs, "tcp.analysis.lost_segment", "tcp.stream", "frame.number") {
			want[f[0]+1] = f[1]
		}
		events := runJSON(t, "read", lost, "--keylog", keylog, "--json")
		got := map[int]int{}
		gapSide := map[int]string{}
		resynced := map[int]bool{}
		for _, ev := range events {
			if ev.Layer == "tcp" && ev.Type == "gap" {
				got[ev.Conn] = ev.Frame
				gapSide[ev.Conn] = ev.From
				if ev.T == 0 {
					t.Errorf("conn %d: gap at t=0", ev.Conn)
				}
				continue
			}
			if ev.Layer == "tls" && gapSide[ev.Conn] == ev.From && ev.Type != "encrypted_record" {
				// Decrypted only with the sequence number found again,
				// which the first record after the gap says.
				switch {
				case ev.Record == nil || !ev.Record.Encrypted:
					t.Errorf("conn %d frame %d: %s shown as plaintext after the gap", ev.Conn, ev.Frame, ev.Type)
				case !resynced[ev.Conn]:
					resynced[ev.Conn] = true
					if len(ev.Record.Anomalies) == 0 || !strings.Contains(ev.Record.Anomalies[0].Text, "found again") {
						t.Errorf("conn %d frame %d: the first record decrypted after the gap does not say how", ev.Conn, ev.Frame)
					}
				}
			}
			if ev.Type == "encrypted_record" && ev.Error == "" {
				t.Errorf("conn %d frame %d: encrypted record without a reason", ev.Conn, ev.Frame)
			}
		}
		if len(want) != 2 || !mapsEqual(got, want) {
			t.Errorf("gaps (conn: frame) %v, tshark's lost segments %v", got, want)
		}
		// Both suites are AEAD: the records after the gap authenticate
		// with the sequence number found again (tshark leaves them
		// undecrypted).
		if len(resynced) != 2 {
			t.Errorf("records decrypted after the gap in %d connections, want 2", len(resynced))
		}
		checkInOrder(t, events)
		checkOracle(t, oracleCase{pcap: lost, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{ruleAfterGap, ruleNoHeader}})
	})

	t.Run("no ServerHello", func(t *testing.T) {
		// Delete the frames that carry the ServerHello: the client's
		// records after its ChangeCipherSpec (TLS 1.2: Finished and
		// close_notify; TLS 1.3: its encrypted flight after the
		// middlebox compatibility one) and all application data are
		// protected under a suite only the ServerHello names: never
		// plaintext, with or without the key log.
		var drop []string
		for _, f := range tsharkRows(t, full, decodeAs, "tls.handshake.type==2", "tcp.stream", "frame.number") {
			drop = append(drop, strconv.Itoa(f[1]))
		}
		if len(drop) != 2 {
			t.Fatalf("ServerHello frames %v, want one per connection", drop)
		}
		noSH := filepath.Join(dir, "nosh.pcapng")
		editcap(t, append([]string{full, noSH}, drop...)...)
		// tshark: what the client sent after its ChangeCipherSpec is
		// opaque (Encrypted Handshake Message, Encrypted Alert,
		// Application Data), never a message or an alert.
		if out := tshark(t, "-r", noSH, "-d", decodeAs, "-o", "tls.keylog_file:"+keylog, "-Y",
			fmt.Sprintf("tcp.dstport==%d && (tls.alert_message.desc || tls.handshake.type==20 || http)", port), "-T", "fields", "-e", "frame.number"); strings.TrimSpace(out) != "" {
			t.Fatalf("tshark reads the client's protected records in frames %q", out)
		}
		for _, args := range [][]string{{"read", noSH, "--json"}, {"read", noSH, "--keylog", keylog, "--json"}} {
			events := runJSON(t, args...)
			ccs := map[int]bool{}
			protected := map[int]int{}
			for _, ev := range events {
				if ev.Layer != "tls" || ev.From != "client" {
					continue
				}
				switch {
				case ev.Type == "change_cipher_spec":
					ccs[ev.Conn] = true
				case ev.Type == "encrypted_record":
					protected[ev.Conn]++
					if ev.Error != trace.ErrNoServerHello || ev.Record == nil || !ev.Record.Encrypted {
						t.Errorf("%v: conn %d frame %d: encrypted record %q (record %+v), want %q", args[2:], ev.Conn, ev.Frame, ev.Error, ev.Record, trace.ErrNoServerHello)
					}
				case ccs[ev.Conn] || ev.Type == "application_data" || ev.Type == "alert":
					t.Errorf("%v: conn %d frame %d: the client's %s shown as plaintext without the ServerHello", args[2:], ev.Conn, ev.Frame, ev.Type)
				}
			}
			// TLS 1.3: the client's Finished, request and
			// close_notify; TLS 1.2: its Finished, request and
			// close_notify.
			if want := map[int]int{1: 3, 2: 3}; !mapsEqual(protected, want) {
				t.Errorf("%v: the client's encrypted records per connection %v, want %v", args[2:], protected, want)
			}
			checkOracle(t, oracleCase{pcap: noSH, keylog: keylog, decodeAs: decodeAs, events: events, rules: []oracleRule{ruleNoHeader}})
			text := runText(t, args[:len(args)-1]...)
			if c := strings.Count(text, trace.ErrNoServerHello); c != 2 {
				t.Errorf("%v: the text says %d times that the ServerHello is missing, want once per connection:\n%s", args[2:], c, text)
			}
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		// One hex digit of the client's TLS 1.3 traffic secret and of
		// the TLS 1.2 master secret changed, as in a key log edited or
		// from another run: the records those secrets protect say that
		// the line does not open them, naming it; the others decrypt.
		b, err := os.ReadFile(keylog)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(line); len(f) == 3 && (f[0] == "CLIENT_TRAFFIC_SECRET_0" || f[0] == "CLIENT_RANDOM") {
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
		events := runJSON(t, "read", full, "--keylog", bad, "--json")
		label := map[int]string{1: "CLIENT_TRAFFIC_SECRET_0", 2: "CLIENT_RANDOM line"}
		said := map[string]int{}
		decrypted := map[string]int{}
		for _, ev := range events {
			if ev.Layer != "tls" || (ev.Conn == 2 && ev.From == "server" && ev.Type == "change_cipher_spec") {
				continue
			}
			key := fmt.Sprintf("%d %s", ev.Conn, ev.From)
			switch {
			case ev.Type == "encrypted_record":
				want := fmt.Sprintf("decryption failed: the key log's %s for client random ", label[ev.Conn])
				if !strings.HasPrefix(ev.Error, want) || !strings.Contains(ev.Error, "does not open the "+ev.From+"'s records (record 0: authentication tag mismatch): the line does not belong to this session") {
					t.Errorf("conn %d frame %d: %s's encrypted record: %q", ev.Conn, ev.Frame, ev.From, ev.Error)
				}
				said[key]++
			case ev.Record != nil && ev.Record.Encrypted:
				decrypted[key]++
			}
		}
		// TLS 1.3: the client's application records (its handshake
		// secret is right); TLS 1.2: both sides' records.
		if said["1 client"] == 0 || said["1 server"] != 0 || decrypted["1 server"] == 0 || said["2 client"] == 0 || said["2 server"] == 0 {
			t.Errorf("records the wrong secrets leave encrypted %v, decrypted %v", said, decrypted)
		}
		checkOracle(t, oracleCase{pcap: full, keylog: bad, decodeAs: decodeAs, events: events})
	})

	t.Run("link type", func(t *testing.T) {
		user := filepath.Join(dir, "user0.pcapng")
		editcap(t, "-T", "user0", full, user)
		var out, errb bytes.Buffer
		if code := run([]string{"read", user}, &out, &errb); code != exitInput {
			t.Errorf("exit %d, want %d; stdout %q", code, exitInput, out.String())
		}
		if !strings.Contains(errb.String(), "link type 147 (USER0)") {
			t.Errorf("stderr %q does not name link type 147 (USER0)", errb.String())
		}
	})
}

// checkInOrder checks that the events of each connection come in the order
// of their frames.
func checkInOrder(t *testing.T, events []jsonEvent) {
	t.Helper()
	last := map[int]int{}
	for _, ev := range events {
		if ev.Frame < last[ev.Conn] {
			t.Errorf("conn %d: %s %s of frame %d after frame %d", ev.Conn, ev.Layer, ev.Type, ev.Frame, last[ev.Conn])
		}
		last[ev.Conn] = ev.Frame
	}
}

func mapsEqual(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func editcap(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("editcap", args...).CombinedOutput(); err != nil {
		t.Fatalf("editcap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// tsharkRows returns the numeric fields of the frames filter matches.
func tsharkRows(t *testing.T, pcap, decodeAs, filter string, fields ...string) [][]int {
	t.Helper()
	args := []string{"-r", pcap, "-d", decodeAs, "-Y", filter, "-T", "fields", "-E", "separator=/t"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var rows [][]int
	for _, line := range strings.Split(strings.TrimSpace(tshark(t, args...)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != len(fields) {
			continue
		}
		row := make([]int, len(f))
		for i, s := range f {
			row[i], _ = strconv.Atoi(s)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b []int) int { return a[1] - b[1] })
	return rows
}

func runText(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("tlstrace %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// waitListening waits until something accepts on 127.0.0.1:port.
func waitListening(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on port %d", port)
}

// TestReadGapCutsRecord captures curl fetching 270 KB from openssl s_server
// -WWW over TLS 1.3 and over TLS 1.0 with a CBC suite, and deletes, in each
// connection, a server segment that holds a record header and ends inside
// a record (found by walking the record headers of the server's bytes as
// tshark gives them). The bytes after the gap, up to the next record
// header, are the rest of a record whose start is missing: a partial
// record without a header, of the length the record headers give, in each
// connection where tshark finds a segment missing, never bytes "not a TLS
// record". The records after it are decrypted: in TLS 1.0 too, whose CBC
// records take their IV from the record before (the server sends them
// MAC-then-encrypt, -no_etm, as RFC 2246 has it).
func TestReadGapCutsRecord(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl", "dumpcap", "tshark", "editcap")
	if testing.Short() {
		t.Skip("captures real peers")
	}
	dir := t.TempDir()
	port := blobServer(t, dir, 270000, "-cipher", "ALL:@SECLEVEL=0", "-no_etm")
	keylog := filepath.Join(dir, "keys.txt")

	decodeAs := fmt.Sprintf("tcp.port==%d,tls", port)
	var full string
	var drop []string
	rest := map[int]int{} // per connection, the bytes of the cut record after the gap
	for try := 0; len(drop) < 2; try++ {
		if try == 3 {
			t.Fatalf("in 3 captures, no server segment of each connection held a record header and ended inside a record")
		}
		full = filepath.Join(dir, fmt.Sprintf("full%d.pcapng", try))
		drop, rest = captureCutRecords(t, dir, keylog, full, port)
	}
	lost := filepath.Join(dir, "lost.pcapng")
	editcap(t, append([]string{full, lost}, drop...)...)

	// tshark: the frame after the gap, which it says starts with
	// "Continuation Data" (or, for TLS 1.0, "Ignored Unknown Record": no
	// record header there either) when it can tell.
	want := map[int]int{}
	for _, f := range tsharkRows(t, lost, decodeAs, "tcp.analysis.lost_segment", "tcp.stream", "frame.number") {
		want[f[0]+1] = f[1]
	}
	events := runJSON(t, "read", lost, "--keylog", keylog, "--json")
	got := map[int]int{}
	resynced := map[int]bool{}
	gap := map[int]string{} // the side whose bytes went missing, until the rest of the cut record
	for _, ev := range events {
		if strings.Contains(ev.Error, "not a TLS record") {
			t.Errorf("conn %d frame %d: %s says %q", ev.Conn, ev.Frame, ev.Type, ev.Error)
		}
		switch {
		case ev.Layer == "tcp" && ev.Type == "gap":
			gap[ev.Conn] = ev.From
		case ev.Layer != "tls" || gap[ev.Conn] != ev.From:
		case ev.Type == "partial_record" && ev.Record == nil:
			// Its frame is the one that shows where it ends: the
			// gap's, or a later one when the rest goes on past it.
			got[ev.Conn] = ev.Frame
			delete(gap, ev.Conn)
			if !strings.HasPrefix(ev.Error, fmt.Sprintf("%d bytes that end a record whose start, its header with it, is missing from the capture", rest[ev.Conn])) {
				t.Errorf("conn %d frame %d: the %d bytes after the gap are a partial record saying %q", ev.Conn, ev.Frame, rest[ev.Conn], ev.Error)
			}
		case ev.Record != nil && ev.Type != "partial_record":
			t.Errorf("conn %d frame %d: a record (%s) before the rest of the record the gap cut", ev.Conn, ev.Frame, ev.Type)
		}
		// The records after the gap are decrypted, the first with its
		// sequence number found again; in TLS 1.0, whose CBC records
		// chain (RFC 2246, Section 6.2.3.2), with the last ciphertext
		// block of the cut record's rest as its IV.
		if ev.Layer == "tls" && ev.From == "server" && ev.Type != "partial_record" && got[ev.Conn] != 0 && !resynced[ev.Conn] {
			resynced[ev.Conn] = true
			if ev.Record == nil || !ev.Record.Encrypted || len(ev.Record.Anomalies) == 0 || !strings.Contains(ev.Record.Anomalies[0].Text, "found again") {
				t.Errorf("conn %d frame %d: the record after the rest of the cut one is %s, not decrypted with its sequence number found again (%s)", ev.Conn, ev.Frame, ev.Type, ev.Error)
			}
		}
		if ev.Type == "encrypted_record" && !strings.Contains(ev.Error, "bytes are missing from the capture") {
			t.Errorf("conn %d frame %d: encrypted record after the gap: %s", ev.Conn, ev.Frame, ev.Error)
		}
	}
	// A capture of loopback may hold segments out of order, which moves
	// tshark's mark by a frame: the gap's own frame is checked against
	// tshark's by TestReadMissingBytes.
	if len(want) != 2 || !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Errorf("the rest of a cut record (conn: frame) %v, tshark's first frames after the missing segment %v", got, want)
	}
	checkInOrder(t, events)
}

// captureCutRecords captures curl fetching /blob from the server on port
// over TLS 1.3 and TLS 1.0, and returns, for each connection, a server
// segment that holds a record header and ends inside a record (sent once),
// and how many bytes of that record follow it; none when a connection has
// no such segment.
func captureCutRecords(t *testing.T, dir, keylog, full string, port int) (drop []string, rest map[int]int) {
	t.Helper()
	stop := startCapture(t, fmt.Sprintf("tcp port %d", port), full)
	for _, args := range [][]string{nil, {"--tlsv1.0", "--tls-max", "1.0", "--ciphers", "AES128-SHA:@SECLEVEL=0"}} {
		// A slow reader (--limit-rate) fills the server's window, which
		// cuts its segments inside records.
		cmd := exec.Command("curl", append([]string{"-sS", "--cacert", filepath.Join(dir, "ca.pem"), "--max-time", "10",
			"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", port), "-o", os.DevNull, "--limit-rate", "2M",
			fmt.Sprintf("https://localhost:%d/blob", port)}, args...)...)
		cmd.Env = append(os.Environ(), "SSLKEYLOGFILE="+keylog)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	stop()

	// The server's segments of each stream, and where its records start.
	type segment struct {
		frame, seq int
		b          []byte
	}
	segs := map[int][]segment{}
	out := tshark(t, "-r", full, "-Y", fmt.Sprintf("tcp.srcport==%d && tcp.len>0", port),
		"-T", "fields", "-E", "separator=/t", "-e", "tcp.stream", "-e", "frame.number", "-e", "tcp.seq", "-e", "tcp.payload")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		s, _ := strconv.Atoi(f[0])
		frame, _ := strconv.Atoi(f[1])
		seq, _ := strconv.Atoi(f[2])
		b, err := hex.DecodeString(f[3])
		if err != nil {
			t.Fatal(err)
		}
		segs[s] = append(segs[s], segment{frame, seq - 1, b})
	}
	if len(segs) != 2 {
		t.Fatalf("server data in %d streams, want 2", len(segs))
	}
	rest = map[int]int{}
	for s, l := range segs {
		// Loopback captures may hold a segment out of order, or one
		// sent again.
		slices.SortStableFunc(l, func(a, b segment) int { return a.seq - b.seq })
		var b []byte
		again := map[int]bool{} // offsets sent more than once
		for _, g := range l {
			for o := g.seq; o < min(len(b), g.seq+len(g.b)); o++ {
				again[o] = true
			}
			if g.seq > len(b) {
				t.Fatalf("stream %d frame %d: segment at %d after %d bytes (lost)", s, g.frame, g.seq, len(b))
			}
			if g.seq+len(g.b) > len(b) {
				b = append(b, g.b[len(b)-g.seq:]...)
			}
		}
		starts := map[int]bool{}
		for off := 0; off+wire.RecordHeaderLen <= len(b); off += wire.RecordHeaderLen + (int(b[off+3])<<8 | int(b[off+4])) {
			starts[off] = true
		}
		for i, g := range l[:len(l)-1] {
			end := g.seq + len(g.b)
			holds := slices.ContainsFunc(slices.Collect(maps.Keys(starts)), func(o int) bool { return o >= g.seq && o < end })
			sentAgain := slices.ContainsFunc(slices.Collect(maps.Keys(again)), func(o int) bool { return o >= g.seq && o < end })
			if i > 0 && g.seq > 20000 && holds && !starts[end] && !sentAgain && l[i+1].seq == end {
				drop = append(drop, strconv.Itoa(g.frame))
				next := end
				for !starts[next] && next < len(b) {
					next++
				}
				rest[s+1] = next - end
				break
			}
		}
	}
	return drop, rest
}

// blobServer writes the test certificates to dir and serves a file of
// size random bytes, /blob, with openssl s_server -WWW on a random port
// of 127.0.0.1 and the extra arguments; it returns the port.
func blobServer(t *testing.T, dir string, size int, extra ...string) int {
	t.Helper()
	writeTestCerts(t, dir)
	www := filepath.Join(dir, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, size)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(www, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	port := 10000 + mrand.IntN(20000)
	srv := exec.Command("openssl", append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", filepath.Join(dir, "rsa.pem"), "-key", filepath.Join(dir, "rsa.key"), "-WWW", "-quiet"}, extra...)...)
	srv.Dir = www
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitListening(t, port)
	return port
}
