package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// jsonEvent is the JSON contract of docs/json.md, as a test reads it.
type jsonEvent struct {
	T      float64         `json:"t"`
	Conn   int             `json:"conn"`
	From   string          `json:"from"`
	Layer  string          `json:"layer"`
	Type   string          `json:"type"`
	Frame  int             `json:"frame"`
	Record *jsonRecord     `json:"record"`
	Fields json.RawMessage `json:"fields"`
	Error  string          `json:"error"`
}

type jsonEnum struct {
	Name  string
	Value int
}

type jsonRecord struct {
	Type      jsonEnum
	Version   jsonEnum
	InnerType *jsonEnum `json:"inner_type"`
	Length    int
	Encrypted bool
	MAC       string
	EarlyData bool `json:"early_data"`
	Anomalies []struct{ Text string }
}

func runJSON(t *testing.T, args ...string) []jsonEvent {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("tlstrace %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	var events []jsonEvent
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var ev jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		events = append(events, ev)
	}
	return events
}

func tlsSteps(events []jsonEvent) []string {
	var out []string
	for _, ev := range events {
		if ev.Layer == "tls" {
			out = append(out, ev.From+" "+ev.Type)
		}
	}
	return out
}

func appData(t *testing.T, ev jsonEvent) string {
	var f struct{ Data string }
	if err := json.Unmarshal(ev.Fields, &f); err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(f.Data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const td = "../../testdata/"

func TestReadIllustratedTLS13(t *testing.T) {
	events := runJSON(t, "read", td+"illustrated-tls13/capture.pcap", "--keylog", td+"illustrated-tls13/keylog.txt", "--json")
	want := []string{
		"client client_hello",
		"server server_hello",
		"server change_cipher_spec",
		"server encrypted_extensions",
		"server certificate",
		"server certificate_verify",
		"server finished",
		"client change_cipher_spec",
		"client finished",
		"client application_data",
		"server new_session_ticket",
		"server new_session_ticket",
		"server application_data",
	}
	got := tlsSteps(events)
	// The capture ends with close_notify alerts in some versions of the
	// page; compare the part the acceptance names.
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("steps:\n got %q\nwant %q", got, want)
	}
	var data []string
	for _, ev := range events {
		// The Illustrated certificate expired in 2019 and has no
		// subjectAltName: its chain's verdict is not a decoding error.
		if ev.Error != "" && ev.Layer != "x509" {
			t.Errorf("%s %s: %s", ev.From, ev.Type, ev.Error)
		}
		if ev.Type == "application_data" {
			data = append(data, appData(t, ev))
		}
		if ev.Conn != 1 {
			t.Errorf("conn %d, want 1", ev.Conn)
		}
	}
	if !slices.Equal(data, []string{"ping", "pong"}) {
		t.Errorf("application data %q, want ping, pong", data)
	}
	// The TCP three-way handshake comes first.
	var tcp []string
	for _, ev := range events {
		if ev.Layer == "tcp" {
			tcp = append(tcp, ev.From+" "+ev.Type)
		}
	}
	if len(tcp) < 3 || !slices.Equal(tcp[:3], []string{"client syn", "server syn_ack", "client ack"}) {
		t.Errorf("tcp steps %q", tcp)
	}
}

func TestReadIllustratedTLS12(t *testing.T) {
	events := runJSON(t, "read", td+"illustrated-tls12/capture.pcap", "--keylog", td+"illustrated-tls12/keylog.txt", "--json")
	want := []string{
		"client client_hello",
		"server server_hello",
		"server certificate",
		"server server_key_exchange",
		"server server_hello_done",
		"client client_key_exchange",
		"client change_cipher_spec",
		"client finished",
		"server change_cipher_spec",
		"server finished",
		"client application_data",
		"server application_data",
	}
	got := tlsSteps(events)
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("steps:\n got %q\nwant %q", got, want)
	}
	for _, ev := range events {
		if ev.Error != "" && ev.Layer != "x509" {
			t.Errorf("%s %s: %s", ev.From, ev.Type, ev.Error)
		}
	}
}

// TestReadNoKeylog checks that without secrets the encrypted records stay
// encrypted and nothing is invented.
func TestReadNoKeylog(t *testing.T) {
	events := runJSON(t, "read", td+"illustrated-tls13/capture.pcap", "--json")
	for _, ev := range events {
		if ev.Layer != "tls" {
			continue
		}
		switch ev.Type {
		case "client_hello", "server_hello", "change_cipher_spec":
		case "encrypted_record":
			if ev.Error == "" || ev.Record == nil || !ev.Record.Encrypted {
				t.Errorf("encrypted_record without reason or record: %+v", ev)
			}
		default:
			t.Errorf("without keys, got a %s event", ev.Type)
		}
	}
}

// TestReadText checks the default and verbose text views.
func TestReadText(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"read", td + "illustrated-tls13/capture.pcap", "--keylog", td + "illustrated-tls13/keylog.txt", "-vv"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"ClientHello", "EncryptedExtensions", `"ping"`, `"pong"`, "TLS_AES_256_GCM_SHA384", "[decrypted]", "0000  "} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestReadSecretsBlock checks that a pcapng file with the key log embedded
// (editcap --inject-secrets) decrypts without --keylog.
func TestReadSecretsBlock(t *testing.T) {
	tlstest.RequirePeer(t, "editcap")
	out := filepath.Join(t.TempDir(), "dsb.pcapng")
	cmd := exec.Command("editcap", "--inject-secrets", "tls,"+td+"illustrated-tls13/keylog.txt", td+"illustrated-tls13/capture.pcap", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("editcap: %v\n%s", err, b)
	}
	events := runJSON(t, "read", out, "--json")
	var data []string
	for _, ev := range events {
		if ev.Type == "application_data" {
			data = append(data, appData(t, ev))
		}
		if ev.Type == "encrypted_record" {
			t.Errorf("encrypted_record: %s", ev.Error)
		}
	}
	if !slices.Equal(data, []string{"ping", "pong"}) {
		t.Errorf("application data %q", data)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, []byte("this is not a capture"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"read"}, exitUsage},
		{[]string{"read", "--nope", "x"}, exitUsage},
		{[]string{"read", filepath.Join(dir, "missing.pcap")}, exitInput},
		{[]string{"read", bad}, exitInput},
		{[]string{"read", td + "illustrated-tls13/capture.pcap", "--keylog", filepath.Join(dir, "missing.txt")}, exitInput},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code {
			t.Errorf("%q: exit %d, want %d (%s)", tc.args, code, tc.code, errb.String())
		}
		if !strings.HasPrefix(errb.String(), "tlstrace: error: ") {
			t.Errorf("%q: stderr %q lacks the error prefix", tc.args, errb.String())
		}
	}
}

// TestReadStdin reads a capture from standard input ("-").
func TestReadStdin(t *testing.T) {
	b, err := os.ReadFile(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	stdin = bytes.NewReader(b)
	defer func() { stdin = os.Stdin }()
	events := runJSON(t, "read", "-", "--keylog", td+"illustrated-tls13/keylog.txt", "--json")
	var data []string
	for _, ev := range events {
		if ev.Type == "application_data" {
			data = append(data, appData(t, ev))
		}
	}
	if !slices.Equal(data, []string{"ping", "pong"}) {
		t.Errorf("application data %q", data)
	}
}
