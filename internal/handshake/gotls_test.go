package handshake

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// goTLSServer serves an echo over crypto/tls on loopback with cfg.
func goTLSServer(t testing.TB, cfg *tls.Config) string {
	t.Helper()
	return tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		defer tc.Close()
		io.Copy(tc, tc)
	})
}

// TestClient13HybridGroups runs the engine against crypto/tls with each
// ML-KEM hybrid group alone (openssl 3.0 has none).
func TestClient13HybridGroups(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	cert := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost")
	for _, g := range []uint16{groupX25519MLKEM768, groupSecP256r1MLKEM768, groupSecP384r1MLKEM1024} {
		t.Run(groupName(g), func(t *testing.T) {
			addr := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.CurveID(g)}})
			// crypto/tls sends its tickets before the client's Finished
			// arrives.
			st := runClient13(t, addr, &Config{Groups: []uint16{g}}, false, []uint64{1, 2, 8, 11, 15, 20, 4, 20})
			if st.Group != g || st.HelloRetry {
				t.Errorf("state %+v", st)
			}
		})
	}
	// A server that prefers a hybrid the client did not send a share
	// for: HelloRetryRequest.
	addr := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.X25519MLKEM768}})
	st := runClient13(t, addr, &Config{Groups: []uint16{groupX25519, groupX25519MLKEM768}}, false, []uint64{1, 2, 1, 2, 8, 11, 15, 20, 4, 20})
	if st.Group != groupX25519MLKEM768 || !st.HelloRetry {
		t.Errorf("state %+v", st)
	}
}

// TestClient13ClientCertificate sends a client certificate to a crypto/tls
// server that requires and verifies one, for ECDSA and Ed25519 keys.
func TestClient13ClientCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	serverCert := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost")
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for name, key := range map[string]crypto.Signer{"ECDSA P-384": ecKey, "Ed25519": edKey} {
		t.Run(name, func(t *testing.T) {
			cc := tlstest.SelfSigned(t, key, "client")
			leaf, err := x509.ParseCertificate(cc.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AddCert(leaf)
			addr := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
			cfg := &Config{Certificates: []Certificate{{Chain: cc.Certificate, Key: key}}}
			runClient13(t, addr, cfg, false, []uint64{1, 2, 8, 13, 11, 15, 20, 11, 15, 20})
		})
	}
}

// BenchmarkHandshake13 times full TLS 1.3 handshakes on loopback against a
// crypto/tls server (ECDSA P-256), by the engine and by crypto/tls.
func BenchmarkHandshake13(b *testing.B) {
	cert := tlstest.SelfSigned(b, tlstest.NewKey(b, false), "localhost")
	for _, g := range []uint16{groupX25519, groupX25519MLKEM768, groupFFDHE2048} {
		if g != groupFFDHE2048 {
			addr := goTLSServer(b, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.CurveID(g)}})
			b.Run("crypto-tls/"+groupName(g), func(b *testing.B) {
				for b.Loop() {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						b.Fatal(err)
					}
					tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, CurvePreferences: []tls.CurveID{tls.CurveID(g)}})
					if err := tc.Handshake(); err != nil {
						b.Fatal(err)
					}
					tc.Close()
				}
			})
		}
		var addr string
		if g == groupFFDHE2048 {
			addr = engineServer(b, &Config{Certificates: []Certificate{{Chain: cert.Certificate, Key: cert.PrivateKey.(crypto.Signer)}}, Groups: []uint16{g}})
		} else {
			addr = goTLSServer(b, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.CurveID(g)}})
		}
		b.Run("engine/"+groupName(g), func(b *testing.B) {
			for b.Loop() {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				ec := Client(c, &Config{ServerName: "localhost", Groups: []uint16{g}})
				if err := ec.HandshakeContext(context.Background()); err != nil {
					b.Fatal(err)
				}
				ec.Close()
			}
		})
	}
}

// TestConnDataAndClose writes more than a record's worth in one Write to a
// crypto/tls echo server and reads it back, then closes the write side:
// the server's close_notify ends Read with io.EOF.
func TestConnDataAndClose(t *testing.T) {
	cert := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost")
	addr := tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		b, _ := io.ReadAll(tc) // until the client's close_notify
		tc.Write(b)
		tc.CloseWrite()
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rec := &tlstest.RecordingConn{Conn: conn}
	c := Client(rec, &Config{ServerName: "localhost"})
	c.SetDeadline(time.Now().Add(10 * time.Second))
	data := make([]byte, 100_000)
	rand.Read(data)
	if n, err := c.Write(data); err != nil || n != len(data) {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("late")); err == nil {
		t.Error("Write after CloseWrite succeeded")
	}
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("Read after close_notify: %d, %v", n, err)
	}
	// Every record the client wrote fits the TLS 1.3 limit.
	b := rec.Bytes()
	for len(b) >= 5 {
		n := int(b[3])<<8 | int(b[4])
		if n > wire.MaxCiphertextTLS13 {
			t.Fatalf("a record of %d bytes", n)
		}
		b = b[min(len(b), 5+n):]
	}
}

func TestSNIName(t *testing.T) {
	for in, want := range map[string]string{
		"example.com": "example.com", "example.com.": "example.com", "": "", "127.0.0.1": "", "::1": "", "[::1]": "", "localhost": "localhost",
	} {
		if got := sniName(in); got != want {
			t.Errorf("sniName(%q) = %q, want %q", in, got, want)
		}
	}
}
