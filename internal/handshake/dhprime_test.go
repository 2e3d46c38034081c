package handshake

import (
	"crypto/rsa"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestServerDHPrime checks a server given its own DHE group (Config.DHPrime,
// here the 1024-bit Oakley group 2): it sends that prime whatever the
// client names, the client refuses it by default with insufficient_security
// and a DHGroupSizeError, and takes it with MinDHBits 1024; openssl
// s_client agrees on the secret at security level 0 and refuses the group
// at its default level.
func TestServerDHPrime(t *testing.T) {
	p := new(big.Int).SetBytes(unhex(t, modp2))
	key := tlstest.NewKey(t, true)
	addr := engineServer(t, &Config{Certificates: []Certificate{testCert(t, key)}, MaxVersion: VersionTLS12,
		CipherSuites: []uint16{0x009E}, DHPrime: p})
	dial := func(cfg *Config) (net.Conn, State, error) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return testClient(c, cfg)
	}
	// The client names ffdhe2048: an old server's own group wins anyway.
	_, _, err := dial(&Config{ServerName: "localhost", MaxVersion: VersionTLS12, CipherSuites: []uint16{0x009E}, Groups: []uint16{groupFFDHE2048, groupX25519}})
	var alert *AlertError
	var sizeErr *DHGroupSizeError
	if !errors.As(err, &alert) || !alert.Sent || alert.Alert != uint8(wire.AlertInsufficientSecurity) || !errors.As(err, &sizeErr) || sizeErr.Bits != 1024 {
		t.Fatalf("default client: %v", err)
	}
	conn, st, err := dial(&Config{ServerName: "localhost", MaxVersion: VersionTLS12, CipherSuites: []uint16{0x009E}, MinDHBits: 1024})
	if err != nil {
		t.Fatalf("MinDHBits 1024: %v", err)
	}
	if st.DHBits != 1024 || st.Group != 0 || st.CipherSuite != 0x009E {
		t.Errorf("state %+v", st)
	}
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := conn.Read(buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo %q, %v", buf, err)
	}
	tlstest.RequirePeer(t, "openssl")
	for _, c := range []struct {
		cipher string
		ok     bool
	}{{"DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", true}, {"DHE-RSA-AES128-GCM-SHA256", false}} {
		out, err := runClient(t, "", "openssl", "s_client", "-connect", addr, "-tls1_2", "-cipher", c.cipher, "-brief")
		if (err == nil) != c.ok || (c.ok && !strings.Contains(out, "Server Temp Key: DH, 1024 bits")) || (!c.ok && !strings.Contains(out, "dh key too small")) {
			t.Errorf("s_client -cipher %s: %v\n%s", c.cipher, err, out)
		}
	}
}

// TestClientRefusesCompositeDHPrime checks a server whose DHE modulus is
// not prime: an RSA modulus of 2048 bits, whose factors its owner knows,
// so that it could read every key exchange over it, and that modulus
// plus one, which is even. The client refuses both with illegal_parameter
// and a DHPrimeError.
func TestClientRefusesCompositeDHPrime(t *testing.T) {
	key := tlstest.NewKey(t, true)
	n := key.(*rsa.PrivateKey).N
	for _, p := range []*big.Int{n, new(big.Int).Add(n, big.NewInt(1))} {
		addr := engineServer(t, &Config{Certificates: []Certificate{testCert(t, key)}, MaxVersion: VersionTLS12,
			CipherSuites: []uint16{0x009E}, DHPrime: p})
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, st, err := testClient(c, &Config{ServerName: "localhost", MaxVersion: VersionTLS12, CipherSuites: []uint16{0x009E}})
		var alert *AlertError
		var primeErr *DHPrimeError
		if !errors.As(err, &alert) || !alert.Sent || alert.Alert != uint8(wire.AlertIllegalParameter) ||
			!errors.As(err, &primeErr) || primeErr.Bits != 2048 || primeErr.Even != (p.Bit(0) == 0) {
			t.Errorf("p of %d bits, even %v: %v (state %+v)", p.BitLen(), p.Bit(0) == 0, err, st)
		}
	}
}

// TestDHEParamsKnownGroup checks that newDHEParams names a published
// group: the RFC 3526 MODP group of 2048 bits (OpenSSL's automatic DH
// group) and RFC 7919's ffdhe2048 with its code point.
func TestDHEParamsKnownGroup(t *testing.T) {
	for _, c := range []struct {
		p     *big.Int
		known string
		named uint16
	}{
		{modpPrime(2048), "RFC 3526 group 14 (MODP 2048 bits)", 0},
		{ffdhePrime(groupFFDHE2048), "ffdhe2048", groupFFDHE2048},
	} {
		d, err := newDHEParams(c.p.Bytes(), []byte{2}, []byte{2}, 0)
		if err != nil || d.known != c.known || d.named != c.named {
			t.Errorf("%s: %+v, %v", c.known, d, err)
		}
	}
}
