package scan

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
	"golang.org/x/crypto/ocsp"
)

// revokedServer writes a CA, an RSA leaf it issued for the loopback
// address, and an OCSP response of the CA that says the leaf is revoked;
// it returns the CA and the files: leaf, key, CA and response.
func revokedServer(t *testing.T) (ca *x509.Certificate, leafFile, keyFile, caFile, staple string) {
	t.Helper()
	caKey, leafKey := tlstest.NewKey(t, false), tlstest.NewKey(t, true)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scan test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(47 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, leafKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.CreateResponse(ca, ca, ocsp.Response{Status: ocsp.Revoked, SerialNumber: leafTmpl.SerialNumber,
		ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour), RevokedAt: now.Add(-time.Minute), RevocationReason: ocsp.KeyCompromise}, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leafFile, keyFile, caFile, staple = filepath.Join(dir, "rsa.pem"), filepath.Join(dir, "rsa.key"), filepath.Join(dir, "ca.pem"), filepath.Join(dir, "rev.der")
	for name, b := range map[string][]byte{
		leafFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}),
		caFile:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		staple:   resp,
	} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ca, leafFile, keyFile, caFile, staple
}

// TestScanRevokedStaple: openssl s_server staples a response that says
// its leaf is revoked. In TLS 1.2 it comes in the CertificateStatus
// after the chain; with the leaf sent alone, its issuer is the CA given
// as trusted. Either way the scan finds the certificate revoked.
func TestScanRevokedStaple(t *testing.T) {
	ca, leafFile, keyFile, caFile, staple := revokedServer(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"TLS 1.2 with the CA in the chain", []string{"-cert_chain", caFile, "-no_tls1_3"}},
		{"leaf alone", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := sServerFiles(t, leafFile, keyFile, append([]string{"-www", "-status_file", staple}, tc.args...)...)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r, err := Scan(ctx, Options{Addr: addr, Timeout: 5 * time.Second, Roots: []*x509.Certificate{ca}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "revoked" }) {
				t.Errorf("findings %v lack revoked", r.Findings)
			}
			if r.Grade != "F" {
				t.Errorf("grade %q, want F", r.Grade)
			}
			for _, cc := range r.Chains {
				if st := cc.StapleStatus(); len(cc.Staple) == 0 || !st.Revoked || !st.Issuer.Equal(ca) {
					t.Errorf("%s chain (%s): staple of %d bytes, status %q", cc.KeyType, wire.VersionName(cc.Version), len(cc.Staple), st.Text)
				}
			}
		})
	}
}
