package chain

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
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
	// A root that another root issued: trusted as it is, not through a.
	aKey := tlstest.NewKey(t, false)
	aCA := tlstest.Issue(t, certgen.Config{CommonName: "a CA", Profile: certgen.ProfileCA, PathLen: -1, Key: aKey})
	issued := tlstest.Issue(t, certgen.Config{CommonName: "e.test", Key: tlstest.NewKey(t, false), Issuer: aCA, IssuerKey: aKey})
	e := slices.Concat(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: aCA.Raw}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: issued.Raw}))
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
	write(filepath.Join(dir, "bundle.pem"), a, b, headers, e)
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

// compareWithX509 compares the roots read here with crypto/x509's pool.
func compareWithX509(t *testing.T) {
	ix := systemRoots()
	sys, err := x509.SystemCertPool()
	if ix == nil {
		if err == nil {
			t.Fatal("the roots could not be read here, and crypto/x509 loaded them")
		}
		t.Logf("both fail: crypto/x509 says %v", err)
		return
	}
	certs := ix.all()
	if err != nil {
		t.Fatalf("crypto/x509: %v; read here: %d certificates", err, len(certs))
	}
	var ours [][]byte
	for _, c := range certs {
		ours = append(ours, c.RawSubject)
	}
	//lint:ignore SA1019 on Linux the system pool lists its subjects
	theirs := sys.Subjects()
	slices.SortFunc(ours, func(a, b []byte) int { return slices.Compare(a, b) })
	slices.SortFunc(theirs, func(a, b []byte) int { return slices.Compare(a, b) })
	if len(ours) == 0 || !slices.EqualFunc(ours, theirs, slices.Equal) {
		t.Fatalf("%d roots read here, %d by crypto/x509", len(ours), len(theirs))
	}
	t.Logf("%d roots, as crypto/x509's", len(ours))
	// Each root verified as a leaf.
	var chains [][]*x509.Certificate
	for _, c := range certs {
		chains = append(chains, []*x509.Certificate{c})
	}
	sameVerdicts(t, chains)
}

// TestPoolFor checks that verifying with the roots poolFor picks gives
// crypto/x509's verdict with all the system's roots, error text included:
// for every root sent as the leaf, for a chain of an unknown CA, and for
// certificates that name a system root as their issuer and are signed by
// another key (crypto/x509 then tries the root and says so).
func TestPoolFor(t *testing.T) {
	ix := systemRoots()
	if ix == nil {
		t.Skip("crypto/x509 loads this system's roots itself")
	}
	roots := ix.all()
	if len(roots) == 0 {
		t.Skip("this system has no trusted roots")
	}
	key := tlstest.NewKey(t, false)
	ca := tlstest.Issue(t, certgen.Config{Key: key, CommonName: "Unknown CA", Profile: certgen.ProfileCA, PathLen: -1})
	var leaves [][]*x509.Certificate
	for _, r := range roots {
		leaves = append(leaves, []*x509.Certificate{r})
	}
	leaves = append(leaves, []*x509.Certificate{tlstest.Issue(t, certgen.Config{CommonName: "leaf.test", Key: tlstest.NewKey(t, false), Issuer: ca, IssuerKey: key}), ca})
	for _, r := range roots[:min(len(roots), 5)] {
		// The root's name and key ID on the parent, another key in it.
		parent := &x509.Certificate{RawSubject: r.RawSubject, SubjectKeyId: r.SubjectKeyId, PublicKey: key.Public()}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "forged.test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		forged, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, []*x509.Certificate{forged})
	}
	sameVerdicts(t, leaves)
}

// sameVerdicts verifies each chain (a leaf, then intermediates) with the
// roots poolFor picks and with crypto/x509's system pool, and compares
// the chains found and the errors.
func sameVerdicts(t *testing.T, chains [][]*x509.Certificate) {
	for _, chain := range chains {
		leaf := chain[0]
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		at := leaf.NotBefore.Add(time.Minute)
		vo := x509.VerifyOptions{Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
		want, werr := leaf.Verify(vo)
		vo.Roots = Options{}.poolFor(chain...)
		got, gerr := leaf.Verify(vo)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || subjects(got) != subjects(want) {
			t.Errorf("%s: %s, %v; with all the roots %s, %v", leaf.Subject, subjects(got), gerr, subjects(want), werr)
		}
	}
}

// subjects writes the subjects of chains.
func subjects(chains [][]*x509.Certificate) string {
	var s []string
	for _, ch := range chains {
		var names []string
		for _, c := range ch {
			names = append(names, c.Subject.String())
		}
		s = append(s, fmt.Sprint(names))
	}
	return fmt.Sprint(s)
}

// BenchmarkLoadRoots measures reading and indexing the system's roots.
func BenchmarkLoadRoots(b *testing.B) {
	for b.Loop() {
		files, ok := systemRootFiles()
		if !ok {
			b.Fatal("no roots")
		}
		indexPEM(files)
	}
}
