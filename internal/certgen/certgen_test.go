package certgen

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/setting"
)

// TestIssueEveryKeyType makes a CA and a leaf of every key type (and an
// Ed448 CA over a P-256 leaf and the other way round) and verifies the
// chain with the explainer, which checks Ed448 signatures itself.
func TestIssueEveryKeyType(t *testing.T) {
	pairs := [][2]string{{"ed448", "p256"}, {"p256", "ed448"}}
	for _, kt := range KeyTypes {
		if kt == "rsa4096" || kt == "rsa3072" {
			continue // slow to generate; the command tests cover them
		}
		pairs = append(pairs, [2]string{kt, kt})
	}
	now := time.Now()
	for _, p := range pairs {
		t.Run(p[0]+"/"+p[1], func(t *testing.T) {
			caKey, err := GenerateKey(p[0])
			if err != nil {
				t.Fatal(err)
			}
			caTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "CA " + p[0]}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
				IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
			caDER, err := CreateCertificate(caTmpl, caTmpl, caKey.Public(), caKey)
			if err != nil {
				t.Fatal(err)
			}
			ca, err := x509.ParseCertificate(caDER)
			if err != nil {
				t.Fatal(err)
			}
			key, err := GenerateKey(p[1])
			if err != nil {
				t.Fatal(err)
			}
			leafTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
				KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			if err := AddSANs(leafTmpl, []string{"localhost", "IP:127.0.0.1", "ops@example.test", "URI:spiffe://test/x"}); err != nil {
				t.Fatal(err)
			}
			der, err := CreateCertificate(leafTmpl, ca, key.Public(), caKey)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if len(leaf.DNSNames) != 1 || len(leaf.IPAddresses) != 1 || len(leaf.EmailAddresses) != 1 || len(leaf.URIs) != 1 {
				t.Errorf("SANs %v %v %v %v", leaf.DNSNames, leaf.IPAddresses, leaf.EmailAddresses, leaf.URIs)
			}
			r := chain.Verify(leaf, chain.Options{Roots: []*x509.Certificate{ca}, Name: "localhost", Thorough: true})
			if !r.Valid {
				t.Fatalf("not valid: %s", r.Cause)
			}
			// A CSR for the same key carries its signature.
			csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}}, key)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := x509.ParseCertificateRequest(csrDER)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := CSRPublicKey(csr); err != nil {
				t.Errorf("CSR: %v", err)
			}
		})
	}
}

// TestAddSANsRefused: a name that is not a DNS name is refused with what
// is wrong with it, and an address in a form a certificate cannot hold
// (a network, a zone, brackets) with what to write instead, whether
// given bare or with its prefix; nothing is added.
func TestAddSANsRefused(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"", "not a DNS name: empty"},
		{"DNS:", "not a DNS name: empty"},
		{"a..b", "two dots with no label between them"},
		{"*.*.example.test", "a wildcard may only be the leftmost label"},
		{"ex ample.test", "no spaces"},
		{".lead.test", "starts with a dot"},
		{"-bad.test", "starts with a hyphen"},
		{"DNS:bad-.test", "ends with a hyphen"},
		{"10.0.0.1/8", "a SAN takes an address, not a network: give the address, as IP:10.0.0.1"},
		{"IP:10.0.0.1/8", "a SAN takes an address, not a network"},
		{"2001:db8::/32", "a SAN takes an address, not a network"},
		{"fe80::1%eth0", "a zone (%eth0) cannot be in a certificate"},
		{"IP:fe80::1%eth0", "give IP:fe80::1"},
		{"[::1]", "an IPv6 address is written without brackets: give IP:::1"},
		{"IP:[::1]", "without brackets"},
		{"localhost:8443", "without its port"},
		{"IP:10.0.0", "not an IP address"},
		{"foo:bar", "the prefix must be DNS, IP, email or URI"},
	} {
		var tmpl x509.Certificate
		err := AddSANs(&tmpl, []string{c.name})
		var se *setting.Error
		if !errors.As(err, &se) || se.Name != "SANs" || se.Value != c.name || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddSANs(%q): %v; want a SANs error saying %q", c.name, err, c.want)
		}
		if len(tmpl.DNSNames)+len(tmpl.IPAddresses)+len(tmpl.EmailAddresses)+len(tmpl.URIs) > 0 {
			t.Errorf("AddSANs(%q) added %v %v %v %v", c.name, tmpl.DNSNames, tmpl.IPAddresses, tmpl.EmailAddresses, tmpl.URIs)
		}
	}
}

// TestAddSANsTaken: prefixed and bare names are sorted as before; names
// verifiers refuse to match, or public CAs to issue, are taken, and
// NameWarnings says why.
func TestAddSANsTaken(t *testing.T) {
	var tmpl x509.Certificate
	names := []string{"DNS:www.example.test", "Example.TEST", "*.example.test", "f*.example.test", "*.test", "x_y.test", "xn--*.example.test", "DNS:192.0.2.7",
		"IP:192.0.2.1", "::1", "email:a@example.test", "b@example.test", "URI:spiffe://example.test/x"}
	if err := AddSANs(&tmpl, names); err != nil {
		t.Fatal(err)
	}
	if want := []string{"www.example.test", "Example.TEST", "*.example.test", "f*.example.test", "*.test", "x_y.test", "xn--*.example.test", "192.0.2.7"}; !slices.Equal(tmpl.DNSNames, want) {
		t.Errorf("DNS names %q, want %q", tmpl.DNSNames, want)
	}
	if len(tmpl.IPAddresses) != 2 || len(tmpl.EmailAddresses) != 2 || len(tmpl.URIs) != 1 {
		t.Errorf("IPs %v, e-mail %v, URIs %v", tmpl.IPAddresses, tmpl.EmailAddresses, tmpl.URIs)
	}
	want := []NameWarning{{"f*.example.test", NamePartialWildcard}, {"*.test", NameOneLabelWildcard}, {"x_y.test", NameUnderscore},
		{"xn--*.example.test", NameALabelWildcard}, {"192.0.2.7", NameAddress}}
	if got := NameWarnings(tmpl.DNSNames); !slices.Equal(got, want) {
		t.Errorf("NameWarnings %v, want %v", got, want)
	}
}
