package chain

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

// TestEd448Explained checks that the failures of an Ed448 chain, which
// this package judges, are explained as crypto/x509's are for other keys:
// an expired leaf, a root not given, a self-signed leaf not trusted.
func TestEd448Explained(t *testing.T) {
	for _, keyType := range []string{"ecdsa", "ed448"} {
		leaf, root := cnChain(t, keyType, "ed448.test", func(c *x509.Certificate) { c.DNSNames = []string{"ed448.test"} })
		for _, c := range []struct {
			name  string
			o     Options
			cause string
		}{
			{"expired", Options{Roots: []*x509.Certificate{root}, Name: "ed448.test", At: time.Now().Add(2 * time.Hour)}, `the certificate of "CN=ed448.test" expired on `},
			{"no root", Options{Roots: []*x509.Certificate{}, Name: "ed448.test"}, `no trusted root found: the chain ends at "CN=ed448.test", issued by "CN=Test CA"`},
			{"root not trusted", Options{Roots: []*x509.Certificate{}, Intermediates: []*x509.Certificate{root}, Name: "ed448.test"}, `the chain ends at "CN=Test CA", which is not a trusted CA`},
		} {
			t.Run(keyType+"/"+c.name, func(t *testing.T) {
				r := Verify(leaf, c.o)
				if r.Valid || !strings.HasPrefix(r.Cause, c.cause) || r.Fix == "" {
					t.Errorf("valid %v, cause %q, fix %q; want cause %q… and a fix", r.Valid, r.Cause, r.Fix, c.cause)
				}
			})
		}
	}
}
