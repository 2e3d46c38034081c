package certgen

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
)

// TestIssueEveryKeyType makes a CA and a leaf of every key type (and an
// Ed448 CA over a P-256 leaf and the other way round) and verifies the
// chain with the explainer, which checks Ed448 signatures itself.
func TestIssueEveryKeyType(t *testing.T) {
	pairs := [][2]string{{"ed448", "p256"}, {"p256", "ed448"}}
	for _, kt := range KeyTypes {
		if kt == "rsa4096" || kt == "rsa3072" {
			continue // slow to generate; the command tests cover them
		}
		pairs = append(pairs, [2]string{kt, kt})
	}
	now := time.Now()
	for _, p := range pairs {
		t.Run(p[0]+"/"+p[1], func(t *testing.T) {
			caKey, err := GenerateKey(p[0])
			if err != nil {
				t.Fatal(err)
			}
			caTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "CA " + p[0]}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
				IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
			caDER, err := CreateCertificate(caTmpl, caTmpl, caKey.Public(), caKey)
			if err != nil {
				t.Fatal(err)
			}
			ca, err := x509.ParseCertificate(caDER)
			if err != nil {
				t.Fatal(err)
			}
			key, err := GenerateKey(p[1])
			if err != nil {
				t.Fatal(err)
			}
			leafTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
				KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			if err := AddSANs(leafTmpl, []string{"localhost", "IP:127.0.0.1", "ops@example.test", "URI:spiffe://test/x"}); err != nil {
				t.Fatal(err)
			}
			der, err := CreateCertificate(leafTmpl, ca, key.Public(), caKey)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if len(leaf.DNSNames) != 1 || len(leaf.IPAddresses) != 1 || len(leaf.EmailAddresses) != 1 || len(leaf.URIs) != 1 {
				t.Errorf("SANs %v %v %v %v", leaf.DNSNames, leaf.IPAddresses, leaf.EmailAddresses, leaf.URIs)
			}
			r := chain.Verify(leaf, chain.Options{Roots: []*x509.Certificate{ca}, Name: "localhost", Thorough: true})
			if !r.Valid {
				t.Fatalf("not valid: %s", r.Cause)
			}
			// A CSR for the same key carries its signature.
			csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}}, key)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := x509.ParseCertificateRequest(csrDER)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := CSRPublicKey(csr); err != nil {
				t.Errorf("CSR: %v", err)
			}
		})
	}
}
