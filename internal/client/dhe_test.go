package client

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
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
