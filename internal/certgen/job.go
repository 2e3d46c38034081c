package certgen

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/setting"
)

// Job is one run of a certificate command: what to make (Config), where
// its keys come from, and the files it is written to. Every file about to
// be written is checked before anything is made, and everything is made
// before the first file is written, so that a refused job writes nothing,
// to files or to standard output (not even a new key).
type Job struct {
	Config
	// KeyType is the type of a new key (KeyTypes); KeyFile names an
	// existing key to use instead of making one.
	KeyType, KeyFile string
	// Days, NotBefore and NotAfter give the validity as SetValidity takes
	// them.
	Days                int
	NotBefore, NotAfter string
	// CACert and CAKey name the issuer's certificate and key files; without
	// CACert the certificate is self-signed. CACert may be a PKCS #12 file,
	// opened with CAPass; without CAKey, the key CACert holds (PKCS #12 or
	// PEM) signs, as openssl's -CA without -CAkey.
	CACert, CAKey, CAPass string
	// Out names the file of the certificate or request ("" or "-":
	// Files.Stdout), KeyOut that of a new key (mode 0600; it is written
	// only once the rest worked), P12 that of a PKCS #12 file holding the
	// certificate, the issuer's chain and the key, encrypted with Pass.
	Out, KeyOut, P12, Pass string
	Files                  certio.Files
}

// Step is the part of a Job that failed.
type Step int

const (
	// StepSettings is a Job's settings that cannot be used together or at
	// all; nothing was read or written.
	StepSettings Step = iota
	// StepRead is a file the Job names that cannot be read or used.
	StepRead
	// StepWrite is a file that cannot be written, or is not overwritten.
	StepWrite
	// StepMake is making a key, request or certificate.
	StepMake
	// StepPKCS12 is encoding the PKCS #12 file, which cannot carry every
	// key (not Ed448).
	StepPKCS12
)

// Error is a Job's failure: its step and, for a file, its name. Its text
// is Err's.
type Error struct {
	Step Step
	// Name is the file read or written ("" or "-": standard output).
	Name string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errors of a Job's settings (StepSettings).
var (
	// ErrNoIssuer is a request to sign without an issuer's certificate
	// and key.
	ErrNoIssuer = errors.New("certgen: a request is signed by an issuer's certificate and key")
	// ErrNoIssuerKey is an issuer's certificate without its key.
	ErrNoIssuerKey = errors.New("certgen: the issuer's certificate needs its key")
	// ErrNoKeyOut is a new key without a file to write it to.
	ErrNoKeyOut = errors.New("certgen: the new private key needs a file")
	// ErrNoP12Key is a PKCS #12 file asked for where the key is not at
	// hand (signing a request).
	ErrNoP12Key = errors.New("certgen: a PKCS #12 file needs the private key")
	// ErrSameFile is an output that names the same file as another one; it
	// comes wrapped in a *setting.Error naming the later output (Out,
	// KeyOut or P12).
	ErrSameFile = errors.New("the same file as another output")
	// ErrCAPassWithoutCA is a password for the issuer's file without
	// that file: it would open nothing.
	ErrCAPassWithoutCA = errors.New("certgen: the issuer's password without the issuer's file")
)

// Made says what a Job wrote, also when it then failed.
type Made struct {
	// CommonName is the subject's common name of the request or
	// certificate written.
	CommonName string
	// NoServerName is set when what was written may serve TLS but names
	// no DNS name nor IP address (ServerWithoutName).
	NoServerName bool
	// IssuerNotAfter is set when the certificate is valid after its
	// issuer expires, to the issuer's end of validity: from then on no
	// chain through the issuer verifies.
	IssuerNotAfter time.Time
	// IssuerExpired is set when the issuer had already expired when the
	// certificate was issued: no chain through it verifies now.
	IssuerExpired bool
	// IssuerNoCAs is set when the certificate is a CA's and its issuer
	// may not certify CAs (pathLenConstraint 0): no chain through the
	// new CA verifies.
	IssuerNoCAs bool
	// Issuer names that issuer.
	Issuer string
	// Dropped is what the request signed asked for that the
	// certificate does not carry (see Config.Request).
	Dropped []Dropped
	// Names are the DNS names written that verifiers refuse to match, or
	// public CAs to issue (NameWarnings).
	Names []NameWarning
	// UnknownCritical are the OIDs of the critical extensions copied
	// from the request signed that crypto/x509 does not know: it
	// refuses the certificate, as a verifier must refuse a critical
	// extension it does not know (RFC 5280, Section 4.2).
	UnknownCritical []string
}

func settingsErr(err error) error { return &Error{Step: StepSettings, Err: err} }

// Key makes a key of KeyType and writes it to KeyOut. With KeyFile, the
// key is read and nothing is written.
func (j *Job) Key() error {
	outs, err := j.newKeyOutput()
	if err != nil {
		return err
	}
	if err := j.check(outs); err != nil {
		return err
	}
	_, der, err := j.loadOrMakeKey()
	if err != nil {
		return err
	}
	return j.writeKey(der)
}

// Request makes a PKCS #10 request for CommonName and SANs, signed by the
// key of KeyFile or a new one, and writes it to Out.
func (j *Job) Request() (Made, error) {
	var names x509.Certificate
	if err := AddSANs(&names, j.SANs); err != nil {
		return Made{}, settingsErr(err)
	}
	outs, err := j.newKeyOutput()
	if err != nil {
		return Made{}, err
	}
	if err := j.check(append([]output{{"Out", j.Out, false}}, outs...)); err != nil {
		return Made{}, err
	}
	k, keyDER, err := j.loadOrMakeKey()
	if err != nil {
		return Made{}, err
	}
	der, err := Request(j.Config, k)
	if err != nil {
		return Made{}, &Error{Step: StepMake, Err: err}
	}
	if err := j.write(j.Out, "CERTIFICATE REQUEST", der, false); err != nil {
		return Made{}, err
	}
	m := Made{CommonName: j.CommonName, NoServerName: ServerWithoutName(&names), Names: NameWarnings(names.DNSNames)}
	return m, j.writeKey(keyDER)
}

// Certificate issues the certificate Config describes for the key of
// KeyFile or a new one, signed by CACert and CAKey or self-signed, and
// writes it to Out (and P12).
func (j *Job) Certificate() (Made, error) {
	return j.issue(nil)
}

// Sign issues a certificate for the request in the file name (PEM or
// DER), with the extensions it asks for that the issuer leaves to it
// (Config.Request), signed by CACert and CAKey.
func (j *Job) Sign(name string) (Made, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return Made{}, &Error{Step: StepRead, Name: name, Err: err}
	}
	req, err := ParseRequest(b)
	if err != nil {
		return Made{}, &Error{Step: StepRead, Name: name, Err: fmt.Errorf("%s: %w", name, err)}
	}
	if j.CACert == "" {
		return Made{}, settingsErr(ErrNoIssuer)
	}
	if len(j.SANs) == 0 {
		// The request's names are copied as they are: each must be one
		// that --san would take.
		if err := checkRequestNames(req); err != nil {
			return Made{}, &Error{Step: StepRead, Name: name, Err: fmt.Errorf("%s: %w", name, err)}
		}
	}
	return j.issue(req)
}

// issue makes a certificate; req, when set, gives the subject, key and
// requested extensions. The certificate, the new key and the PKCS #12
// file are all made before the first of them is written.
func (j *Job) issue(req *x509.CertificateRequest) (Made, error) {
	c := &j.Config
	c.Request = req
	if err := c.SetValidity(time.Now(), j.Days, j.NotBefore, j.NotAfter); err != nil {
		return Made{}, settingsErr(err)
	}
	if err := c.Check(); err != nil {
		return Made{}, settingsErr(err)
	}
	outs := []output{{"Out", j.Out, false}}
	if req == nil {
		keyOut, err := j.newKeyOutput()
		if err != nil {
			return Made{}, err
		}
		outs = append(outs, keyOut...)
	}
	if j.P12 != "" {
		if req != nil {
			return Made{}, settingsErr(ErrNoP12Key)
		}
		outs = append(outs, output{"P12", j.P12, true})
	}
	if err := j.check(outs); err != nil {
		return Made{}, err
	}
	chainCerts, err := j.readIssuer()
	if err != nil {
		return Made{}, err
	}
	var keyDER []byte
	if req == nil {
		if c.Key, keyDER, err = j.loadOrMakeKey(); err != nil {
			return Made{}, err
		}
	}
	der, dropped, err := IssueRequest(*c)
	if se := (*setting.Error)(nil); errors.As(err, &se) {
		// A key usage the key may not have (known only now).
		return Made{}, settingsErr(err)
	}
	if err != nil {
		return Made{}, &Error{Step: StepMake, Err: err}
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return Made{}, &Error{Step: StepMake, Err: err}
	}
	var p12 []byte
	if j.P12 != "" {
		if p12, err = certio.EncodePKCS12(c.Key, leaf, chainCerts, j.Pass); err != nil {
			return Made{}, &Error{Step: StepPKCS12, Name: j.P12, Err: err}
		}
	}
	if err := j.write(j.Out, "CERTIFICATE", der, false); err != nil {
		return Made{}, err
	}
	m := Made{CommonName: leaf.Subject.CommonName, NoServerName: ServerWithoutName(leaf), Dropped: dropped, Names: NameWarnings(leaf.DNSNames)}
	for _, oid := range leaf.UnhandledCriticalExtensions {
		// Only a request's: the issuer's own are ones it knows.
		m.UnknownCritical = append(m.UnknownCritical, oid.String())
	}
	if c.Issuer != nil {
		m.Issuer = dn.Subject(c.Issuer)
		m.IssuerExpired = time.Now().After(c.Issuer.NotAfter)
		if !m.IssuerExpired && leaf.NotAfter.After(c.Issuer.NotAfter) {
			m.IssuerNotAfter = c.Issuer.NotAfter
		}
		m.IssuerNoCAs = leaf.IsCA && c.Issuer.BasicConstraintsValid && c.Issuer.MaxPathLen == 0 && c.Issuer.MaxPathLenZero
	}
	if err := j.writeKey(keyDER); err != nil {
		return m, err
	}
	if p12 == nil {
		return m, nil
	}
	return m, j.write(j.P12, "", p12, true)
}

// readIssuer reads CACert into Config.Issuer and the issuer's key into
// Config.IssuerKey, and returns CACert's certificates (the issuer's
// chain); without CACert, nothing.
func (j *Job) readIssuer() ([]*x509.Certificate, error) {
	if j.CACert == "" {
		if j.CAPass != "" {
			return nil, settingsErr(ErrCAPassWithoutCA)
		}
		return nil, nil
	}
	b, err := certio.ReadFile(j.CACert, j.CAPass)
	if err == nil {
		err = b.NeedCerts(j.CACert)
	}
	if err != nil {
		return nil, &Error{Step: StepRead, Name: j.CACert, Err: err}
	}
	c := &j.Config
	c.Issuer = b.Certs[0]
	switch k, ok := b.Key.(crypto.Signer); {
	case j.CAKey != "":
		if c.IssuerKey, err = readKey(j.CAKey); err != nil {
			return nil, err
		}
	case ok:
		c.IssuerKey = k
	case b.Key != nil:
		return nil, &Error{Step: StepRead, Name: j.CACert, Err: fmt.Errorf("%s: %w", j.CACert, errKeyCannotSign)}
	default:
		return nil, settingsErr(ErrNoIssuerKey)
	}
	if err := CheckIssuer(c.Issuer, c.IssuerKey); err != nil {
		name := j.CACert
		if errors.Is(err, ErrIssuerKeyMismatch) && j.CAKey != "" {
			name = j.CAKey
		}
		return nil, &Error{Step: StepRead, Name: name, Err: fmt.Errorf("%s: %w", name, err)}
	}
	return b.Certs, nil
}

var errKeyCannotSign = errors.New("the key cannot sign")

// loadOrMakeKey reads KeyFile, or makes a key of KeyType and returns its
// PKCS #8 form, which writeKey writes to KeyOut once the rest worked.
func (j *Job) loadOrMakeKey() (crypto.Signer, []byte, error) {
	if j.KeyFile != "" {
		k, err := readKey(j.KeyFile)
		return k, nil, err
	}
	k, err := GenerateKey(j.KeyType)
	if err != nil {
		return nil, nil, settingsErr(err)
	}
	der, err := certio.MarshalPKCS8(k)
	if err != nil {
		return nil, nil, &Error{Step: StepMake, Err: err}
	}
	return k, der, nil
}

func readKey(name string) (crypto.Signer, error) {
	k, err := certio.ReadSigner(name)
	if err != nil {
		return nil, &Error{Step: StepRead, Name: name, Err: err}
	}
	return k, nil
}

// writeKey writes a key made by loadOrMakeKey (nil: none was made).
func (j *Job) writeKey(der []byte) error {
	if der == nil {
		return nil
	}
	return j.write(j.KeyOut, "PRIVATE KEY", der, true)
}

// output is a file a Job is about to write: the setting that names it,
// its name ("" or "-": standard output) and whether it holds a private
// key.
type output struct {
	setting, name string
	private       bool
}

// newKeyOutput is KeyOut's output when a key is to be made (none with
// KeyFile); a key to make without KeyOut is ErrNoKeyOut.
func (j *Job) newKeyOutput() ([]output, error) {
	if j.KeyFile != "" {
		return nil, nil
	}
	if j.KeyOut == "" {
		return nil, settingsErr(ErrNoKeyOut)
	}
	return []output{{"KeyOut", j.KeyOut, true}}, nil
}

// check refuses, before anything is read or made, outputs that cannot be
// written as they are: a private one to standard output
// (certio.ErrPrivateToStdout) or two naming one file (ErrSameFile), both
// in a *setting.Error of StepSettings, and a file that exists without
// Files.Force (StepWrite).
func (j *Job) check(outs []output) error {
	var names []string
	for i, o := range outs {
		if o.name == "" || o.name == "-" {
			if o.private {
				return settingsErr(&setting.Error{Name: o.setting, Value: o.name, Err: certio.ErrPrivateToStdout})
			}
			continue
		}
		for _, prev := range outs[:i] {
			if prev.name != "" && prev.name != "-" && certio.SameFile(prev.name, o.name) {
				return settingsErr(&setting.Error{Name: o.setting, Value: o.name, Err: ErrSameFile})
			}
		}
		names = append(names, o.name)
	}
	err := j.Files.Free(names...)
	var e *certio.ExistsError
	if errors.As(err, &e) {
		return &Error{Step: StepWrite, Name: e.Name, Err: err}
	}
	return err
}

// write writes PEM (or DER) to name, or to standard output when name is
// "" or "-" (never a private file).
func (j *Job) write(name, typ string, der []byte, private bool) error {
	if err := j.Files.Write(name, typ, der, private); err != nil {
		return &Error{Step: StepWrite, Name: name, Err: err}
	}
	return nil
}
