package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadPartialKeylogH2: the HTTP/2 connection of curl-TLSv13-h2 read
// with a key log that lacks the server's handshake traffic secret (its
// EncryptedExtensions, which carry ALPN "h2", cannot be opened) shows the
// same HTTP requests and responses as with the whole key log: the
// client's connection preface says it speaks HTTP/2, and the server's
// application data read before it is held until then.
func TestReadPartialKeylogH2(t *testing.T) {
	const captures = "testdata/captures/"
	b, err := os.ReadFile(captures + "curl-TLSv13-h2.keylog.txt")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ") {
			kept = append(kept, line)
		}
	}
	partial := filepath.Join(t.TempDir(), "partial.keys")
	if err := os.WriteFile(partial, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	http := func(keys string) (out []string, ee int) {
		for _, ev := range runJSON(t, "read", captures+"curl-TLSv13-h2.pcapng", "--keylog", keys, "--json") {
			if ev.Conn == 1 && ev.Type == "encrypted_extensions" {
				ee++
			}
			if ev.Conn == 1 && ev.Layer == "http" && (ev.Type == "request" || ev.Type == "response") {
				out = append(out, ev.From+" "+ev.Type+" "+string(ev.Fields))
			}
		}
		return out, ee
	}
	want, ee := http(captures + "curl-TLSv13-h2.keylog.txt")
	if len(want) != 2 || ee != 1 {
		t.Fatalf("with the whole key log: %d HTTP events, %d EncryptedExtensions", len(want), ee)
	}
	got, ee := http(partial)
	if ee != 0 {
		t.Fatalf("the EncryptedExtensions were opened without the server's handshake secret")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("without the server's handshake secret:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
