package handshake

import (
	"context"
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
