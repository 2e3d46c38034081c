package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/suites"
)

// Options are the server's settings as a user writes them. Config checks
// them and reads the files they name; an unusable value is a
// *setting.Error naming the field, with File set when a file cannot be
// read.
type Options struct {
	// Mode is "echo", "www", "http", "file" (serving Dir) or "file:DIR".
	Mode, Dir string
	// CertFiles are PEM chains (the leaf first), KeyFiles their keys, in
	// the same order; Certificates are served besides them.
	CertFiles, KeyFiles []string
	Certificates        []tls.Certificate
	// SelfSigned serves a throwaway certificate for localhost as well,
	// signed by a root named certgen.DemoCA, valid for 30 days.
	SelfSigned   bool
	VerifyClient string
	// ClientCAFiles hold the CAs client certificates are verified
	// against, in any form certio reads.
	ClientCAFiles []string
	// ALPN lists protocols, comma separated; the HTTP modes offer
	// h2,http/1.1 by default.
	ALPN string
	// MinVersion and MaxVersion are "", "1.0", "1.1", "1.2" or "1.3";
	// TLS 1.0 and 1.1 are served by the project's own engine.
	MinVersion, MaxVersion string
	// Engine is "go" (crypto/tls), "own" (the project's own engine) or
	// "" (crypto/tls unless a certificate or a setting needs the own
	// engine).
	Engine string
	// Ciphers lists TLS 1.0–1.2 suites by OpenSSL or IANA name;
	// TLS13Ciphers narrows the TLS 1.3 suites, Curves the groups, in
	// preference order (package suites reads them). A suite or group only
	// the own engine implements makes it serve.
	Ciphers, TLS13Ciphers, Curves string
	// OCSPStapleFile holds a DER OCSP response to staple.
	OCSPStapleFile string
	NoTickets      bool
	MaxConns       int
	Timeout        time.Duration
	// FirstByteTimeout bounds the wait for a new connection's first byte.
	FirstByteTimeout time.Duration
	Trace            bool
	// TrustWith words how the user trusts a client CA (Config.TrustWith).
	TrustWith string
	// StartTLS is "" or a protocol of starttls.Served(): each client
	// upgrades with its clear-text dialog before TLS.
	StartTLS string
}

// ErrKeyCount is a number of key files unlike the number of certificate
// files.
var ErrKeyCount = errors.New("one key file is needed per certificate file")

// Config checks o and returns the server's configuration.
func (o *Options) Config() (Config, error) {
	cfg := Config{TrustWith: o.TrustWith, Mode: o.Mode, Dir: o.Dir, VerifyClient: o.VerifyClient, NoTickets: o.NoTickets, MaxConns: o.MaxConns,
		Timeout: o.Timeout, FirstByteTimeout: o.FirstByteTimeout, Trace: o.Trace, Certificates: o.Certificates}
	var err error
	if o.Ciphers != "" {
		if cfg.CipherSuites, err = suites.Parse(o.Ciphers); err != nil {
			return cfg, err
		}
	}
	if o.TLS13Ciphers != "" {
		if cfg.TLS13Suites, err = suites.ParseTLS13(o.TLS13Ciphers); err != nil {
			return cfg, err
		}
	}
	if o.Curves != "" {
		groups, err := suites.ParseGroups(o.Curves)
		if err != nil {
			return cfg, err
		}
		for _, g := range groups {
			cfg.Groups = append(cfg.Groups, uint16(g))
		}
	}
	if o.StartTLS != "" {
		p, err := starttls.Lookup(o.StartTLS)
		if err == nil && p.Serve == nil {
			err = &starttls.NotServedError{Name: o.StartTLS}
		}
		if err != nil {
			return cfg, setting.Errorf("StartTLS", o.StartTLS, "want one of %s", strings.Join(starttls.Served(), ", "))
		}
		cfg.StartTLS = p
	}
	if m, dir, ok := strings.Cut(o.Mode, ":"); ok && m == "file" {
		cfg.Mode, cfg.Dir = m, dir
	}
	switch cfg.Mode {
	case "", "echo", "www", "http":
	case "file":
		// Checked before the server starts, not on every request.
		if st, err := os.Stat(cfg.Dir); err != nil {
			return cfg, &setting.Error{Name: "Dir", Value: cfg.Dir, Err: err, File: true}
		} else if !st.IsDir() {
			return cfg, setting.Errorf("Dir", cfg.Dir, "not a directory")
		}
	default:
		return cfg, setting.Errorf("Mode", o.Mode, "want echo, www, http or file")
	}
	if len(o.CertFiles) != len(o.KeyFiles) {
		return cfg, ErrKeyCount
	}
	if o.SelfSigned {
		_, cert, err := certgen.Localhost(certgen.DemoCA, 30*24*time.Hour)
		if err != nil {
			return cfg, err
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	for i, name := range o.CertFiles {
		c, err := tls.LoadX509KeyPair(name, o.KeyFiles[i])
		if err != nil {
			// crypto/tls cannot read an Ed448 key (nor serve it): the own
			// engine can.
			own, oerr := loadEd448(name, o.KeyFiles[i])
			if oerr == nil {
				cfg.OwnCertificates = append(cfg.OwnCertificates, own)
				continue
			}
			if !errors.Is(oerr, errNotEd448) {
				err = oerr
			}
			return cfg, &setting.Error{Name: "CertFiles", Value: name, Err: fmt.Errorf("with the key %s: %w", o.KeyFiles[i], err), File: true}
		}
		cfg.Certificates = append(cfg.Certificates, c)
	}
	cfg.Engine = o.Engine
	if cfg.ClientCAs, err = certio.ReadCerts("", o.ClientCAFiles...); err != nil {
		return cfg, &setting.Error{Name: "ClientCAFiles", Err: err, File: true}
	}
	switch {
	case o.ALPN != "":
		cfg.ALPN = strings.Split(o.ALPN, ",")
	case cfg.Mode == "www" || cfg.Mode == "http" || cfg.Mode == "file":
		cfg.ALPN = []string{"h2", "http/1.1"}
	}
	for _, v := range []struct {
		name, s string
		v       *uint16
	}{{"MinVersion", o.MinVersion, &cfg.MinVersion}, {"MaxVersion", o.MaxVersion, &cfg.MaxVersion}} {
		switch v.s {
		case "":
		case "1.0":
			*v.v = tls.VersionTLS10
		case "1.1":
			*v.v = tls.VersionTLS11
		case "1.2":
			*v.v = tls.VersionTLS12
		case "1.3":
			*v.v = tls.VersionTLS13
		default:
			return cfg, setting.Errorf(v.name, v.s, "want 1.0, 1.1, 1.2 or 1.3")
		}
	}
	if cfg.MinVersion != 0 && cfg.MaxVersion != 0 && cfg.MinVersion > cfg.MaxVersion {
		// No client could connect (and each would be told a wrong
		// reason).
		return cfg, setting.Errorf("MaxVersion", o.MaxVersion, "below the lowest version allowed, TLS %s", o.MinVersion)
	}
	if o.OCSPStapleFile != "" {
		b, err := os.ReadFile(o.OCSPStapleFile)
		if err != nil {
			return cfg, &setting.Error{Name: "OCSPStapleFile", Err: err, File: true}
		}
		cfg.OCSPStaple = b
	}
	return cfg, nil
}

// errNotEd448 is a key file that holds no Ed448 key.
var errNotEd448 = errors.New("not an Ed448 key")

// loadEd448 reads a certificate chain and its Ed448 private key (OpenSSL's
// RFC 8410 PKCS #8, which crypto/tls cannot read) for the own engine; the
// key must be the leaf's. A key of another type is errNotEd448.
func loadEd448(certFile, keyFile string) (handshake.Certificate, error) {
	key, err := certio.ReadSigner(keyFile)
	if err != nil {
		return handshake.Certificate{}, errNotEd448
	}
	pub, ok := key.Public().(ed448.PublicKey)
	if !ok {
		return handshake.Certificate{}, errNotEd448
	}
	b, err := certio.ReadFile(certFile, "")
	if err != nil {
		return handshake.Certificate{}, err
	}
	if err := b.NeedCerts(certFile); err != nil {
		return handshake.Certificate{}, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(b.Certs[0].RawSubjectPublicKeyInfo, &spki); err != nil || !spki.Algorithm.Algorithm.Equal(certio.OIDEd448) {
		return handshake.Certificate{}, fmt.Errorf("the key is Ed448 but the certificate's key is %s", chain.KeyDescription(b.Certs[0]))
	}
	if !bytes.Equal(spki.Key.Bytes, pub) {
		return handshake.Certificate{}, errors.New("the private key does not match the certificate's public key")
	}
	c := handshake.Certificate{Key: key}
	for _, x := range b.Certs {
		c.Chain = append(c.Chain, x.Raw)
	}
	return c, nil
}
