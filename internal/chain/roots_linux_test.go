package chain

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestSystemPool checks that the roots loaded here are those crypto/x509
// loads, certificate for certificate, on this system and on a made-up one
// ($SSL_CERT_FILE and $SSL_CERT_DIR) with every case its loader tells
// apart: copies in the bundle and the directory, a link to a file of the
// same directory, blocks of other types or with headers, a file that is
// not PEM; and that where crypto/x509 reports an error, its loading
// decides. crypto/x509 loads once per process, so each case runs in a
// process of its own.
func TestSystemPool(t *testing.T) {
	if os.Getenv("TLSTRACE_ROOTS_CHILD") != "" {
		compareWithX509(t)
		return
	}
	dir := t.TempDir()
	pemOf := func(name string) []byte {
		c := tlstest.SelfSigned(t, tlstest.NewKey(t, false), name)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})
	}
	a, b, c, d := pemOf("a.test"), pemOf("b.test"), pemOf("c.test"), pemOf("d.test")
	headers := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{0x30, 0}})
	trusted := []byte("-----BEGIN TRUSTED CERTIFICATE-----\nMAA=\n-----END TRUSTED CERTIFICATE-----\n")
	certs := filepath.Join(dir, "certs")
	write := func(name string, parts ...[]byte) {
		if err := os.WriteFile(name, slices.Concat(parts...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, "bundle.pem"), a, b, headers)
	write(filepath.Join(certs, "a.pem"), a)
	write(filepath.Join(certs, "c.pem"), c, trusted)
	write(filepath.Join(certs, "notes.txt"), []byte("not a certificate\n"))
	write(filepath.Join(dir, "d.pem"), d)
	if err := os.Symlink("c.pem", filepath.Join(certs, "1234abcd.0")); err != nil {
		t.Fatal(err)
	}
	// A link to another directory is read: d.pem is in the pool.
	if err := os.Symlink(filepath.Join(dir, "d.pem"), filepath.Join(certs, "d.pem")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"system", nil},
		{"made-up", []string{"SSL_CERT_FILE=" + filepath.Join(dir, "bundle.pem"), "SSL_CERT_DIR=" + certs + ":" + filepath.Join(dir, "none")}},
		{"no bundle", []string{"SSL_CERT_FILE=" + filepath.Join(dir, "none.pem"), "SSL_CERT_DIR=" + certs}},
		{"unreadable", []string{"SSL_CERT_FILE=" + certs, "SSL_CERT_DIR=" + filepath.Join(dir, "none")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSystemPool$", "-test.v")
			cmd.Env = append(os.Environ(), append(tc.env, "TLSTRACE_ROOTS_CHILD=1")...)
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// compareWithX509 compares the pool loaded here with crypto/x509's.
func compareWithX509(t *testing.T) {
	pool, certs, ok := loadSystemPool()
	sys, err := x509.SystemCertPool()
	if !ok {
		if err == nil {
			t.Fatal("the roots could not be loaded here, and crypto/x509 loaded them")
		}
		t.Logf("both fail: crypto/x509 says %v", err)
		return
	}
	if err != nil {
		t.Fatalf("crypto/x509: %v; loaded here: %d certificates", err, len(certs))
	}
	var ours [][]byte
	for _, c := range certs {
		ours = append(ours, c.RawSubject)
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: c.NotBefore, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil && !errors.As(err, new(x509.CertificateInvalidError)) {
			t.Errorf("%s is not a root of the pool: %v", c.Subject, err)
		}
	}
	//lint:ignore SA1019 on Linux the system pool lists its subjects
	theirs := sys.Subjects()
	slices.SortFunc(ours, func(a, b []byte) int { return slices.Compare(a, b) })
	slices.SortFunc(theirs, func(a, b []byte) int { return slices.Compare(a, b) })
	if len(ours) == 0 || !slices.EqualFunc(ours, theirs, slices.Equal) {
		t.Fatalf("%d roots loaded here, %d by crypto/x509", len(ours), len(theirs))
	}
	t.Logf("%d roots, as crypto/x509's", len(ours))
}

// BenchmarkLoadRoots measures loading the system's roots here.
func BenchmarkLoadRoots(b *testing.B) {
	for b.Loop() {
		if _, _, ok := loadSystemPool(); !ok {
			b.Fatal("no roots")
		}
	}
}
