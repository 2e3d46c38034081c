package certgen

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestLocalhost(t *testing.T) {
	root, cert, err := Localhost("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if root.Subject.CommonName != "test CA" || !root.IsCA || root.CheckSignatureFrom(root) != nil {
		t.Fatalf("root %v is not a self-signed CA", root.Subject)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.SerialNumber.Cmp(root.SerialNumber) == 0 || leaf.SerialNumber.BitLen() < 64 {
		t.Errorf("serials %v and %v", root.SerialNumber, leaf.SerialNumber)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
