package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/golden"
)

// goldenDir holds the transcripts these tests pin, named by command,
// protocol version and scenario (as crypto/tls names its testdata). It is
// absolute because some tests change directory.
var goldenDir = func() string {
	d, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		panic(err)
	}
	return d
}()

// runGolden runs tlstrace with args in process, expects exit code want,
// and compares stdout with the golden file name. A successful run must
// leave stderr empty; a failed one must explain itself there, and its
// stderr is pinned too, in name + ".stderr".
func runGolden(t *testing.T, name string, want int, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append(args, "--color", "never"), &out, &errb)
	if code != want {
		t.Fatalf("tlstrace %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, errb.String())
	}
	if out.Len() == 0 {
		t.Fatalf("tlstrace %s: no output", strings.Join(args, " "))
	}
	if strings.HasSuffix(name, ".json") {
		// JSON Lines: every line one JSON object.
		for i, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if !json.Valid([]byte(line)) || !strings.HasPrefix(line, "{") {
				t.Errorf("tlstrace %s: line %d is not a JSON object: %.80s", strings.Join(args, " "), i+1, line)
			}
		}
	}
	golden.Check(t, filepath.Join(goldenDir, name), out.Bytes())
	switch {
	case want == 0 && errb.Len() > 0:
		t.Errorf("tlstrace %s: stderr not empty:\n%s", strings.Join(args, " "), errb.String())
	case want != 0 && errb.Len() == 0:
		t.Errorf("tlstrace %s: exit %d with nothing on stderr", strings.Join(args, " "), code)
	case want != 0:
		golden.Check(t, filepath.Join(goldenDir, name+".stderr"), errb.Bytes())
	}
}

// readFormats are the outputs of tlstrace read, each with the suffix of its
// golden file.
var readFormats = []struct {
	flags []string
	ext   string
}{
	{nil, "txt"},
	{[]string{"-v"}, "v.txt"},
	{[]string{"-vv"}, "vv.txt"},
	{[]string{"--json"}, "json"},
	{[]string{"--json", "--raw"}, "raw.json"},
}

// TestGoldenRead pins every output of tlstrace read for every capture in
// testdata, with its key log and without; for the same connections with
// their secrets in a pcapng Decryption Secrets Block; and for both
// connections interleaved in one file.
func TestGoldenRead(t *testing.T) {
	both := filepath.Join(t.TempDir(), "keylog.txt")
	var keys []byte
	for _, dir := range []string{"illustrated-tls13", "illustrated-tls12"} {
		b, err := os.ReadFile(td + dir + "/keylog.txt")
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, b...)
	}
	if err := os.WriteFile(both, keys, 0o644); err != nil {
		t.Fatal(err)
	}
	const captures = "testdata/captures/"
	scenarios := []struct {
		name string // version and scenario
		args []string
	}{
		{"TLSv12-illustrated", []string{td + "illustrated-tls12/capture.pcap"}},
		{"TLSv12-illustrated-keylog", []string{td + "illustrated-tls12/capture.pcap", "--keylog", td + "illustrated-tls12/keylog.txt"}},
		{"TLSv12-illustrated-dsb", []string{captures + "illustrated-tls12-dsb.pcapng"}},
		{"TLSv13-illustrated", []string{td + "illustrated-tls13/capture.pcap"}},
		{"TLSv13-illustrated-keylog", []string{td + "illustrated-tls13/capture.pcap", "--keylog", td + "illustrated-tls13/keylog.txt"}},
		{"TLSv13-illustrated-dsb", []string{captures + "illustrated-tls13-dsb.pcapng"}},
		{"TLSv13+TLSv12-interleaved", []string{captures + "illustrated-interleaved.pcap"}},
		{"TLSv13+TLSv12-interleaved-keylog", []string{captures + "illustrated-interleaved.pcap", "--keylog", both}},
		{"TLSv13-curl-nginx-h2-resumed", []string{captures + "curl-TLSv13-h2.pcapng"}},
		{"TLSv13-curl-nginx-h2-resumed-keylog", []string{captures + "curl-TLSv13-h2.pcapng", "--keylog", captures + "curl-TLSv13-h2.keylog.txt"}},
		{"DNS+TLSv13-curl-nginx-h2-keylog", []string{captures + "dns-curl-TLSv13-h2.pcapng", "--keylog", captures + "curl-TLSv13-h2.keylog.txt"}},
		{"TLSv12-curl-nginx-keylog", []string{captures + "curl-TLSv12-http1.1.pcapng", "--keylog", captures + "curl-TLSv12-http1.1.keylog.txt"}},
		{"TLSv12-lost-frame-keylog", []string{captures + "illustrated-tls12-lost-frame-13.pcap", "--keylog", td + "illustrated-tls12/keylog.txt"}},
		{"TLSv13-lost-frame-keylog", []string{captures + "illustrated-tls13-lost-frame-13.pcap", "--keylog", td + "illustrated-tls13/keylog.txt"}},
		{"DTLSv12-openssl-not-decoded", []string{captures + "dtls-openssl.pcapng"}},
		{"TLSv12-openssl-maxfrag-keylog", []string{captures + "openssl-TLSv12-maxfrag.pcapng", "--keylog", captures + "openssl-TLSv12-maxfrag.keylog.txt"}},
		{"TLSv13-openssl-maxfrag-keylog", []string{captures + "openssl-TLSv13-maxfrag.pcapng", "--keylog", captures + "openssl-TLSv13-maxfrag.keylog.txt"}},
		{"TLSv13-openssl-0rtt-keylog", []string{captures + "openssl-TLSv13-0rtt.pcapng", "--keylog", captures + "openssl-TLSv13-0rtt.keylog.txt"}},
		{"TLSv13-openssl-hrr-0rtt-keylog", []string{captures + "openssl-TLSv13-hrr-0rtt.pcapng", "--keylog", captures + "openssl-TLSv13-hrr-0rtt.keylog.txt"}},
	}
	for _, sc := range scenarios {
		for _, f := range readFormats {
			name := "read-" + sc.name + "." + f.ext
			t.Run(name, func(t *testing.T) {
				runGolden(t, name, 0, append(append([]string{"read"}, sc.args...), f.flags...)...)
			})
		}
	}
}

// TestGoldenReadTruncated pins read of a capture cut short inside a
// packet: what was decoded before the cut, then an input error.
func TestGoldenReadTruncated(t *testing.T) {
	b, err := os.ReadFile(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := filepath.Abs(td + "illustrated-tls13/keylog.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// 3000 bytes end inside frame 15, the server's second NewSessionTicket.
	if err := os.WriteFile(filepath.Join(dir, "truncated.pcap"), b[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, f := range readFormats {
		name := "read-TLSv13-truncated-keylog." + f.ext
		t.Run(name, func(t *testing.T) {
			runGolden(t, name, exitInput, append([]string{"read", "truncated.pcap", "--keylog", keys}, f.flags...)...)
		})
	}
}

// limbo is one x509-limbo test case, written out as PEM files.
type limbo struct {
	host, at              string
	root, untrusted, leaf string // file names
}

// writeLimbo writes the chain of testdata/x509-limbo-online/HOST.limbo.json
// into dir as HOST.root.pem, HOST.untrusted.pem and HOST.leaf.pem.
func writeLimbo(t *testing.T, dir, host string) limbo {
	t.Helper()
	b, err := os.ReadFile(td + "x509-limbo-online/" + host + ".limbo.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseLimbo(b)
	if err != nil {
		t.Fatalf("%s: %v", host, err)
	}
	if c.Name.Value != host {
		t.Fatalf("%s: limbo case is for %q", host, c.Name.Value)
	}
	l := limbo{host: host, at: c.At, root: host + ".root.pem", untrusted: host + ".untrusted.pem", leaf: host + ".leaf.pem"}
	for name, pems := range map[string][]string{l.root: c.Trusted, l.untrusted: c.Intermediates, l.leaf: {c.Peer}} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(pems, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// limboHosts lists the cases in testdata/x509-limbo-online.
func limboHosts(t *testing.T) []string {
	files, _ := filepath.Glob(td + "x509-limbo-online/*.limbo.json")
	if len(files) == 0 {
		t.Fatal("no limbo cases in testdata/x509-limbo-online")
	}
	var hosts []string
	for _, f := range files {
		hosts = append(hosts, strings.TrimSuffix(filepath.Base(f), ".limbo.json"))
	}
	return hosts
}

// TestGoldenVerify pins tlstrace verify of every x509-limbo chain at its
// validation time, and of the google.com chain made to fail in each way a
// fixed chain can: expired, not yet valid, another name, an unknown root,
// the intermediate missing.
func TestGoldenVerify(t *testing.T) {
	hosts := limboHosts(t)
	dir := t.TempDir()
	cases := map[string]limbo{}
	for _, h := range hosts {
		cases[h] = writeLimbo(t, dir, h)
	}
	// Relative file names, so that what is printed does not depend on
	// where the test runs.
	t.Chdir(dir)
	verify := func(l limbo, extra ...string) []string {
		return append([]string{"verify", "--cacert", l.root, "--untrusted", l.untrusted, "--name", l.host, "--at", l.at, l.leaf}, extra...)
	}
	for _, h := range hosts {
		l := cases[h]
		t.Run(h, func(t *testing.T) {
			runGolden(t, "verify-limbo-"+h+".txt", exitOK, verify(l)...)
			runGolden(t, "verify-limbo-"+h+".json", exitOK, verify(l, "--json")...)
		})
	}
	g := cases["google.com"]
	t.Run("google.com-v", func(t *testing.T) {
		runGolden(t, "verify-limbo-google.com.v.txt", exitOK, verify(g, "-v")...)
	})
	failures := []struct {
		name string
		args []string
	}{
		{"expired", []string{"verify", "--cacert", g.root, "--untrusted", g.untrusted, "--name", g.host, "--at", "2030-01-01T00:00:00Z", g.leaf}},
		{"not-yet-valid", []string{"verify", "--cacert", g.root, "--untrusted", g.untrusted, "--name", g.host, "--at", "2020-01-01T00:00:00Z", g.leaf}},
		{"wrong-name", []string{"verify", "--cacert", g.root, "--untrusted", g.untrusted, "--name", "example.com", "--at", g.at, g.leaf}},
		{"unknown-root", []string{"verify", "--cacert", cases["amazon.com"].root, "--untrusted", g.untrusted, "--name", g.host, "--at", g.at, g.leaf}},
		{"no-intermediate", []string{"verify", "--cacert", g.root, "--name", g.host, "--at", g.at, g.leaf}},
	}
	for _, f := range failures {
		t.Run("google.com-"+f.name, func(t *testing.T) {
			runGolden(t, "verify-limbo-google.com-"+f.name+".txt", exitVerify, f.args...)
			runGolden(t, "verify-limbo-google.com-"+f.name+".json", exitVerify, append(f.args, "--json")...)
		})
	}
}

// TestGoldenCert pins tlstrace cert show and cert pin of fixed
// certificates: a leaf, a bundle of intermediate and root, and the same
// root as DER.
func TestGoldenCert(t *testing.T) {
	dir := t.TempDir()
	g := writeLimbo(t, dir, "google.com")
	pemRoot, err := os.ReadFile(filepath.Join(dir, g.root))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemRoot)
	if blk == nil {
		t.Fatal("no PEM in the google.com root")
	}
	if err := os.WriteFile(filepath.Join(dir, "google.com.root.der"), blk.Bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile(filepath.Join(dir, g.untrusted))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "google.com.bundle.pem"), append(bundle, pemRoot...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, f := range []string{g.leaf, "google.com.bundle.pem", "google.com.root.der"} {
		t.Run(f, func(t *testing.T) {
			runGolden(t, "cert-show-"+f+".txt", exitOK, "cert", "show", f)
			runGolden(t, "cert-show-"+f+".json", exitOK, "cert", "show", "--json", f)
			runGolden(t, "cert-pin-"+f+".txt", exitOK, "cert", "pin", f)
		})
	}
}
