package chain

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// A mirror of a chain is a copy whose certificates have the same names,
// validity and extensions, byte for byte, and fresh keys that sign each
// other: crypto/x509 then judges everything about the chain but its
// signatures, which are checked apart (signatureOK). It serves a chain
// crypto/x509 cannot verify because it cannot check a signature (Ed448,
// RSASSA-PSS parameters it does not take): its verdict on the rest
// (validity, basic constraints, key usages, name constraints, certificate
// policies, critical extensions, the host name) keeps the verdict from
// being any weaker than crypto/x509's.

// oidSubjectKeyID and oidAuthorityKeyID are the key identifiers, which the
// mirror leaves out: they name the original keys.
var (
	oidSubjectKeyID   = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidAuthorityKeyID = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// mirrorVerify verifies the mirror of path (leaf first; the last
// certificate the trust anchor) for name, at, for purpose. The error is
// crypto/x509's, with the original certificates in it.
func mirrorVerify(path []*x509.Certificate, name string, at time.Time, purpose x509.ExtKeyUsage) error {
	if len(path) == 0 {
		return errors.New("no chain")
	}
	back := map[*x509.Certificate]*x509.Certificate{}
	mirrors := make([]*x509.Certificate, len(path))
	var parent *x509.Certificate
	var parentKey *ecdsa.PrivateKey
	for i := len(path) - 1; i >= 0; i-- {
		c := path[i]
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		t := &x509.Certificate{
			// The serial is not judged, and crypto/x509 makes no
			// certificate with a negative one.
			SerialNumber: big.NewInt(int64(i + 1)),
			RawSubject:   c.RawSubject,
			NotBefore:    c.NotBefore,
			NotAfter:     c.NotAfter,
		}
		for _, e := range c.Extensions {
			if e.Id.Equal(oidSubjectKeyID) || e.Id.Equal(oidAuthorityKeyID) {
				continue
			}
			t.ExtraExtensions = append(t.ExtraExtensions, e)
		}
		signer, signerKey := parent, parentKey
		if signer == nil {
			// The anchor signs itself.
			signer, signerKey = t, key
		}
		der, err := x509.CreateCertificate(rand.Reader, t, signer, key.Public(), signerKey)
		if err != nil {
			return fmt.Errorf("mirror of %q: %w", c.Subject, err)
		}
		m, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("mirror of %q: %w", c.Subject, err)
		}
		m = understood(m)
		mirrors[i], back[m] = m, c
		parent, parentKey = m, key
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(mirrors[len(mirrors)-1])
	for _, m := range mirrors[1 : len(mirrors)-1] {
		inter.AddCert(m)
	}
	_, err := mirrors[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{purpose}})
	return unmirror(err, back)
}

// unmirror puts the original certificates in the place of their mirrors
// in crypto/x509's errors.
func unmirror(err error, back map[*x509.Certificate]*x509.Certificate) error {
	orig := func(c *x509.Certificate) *x509.Certificate {
		if o, ok := back[c]; ok {
			return o
		}
		return c
	}
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	var unk x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv):
		inv.Cert = orig(inv.Cert)
		return inv
	case errors.As(err, &host):
		host.Certificate = orig(host.Certificate)
		return host
	case errors.As(err, &unk):
		unk.Cert = orig(unk.Cert)
		return unk
	}
	return err
}
