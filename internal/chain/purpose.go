package chain

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
)

// This file holds OpenSSL's purpose checks (crypto/x509/v3_purp.c,
// check_purpose_ssl_server and check_purpose_ssl_client, which
// X509_verify_cert runs on every certificate of the chain, the trust
// anchor's included, and curl verifies with) where crypto/x509 is
// weaker:
//   - anyExtendedKeyUsage does not stand for serverAuth or clientAuth
//     (xku_reject): crypto/x509 takes it for any use; OpenSSL, curl and
//     Firefox (mozilla::pkix) do not;
//   - a leaf's Netscape certificate type (nsCertType), when it has one,
//     must include the SSL server or SSL client type (ns_reject), an
//     extension crypto/x509 ignores. A CA's is read only when it has no
//     basicConstraints (check_ca), which crypto/x509 refuses anyway.

// oidNetscapeCertType is Netscape's certificate type extension
// (nsCertType): a BIT STRING of the uses of the certificate.
var oidNetscapeCertType = asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 1, 1}

// The bits of the first byte of nsCertType, as OpenSSL reads them
// (NS_SSL_CLIENT … NS_OBJSIGN_CA), with the names openssl's
// configuration gives them.
var nsTypes = []struct {
	bit  byte
	name string
}{
	{0x80, "client"}, {0x40, "server"}, {0x20, "email"}, {0x10, "objsign"},
	{0x08, "reserved"}, {0x04, "sslCA"}, {0x02, "emailCA"}, {0x01, "objCA"},
}

// netscapeCertType returns the first byte of c's nsCertType, as OpenSSL
// keeps it (ex_nscert: 0 for an empty one), ok false when c has none or
// it does not parse.
func netscapeCertType(c *x509.Certificate) (bits byte, ok bool) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidNetscapeCertType) {
			continue
		}
		var b asn1.BitString
		if rest, err := asn1.Unmarshal(e.Value, &b); err != nil || len(rest) > 0 {
			return 0, false
		}
		if len(b.Bytes) > 0 {
			bits = b.Bytes[0]
		}
		return bits, true
	}
	return 0, false
}

// nsTypeNames names the types of bits, "none" for none.
func nsTypeNames(bits byte) string {
	var names []string
	for _, t := range nsTypes {
		if bits&t.bit != 0 {
			names = append(names, t.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// nsNeeded is the nsCertType bit and name a leaf needs for purpose.
func nsNeeded(purpose x509.ExtKeyUsage) (byte, string) {
	if purpose == x509.ExtKeyUsageClientAuth {
		return 0x80, "client"
	}
	return 0x40, "server"
}

// ekuAllows tells whether c's extended key usage (which it has) allows
// purpose as OpenSSL reads it: the purpose itself, or for a server the
// Netscape or Microsoft Server Gated Crypto usages (XKU_SGC, which
// crypto/x509 takes too); anyExtendedKeyUsage does not.
func ekuAllows(c *x509.Certificate, purpose x509.ExtKeyUsage) bool {
	return slices.Contains(c.ExtKeyUsage, purpose) ||
		purpose == x509.ExtKeyUsageServerAuth && (slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageNetscapeServerGatedCrypto) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageMicrosoftServerGatedCrypto))
}

// anyOnly tells whether c allows purpose only through
// anyExtendedKeyUsage, which crypto/x509 takes and OpenSSL does not.
func anyOnly(c *x509.Certificate, purpose x509.ExtKeyUsage) bool {
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) && !ekuAllows(c, purpose)
}

// PurposeError is a chain crypto/x509 accepted that OpenSSL's purpose
// check, and so curl, refuses ("unsuitable certificate purpose"): a
// certificate's extended key usage allows Purpose only through
// anyExtendedKeyUsage (AnyEKU), or the leaf's Netscape certificate type
// leaves it out.
type PurposeError struct {
	Cert *x509.Certificate
	// Role is Cert's place in the chain: "leaf", "intermediate", "root".
	Role    string
	Purpose x509.ExtKeyUsage
	AnyEKU  bool
}

func (e *PurposeError) Error() string {
	if e.AnyEKU {
		return fmt.Sprintf("the extended key usage of %s allows %s only through anyExtendedKeyUsage", theRoleCertificate(e.Role, e.Cert), e.Purpose)
	}
	bits, _ := netscapeCertType(e.Cert)
	_, need := nsNeeded(e.Purpose)
	return fmt.Sprintf("the Netscape certificate type of %s (%s) leaves out %s", theRoleCertificate(e.Role, e.Cert), nsTypeNames(bits), need)
}

// purposeCheck returns a *PurposeError for the first link, leaf first,
// that OpenSSL's purpose check refuses and crypto/x509 does not, or nil.
func purposeCheck(links []Link, purpose x509.ExtKeyUsage) error {
	for i, l := range links {
		if anyOnly(l.Cert, purpose) {
			return &PurposeError{Cert: l.Cert, Role: l.Role, Purpose: purpose, AnyEKU: true}
		}
		if i > 0 {
			continue
		}
		need, _ := nsNeeded(purpose)
		if bits, ok := netscapeCertType(l.Cert); ok && bits&need == 0 {
			return &PurposeError{Cert: l.Cert, Role: l.Role, Purpose: purpose}
		}
	}
	return nil
}

// purposeCause explains a *PurposeError.
func purposeCause(e *PurposeError) (cause, fix string) {
	need := e.Purpose.String()
	what := "a server's certificate"
	if e.Purpose == x509.ExtKeyUsageClientAuth {
		what = "a client's certificate"
	}
	if !e.AnyEKU {
		bits, _ := netscapeCertType(e.Cert)
		_, ns := nsNeeded(e.Purpose)
		return fmt.Sprintf("the Netscape certificate type (nsCertType) of %s lists %s, not %s, which %s needs; OpenSSL and curl refuse it (unsuitable certificate purpose), though crypto/x509 ignores that extension",
				named(e.Cert), nsTypeNames(bits), ns, what),
			fmt.Sprintf("reissue the certificate without nsCertType (an obsolete Netscape extension), or with %s in it", ns)
	}
	refuse := "OpenSSL, curl and Firefox refuse it (unsuitable certificate purpose)"
	if e.Role == "root" {
		refuse = "OpenSSL and curl refuse it, the trust anchor's included (unsuitable certificate purpose)"
	}
	if e.Role == "leaf" {
		return fmt.Sprintf("the extended key usage of %s lists %s, not %s, which %s needs: crypto/x509 takes anyExtendedKeyUsage for any use, but %s",
				named(e.Cert), ekuList(e.Cert), need, what, refuse),
			fmt.Sprintf("reissue the certificate with %s in its extendedKeyUsage", need)
	}
	return fmt.Sprintf("the extended key usage of the CA %s lists %s, not %s: crypto/x509 takes anyExtendedKeyUsage for any use, but %s, so the certificates below it may not serve as %s",
			named(e.Cert), ekuList(e.Cert), need, refuse, what),
		fmt.Sprintf("reissue the CA %s with %s in its extendedKeyUsage (or without the extension, which leaves the use open), or issue the certificate from a CA whose extended key usage allows %s", named(e.Cert), need, need)
}
