package client

import (
	"cmp"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/suites"
)

// Options are curl's connection settings as a user writes them. Build
// checks them and turns them into a Network and TLSOptions. An unusable
// value is a *setting.Error naming the field; one that names a file that
// cannot be read has File set.
type Options struct {
	// Family is "tcp", "tcp4" or "tcp6".
	Family         string
	ConnectTimeout time.Duration
	// Resolve holds HOST:PORT:ADDR[,ADDR]; ConnectTo HOST1:PORT1:HOST2:PORT2.
	Resolve, ConnectTo []string

	Insecure bool
	// CACert is a file of PEM or DER CA certificates, CAPath a directory
	// of PEM files; with neither, Roots or else the system's are trusted.
	CACert, CAPath string
	// Roots, when set, are the trusted CAs (as a list, so that a chain can
	// be explained up to them).
	Roots []*x509.Certificate
	// TrustWith words how the user trusts a CA, for the fixes of an
	// untrusted chain (cmd's flag, "--cacert FILE"); "" is generic.
	TrustWith string
	// CNFallback accepts a server certificate without subjectAltName whose
	// common name matches the host, as curl does (chain.Options.CNFallback);
	// FallbackWith words how the user asks for it, for the fix of a
	// certificate refused without it.
	CNFallback   bool
	FallbackWith string
	// Words and CertStatusWith are TLSOptions' (advice and CertStatus in
	// the user's words, for the texts of verify events), as is
	// EngineWith (how the user asks for the own engine).
	Words          map[Advice]string
	CertStatusWith string
	EngineWith     string
	// Cert and Key are the client certificate and its key (PEM; Cert may
	// be FILE:PASSWORD), or with CertType "P12" a PKCS #12 Cert; Pass
	// opens it.
	Cert, Key, CertType, Pass string
	// Pinned is sha256//BASE64[;sha256//…] or a PEM or DER public key file.
	Pinned     string
	CertStatus bool
	// MinVersion and MaxVersion are "", "1.0", "1.1", "1.2" or "1.3".
	MinVersion, MaxVersion string
	// Ciphers lists TLS 1.0–1.2 suites by OpenSSL or IANA name; TLS13Ciphers
	// the TLS 1.3 ones; Curves the groups, ':' separated. What crypto/tls
	// does not implement (DHE, CCM, a choice of TLS 1.3 suites, ffdhe
	// groups) is done by tlstrace's own engine.
	Ciphers, TLS13Ciphers, Curves string
	// Engine is "go" (crypto/tls), "own" (tlstrace's own engine), or
	// "auto" or "": crypto/tls unless the settings or the server need
	// what only the own engine does.
	Engine string
}

// CAsFromEnv names the CAs as curl's environment does when none of CACert,
// CAPath and Roots is set: CURL_CA_BUNDLE, else SSL_CERT_FILE, else the
// directory SSL_CERT_DIR.
func (o *Options) CAsFromEnv() {
	if o.CACert == "" && o.CAPath == "" && o.Roots == nil {
		if o.CACert = cmp.Or(os.Getenv("CURL_CA_BUNDLE"), os.Getenv("SSL_CERT_FILE")); o.CACert == "" {
			o.CAPath = os.Getenv("SSL_CERT_DIR")
		}
	}
}

// ErrVersionRange is a maximum TLS version below the minimum.
var ErrVersionRange = errors.New("the minimum TLS version is above the maximum")

var versions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// Build checks o and returns the client's settings.
func (o *Options) Build() (Network, *TLSOptions, error) {
	n := Network{Family: o.Family, ConnectTimeout: o.ConnectTimeout}
	if n.Family == "" {
		n.Family = "tcp"
	}
	for _, r := range o.Resolve {
		e, remove, err := parseResolve(r)
		if err != nil {
			return n, nil, err
		}
		// curl's -HOST:PORT removes the entries given before it.
		n.Resolve = slices.DeleteFunc(n.Resolve, func(x ResolveEntry) bool { return remove && x.Host == e.Host && x.Port == e.Port })
		if !remove {
			n.Resolve = append(n.Resolve, e)
		}
	}
	for _, c := range o.ConnectTo {
		e, err := parseConnectTo(c)
		if err != nil {
			return n, nil, err
		}
		n.ConnectTo = append(n.ConnectTo, e)
	}
	t := &TLSOptions{Insecure: o.Insecure, CertStatus: o.CertStatus, RootCerts: o.Roots, TrustWith: o.TrustWith,
		CNFallback: o.CNFallback, FallbackWith: o.FallbackWith, Words: o.Words, CertStatusWith: o.CertStatusWith,
		EngineWith: o.EngineWith}
	if o.Roots != nil {
		t.Roots = x509.NewCertPool()
		for _, c := range o.Roots {
			t.Roots.AddCert(c)
		}
	}
	var err error
	if o.CACert != "" || o.CAPath != "" {
		if t.RootCerts, err = LoadRoots(o.CACert, o.CAPath); err != nil {
			return n, nil, err
		}
		t.Roots = x509.NewCertPool()
		for _, c := range t.RootCerts {
			t.Roots.AddCert(c)
		}
	}
	for _, v := range []struct {
		name, s string
		v       *uint16
	}{{"MinVersion", o.MinVersion, &t.MinVersion}, {"MaxVersion", o.MaxVersion, &t.MaxVersion}} {
		if v.s == "" {
			continue
		}
		var ok bool
		if *v.v, ok = versions[v.s]; !ok {
			if strings.HasPrefix(strings.ToLower(v.s), "ssl") {
				return n, nil, setting.Errorf(v.name, v.s, "crypto/tls does not speak SSL 3.0 or older")
			}
			return n, nil, setting.Errorf(v.name, v.s, "want 1.0, 1.1, 1.2 or 1.3")
		}
	}
	if o.MinVersion == "" && t.MaxVersion != 0 && t.MaxVersion < tls.VersionTLS12 {
		// --tls-max 1.0 or 1.1 alone: that version, as serve takes
		// it, rather than no version between the default minimum (TLS
		// 1.2) and the maximum.
		t.MinVersion = t.MaxVersion
	}
	if t.MaxVersion != 0 && t.MinVersion > t.MaxVersion {
		return n, nil, ErrVersionRange
	}
	if o.Ciphers != "" {
		if t.CipherSuites, err = suites.Parse(o.Ciphers); err != nil {
			return n, nil, err
		}
	}
	if o.TLS13Ciphers != "" {
		if t.TLS13Suites, err = suites.ParseTLS13(o.TLS13Ciphers); err != nil {
			return n, nil, err
		}
	}
	if o.Curves != "" {
		if t.Curves, err = suites.ParseGroups(o.Curves); err != nil {
			return n, nil, err
		}
	}
	switch strings.ToLower(o.Engine) {
	case "", "auto":
	case "go":
		t.Engine = EngineGo
		if lacks := t.goLacks(); lacks != "" {
			return n, nil, setting.Errorf("Engine", o.Engine, "the settings ask for %s", lacks)
		}
	case "own":
		t.Engine = EngineOwn
	default:
		return n, nil, setting.Errorf("Engine", o.Engine, "want go, own or auto")
	}
	if o.Pinned != "" {
		if t.Pins, err = parsePins(o.Pinned); err != nil {
			return n, nil, err
		}
	}
	switch strings.ToUpper(o.CertType) {
	case "", "PEM", "P12":
	default:
		// Checked with or without a certificate, as curl does.
		return n, nil, setting.Errorf("CertType", o.CertType, "want PEM or P12")
	}
	if o.Cert != "" {
		c, err := loadClientCert(o.Cert, o.Key, o.CertType, o.Pass)
		if err != nil {
			return n, nil, err
		}
		t.Certificates = []tls.Certificate{c}
	}
	return n, t, nil
}

// LoadRoots reads the CA certificates of a file (PEM or DER) and of the
// PEM files of a directory. They are kept as a list, not only as a pool,
// so that a chain can be explained up to the root that was trusted.
func LoadRoots(file, dir string) ([]*x509.Certificate, error) {
	var roots []*x509.Certificate
	if file != "" {
		// The file named is read whole, as verify --cacert reads it (and
		// OpenSSL, for curl): a block that does not parse is an error,
		// not a CA left out.
		certs, err := certio.ReadCerts("", file)
		if err != nil {
			return nil, &setting.Error{Name: "CACert", Err: err, File: true}
		}
		roots = certs
	}
	var files []string
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, &setting.Error{Name: "CAPath", Err: err, File: true}
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, &setting.Error{Name: "CAPath", Err: fmt.Errorf("reading CA file: %w", err), File: true}
		}
		certs := pemCerts(b)
		if len(certs) == 0 {
			if c, err := x509.ParseCertificate(b); err == nil {
				certs = append(certs, c)
			}
		}
		roots = append(roots, certs...)
	}
	return roots, nil
}

// pemCerts returns the certificates of the PEM CERTIFICATE blocks of b
// that parse, skipping the others as x509.CertPool.AppendCertsFromPEM does.
func pemCerts(b []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(b) > 0 {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" || len(blk.Headers) != 0 {
			continue
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// parsePins reads curl's --pinnedpubkey: hashes, or a public key file.
func parsePins(s string) ([]string, error) {
	if !strings.HasPrefix(s, "sha256//") {
		b, err := os.ReadFile(s)
		if err != nil {
			return nil, &setting.Error{Name: "Pinned", Err: err}
		}
		what := "no public key (PEM PUBLIC KEY, or its DER)"
		if blk, _ := pem.Decode(b); blk != nil {
			b = blk.Bytes
			switch {
			case blk.Type == "CERTIFICATE":
				what = "a certificate, not a public key"
			case strings.HasSuffix(blk.Type, "PRIVATE KEY"):
				what = "a private key, not a public key"
			}
		}
		if len(b) == 0 {
			what = "nothing"
		}
		if _, err := x509.ParsePKIXPublicKey(b); err != nil {
			return nil, &setting.Error{Name: "Pinned", Value: s, Err: fmt.Errorf("the file holds %s", what), File: true}
		}
		sum := sha256.Sum256(b)
		return []string{base64.StdEncoding.EncodeToString(sum[:])}, nil
	}
	var pins []string
	for _, p := range strings.Split(s, ";") {
		v, ok := strings.CutPrefix(strings.TrimSpace(p), "sha256//")
		if !ok {
			return nil, setting.Errorf("Pinned", p, "does not start with sha256//")
		}
		if b, err := base64.StdEncoding.DecodeString(v); err != nil || len(b) != 32 {
			return nil, setting.Errorf("Pinned", v, "not a base64 SHA-256 hash")
		}
		pins = append(pins, v)
	}
	return pins, nil
}

// loadClientCert reads a PEM certificate and key (curl's FILE:PASSWORD
// form too) or a PKCS #12 file.
func loadClientCert(cert, key, typ, pass string) (tls.Certificate, error) {
	if c, p, ok := strings.Cut(cert, ":"); ok && pass == "" {
		if _, err := os.Stat(cert); err != nil {
			cert, pass = c, p
		}
	}
	switch strings.ToUpper(typ) {
	case "P12":
		b, err := os.ReadFile(cert)
		if err != nil {
			return tls.Certificate{}, &setting.Error{Name: "Cert", Err: err, File: true}
		}
		c, err := certio.PKCS12Certificate(b, pass)
		if err != nil {
			return tls.Certificate{}, &setting.Error{Name: "Cert", Err: fmt.Errorf("reading PKCS#12 %s: %w", cert, err), File: true}
		}
		return c, nil
	case "PEM", "":
		if key == "" {
			key = cert
		}
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return tls.Certificate{}, &setting.Error{Name: "Cert", Err: fmt.Errorf("reading the client certificate: %w", err), File: true}
		}
		return c, nil
	}
	return tls.Certificate{}, setting.Errorf("CertType", typ, "want PEM or P12")
}
