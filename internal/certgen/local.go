package certgen

import (
	"crypto/tls"
	"crypto/x509"
	"time"
)

// DemoCA names the throwaway root of tlstrace demo and serve --self-signed.
const DemoCA = "tlstrace demo CA"

// Localhost makes a throwaway PKI: a self-signed root CA named caName and
// a server certificate for localhost, 127.0.0.1 and ::1 that the root
// signed, both with P-256 keys and random serial numbers, valid from a
// minute ago for validity. The tls.Certificate's chain is the leaf, then
// the root.
func Localhost(caName string, validity time.Duration) (*x509.Certificate, tls.Certificate, error) {
	now := time.Now()
	from, to := now.Add(-time.Minute), now.Add(validity)
	caKey, err := GenerateKey("p256")
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caDER, err := Issue(Config{CommonName: caName, NotBefore: from, NotAfter: to, Profile: ProfileCA, Key: caKey})
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	root, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := GenerateKey("p256")
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	der, err := Issue(Config{CommonName: "localhost", SANs: []string{"localhost", "127.0.0.1", "::1"}, NotBefore: from, NotAfter: to,
		Profile: ProfileServer, Key: key, Issuer: root, IssuerKey: caKey})
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	return root, tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}, nil
}
