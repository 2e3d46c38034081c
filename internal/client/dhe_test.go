package client

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestFailureCompositeDHPrime checks the cause of a DHE modulus that is
// not prime (the engine's server given an RSA modulus as its group):
// the own engine refuses it with an illegal_parameter alert, and the
// cause says that the server's DH prime is not prime.
func TestFailureCompositeDHPrime(t *testing.T) {
	key := tlstest.NewKey(t, true)
	kp := tlstest.SelfSigned(t, key, "127.0.0.1")
	cfg := &handshake.Config{Certificates: []handshake.Certificate{{Chain: kp.Certificate, Key: key}}, MaxVersion: handshake.VersionTLS12,
		CipherSuites: []uint16{0x009E}, DHPrime: key.(*rsa.PrivateKey).N}
	addr := tlstest.Listen(t, func(c net.Conn) {
		s := handshake.Server(c, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.HandshakeContext(ctx)
		io.Copy(io.Discard, c)
	})
	e, events := get(t, addr, TLSOptions{Insecure: true, Engine: EngineOwn, MaxVersion: wire.VersionTLS12, CipherSuites: []uint16{0x009E}})
	checkCause(t, e, StepTLS, "the server's DH prime (dh_p, 2048 bits) is not prime", "published group")
	var pe *handshake.DHPrimeError
	if !errors.As(e, &pe) {
		t.Errorf("the cause does not keep the engine's error: %#v", e.Err)
	}
	if a := sentAlert(events, trace.Client); a == nil || wire.AlertDescription(a.Description.Value) != wire.AlertIllegalParameter {
		t.Errorf("client alert %+v, want illegal_parameter", a)
	}
}

// TestOwnNamesPublishedDHGroup checks that the handshake_complete event
// of the own engine names the published DHE group a server uses: openssl
// s_server's automatic group for a 2048-bit RSA key (RFC 3526's MODP
// group of 2048 bits), and the ffdhe3072 group of RFC 7919 given it with
// -dhparam.
func TestOwnNamesPublishedDHGroup(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	key := tlstest.NewKey(t, true)
	kp := tlstest.SelfSigned(t, key, "127.0.0.1")
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Certificate[0]}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	params := filepath.Join(dir, "ffdhe3072.pem")
	if out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe3072", "-out", params).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "RFC 3526 group 14 (MODP 2048 bits)"},
		{[]string{"-dhparam", params}, "ffdhe3072"},
	} {
		addr := sServer(t, cert, keyFile, append([]string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}, c.args...)...)
		var hs *trace.Handshake
		tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
			if h, ok := ev.Payload.(*trace.Handshake); ok {
				hs = h
			}
		})
		_, err := Get(context.Background(), tr, &Request{URL: "https://" + addr + "/", UserAgent: "test", MaxTime: 10 * time.Second, Output: io.Discard,
			TLS: TLSOptions{Insecure: true, Engine: EngineOwn, MaxVersion: wire.VersionTLS12, CipherSuites: []uint16{0x009E}}})
		if err != nil {
			t.Fatal(err)
		}
		if hs == nil || hs.Group != c.want {
			t.Errorf("%v: handshake %+v, want the group %q", c.args, hs, c.want)
		}
	}
}
