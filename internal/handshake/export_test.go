package handshake

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestExportSuitesExplicit checks that export suites are neither offered
// nor served unless Config.CipherSuites names them, and that a server whose
// RSA key is longer than 512 bits does not serve them (it would need a
// temporary key in a ServerKeyExchange, which the engine does not make).
// cmd/tlstrace's TestReadEngineExport runs them with a 512-bit key.
func TestExportSuitesExplicit(t *testing.T) {
	for _, list := range [][]uint16{defaultCipherSuites12, defaultTLS12Suites} {
		for _, id := range list {
			if s, ok := tlscrypt.SuiteByID(id); ok && s.ExportKeyLen > 0 {
				t.Errorf("%s is in a default list", s.Name)
			}
		}
	}
	key := tlstest.NewKey(t, true)
	cert := tlstest.SelfSigned(t, key, "localhost")
	addr := engineServer(t, &Config{
		MinVersion: VersionTLS12, MaxVersion: VersionTLS12, CipherSuites: []uint16{0x0003},
		Certificates: []Certificate{{Chain: cert.Certificate, Key: key}},
	})
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := Client(raw, &Config{ServerName: "localhost", MinVersion: VersionTLS12, MaxVersion: VersionTLS12, CipherSuites: []uint16{0x0003}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = c.HandshakeContext(ctx)
	var alert *AlertError
	if !errors.As(err, &alert) || alert.Sent || alert.Alert != uint8(wire.AlertHandshakeFailure) {
		t.Fatalf("an export suite with a 2048-bit server key: %v, want a handshake_failure alert", err)
	}
}
