package client

import (
	"bytes"
	"context"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestOversizedPlaintextRecord: a server answers the ClientHello with a
// handshake record of 16385 bytes (a ServerHello and the start of a
// Certificate), one over the limit of a record before encryption (RFC
// 8446, Section 5.1; RFC 5246, Section 6.2.1) though within the 18432 of
// any record, and one of 20000 bytes, over both. crypto/tls and openssl
// s_client each answer with a record_overflow alert, which the server
// reads; the trace shows the ServerHello decoded from the record, the
// record's length flagged on it with the limit and the alert a peer
// sends.
func TestOversizedPlaintextRecord(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	sh, err := (&wire.ServerHello{Version: wire.VersionTLS12, Random: bytes.Repeat([]byte{7}, 32), CipherSuite: 0xc02f}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{wire.MaxPlaintext + 1, 20000} {
		body := append(bytes.Clone(sh), 11, 0, 0xff, 0xff)
		body = append(body, make([]byte, n-len(body))...)
		rec := append([]byte{22, 3, 3, byte(n >> 8), byte(n)}, body...)
		answers := make(chan []byte, 2)
		addr := tlstest.Listen(t, func(c net.Conn) {
			if readHello(c) != nil {
				return
			}
			c.Write(rec)
			// The client's answer: an alert record.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			b := make([]byte, 7)
			k, _ := io.ReadFull(c, b)
			answers <- b[:k]
		})
		// A fatal record_overflow alert, whatever the record's version.
		isOverflow := func(b []byte) bool {
			return len(b) == 7 && b[0] == 21 && b[5] == 2 && b[6] == byte(wire.AlertRecordOverflow)
		}

		var events []*trace.Event
		tr := source.NewTracer(time.Now(), func(ev *trace.Event) { events = append(events, ev.Clone()) })
		_, err := Get(context.Background(), tr, &Request{URL: "https://" + addr + "/", UserAgent: "test", TLS: TLSOptions{Insecure: true, MaxVersion: 0x0303}, MaxTime: 10 * time.Second, Output: io.Discard})
		if err == nil {
			t.Fatalf("%d bytes: no error", n)
		}
		if got := <-answers; !isOverflow(got) {
			t.Errorf("%d bytes: crypto/tls answered % x, want a record_overflow alert", n, got)
		}
		var hello, partial *trace.Event
		for _, ev := range events {
			switch ev.Type {
			case trace.TypeServerHello:
				hello = ev
			case trace.TypePartialRecord:
				partial = ev
			}
		}
		var types []string
		for _, ev := range events {
			types = append(types, ev.Type)
		}
		if n <= wire.MaxCiphertext {
			// crypto/tls read the record before it refused it.
			want := "bytes of plaintext in one record, more than the 16384 any TLS version allows (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1): the peer must end the connection with record_overflow"
			if hello == nil || hello.Record == nil || hello.Record.Length != n || len(hello.Record.Anomalies) != 1 || !strings.Contains(hello.Record.Anomalies[0].Text, want) {
				t.Errorf("%d bytes: no server_hello with the record's length flagged: %+v (events %v)", n, hello, types)
			}
		} else {
			// crypto/tls refused the header and read little more: the
			// header's claim is shown, with the limit.
			want := "a record header that claims 20000 bytes, more than TLS allows (at most 16384 bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1)"
			if partial == nil || !strings.Contains(partial.Error, want) {
				t.Errorf("%d bytes: no partial record with the header's claim: %+v (events %v)", n, partial, types)
			}
		}
		if a := sentAlert(events, trace.Client); a == nil || wire.AlertDescription(a.Description.Value) != wire.AlertRecordOverflow {
			t.Errorf("%d bytes: client alert %+v, want record_overflow", n, a)
		}

		// openssl s_client answers the same record alike.
		cmd := exec.Command("openssl", "s_client", "-connect", addr, "-tls1_2")
		cmd.Stdin = strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		if got := <-answers; !isOverflow(got) {
			t.Errorf("%d bytes: openssl answered % x, want a record_overflow alert\n%s", n, got, out)
		}
	}
}
