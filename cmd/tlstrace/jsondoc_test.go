package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestJSONDocumented holds docs/json.md to the code: every line of the
// JSON Lines that tlstrace writes (the golden files of read and cert show,
// a demo run, a scan, serve and connect) carries the schema version, and
// every top-level key, record key, layer, type and field name in it is
// named in docs/json.md, but for the fields of TLS messages, which are
// named as in the RFCs.
func TestJSONDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z0-9_.]+)`").FindAllStringSubmatch(string(doc), -1) {
		for name := range strings.SplitSeq(m[1], ".") {
			named[name] = true
		}
	}
	if !strings.Contains(string(doc), fmt.Sprintf("| `schema` | %d:", render.Schema)) {
		t.Errorf("docs/json.md does not give the schema version %d", render.Schema)
	}

	streams := map[string]string{}
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden JSON files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		streams[filepath.Base(f)] = string(b)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"demo", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errb.String())
	}
	streams["demo --json"] = out.String()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
		Certificates: []tls.Certificate{tlstest.SelfSigned(t, tlstest.NewKey(t, true), "localhost")}}
	addr := tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
	})
	out.Reset()
	if code := run([]string{"scan", addr, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errb.String())
	}
	streams["scan --json"] = out.String()
	// The lab's faults whose scans have events of their own: TLS 1.3
	// unconfirmed (sni-required), the curves unknown (reset), the ALPN
	// protocols refused (alpn-mismatch).
	labServers, _ := startLab(t, "sni-required", "reset", "alpn-mismatch")
	for _, s := range labServers {
		out.Reset()
		_ = run([]string{"scan", s.Host(), "--json"}, &out, &errb)
		streams["scan --json "+s.Name] = out.String()
	}

	// serve, with a client that completes a handshake (connect) and one
	// that speaks plain HTTP.
	port := tlstest.FreePort(t)
	served, stop := startServe(t, port, "--self-signed", "--mode", "echo")
	stdin = strings.NewReader("hello\n")
	defer func() { stdin = os.Stdin }()
	code, _, connected := runCode("connect", fmt.Sprintf("localhost:%d", port), "-k", "--idle", "300ms", "--json")
	if code != 0 {
		t.Fatalf("connect: exit %d: %s", code, connected)
	}
	// connect writes its trace to stderr, beside the lines of its own.
	var trace []string
	for _, line := range strings.Split(connected, "\n") {
		if strings.HasPrefix(line, "{") {
			trace = append(trace, line)
		}
	}
	streams["connect --json"] = strings.Join(trace, "\n")
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	_, _ = c.Read(make([]byte, 64))
	c.Close()
	time.Sleep(200 * time.Millisecond)
	stop()
	streams["serve --json"] = served.String()

	top := []string{"schema", "t", "conn", "from", "layer", "type", "frame", "record", "fields", "anomalies", "error", "raw"}
	missing := map[string][]string{} // name: where it was seen
	miss := func(name, where string) {
		if !named[name] && !slices.Contains(missing[name], where) {
			missing[name] = append(missing[name], where)
		}
	}
	seen := map[string]bool{}
	for name, s := range streams {
		for n, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%s:%d: %v", name, n+1, err)
			}
			if ev["schema"] != float64(render.Schema) {
				t.Fatalf("%s:%d: schema %v, want %d", name, n+1, ev["schema"], render.Schema)
			}
			layer, _ := ev["layer"].(string)
			typ, _ := ev["type"].(string)
			what := layer + " " + typ
			for k := range ev {
				if !slices.Contains(top, k) {
					t.Errorf("%s:%d: key %q is not in the contract", name, n+1, k)
				}
				miss(k, "top level")
			}
			seen[what] = true
			miss(layer, "layer")
			miss(typ, "type of layer "+layer)
			if r, ok := ev["record"].(map[string]any); ok {
				for k := range r {
					miss(k, "record")
				}
			}
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					for k, x := range v {
						miss(k, what)
						walk(x)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			if layer != "tls" || typ == "application_data" {
				// The fields of TLS messages are named as in the RFCs.
				walk(ev["fields"])
			}
		}
	}
	for _, want := range []string{"tcp syn", "tcp accept", "tls client_hello", "x509 certificate", "x509 verify", "info handshake_failed",
		"info client_fingerprint", "info timing", "http response", "scan suite_accepted", "scan finding", "scan summary"} {
		if !seen[want] {
			t.Errorf("no %s event in the streams checked", want)
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range missing {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range names {
		t.Errorf("docs/json.md does not name %q (in %s)", k, strings.Join(missing[k], "; "))
	}
}
