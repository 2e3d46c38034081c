package h2

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// http1Heads feeds client and server in chunks of n bytes, alternating,
// and returns the summaries emitted.
func http1Heads(client, server string, n int) []string {
	var got []string
	d := newHTTP1Decoder(1, func(ev *trace.Event) {
		switch p := ev.Payload.(type) {
		case *trace.HTTPRequest:
			got = append(got, fmt.Sprintf("> %s %s %q", p.Method, p.URL, p.Headers))
		case *trace.HTTPResponse:
			got = append(got, fmt.Sprintf("< %s %d %s %q", p.Proto, p.Status, p.Reason, p.Headers))
		}
	})
	c, s := []byte(client), []byte(server)
	for len(c) > 0 || len(s) > 0 {
		k := min(n, len(c))
		d.feed(trace.Client, time.Time{}, 0, c[:k])
		c = c[k:]
		k = min(n, len(s))
		d.feed(trace.Server, time.Time{}, 0, s[:k])
		s = s[k:]
	}
	return got
}

func TestHTTP1Heads(t *testing.T) {
	tests := []struct {
		name           string
		client, server string
		want           []string
	}{{
		name: "keep-alive with bodies that look like heads",
		client: "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nGET /fake HTTP/1.1\r\n" +
			"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n" +
			"GET /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nGET \r\n0\r\nT: 1\r\n\r\n" +
			"GET /d HTTP/1.0\r\n\r\n",
		server: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\nHTTP/1.1 500 X\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" +
			"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n12\r\nHTTP/1.1 500 X\r\n\r\n\r\n0\r\n\r\n" +
			"HTTP/1.0 204 No Content\r\n\r\n",
		want: []string{
			`> POST /a ["Host: x" "Content-Length: 20"]`,
			`> HEAD /b ["Host: x"]`,
			`> GET /c ["Transfer-Encoding: chunked"]`,
			`> GET /d []`,
			`< HTTP/1.1 100 Continue []`,
			`< HTTP/1.1 200 OK ["Content-Length: 18"]`,
			`< HTTP/1.1 200 OK ["Content-Length: 99"]`,
			`< HTTP/1.1 404 Not Found ["Transfer-Encoding: chunked"]`,
			`< HTTP/1.0 204 No Content []`,
		},
	}, {
		name:   "not HTTP",
		client: "EHLO x\r\n\r\nGET / HTTP/1.1\r\n\r\n",
		server: "220 x\r\n\r\n",
	}, {
		name:   "a body that ends with the connection",
		client: "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
		server: "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
		want:   []string{`> GET / []`, `> GET /2 []`, `< HTTP/1.1 200 OK []`},
	}, {
		name:   "an incomplete head is not shown",
		client: "GET / HTTP/1.1\r\nHost: x\r\n",
		server: "HTTP/1.1 200 OK\r\n",
	}}
	for _, tt := range tests {
		for _, n := range []int{1, 3, 7, 1 << 20} {
			got := http1Heads(tt.client, tt.server, n)
			// Client and server interleave by chunk size: compare each side.
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s, chunks of %d:\n got %q\nwant %q", tt.name, n, got, want)
			}
		}
	}
}

// FuzzHTTP1 feeds any bytes, in any chunks: the decoder must not panic,
// must keep at most a bounded head per direction, and must emit only
// heads whose start line it checked.
func FuzzHTTP1(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /x HTTP/1.0\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), uint8(5))
	f.Fuzz(func(t *testing.T, client, server []byte, chunk uint8) {
		n := int(chunk) + 1
		d := newHTTP1Decoder(1, func(ev *trace.Event) {
			switch p := ev.Payload.(type) {
			case *trace.HTTPRequest:
				if !token(p.Method) || p.URL == "" {
					t.Fatalf("request %q %q", p.Method, p.URL)
				}
			case *trace.HTTPResponse:
				if !http1Proto(p.Proto) || p.Status < 100 || p.Status > 999 {
					t.Fatalf("response %q %d", p.Proto, p.Status)
				}
			default:
				t.Fatalf("event %T", ev.Payload)
			}
		})
		for len(client) > 0 || len(server) > 0 {
			k := min(n, len(client))
			d.feed(trace.Client, time.Time{}, 0, client[:k])
			client = client[k:]
			k = min(n, len(server))
			d.feed(trace.Server, time.Time{}, 0, server[:k])
			server = server[k:]
			for _, dir := range d.dirs {
				if len(dir.buf) > http1MaxHead+n {
					t.Fatalf("%d bytes kept", len(dir.buf))
				}
			}
		}
	})
}
