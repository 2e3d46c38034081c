package chain

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"

	"github.com/tlstrace/tlstrace/internal/dnsname"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// singleLabelWildcard warns when name matches leaf only through a wildcard
// over one label ("*.test" for "leaf.test"): crypto/x509 takes it, but
// OpenSSL (openssl verify, curl and nginx built on it) wants at least two
// labels after the wildcard's, and browsers refuse a wildcard over a
// public suffix (CA/Browser Forum Baseline Requirements, Section
// 3.2.2.6), so the certificate fails there with a host name mismatch.
func singleLabelWildcard(leaf *x509.Certificate, name string) *trace.Warning {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" || net.ParseIP(name) != nil {
		return nil
	}
	_, parent, ok := strings.Cut(name, ".")
	if !ok {
		return nil
	}
	var wild string
	for _, s := range leaf.DNSNames {
		s = strings.ToLower(strings.TrimSuffix(s, "."))
		if s == name {
			return nil // named as it is: no wildcard needed
		}
		if dnsname.OverOneLabel(s) && s[len("*."):] == parent {
			wild = s
		}
	}
	if wild == "" {
		return nil
	}
	return &trace.Warning{
		Cause: fmt.Sprintf("%s matches %s only through the wildcard %q, which covers a whole top-level domain: crypto/x509 accepts it, but OpenSSL (openssl verify, curl, nginx) and browsers refuse a wildcard over a single label, with a host name mismatch",
			name, theCertificate(leaf), wild),
		Fix: fmt.Sprintf("name %s itself in the certificate's subjectAltName, or use a wildcard under a domain of two labels or more (*.example.%s)", name, parent),
	}
}
