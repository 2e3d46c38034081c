package certgen

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tlstrace/tlstrace/internal/certio"
)

// jobStep returns the step of a Job's error, failing the test when err is
// no *Error.
func jobStep(t *testing.T, err error) Step {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is no *certgen.Error", err, err)
	}
	return e.Step
}

func readPEMCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s holds no PEM", name)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJobCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }

	ca := Job{Config: Config{CommonName: "Job CA", Profile: ProfileCA, PathLen: -1}, KeyType: "p256", Days: 1,
		Out: at("ca.pem"), KeyOut: at("ca.key")}
	if _, err := ca.Certificate(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(at("ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("CA key: %v, mode %v; want 0600", err, fi.Mode())
	}

	srv := Job{Config: Config{CommonName: "srv", SANs: []string{"srv.test"}, Profile: ProfileServer}, KeyType: "p256", Days: 1,
		CACert: at("ca.pem"), CAKey: at("ca.key"), Out: at("srv.pem"), KeyOut: at("srv.key"), P12: at("srv.p12"), Pass: "pw"}
	m, err := srv.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if m.NoServerName || m.CommonName != "srv" {
		t.Errorf("made %+v; want srv with a name", m)
	}
	if err := readPEMCert(t, at("srv.pem")).CheckSignatureFrom(readPEMCert(t, at("ca.pem"))); err != nil {
		t.Errorf("the CA's signature: %v", err)
	}
	p12, err := os.ReadFile(at("srv.p12"))
	if err != nil {
		t.Fatal(err)
	}
	if tc, err := certio.PKCS12Certificate(p12, "pw"); err != nil || len(tc.Certificate) != 2 {
		t.Errorf("PKCS #12 file: %v, %d certificates; want leaf and CA", err, len(tc.Certificate))
	}

	// A file that exists refuses the job before anything is made: the new
	// key is not written either.
	again := srv
	again.KeyOut = at("other.key")
	_, err = again.Certificate()
	var e *Error
	if !errors.As(err, &e) || e.Step != StepWrite || e.Name != at("srv.pem") || !errors.Is(err, os.ErrExist) {
		t.Errorf("existing output: %v; want a StepWrite error for srv.pem matching os.ErrExist", err)
	}
	if _, err := os.Stat(at("other.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused job wrote its key (%v)", err)
	}

	// Without a name, a server certificate is still written, and said.
	var out bytes.Buffer
	bare := Job{Config: Config{CommonName: "bare", Profile: ProfileServer}, KeyType: "p256", Days: 1, KeyOut: at("bare.key")}
	bare.Files.Stdout = &out
	if m, err := bare.Certificate(); err != nil || !m.NoServerName || m.CommonName != "bare" {
		t.Errorf("no SAN: %+v, %v; want NoServerName", m, err)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("standard output %q; want the PEM certificate", out.String())
	}
}

func TestJobSignRequest(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	ca := Job{Config: Config{CommonName: "CA", Profile: ProfileCA, PathLen: -1}, KeyType: "p256", Days: 1, Out: at("ca.pem"), KeyOut: at("ca.key")}
	if _, err := ca.Certificate(); err != nil {
		t.Fatal(err)
	}
	req := Job{Config: Config{CommonName: "req", SANs: []string{"req.test"}}, KeyType: "ed25519", Out: at("req.csr"), KeyOut: at("req.key")}
	if m, err := req.Request(); err != nil || m.NoServerName {
		t.Fatalf("request: %+v, %v", m, err)
	}

	noKey := Job{Config: Config{CommonName: "x"}, KeyType: "p256", KeyOut: at("x.key"), CACert: at("ca.pem")}
	if _, err := noKey.Certificate(); !errors.Is(err, ErrNoIssuerKey) || jobStep(t, err) != StepSettings {
		t.Errorf("an issuer without its key: %v; want ErrNoIssuerKey", err)
	}
	if _, err := (&Job{}).Sign(at("req.csr")); !errors.Is(err, ErrNoIssuer) || jobStep(t, err) != StepSettings {
		t.Errorf("sign without an issuer: %v; want ErrNoIssuer", err)
	}
	if _, err := (&Job{CACert: at("ca.pem"), CAKey: at("ca.key")}).Sign(at("ca.pem")); jobStep(t, err) != StepRead {
		t.Errorf("a certificate given as the request: %v; want StepRead", err)
	}
	// The certificate is written before the PKCS #12 file is refused: a
	// signed request leaves no key at hand.
	sign := Job{Days: 1, CACert: at("ca.pem"), CAKey: at("ca.key"), Out: at("req.pem"), P12: at("req.p12")}
	m, err := sign.Sign(at("req.csr"))
	if !errors.Is(err, ErrNoP12Key) || jobStep(t, err) != StepSettings {
		t.Errorf("sign with a PKCS #12 file: %v; want ErrNoP12Key", err)
	}
	if c := readPEMCert(t, at("req.pem")); c.Subject.CommonName != "req" || len(c.DNSNames) != 1 || m.CommonName != "req" {
		t.Errorf("signed: subject %v, names %v, made %+v", c.Subject, c.DNSNames, m)
	}
}

func TestJobSettingsAndInputs(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(at("junk"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		job  Job
		step Step
		is   error
	}{
		{"no subject", Job{KeyType: "p256", KeyOut: at("k")}, StepSettings, ErrNoSubject},
		{"no key file", Job{Config: Config{CommonName: "x"}, KeyType: "p256"}, StepSettings, ErrNoKeyOut},
		{"issuer unreadable", Job{Config: Config{CommonName: "x"}, KeyType: "p256", KeyOut: at("k"), CACert: at("ca.pem")}, StepRead, os.ErrNotExist},
		{"unknown key type", Job{Config: Config{CommonName: "x"}, KeyType: "dsa", KeyOut: at("k")}, StepSettings, nil},
		{"existing key unreadable", Job{Config: Config{CommonName: "x"}, KeyFile: at("junk")}, StepRead, nil},
		{"key to standard output", Job{Config: Config{CommonName: "x"}, KeyType: "p256", KeyOut: "-", Files: certio.Files{Stdout: &bytes.Buffer{}}}, StepWrite, certio.ErrPrivateToStdout},
		{"Ed448 in PKCS #12", Job{Config: Config{CommonName: "x"}, KeyType: "ed448", KeyOut: at("ed.key"), Out: at("ed.pem"), P12: at("ed.p12")}, StepPKCS12, nil},
	} {
		_, err := c.job.Certificate()
		if step := jobStep(t, err); step != c.step || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: %v (step %d); want step %d matching %v", c.name, err, step, c.step, c.is)
		}
	}
}
