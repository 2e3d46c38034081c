package certgen

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/setting"
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
	if m.NoServerName || m.CommonName != "srv" || !m.IssuerNotAfter.IsZero() {
		t.Errorf("made %+v; want srv with a name, within its issuer's validity", m)
	}
	// A certificate valid after its issuer expires is said.
	long := Job{Config: Config{CommonName: "long", SANs: []string{"long.test"}, Profile: ProfileServer}, KeyType: "p256", Days: 30,
		CACert: at("ca.pem"), CAKey: at("ca.key"), Out: at("long.pem"), KeyOut: at("long.key")}
	if m, err := long.Certificate(); err != nil || !m.IssuerNotAfter.Equal(readPEMCert(t, at("ca.pem")).NotAfter) || m.Issuer != "CN=Job CA" {
		t.Errorf("a leaf of 30 days under a CA of 1: %+v, %v; want the CA's end of validity", m, err)
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

	noKey := Job{Config: Config{CommonName: "x"}, Days: 1, KeyType: "p256", KeyOut: at("x.key"), CACert: at("ca.pem")}
	if _, err := noKey.Certificate(); !errors.Is(err, ErrNoIssuerKey) || jobStep(t, err) != StepSettings {
		t.Errorf("an issuer without its key: %v; want ErrNoIssuerKey", err)
	}
	if _, err := (&Job{}).Sign(at("req.csr")); !errors.Is(err, ErrNoIssuer) || jobStep(t, err) != StepSettings {
		t.Errorf("sign without an issuer: %v; want ErrNoIssuer", err)
	}
	if _, err := (&Job{CACert: at("ca.pem"), CAKey: at("ca.key")}).Sign(at("ca.pem")); jobStep(t, err) != StepRead {
		t.Errorf("a certificate given as the request: %v; want StepRead", err)
	}
	sign := Job{Days: 1, CACert: at("ca.pem"), CAKey: at("ca.key"), Out: at("req.pem")}
	m, err := sign.Sign(at("req.csr"))
	if err != nil {
		t.Fatal(err)
	}
	if c := readPEMCert(t, at("req.pem")); c.Subject.CommonName != "req" || len(c.DNSNames) != 1 || m.CommonName != "req" {
		t.Errorf("signed: subject %v, names %v, made %+v", c.Subject, c.DNSNames, m)
	}
}

// TestJobRefusedWritesNothing: a job refused for its outputs, or for a
// PKCS #12 file it cannot make, writes no file and nothing to standard
// output, not even the certificate that could be made.
func TestJobRefusedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	ca := Job{Config: Config{CommonName: "CA", Profile: ProfileCA, PathLen: -1}, KeyType: "p256", Days: 1, Out: at("ca.pem"), KeyOut: at("ca.key")}
	if _, err := ca.Certificate(); err != nil {
		t.Fatal(err)
	}
	req := Job{Config: Config{CommonName: "req", SANs: []string{"req.test"}}, KeyType: "p256", Out: at("req.csr"), KeyOut: at("req.key")}
	if _, err := req.Request(); err != nil {
		t.Fatal(err)
	}
	ed := Job{KeyType: "ed448", KeyOut: at("ed.key")}
	if err := ed.Key(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := Config{CommonName: "n", SANs: []string{"n.test"}}
	for _, c := range []struct {
		name    string
		run     func(j *Job) error
		job     Job
		step    Step
		is      error
		setting string
	}{
		{"new key to standard output", certificate, Job{Config: leaf, Days: 1, KeyType: "p256", KeyOut: "-"}, StepSettings, certio.ErrPrivateToStdout, "KeyOut"},
		{"PKCS #12 to standard output", certificate, Job{Config: leaf, Days: 1, KeyType: "p256", KeyOut: at("n.key"), P12: "-"}, StepSettings, certio.ErrPrivateToStdout, "P12"},
		{"request's key to standard output", request, Job{Config: leaf, Days: 1, KeyType: "p256", KeyOut: "-"}, StepSettings, certio.ErrPrivateToStdout, "KeyOut"},
		{"key over the certificate", certificate, Job{Config: leaf, Days: 1, KeyType: "p256", Out: at("n.pem"), KeyOut: at("n.pem")}, StepSettings, ErrSameFile, "KeyOut"},
		{"PKCS #12 over the key", certificate, Job{Config: leaf, Days: 1, KeyType: "p256", Out: at("n.pem"), KeyOut: at("n.key"), P12: dir + "/./n.key"}, StepSettings, ErrSameFile, "P12"},
		{"request over its key", request, Job{Config: leaf, Days: 1, KeyType: "p256", Out: at("n.key"), KeyOut: at("n.key")}, StepSettings, ErrSameFile, "KeyOut"},
		{"signed request in PKCS #12", func(j *Job) error { _, err := j.Sign(at("req.csr")); return err },
			Job{Days: 1, CACert: at("ca.pem"), CAKey: at("ca.key"), P12: at("n.p12")}, StepSettings, ErrNoP12Key, ""},
		{"Ed448 key in PKCS #12", certificate, Job{Config: leaf, Days: 1, KeyFile: at("ed.key"), P12: at("n.p12")}, StepPKCS12, nil, ""},
		{"Ed448 key of an issuer's PKCS #12", certificate, Job{Config: leaf, Days: 1, KeyType: "ed448", KeyOut: at("n.key"), CACert: at("ca.pem"), CAKey: at("ca.key"), P12: at("n.p12")}, StepPKCS12, nil, ""},
	} {
		var out bytes.Buffer
		c.job.Files.Stdout = &out
		err := c.run(&c.job)
		var se *setting.Error
		if step := jobStep(t, err); step != c.step || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: %v (step %d); want step %d matching %v", c.name, err, step, c.step, c.is)
		} else if c.setting != "" && (!errors.As(err, &se) || se.Name != c.setting) {
			t.Errorf("%s: %v; want a *setting.Error for %s", c.name, err, c.setting)
		}
		if out.Len() > 0 {
			t.Errorf("%s: wrote %q to standard output", c.name, out.String())
		}
		if after, _ := os.ReadDir(dir); len(after) != len(before) {
			t.Errorf("%s: wrote a file: %d in the directory, %d before", c.name, len(after), len(before))
		}
	}
}

func certificate(j *Job) error { _, err := j.Certificate(); return err }

func request(j *Job) error { _, err := j.Request(); return err }

// TestJobPKCS12Issuer: the issuer's certificate and key are read from one
// PKCS #12 file opened with CAPass, or from a PEM file holding both; a
// wrong password is a StepRead error matching certio.ErrWrongPassword.
func TestJobPKCS12Issuer(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	ca := Job{Config: Config{CommonName: "P12 CA", Profile: ProfileCA, PathLen: -1}, KeyType: "p256", Days: 1,
		Out: at("ca.pem"), KeyOut: at("ca.key"), P12: at("ca.p12"), Pass: "secret"}
	if _, err := ca.Certificate(); err != nil {
		t.Fatal(err)
	}
	both := at("both.pem")
	var b []byte
	for _, f := range []string{"ca.pem", "ca.key"} {
		data, err := os.ReadFile(at(f))
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, data...)
	}
	if err := os.WriteFile(both, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, file, pass, out string }{
		{"PKCS #12", at("ca.p12"), "secret", at("a.pem")},
		{"PEM certificate and key", both, "", at("b.pem")},
	} {
		j := Job{Config: Config{CommonName: "leaf", SANs: []string{"leaf.test"}, Profile: ProfileServer}, KeyType: "p256", Days: 1,
			CACert: c.file, CAPass: c.pass, Out: c.out, KeyOut: c.out + ".key"}
		if _, err := j.Certificate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if err := readPEMCert(t, c.out).CheckSignatureFrom(readPEMCert(t, at("ca.pem"))); err != nil {
			t.Errorf("%s: the CA's signature: %v", c.name, err)
		}
	}
	// A key that cannot sign (X25519) is refused with the file's name.
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xDER, err := x509.MarshalPKCS8PrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(at("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(at("x.pem"), append(caPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: xDER})...), 0o600); err != nil {
		t.Fatal(err)
	}
	noSign := Job{Config: Config{CommonName: "leaf"}, KeyType: "p256", Days: 1, CACert: at("x.pem"), Out: at("c.pem"), KeyOut: at("c.key")}
	if _, err := noSign.Certificate(); jobStep(t, err) != StepRead || !strings.HasPrefix(err.Error(), at("x.pem")+": ") {
		t.Errorf("an issuer's key that cannot sign: %v; want a StepRead error naming x.pem", err)
	}
	wrong := Job{Config: Config{CommonName: "leaf"}, KeyType: "p256", Days: 1, CACert: at("ca.p12"), CAPass: "", Out: at("c.pem"), KeyOut: at("c.key")}
	_, err = wrong.Certificate()
	var e *Error
	if !errors.As(err, &e) || e.Step != StepRead || e.Name != at("ca.p12") || !errors.Is(err, certio.ErrWrongPassword) {
		t.Errorf("a wrong password: %v; want a StepRead error for ca.p12 matching ErrWrongPassword", err)
	}
	if _, err := os.Stat(at("c.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused job wrote its certificate (%v)", err)
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
		{"no subject", Job{Days: 1, KeyType: "p256", KeyOut: at("k")}, StepSettings, ErrNoSubject},
		{"no key file", Job{Config: Config{CommonName: "x"}, Days: 1, KeyType: "p256"}, StepSettings, ErrNoKeyOut},
		{"issuer unreadable", Job{Config: Config{CommonName: "x"}, Days: 1, KeyType: "p256", KeyOut: at("k"), CACert: at("ca.pem")}, StepRead, os.ErrNotExist},
		{"unknown key type", Job{Config: Config{CommonName: "x"}, Days: 1, KeyType: "dsa", KeyOut: at("k")}, StepSettings, nil},
		{"existing key unreadable", Job{Config: Config{CommonName: "x"}, Days: 1, KeyFile: at("junk")}, StepRead, nil},
		{"key to standard output", Job{Config: Config{CommonName: "x"}, Days: 1, KeyType: "p256", KeyOut: "-", Files: certio.Files{Stdout: &bytes.Buffer{}}}, StepSettings, certio.ErrPrivateToStdout},
		{"Ed448 in PKCS #12", Job{Config: Config{CommonName: "x"}, Days: 1, KeyType: "ed448", KeyOut: at("ed.key"), Out: at("ed.pem"), P12: at("ed.p12")}, StepPKCS12, nil},
	} {
		_, err := c.job.Certificate()
		if step := jobStep(t, err); step != c.step || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: %v (step %d); want step %d matching %v", c.name, err, step, c.step, c.is)
		}
	}
}
