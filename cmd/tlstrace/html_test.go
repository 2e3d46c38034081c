package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/golden"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// readHTMLCases are captures whose report is checked against --json; the
// first one's report is pinned as a golden file.
var readHTMLCases = []struct {
	name string
	args []string
}{
	{"TLSv13-curl-nginx-h2-resumed-keylog", []string{"testdata/captures/curl-TLSv13-h2.pcapng", "--keylog", "testdata/captures/curl-TLSv13-h2.keylog.txt"}},
	{"TLSv12-curl-nginx-keylog", []string{"testdata/captures/curl-TLSv12-http1.1.pcapng", "--keylog", "testdata/captures/curl-TLSv12-http1.1.keylog.txt"}},
	{"TLSv13-illustrated", []string{td + "illustrated-tls13/capture.pcap"}},
	{"TLSv13-lost-frame-keylog", []string{"testdata/captures/illustrated-tls13-lost-frame-13.pcap", "--keylog", td + "illustrated-tls13/keylog.txt"}},
}

// readReport runs tlstrace read with --html and returns the report and
// the text written to stdout.
func readReport(t *testing.T, args ...string) (page, stdout string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.html")
	var out, errb bytes.Buffer
	if code := run(append(append([]string{"read"}, args...), "--html", file, "--color", "never"), &out, &errb); code != 0 {
		t.Fatalf("tlstrace read %s --html: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("stderr not empty:\n%s", errb.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), out.String()
}

// tlsEventLines returns the line numbers (from 1) of the tls events in
// tlstrace read --json's output for args.
func tlsEventLines(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append(append([]string{"read"}, args...), "--json"), &out, &errb); code != 0 {
		t.Fatalf("tlstrace read --json: exit %d\n%s", code, errb.String())
	}
	var lines []string
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		var ev struct{ Layer string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if ev.Layer == "tls" {
			lines = append(lines, strconv.Itoa(n))
		}
	}
	return lines
}

var dataEventAttr = regexp.MustCompile(`data-event="(\d+)"`)

// TestReadHTML: the report of read has one ladder row with data-event
// per tls event of --json for the same capture, numbered as its lines;
// the text on stdout is what read writes without --html; the first
// capture's report is pinned.
func TestReadHTML(t *testing.T) {
	for i, c := range readHTMLCases {
		t.Run(c.name, func(t *testing.T) {
			page, text := readReport(t, c.args...)
			if i == 0 {
				golden.Check(t, filepath.Join(goldenDir, "read-"+c.name+".html"), []byte(page))
			}
			var got []string
			for _, m := range dataEventAttr.FindAllStringSubmatch(page, -1) {
				got = append(got, m[1])
			}
			want := tlsEventLines(t, c.args...)
			if len(want) == 0 {
				t.Fatal("no tls events in --json")
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("data-event %v\nwant the tls lines of --json %v", got, want)
			}
			var plain, errb bytes.Buffer
			if code := run(append(append([]string{"read"}, c.args...), "--color", "never"), &plain, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if text != plain.String() {
				t.Errorf("stdout with --html differs from stdout without it")
			}
		})
	}
}

// TestReadHTMLUnwritable: a report that cannot be written fails before
// the capture is read.
func TestReadHTMLUnwritable(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"read", readHTMLCases[0].args[0], "--html", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html")}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "--html") || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestDemoHTML: demo --json --html writes both views of one run; the
// report's data-event rows are the tls lines of the JSON, and it shows the
// chain as cards and the timing waterfall.
func TestDemoHTML(t *testing.T) {
	file := filepath.Join(t.TempDir(), "demo.html")
	var out, errb bytes.Buffer
	if code := run([]string{"demo", "--json", "--html", file}, &out, &errb); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, errb.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	var want []string
	for n, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var ev struct{ Layer string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if ev.Layer == "tls" {
			want = append(want, strconv.Itoa(n+1))
		}
	}
	var got []string
	for _, m := range dataEventAttr.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("data-event %v\nwant the tls lines of --json %v", got, want)
	}
	for _, s := range []string{`class="card"`, "trusted root", `class="wf"`, "TLS handshake"} {
		if !strings.Contains(page, s) {
			t.Errorf("demo report lacks %q", s)
		}
	}
	if strings.Contains(page, `id="diagnosis"`) {
		t.Error("demo report has a diagnosis, but nothing failed")
	}
}

// dataEvents returns the data-event numbers of a report file.
func dataEvents(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range dataEventAttr.FindAllStringSubmatch(string(b), -1) {
		got = append(got, m[1])
	}
	return got
}

// jsonTLSLines returns the line numbers (from 1) of the tls events of
// JSON Lines, skipping lines that are not JSON objects.
func jsonTLSLines(t *testing.T, s string) []string {
	t.Helper()
	var lines []string
	n := 0
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		n++
		var ev struct{ Layer string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if ev.Layer == "tls" {
			lines = append(lines, strconv.Itoa(n))
		}
	}
	return lines
}

// TestServeConnectHTML: connect talks to serve, both with --json and
// --html; each report has one [data-event] row per tls line of its own
// JSON, serve's one section for its client, written when it stops.
func TestServeConnectHTML(t *testing.T) {
	dir := t.TempDir()
	serveHTML, connectHTML := filepath.Join(dir, "serve.html"), filepath.Join(dir, "connect.html")
	port := tlstest.FreePort(t)
	out, stop := startServe(t, port, "--self-signed", "--mode", "echo", "--html", serveHTML)
	stdin = strings.NewReader("hello report\n")
	defer func() { stdin = os.Stdin }()
	code, echoed, trace := runCode("connect", fmt.Sprintf("localhost:%d", port), "-k", "--idle", "300ms", "--json", "--html", connectHTML)
	if code != 0 {
		t.Fatalf("connect: exit %d: %s", code, trace)
	}
	if echoed != "hello report\n" {
		t.Errorf("connect: stdout %q, want the line echoed", echoed)
	}
	stop()
	for _, c := range []struct{ name, file, json string }{
		{"connect", connectHTML, trace},
		{"serve", serveHTML, out.String()},
	} {
		got, want := dataEvents(t, c.file), jsonTLSLines(t, c.json)
		if len(want) < 5 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: data-event %v\nwant the tls lines of its --json %v", c.name, got, want)
		}
	}
	b, err := os.ReadFile(serveHTML)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `<section class="conn"`); n != 1 {
		t.Errorf("serve's report has %d client sections, want 1", n)
	}
}

// TestReadHTMLKeySchedule: with a key log, the report lists the key
// schedule step of each decrypted direction and key (the Illustrated TLS
// 1.3 connection: four traffic secrets; a TLS 1.2 one: the master
// secret, for each direction); the secrets' values are in the page only
// with --html-secrets, and then they are the key log's.
func TestReadHTMLKeySchedule(t *testing.T) {
	row := regexp.MustCompile(`<li>(client → server|server → client): <code>([A-Za-z_ 0-9]+)</code>, from (.*?); records? [^<]* decrypted \(\d+\)(?:: <code class="secret">([0-9a-f]+)</code>)?</li>`)
	for _, c := range []struct {
		capture, keylog string
		want            []string // direction secret, in order of first use
	}{
		{td + "illustrated-tls13/capture.pcap", td + "illustrated-tls13/keylog.txt", []string{
			"server → client SERVER_HANDSHAKE_TRAFFIC_SECRET", "client → server CLIENT_HANDSHAKE_TRAFFIC_SECRET",
			"client → server CLIENT_TRAFFIC_SECRET_0", "server → client SERVER_TRAFFIC_SECRET_0"}},
		{"testdata/captures/curl-TLSv12-http1.1.pcapng", "testdata/captures/curl-TLSv12-http1.1.keylog.txt", []string{ // two connections
			"client → server master secret", "server → client master secret", "client → server master secret", "server → client master secret"}},
	} {
		b, err := os.ReadFile(c.keylog)
		if err != nil {
			t.Fatal(err)
		}
		secrets := map[string][]string{} // as the report names them: values
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) == 3 && f[0] != "EXPORTER_SECRET" {
				if f[0] == "CLIENT_RANDOM" {
					f[0] = "master secret"
				}
				secrets[f[0]] = append(secrets[f[0]], f[2])
			}
		}
		for _, withValues := range []bool{false, true} {
			args := []string{c.capture, "--keylog", c.keylog}
			if withValues {
				args = append(args, "--html-secrets")
			}
			page, _ := readReport(t, args...)
			var got []string
			for _, m := range row.FindAllStringSubmatch(page, -1) {
				got = append(got, m[1]+" "+m[2])
				if !strings.Contains(m[3], "key log") {
					t.Errorf("%s: the secret comes from %q", m[2], m[3])
				}
				if withValues && !slices.Contains(secrets[m[2]], m[4]) {
					t.Errorf("%s: value %q, want the key log's %q", m[2], m[4], secrets[m[2]])
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s: key schedule\n%s\nwant\n%s", c.capture, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if withValues == strings.Contains(page, "values are withheld (--html-secrets shows them)") {
				t.Errorf("--html-secrets %v, and the page says the values are withheld: %v", withValues, !withValues)
			}
			for label, values := range secrets {
				for _, v := range values {
					if strings.Contains(page, v) != withValues {
						t.Errorf("%s, --html-secrets %v: the page holds the %s %s: %v", c.capture, withValues, label, v, !withValues)
					}
				}
			}
		}
	}
}

// TestGetHTMLPassword: the password of a URL's userinfo is not written
// into the report (its title names the user), nor into the text, the JSON
// or standard error.
func TestGetHTMLPassword(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "https://", "https://alice:s3cretPW@", 1)
	for _, args := range [][]string{{"--color", "never", "-v"}, {"--json"}} {
		file := filepath.Join(t.TempDir(), "report.html")
		code, out, stderr := runCode(append([]string{url, "-k", "--html", file}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for what, s := range map[string]string{"the report": page, "stdout": out, "stderr": stderr} {
			if strings.Contains(s, "s3cretPW") {
				t.Errorf("%v: %s holds the password", args, what)
			}
		}
		title := "tlstrace " + strings.Replace(url, "s3cretPW", "xxxxx", 1)
		if !strings.Contains(page, "<title>"+title+"</title>") || !strings.Contains(page, "<h1>"+title+"</h1>") {
			t.Errorf("%v: the report's title is not %q", args, title)
		}
	}
}

var runOutcome = regexp.MustCompile(`<p class="run( warn)?"><b>(error|warning):</b> (.*?)(?:<span class="fix">hint: (.*?)</span>)?</p>`)

// TestHTMLRunOutcome: the report's diagnosis shows how the run ended as
// standard error says it: its error and hint (a capture cut short, a
// server that requires a client certificate), or the warning that a
// capture held nothing to decode.
func TestHTMLRunOutcome(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(readHTMLCases[0].args[0])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcapng")
	if err := os.WriteFile(cut, b[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"cut", []string{"read", cut}, exitInput},
		{"udp-only", []string{"read", "testdata/captures/udp-only.pcapng"}, 0},
		{"client-certificate", []string{srv.URL, "-k", "-m", "10s"}, exitTLS},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".html")
			code, _, stderr := runCode(append(c.args, "--html", file)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			page, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var said []string
			for _, m := range runOutcome.FindAllStringSubmatch(string(page), -1) {
				said = append(said, "tlstrace: "+m[2]+": "+html.UnescapeString(m[3]))
				if m[4] != "" {
					said = append(said, "tlstrace: hint: "+html.UnescapeString(m[4]))
				}
			}
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.HasPrefix(l, "tlstrace: error: ") || strings.HasPrefix(l, "tlstrace: hint: ") || strings.HasPrefix(l, "tlstrace: warning: ") && c.code == 0 {
					want = append(want, l)
				}
			}
			if len(want) == 0 || strings.Join(said, "\n") != strings.Join(want, "\n") {
				t.Errorf("the report says\n%s\nwant what standard error says\n%s", strings.Join(said, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
