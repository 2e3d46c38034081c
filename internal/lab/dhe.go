package lab

import (
	"context"
	"math/big"
	"net"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/handshake"
)

// oakley2 is the 1024-bit MODP group 2 of RFC 2409, Section 6.2
// (generator 2): the group of many servers Logjam found ("Imperfect
// Forward Secrecy", CCS 2015), within reach of a nation-state's
// precomputation.
var oakley2, _ = new(big.Int).SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)

// dheFaults adds the servers on the project's own engine, for what
// crypto/tls cannot serve: dhe-1024, DHE with the 1024-bit Oakley group 2
// and no other key exchange.
func (l *Lab) dheFaults(good certgen.Config) error {
	key, err := certgen.GenerateKey("rsa2048")
	if err != nil {
		return err
	}
	der, _, err := leaf(good, key, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	l.faults["dhe-1024"] = &Fault{Name: "dhe-1024", Kind: KindProtocol, Exit: ExitTLS,
		Fault: "the server's only key exchange is DHE with a 1024-bit group (Logjam)",
		own: &handshake.Config{Certificates: []handshake.Certificate{{Chain: [][]byte{der}, Key: key}}, MaxVersion: handshake.VersionTLS12,
			MinVersion: handshake.VersionTLS12, CipherSuites: []uint16{0x009E, 0x009F}, DHPrime: oakley2, ALPN: []string{"http/1.1"}}}
	return nil
}

// serveOwn serves c with the own engine's server, then the index page.
func (s *Server) serveOwn(c net.Conn, index func() []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	hc := handshake.Server(c, s.own)
	if err := hc.HandshakeContext(ctx); err != nil {
		return
	}
	serveHTTP(hc, index)
}
