package handshake

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// engineServer serves an echo with the engine's server on loopback.
func engineServer(t testing.TB, cfg *Config) string {
	t.Helper()
	return tlstest.Listen(t, func(c net.Conn) {
		s := Server(c, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.HandshakeContext(ctx); err != nil {
			return
		}
		defer s.Close()
		io.Copy(s, s)
	})
}

// TestEngineToEngine runs the engine's TLS 1.3 client against its own
// server with each suite alone, an ffdhe and a hybrid group, a
// HelloRetryRequest, an Ed448 certificate and a client certificate, with
// tshark and the decoder reading the same messages.
func TestEngineToEngine(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	ecCertFile, ecKeyFile := ecdsaCert(t, dir, elliptic.P256())
	edCertFile, edKeyFile := opensslCert(t, dir, "ED448")
	ec := Certificate{Chain: [][]byte{readPEMCert(t, ecCertFile).Raw}, Key: readPEMKey(t, ecKeyFile)}
	ed := Certificate{Chain: [][]byte{readPEMCert(t, edCertFile).Raw}, Key: readPEMKey(t, edKeyFile)}
	for _, c := range []struct {
		name   string
		server Config
		client Config
		want   []uint64
		check  func(State) bool
	}{
		{name: "AES-128-CCM-8", server: Config{TLS13Suites: []uint16{0x1305}}, client: Config{TLS13Suites: []uint16{0x1305}},
			check: func(s State) bool { return s.CipherSuite == 0x1305 }},
		{name: "AES-128-CCM", server: Config{TLS13Suites: []uint16{0x1304}},
			check: func(s State) bool { return s.CipherSuite == 0x1304 }},
		{name: "ChaCha20", server: Config{TLS13Suites: []uint16{0x1303}},
			check: func(s State) bool { return s.CipherSuite == 0x1303 }},
		{name: "AES-256-GCM", client: Config{TLS13Suites: []uint16{0x1302}},
			check: func(s State) bool { return s.CipherSuite == 0x1302 }},
		{name: "ffdhe4096", server: Config{Groups: []uint16{groupFFDHE4096}}, client: Config{Groups: []uint16{groupFFDHE4096}},
			check: func(s State) bool { return s.Group == groupFFDHE4096 }},
		{name: "SecP384r1MLKEM1024", server: Config{Groups: []uint16{groupSecP384r1MLKEM1024}}, client: Config{Groups: []uint16{groupSecP384r1MLKEM1024}},
			check: func(s State) bool { return s.Group == groupSecP384r1MLKEM1024 }},
		{name: "HelloRetryRequest", server: Config{Groups: []uint16{groupP384}}, client: Config{Groups: []uint16{groupX25519, groupP384}},
			want: []uint64{1, 2, 1, 2, 8, 11, 15, 20, 20}, check: func(s State) bool { return s.HelloRetry && s.Group == groupP384 }},
		{name: "Ed448", server: Config{Certificates: []Certificate{ed}},
			check: func(s State) bool { return s.PeerSignatureScheme == schemeEd448 }},
		{name: "client certificate", server: Config{ClientAuth: true}, client: Config{Certificates: []Certificate{ed}},
			want: []uint64{1, 2, 8, 13, 11, 15, 20, 11, 15, 20}, check: func(s State) bool { return s.PeerSignatureScheme == schemeECDSAP256 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			server := c.server
			if server.Certificates == nil {
				server.Certificates = []Certificate{ec}
			}
			if server.ClientAuth {
				server.VerifyPeer = func(chain []*x509.Certificate, _ []byte) error {
					if len(chain) != 1 || !chain[0].Equal(readPEMCert(t, edCertFile)) {
						return errors.New("not the client's certificate")
					}
					return nil
				}
			}
			want := c.want
			if want == nil {
				want = full13
			}
			addr := engineServer(t, &server)
			client := c.client
			st := runClient13(t, addr, &client, false, want)
			if !c.check(st) {
				t.Errorf("state %+v", st)
			}
		})
	}
}
