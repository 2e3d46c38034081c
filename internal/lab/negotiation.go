package lab

import (
	"crypto/tls"
)

// negotiationFaults adds the crypto/tls servers whose certificate is good
// but which negotiate in a way a client must notice: one that has no
// certificate for a client that names no host (SNI), and one that speaks
// only CBC suites.
func (l *Lab) negotiationFaults(cert []tls.Certificate) {
	// With no Certificates, crypto/tls answers a ClientHello for which
	// GetCertificate has none with an unrecognized_name alert, as
	// servers that serve only named sites do.
	l.faults["sni-required"] = &Fault{Name: "sni-required", Kind: KindProtocol, Exit: ExitTLS,
		Fault: "the server has a certificate only for a client that names the host (SNI); an address in the URL sends none",
		tls: &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if h.ServerName == "" {
				return nil, nil
			}
			return &cert[0], nil
		}}}
	// The ECDHE-ECDSA CBC suites with SHA-1 are the ones crypto/tls
	// still offers by default: a default client connects.
	l.faults["cbc-only"] = &Fault{Name: "cbc-only", Kind: KindProtocol, Exit: ExitOK, Warning: true,
		Fault: "the server speaks TLS 1.2 with CBC suites only, no AEAD suite and no TLS 1.3",
		tls: &tls.Config{Certificates: cert, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}}
}
