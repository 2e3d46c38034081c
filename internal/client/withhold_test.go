package client

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"

	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestWithhold checks that the password and AUTH PLAIN's message are
// masked, at their length, in a decrypted record, and nothing else.
func TestWithhold(t *testing.T) {
	c := &Conversation{Credentials: &starttls.Credentials{User: "alice", Password: "pw"}}
	for in, want := range map[string]string{
		"a003 LOGIN \"alice\" \"pw\"\r\n": "a003 LOGIN \"alice\" \"**\"\r\n",
		"AUTH PLAIN AGFsaWNlAHB3\r\n":     "AUTH PLAIN ************\r\n",
		"PASS pw\r\nPASS pw\r\n":          "PASS **\r\nPASS **\r\n",
		"a002 CAPABILITY\r\n":             "a002 CAPABILITY\r\n",
	} {
		b := []byte(in)
		c.Withhold(&trace.Event{Payload: &trace.Data{Length: len(b), Bytes: b}})
		if string(b) != want {
			t.Errorf("%q masked as %q, want %q", in, b, want)
		}
	}
	// The spans masked are recorded, so that the views can say so.
	b := []byte("PASS pw\r\nPASS pw\r\n")
	d := &trace.Data{Length: len(b), Bytes: b}
	c.Withhold(&trace.Event{Payload: d})
	if fmt.Sprint(d.Masked) != "[{5 2} {14 2}]" {
		t.Errorf("masked spans %v, want [{5 2} {14 2}]", d.Masked)
	}
	b = []byte("PASS pw")
	(&Conversation{}).Withhold(&trace.Event{Payload: &trace.Data{Bytes: b}})
	if string(b) != "PASS pw" {
		t.Errorf("masked without credentials: %q", b)
	}
}

// TestRequestWithhold: the Basic credentials of the URL are masked in
// HTTP/1.1's bytes (the base64), in HTTP/2's HPACK block (the Huffman
// string of the value, which then decodes to '*'), and in header lines.
func TestRequestWithhold(t *testing.T) {
	r := &Request{URL: "https://alice:s3cret@example.com/"}
	const b64 = "YWxpY2U6czNjcmV0"
	b := []byte("GET / HTTP/1.1\r\nAuthorization: Basic " + b64 + "\r\n\r\n")
	d := &trace.Data{Bytes: b}
	r.Withhold(&trace.Event{Payload: d})
	if want := "GET / HTTP/1.1\r\nAuthorization: Basic " + strings.Repeat("*", len(b64)) + "\r\n\r\n"; string(b) != want || len(d.Masked) != 1 {
		t.Errorf("HTTP/1.1 masked as %q (%v)", b, d.Masked)
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	enc.WriteField(hpack.HeaderField{Name: ":method", Value: "GET"})
	enc.WriteField(hpack.HeaderField{Name: "authorization", Value: "Basic " + b64})
	d = &trace.Data{Bytes: block.Bytes()}
	r.Withhold(&trace.Event{Payload: d})
	fields, err := hpack.NewDecoder(4096, nil).DecodeFull(d.Bytes)
	if err != nil || len(fields) != 2 || strings.Trim(fields[1].Value, "*") != "" || len(d.Masked) != 1 {
		t.Errorf("HTTP/2 masked as %v, %v (%v)", fields, err, d.Masked)
	}
	req := &trace.HTTPRequest{Headers: []string{"authorization: Basic " + b64}}
	r.Withhold(&trace.Event{Payload: req})
	if req.Headers[0] != "authorization: Basic "+strings.Repeat("*", len(b64)) {
		t.Errorf("header line %q", req.Headers[0])
	}
	// An Authorization of -H is sent instead, as curl does, and an empty
	// one removes it: nothing of the URL's is sent nor masked.
	for _, v := range []string{"Bearer x", ""} {
		r.Header = http.Header{"Authorization": {v}}
		b = []byte(b64)
		r.Withhold(&trace.Event{Payload: &trace.Data{Bytes: b}})
		if string(b) != b64 || r.basicAuth() != "" {
			t.Errorf("masked %q, or sent the URL's, with -H \"Authorization: %s\"", b, v)
		}
	}
}
