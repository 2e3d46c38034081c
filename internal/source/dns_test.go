package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestDNSInCapture reads a capture of real DNS datagrams (before a curl
// connection) one connection at a time and in parallel: both show the six
// messages, as their bytes say, before the connection.
func TestDNSInCapture(t *testing.T) {
	b, err := os.ReadFile("../../cmd/tlstrace/testdata/captures/dns-curl-TLSv13-h2.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	line := func(ev *trace.Event) string {
		j, err := json.Marshal(ev.Fields)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d %s %s %s %s\n", ev.Conn, ev.From, ev.Layer, ev.Type, j)
	}
	var seq bytes.Buffer
	if err := Read(bytes.NewReader(b), func(ev *trace.Event) { seq.WriteString(line(ev)) }, Options{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(seq.String(), "\n")
	want := []string{
		`0 client dns query {"client":"127.0.0.1:42025","server":"127.0.0.1:53","id":4096,"questions":["www.example.test. A"]}`,
		`0 server dns answer {"client":"127.0.0.1:42025","server":"127.0.0.1:53","id":4096,"rcode":"NOERROR","questions":["www.example.test. A"],"answers":["www.example.test. CNAME 300 example.test.","example.test. A 60 127.0.0.1"]}`,
		`0 client dns query {"client":"127.0.0.1:42025","server":"127.0.0.1:53","id":4097,"questions":["www.example.test. AAAA"]}`,
		`0 server dns answer {"client":"127.0.0.1:42025","server":"127.0.0.1:53","id":4097,"rcode":"NOERROR","questions":["www.example.test. AAAA"],"answers":[]}`,
		`0 client dns query {"client":"127.0.0.1:42025","server":"127.0.0.1:53","id":4098,"questions":["missing.example.test. A"]}`,
		`0 server dns answer {"client":"127.0.0.1:42025","server":"127.0.0.1:53","id":4098,"rcode":"NXDOMAIN","questions":["missing.example.test. A"]`,
	}
	for i, w := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], w) {
			t.Fatalf("event %d:\n got %.300q\nwant %q", i, got[min(i, len(got)-1)], w)
		}
	}
	if !strings.HasPrefix(got[6], "1 client tcp syn") {
		t.Errorf("after the DNS messages: %q, want the curl connection's SYN", got[6])
	}
	for _, workers := range []int{1, 3} {
		var par bytes.Buffer
		app := func() Append {
			return func(out []byte, ev *trace.Event) []byte { return append(out, line(ev)...) }
		}
		if err := Render(bytes.NewReader(b), &par, app, Options{Workers: workers}); err != nil {
			t.Fatal(err)
		}
		if par.String() != seq.String() {
			t.Errorf("Render with %d workers differs from Read:\n%s\nwant\n%s", workers, par.String(), seq.String())
		}
	}
}

// TestDNSParseBroken: a message cut short keeps what was read, with an
// error.
func TestDNSParseBroken(t *testing.T) {
	for _, b := range [][]byte{nil, {0x12}, {0x12, 0x34, 0x80}, {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'w', 'w'}} {
		p, err := dnsParse(b)
		if err == nil {
			t.Errorf("% x: no error", b)
		}
		if len(b) >= 3 && (p.ID != 0x1234 || !p.Response) {
			t.Errorf("% x: id %#x, response %v", b, p.ID, p.Response)
		}
	}
}
