package scan

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
	"golang.org/x/crypto/ocsp"
)

// revokedServer writes a CA, an RSA leaf it issued for the loopback
// address, and an OCSP response of the CA that says the leaf is revoked;
// it returns the CA and the files: leaf, key, CA and response.
func revokedServer(t *testing.T) (ca *x509.Certificate, leafFile, keyFile, caFile, staple string) {
	t.Helper()
	return stapledServer(t, ocsp.Revoked)
}

// stapledServer is revokedServer with an OCSP response of the status
// given (ocsp.Good, ocsp.Revoked).
func stapledServer(t *testing.T, status int) (ca *x509.Certificate, leafFile, keyFile, caFile, staple string) {
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
	resp, err := ocsp.CreateResponse(ca, ca, ocsp.Response{Status: status, SerialNumber: leafTmpl.SerialNumber,
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

// TestScanStapleIssuerNotSent: openssl s_server staples a good response
// for its leaf, sent alone or with the CA that issued it after it. curl
// --cert-status refuses the first (exit 91: it looks for the issuer
// only among the certificates the server sent, though the CA is
// trusted) and accepts the second; the scan says so, with a bad-staple
// finding for the leaf sent alone, and none with the CA sent.
func TestScanStapleIssuerNotSent(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	ca, leafFile, keyFile, caFile, staple := stapledServer(t, ocsp.Good)
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"leaf alone", nil, false},
		{"leaf and CA", []string{"-cert_chain", caFile}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := sServerFiles(t, leafFile, keyFile, append([]string{"-www", "-status_file", staple}, tc.args...)...)
			var ee *exec.ExitError
			out, err := exec.Command("curl", "-sS", "-o", os.DevNull, "-m", "10", "--cacert", caFile, "--cert-status", "https://"+addr+"/").CombinedOutput()
			if tc.ok && err != nil || !tc.ok && (!errors.As(err, &ee) || ee.ExitCode() != 91) {
				t.Fatalf("curl --cert-status: %v, want exit 0 %v or 91:\n%s", err, tc.ok, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r, err := Scan(ctx, Options{Addr: addr, Timeout: 5 * time.Second, Roots: []*x509.Certificate{ca}})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Chains) == 0 {
				t.Fatal("no chain")
			}
			for _, cc := range r.Chains {
				st := cc.StapleStatus()
				switch {
				case len(cc.Staple) == 0:
					t.Errorf("%s chain (%s): no staple", cc.KeyType, wire.VersionName(cc.Version))
				case tc.ok && st.Text != "good", !tc.ok && (!st.IssuerNotSent || !st.Refused || st.Text != chain.StapleIssuerNotSent || !st.Issuer.Equal(ca)):
					t.Errorf("%s chain (%s): status %+v", cc.KeyType, wire.VersionName(cc.Version), st)
				}
			}
			i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "bad-staple" })
			switch {
			case tc.ok && i >= 0:
				t.Errorf("finding %+v", r.Findings[i])
			case !tc.ok && i < 0:
				t.Errorf("findings %v lack bad-staple", r.Findings)
			case !tc.ok:
				f := r.Findings[i]
				if f.Severity != Low || !strings.Contains(f.Cause, `without the certificate of its issuer "CN=scan test CA"`) || !strings.Contains(f.Cause, "curl") || !strings.Contains(f.Cause, "OpenSSL") ||
					!strings.HasPrefix(f.Fix, `the server must send the certificate of its issuer "CN=scan test CA" after its own`) {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
