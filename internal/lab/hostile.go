package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// ReadRecord reads the client's first TLS record (its ClientHello), so that
// a hostile server answers only once the client has spoken.
func ReadRecord(c net.Conn) bool {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return false
	}
	_, err := io.ReadFull(c, make([]byte, int(hdr[3])<<8|int(hdr[4])))
	return err == nil
}

// ServerHello returns a whole ServerHello record choosing version and
// suite, with one extension: an empty renegotiation_info (RFC 5746,
// Section 3.6), without which OpenSSL's clients (curl, s_client) refuse
// the ServerHello ("unsafe legacy renegotiation disabled") before they
// reach the fault that follows it.
func ServerHello(version, suite uint16) []byte {
	body := []byte{byte(version >> 8), byte(version)}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0, byte(suite>>8), byte(suite), 0)
	body = append(body, 0, 5, 0xff, 0x01, 0, 1, 0)
	msg := append([]byte{2, 0, 0, byte(len(body))}, body...)
	return append([]byte{22, 3, 3, 0, byte(len(msg))}, msg...)
}

// Byte answers of hostile servers, written after the client's first
// record.
var (
	// OversizedRecord is a record header announcing 20000 bytes, more
	// than TLS allows, then a ServerHello's first bytes.
	OversizedRecord = append([]byte{22, 3, 3, 0x4e, 0x20, 2, 0, 0, 80, 3, 3}, make([]byte, 32)...)
	// TruncatedRecord announces 84 bytes of handshake and sends 20.
	TruncatedRecord = append([]byte{22, 3, 3, 0, 84, 2, 0, 0, 80, 3, 3}, make([]byte, 14)...)
	// SSLv2Hello is an SSL 2.0 SERVER-HELLO.
	SSLv2Hello = []byte{0x80, 0x0e, 4, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 1, 0, 0x80}
	// AlertStorm is a ServerHello, then 40 warning unrecognized_name
	// alerts, the warning servers do send in a handshake (RFC 6066,
	// Section 3). Not no_renegotiation, which OpenSSL's clients take as
	// fatal at the first one: they would not see the flood.
	AlertStorm = append(ServerHello(0x0303, 0xc02f), bytes.Repeat([]byte{21, 3, 3, 0, 2, 1, 112}, 40)...)
	// CorruptCert is a ServerHello and a Certificate message whose one
	// certificate is 4 bytes of DER that do not parse.
	CorruptCert = append(ServerHello(0x0303, 0xc02f), 22, 3, 3, 0, 14, 11, 0, 0, 10, 0, 0, 7, 0, 0, 4, 0x30, 0x82, 0xff, 0xff)
	// Garbage is an SSH server's banner: not TLS.
	Garbage = []byte("SSH-2.0-OpenSSH_9.6\r\n")
)

// Answer returns a server that reads the client's first record, writes b
// and, with wait, reads until the client closes.
func Answer(b []byte, wait bool) func(net.Conn) {
	return func(c net.Conn) {
		if !ReadRecord(c) {
			return
		}
		c.Write(b)
		if wait {
			io.Copy(io.Discard, c)
		}
	}
}

// ResetAfter answers the client's first record with b, then resets the
// connection (RST).
func ResetAfter(b []byte) func(net.Conn) {
	return func(c net.Conn) {
		if !ReadRecord(c) {
			return
		}
		c.Write(b)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	}
}

// Slow answers the client's first record with b one byte every interval,
// then waits for the client to close.
func Slow(b []byte, interval time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		if !ReadRecord(c) {
			return
		}
		for i := range b {
			if _, err := c.Write(b[i : i+1]); err != nil {
				return
			}
			time.Sleep(interval)
		}
		io.Copy(io.Discard, c)
	}
}

// Silent reads what the client sends and never answers.
func Silent(c net.Conn) { io.Copy(io.Discard, c) }

// PlainHTTP answers in HTTP without TLS.
func PlainHTTP(c net.Conn) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	c.Read(buf)
	io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nthis port speaks plain HTTP, not TLS\n")
}

func hostileFaults() []*Fault {
	h := func(name, fault string, raw func(net.Conn)) *Fault {
		return &Fault{Name: name, Kind: KindHostile, Fault: fault, Exit: ExitTLS, raw: raw}
	}
	return []*Fault{
		h("garbage", "the server answers with bytes that are not TLS (an SSH banner)", Answer(Garbage, true)),
		h("plain-http", "the server speaks plain HTTP, not TLS", PlainHTTP),
		h("silent", "the server accepts the connection and never answers", Silent),
		h("slow", "the server answers one byte a second", Slow(ServerHello(0x0303, 0xc02f), time.Second)),
		h("reset", "the server resets the connection (RST) in the middle of the handshake", ResetAfter(ServerHello(0x0303, 0xc02f))),
		h("truncated-record", "the server closes the connection in the middle of a record", Answer(TruncatedRecord, false)),
		h("oversized-record", "the server sends a record longer than TLS allows", Answer(OversizedRecord, true)),
		h("sslv2", "the server answers in SSL 2.0", Answer(SSLv2Hello, true)),
		h("alert-storm", "the server sends a flood of warning alerts", Answer(AlertStorm, true)),
		h("corrupt-cert", "the server's certificate is cut short and does not parse", Answer(CorruptCert, false)),
	}
}

// HugeHeaders reads a request and answers with 5000 headers of 200 bytes
// each, 1 MB: curl accepts at most 300 kB of them.
func HugeHeaders(c net.Conn) {
	br := bufio.NewReader(c)
	if _, err := http.ReadRequest(br); err != nil {
		return
	}
	w := bufio.NewWriter(c)
	w.WriteString("HTTP/1.1 200 OK\r\n")
	v := strings.Repeat("x", 180)
	for i := range 5000 {
		fmt.Fprintf(w, "X-Lab-%04d: %s\r\n", i, v)
	}
	w.WriteString("Content-Length: 0\r\n\r\n")
	w.Flush()
}

// serveHTTP answers HTTP/1.1 requests on c with the index page.
func serveHTTP(c net.Conn, index func() []byte) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		body := []byte("ok\n")
		ctype := "text/plain; charset=utf-8"
		if index != nil {
			body, ctype = index(), "text/html; charset=utf-8"
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, len(body))
		c.Write(body)
		if req.Close {
			return
		}
	}
}
