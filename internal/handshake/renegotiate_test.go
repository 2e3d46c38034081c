package handshake

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestRenegotiate asks openssl s_server for client-initiated
// renegotiations in TLS 1.2 and TLS 1.0: refused by default in OpenSSL 3
// (a no_renegotiation warning); under -client_renegotiation answered with
// a ServerHello whose renegotiation_info holds both verify_data, twice,
// after which an HTTP request is answered under the new keys.
func TestRenegotiate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	pc := newPeerCerts(t)
	for _, c := range []struct {
		name     string
		version  uint16
		args     []string
		accepted bool
	}{
		{"tls12-default", VersionTLS12, nil, false},
		{"tls12-allowed", VersionTLS12, []string{"-client_renegotiation"}, true},
		{"tls10-allowed", VersionTLS10, []string{"-client_renegotiation", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0", "-tls1"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := opensslServer(t, pc, 1, c.args...)
			r := dial12(t, addr, &Config{ServerName: "localhost", MinVersion: c.version, MaxVersion: c.version, CipherSuites: []uint16{0xC02F, 0xC013}})
			if r.err != nil {
				t.Fatal(r.err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn := r.conn.(*Conn)
			want := Renegotiation{Accepted: true, Secure: true, Completed: true}
			if !c.accepted {
				want = Renegotiation{Alert: wire.AlertNoRenegotiation, HasAlert: true}
			}
			// Twice in a row: the second renegotiation carries the
			// verify_data of the first.
			for i := range 2 {
				got, err := conn.Renegotiate(ctx)
				if err != nil {
					t.Fatalf("renegotiation %d: %v", i+1, err)
				}
				if *got != want {
					t.Fatalf("renegotiation %d: %+v, want %+v", i+1, *got, want)
				}
				if !c.accepted {
					if _, err := conn.Write([]byte("x")); err == nil {
						t.Error("the connection is still usable after a refused renegotiation")
					}
					return
				}
			}
			// The session goes on under the new keys.
			httpGet(t, conn)
		})
	}
}

// TestHelloRequestDeclined has openssl s_server ask for a renegotiation
// (its "R" command sends a HelloRequest) after a TLS 1.2 handshake: the
// client declines with a warning no_renegotiation (RFC 5746, Section
// 4.2), OpenSSL ends the session with a fatal handshake_failure, which
// Read returns, and the client sends nothing after it, not even a
// close_notify on Close (RFC 5246, Section 7.2.2: the connection is
// closed).
func TestHelloRequestDeclined(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	cert, key := opensslCert(t, dir, "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	addr, _, in := startServerIn(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_2")
	rec := dialRecorded(t, addr)
	c := Client(rec, &Config{ServerName: "localhost", MaxVersion: VersionTLS12})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	sent := len(rec.chunks)
	rec.mu.Unlock()
	if _, err := io.WriteString(in, "R\n"); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 10))
	var alert *AlertError
	if !errors.As(err, &alert) || alert.Sent || wire.AlertDescription(alert.Alert) != wire.AlertHandshakeFailure {
		t.Fatalf("read: %v, want the server's handshake_failure", err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("a write after the server's fatal alert succeeded")
	}
	c.Close()
	// The client's records since the handshake: the no_renegotiation
	// alert alone.
	var records [][]byte
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ch := range rec.chunks[sent:] {
		if !ch.FromClient {
			continue
		}
		for b := ch.Data; len(b) >= wire.RecordHeaderLen; {
			n := wire.RecordHeaderLen + (int(b[3])<<8 | int(b[4]))
			records = append(records, b[:min(n, len(b))])
			b = b[min(n, len(b)):]
		}
	}
	if len(records) != 1 || records[0][0] != 21 {
		t.Errorf("the client sent %d records after the handshake (% x), want its no_renegotiation alert alone", len(records), records)
	}
}
