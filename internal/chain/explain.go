package chain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"crypto/x509"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// Explain turns a verification error into a cause and a fix, in plain
// words. sent is the chain as presented (leaf first) or as far as it could
// be built, verified at at for purpose. o words the fixes: how the user
// trusts a CA (TrustWith, the caller's words, such as a command line
// flag; "" gives a generic wording), the clock at came from (Clock; ""
// is this machine's) or the time the user gave (AtGiven, AtWith), and
// whether the chain is a server's (Peer), which must then send what is
// missing.
func Explain(err error, leaf *x509.Certificate, sent []*x509.Certificate, at time.Time, purpose x509.ExtKeyUsage, o Options) (cause, fix string) {
	trustWith := o.TrustWith
	if trustWith == "" {
		trustWith = "the verifier's trusted CAs"
	}
	name := o.Name
	if at.IsZero() {
		at = time.Now()
	}
	var inv x509.CertificateInvalidError
	var hostErr x509.HostnameError
	var unk x509.UnknownAuthorityError
	var insecure x509.InsecureAlgorithmError
	var weak *WeakKeyError
	var usage *LeafUsageError
	var purposeErr *PurposeError
	switch {
	case errors.As(err, &purposeErr):
		return purposeCause(purposeErr)
	case errors.As(err, &weak):
		return weakKeyCause(weak)
	case errors.As(err, &usage):
		return leafUsageCause(usage)
	case errors.As(err, &hostErr):
		names := append([]string{}, leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			// Checked by the common name alone, which does not match
			// (commonNameOnly explains one that does).
			cn := "no common name either"
			if leaf.Subject.CommonName != "" {
				cn = fmt.Sprintf("its common name %q does not match %s either (curl and OpenSSL, which fall back to the common name, refuse it too)", leaf.Subject.CommonName, name)
			}
			san := sanFor(name)
			fix := fmt.Sprintf("reissue the certificate with subjectAltName=%s (openssl req -addext 'subjectAltName=%s')", san, san)
			if add := addSAN(leaf, name); add != "" {
				fix = add
			}
			return fmt.Sprintf("the certificate is not valid for %s: it has %s, and %s", name, noHostSANs(leaf), cn), fix
		}
		if why := sanTypeMismatch(leaf, name); why != "" {
			return fmt.Sprintf("the certificate is not valid for %s: %s", name, why),
				fmt.Sprintf("reissue it with subjectAltName=%s, or connect with a name the certificate lists", sanFor(name))
		}
		return fmt.Sprintf("the certificate is not valid for %s: it lists only %s (the common name is not used for this since RFC 6125)", name, strings.Join(names, ", ")),
			fmt.Sprintf("connect with a name the certificate lists, or reissue it with %s in subjectAltName", sanFor(name))
	case errors.As(err, &insecure):
		return fmt.Sprintf("a certificate in the chain is signed with %v, which is no longer accepted (collisions can be forged)", x509.SignatureAlgorithm(insecure)),
			"reissue it with a SHA-256 (or stronger) signature"
	case errors.As(err, &inv):
		c := inv.Cert
		subject := named(c)
		switch inv.Reason {
		case x509.Expired:
			if at.Before(c.NotBefore) {
				return fmt.Sprintf("the certificate of %s is not valid before %s", subject, c.NotBefore.UTC().Format(time.RFC3339)), validityFix(c, at, o)
			}
			return fmt.Sprintf("the certificate of %s expired on %s", subject, c.NotAfter.UTC().Format(time.RFC3339)), validityFix(c, at, o)
		case x509.NotAuthorizedToSign:
			why := "its keyUsage lacks keyCertSign"
			if !c.BasicConstraintsValid || !c.IsCA {
				why = notCA(c)
			}
			return fmt.Sprintf("%s signed another certificate but is not a CA: %s", subject, why),
				"issue the certificate from a real CA or intermediate (basicConstraints CA:TRUE, keyUsage keyCertSign)"
		case x509.TooManyIntermediates:
			return fmt.Sprintf("the path length constraint of %s is exceeded: more intermediate CAs sit below it than it allows", subject),
				"issue the certificate from a CA higher up, or reissue the CA with a larger pathlen"
		case x509.IncompatibleUsage:
			// crypto/x509 names the leaf even when a CA's extended key
			// usage rules out the use: name the first that does.
			for _, s := range sent {
				if len(s.ExtKeyUsage)+len(s.UnknownExtKeyUsage) > 0 && !slices.Contains(s.ExtKeyUsage, purpose) && !slices.Contains(s.ExtKeyUsage, x509.ExtKeyUsageAny) {
					c = s
					break
				}
			}
			return ekuCause(c, c == leaf, purpose)
		case x509.NoValidChains:
			// crypto/x509 gives this reason only when a path's
			// certificate policies were refused.
			cause, fix, _ := policyFailure(sent)
			return cause, fix
		case x509.CANotAuthorizedForThisName, x509.CANotAuthorizedForExtKeyUsage:
			return fmt.Sprintf("a CA's name constraints do not allow the names of the certificate (%s)", err),
				"issue the certificate from a CA allowed to sign these names"
		}
		return fmt.Sprintf("certificate invalid: %v", err), ""
	case errors.As(err, &unk):
		if len(sent) == 1 && selfSigned(leaf) {
			return fmt.Sprintf("%s is self-signed and not trusted", theCertificate(leaf)),
				"trust it explicitly (" + trustWith + " naming the certificate itself), or use a certificate issued by a CA"
		}
		last := sent[len(sent)-1]
		if !selfSigned(last) {
			cause = fmt.Sprintf("no trusted root found: the chain ends at %s, issued by %q, which was not sent and is not a trusted CA",
				named(last), dn.Issuer(last))
			// An intermediate is sent by the server, or kept in the
			// chain file verified.
			add := "add it to the chain file after the certificate it signed"
			if o.peer {
				add = "the server must send it after the certificate it signed: add it to the server's chain file"
			}
			fetch := ""
			if len(last.IssuingCertificateURL) > 0 {
				// RFC 5280, Section 4.2.2.1.
				cause += fmt.Sprintf("; the certificate names where its issuer can be fetched (authorityInfoAccess caIssuers %s), which browsers follow and curl, OpenSSL and Go do not", strings.Join(last.IssuingCertificateURL, ", "))
				fetch = " (the caIssuers URL serves it, often in DER: openssl x509 -inform DER converts it)"
			}
			return cause, fmt.Sprintf("if %q is an intermediate, %s%s; if it is a private root, trust it with %s", dn.Issuer(last), add, fetch, trustWith)
		}
		return fmt.Sprintf("the chain ends at %s, which is not a trusted CA", named(last)),
			"trust that CA with " + trustWith + " if you trust it"
	}
	if err == nil {
		return "", ""
	}
	return err.Error(), ""
}

// ekuCause explains a certificate whose extended key usage leaves out
// purpose: the leaf, or a CA above it (which limits what it may issue,
// as crypto/x509 and browsers read it).
func ekuCause(c *x509.Certificate, leaf bool, purpose x509.ExtKeyUsage) (cause, fix string) {
	subject := named(c)
	need := purpose.String()
	what := "a server's certificate"
	if purpose == x509.ExtKeyUsageClientAuth {
		what = "a client's certificate"
	}
	if leaf {
		return fmt.Sprintf("the extended key usage of %s lists %s, not %s, which %s needs", subject, ekuList(c), need, what),
			fmt.Sprintf("reissue the certificate with %s in its extendedKeyUsage", need)
	}
	return fmt.Sprintf("the extended key usage of the CA %s lists %s, not %s: the certificates below it may not serve as %s", subject, ekuList(c), need, what),
		fmt.Sprintf("reissue the CA %s with %s in its extendedKeyUsage (or without the extension, which leaves the use open), or issue the certificate from a CA whose extended key usage allows %s", subject, need, need)
}

func ekuList(c *x509.Certificate) string {
	var names []string
	for _, u := range c.ExtKeyUsage {
		names = append(names, u.String())
	}
	for _, u := range c.UnknownExtKeyUsage {
		names = append(names, u.String())
	}
	if len(names) == 0 {
		return "none listed"
	}
	return strings.Join(names, ", ")
}

// validityFix is the fix of certificate c, outside its validity at at:
// when the user gave at (Options.AtGiven), verify at a time within the
// validity; else renew it, or have the server use one valid now, and
// check the clock at came from (Options.Clock).
func validityFix(c *x509.Certificate, at time.Time, o Options) string {
	early := at.Before(c.NotBefore)
	if o.AtGiven {
		given := "the time given"
		if o.AtWith != "" {
			given += " (" + o.AtWith + ")"
		}
		if early {
			return given + " is before the certificate's validity: verify at a time within it, or use a certificate that was already valid then"
		}
		return given + " is after the certificate's validity: verify at a time within it, or use a certificate that was still valid then"
	}
	switch {
	case early && o.Clock == "":
		return "check this machine's clock; otherwise the server must use a certificate valid now"
	case early:
		return "check " + o.Clock + "; otherwise the server must use a certificate already valid then"
	}
	return "the certificate must be renewed (and check " + clockName(o.Clock) + ")"
}

// clockName is the clock of Options.Clock, "" for this machine's.
func clockName(clock string) string {
	if clock == "" {
		return "this machine's clock"
	}
	return clock
}
