package lab

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/certgen"
)

// chainFaults adds the certificate faults of a chain's structure and keys:
// each chain's every signature is good, and crypto/x509 or tlstrace's own
// stricter checks refuse it for one reason.
func (l *Lab) chainFaults(good certgen.Config) error {
	add := func(name, fault string, exit int, chain [][]byte, key crypto.Signer) {
		l.faults[name] = &Fault{Name: name, Kind: KindCert, Fault: fault, Exit: exit,
			tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: key}}}}
	}
	// ca issues a CA certificate below issuer.
	ca := func(name string, pathLen int, issuer *x509.Certificate, issuerKey crypto.Signer) (*x509.Certificate, []byte, crypto.Signer, error) {
		key, err := certgen.GenerateKey("p256")
		if err != nil {
			return nil, nil, nil, err
		}
		der, err := certgen.Issue(certgen.Config{CommonName: name, Profile: certgen.ProfileCA, PathLen: pathLen, Key: key,
			NotBefore: good.NotBefore, NotAfter: good.NotAfter, Issuer: issuer, IssuerKey: issuerKey})
		if err != nil {
			return nil, nil, nil, err
		}
		c, err := x509.ParseCertificate(der)
		return c, der, key, err
	}

	// rsa1024: the server's own key is 1024-bit RSA.
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return err
	}
	der, key, err := leaf(good, weak, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	add("rsa1024", "the certificate's key is 1024-bit RSA, too small to resist factoring", ExitCert, [][]byte{der}, key)

	// not-a-ca: an intermediate that is a server certificate (CA:FALSE).
	interKey, err := certgen.GenerateKey("p256")
	if err != nil {
		return err
	}
	c := good
	c.CommonName, c.SANs = "tlstrace lab server (not a CA)", []string{"not-a-ca.example"}
	interDER, _, err := leaf(c, interKey, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	inter, err := x509.ParseCertificate(interDER)
	if err != nil {
		return err
	}
	if der, key, err = leaf(good, nil, inter, interKey); err != nil {
		return err
	}
	add("not-a-ca", "the certificate was signed by an intermediate that is not a CA (basicConstraints CA:FALSE)", ExitCert, [][]byte{der, interDER}, key)

	// pathlen-exceeded: root → CA with pathlen:0 → CA → leaf.
	top, topDER, topKey, err := ca("tlstrace lab CA with pathlen 0", 0, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	low, lowDER, lowKey, err := ca("tlstrace lab CA below a pathlen 0", -1, top, topKey)
	if err != nil {
		return err
	}
	if der, key, err = leaf(good, nil, low, lowKey); err != nil {
		return err
	}
	add("pathlen-exceeded", "an intermediate CA with pathlen:0 has another CA below it", ExitCert, [][]byte{der, lowDER, topDER}, key)

	// clientauth-only: the leaf's extended key usage is clientAuth alone.
	clientKey, err := certgen.GenerateKey("p256")
	if err != nil {
		return err
	}
	c = good
	c.Profile, c.Key, c.Issuer, c.IssuerKey = certgen.ProfileClient, clientKey, l.Root, l.rootKey
	if der, err = certgen.Issue(c); err != nil {
		return err
	}
	add("clientauth-only", "the certificate's extended key usage is clientAuth only, not serverAuth", ExitCert, [][]byte{der}, clientKey)

	// name-constraints: the intermediate may sign only example.com names.
	ncKey, err := certgen.GenerateKey("p256")
	if err != nil {
		return err
	}
	serial, err := certgen.SerialNumber()
	if err != nil {
		return err
	}
	t := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "tlstrace lab CA for example.com only"},
		NotBefore: good.NotBefore, NotAfter: good.NotAfter, IsCA: true, BasicConstraintsValid: true, MaxPathLen: 0, MaxPathLenZero: true,
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		PermittedDNSDomainsCritical: true, PermittedDNSDomains: []string{"example.com"}}
	ncDER, err := x509.CreateCertificate(rand.Reader, t, l.Root, ncKey.Public(), l.rootKey)
	if err != nil {
		return fmt.Errorf("name-constraints: %w", err)
	}
	nc, err := x509.ParseCertificate(ncDER)
	if err != nil {
		return err
	}
	if der, key, err = leaf(good, nil, nc, ncKey); err != nil {
		return err
	}
	add("name-constraints", "the certificate names localhost, outside its CA's name constraints (example.com only)", ExitCert, [][]byte{der, ncDER}, key)
	// long-validity: valid for 400 days, which a public CA may not issue.
	c = good
	c.NotAfter = c.NotBefore.Add(400 * 24 * time.Hour)
	if der, key, err = leaf(c, nil, l.Root, l.rootKey); err != nil {
		return err
	}
	add("long-validity", "the certificate is valid for 400 days, more than the 398 a public CA may issue (a warning: this CA is private)", ExitOK, [][]byte{der}, key)
	l.faults["long-validity"].Warning = true
	return l.revoked(good)
}

// revoked adds a server whose certificate the root revoked: it staples
// the root's OCSP response saying so (RFC 6960; RFC 6066, Section 8).
func (l *Lab) revoked(good certgen.Config) error {
	der, key, err := leaf(good, nil, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	now := time.Now()
	staple, err := ocsp.CreateResponse(l.Root, l.Root, ocsp.Response{Status: ocsp.Revoked, SerialNumber: cert.SerialNumber,
		ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(7 * 24 * time.Hour), RevokedAt: now.Add(-time.Hour), RevocationReason: ocsp.KeyCompromise,
		// The signer in the response, as OpenSSL looks for it there.
		Certificate: l.Root}, l.rootKey)
	if err != nil {
		return fmt.Errorf("revoked: %w", err)
	}
	l.faults["revoked"] = &Fault{Name: "revoked", Kind: KindCert, Fault: "the server staples its CA's OCSP response saying the certificate was revoked", Exit: ExitCert,
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, l.Root.Raw}, PrivateKey: key, OCSPStaple: staple}}}}
	return nil
}
