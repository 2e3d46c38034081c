// Package chain verifies certificate chains and explains them link by link:
// for each certificate, its issuer and the issuer's key, the hash of the
// TBSCertificate, the signature checked with the issuer's key (for RSA
// PKCS #1 v1.5, the digest recovered from the signature, as one would by
// hand), the validity window, basic constraints and path length, key usage,
// extended key usage, name constraints and the host name.
//
// The verdict starts from crypto/x509's (Certificate.Verify), and is
// never weaker: this package explains it, checks the Ed448 and
// RSASSA-PSS signatures crypto/x509 cannot (leaving the rest of such
// chains to crypto/x509 on a mirror, mirror.go), and adds the rules of
// OpenSSL, and so of curl, that crypto/x509 leaves out (the purpose of
// key usage, extended key usage and Netscape certificate type, the name
// constraints on subject e-mail addresses and directory names, RSA keys
// below 2048 bits; docs/architecture.md lists them), so that a chain curl
// refuses is not shown trusted.
package chain

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Options say what to verify against.
type Options struct {
	// Roots are the trusted CAs; nil uses RootPool, or the system's.
	Roots []*x509.Certificate
	// RootPool is used when Roots is nil (the system pool cannot list its
	// certificates, so the explanation can only mark the root of a chain
	// crypto/x509 verified).
	RootPool *x509.CertPool
	// Intermediates are untrusted certificates that may complete the
	// chain (those the server sent after its own).
	Intermediates []*x509.Certificate
	// Name is the host name (or IP address) to check; "" skips it.
	Name string
	// At is the verification time; zero means now.
	At time.Time
	// Purpose is the extended key usage required (ServerAuth by default).
	Purpose x509.ExtKeyUsage
	// TrustWith words how the user trusts a CA, for the fixes that say to
	// (the command line's flag, such as "--cacert FILE"); "" is generic.
	TrustWith string
	// CNFallback accepts a leaf that has no subjectAltName (no DNS name
	// and no IP address) for Name when its subject's common name matches
	// it, as curl and OpenSSL do. By default, as crypto/x509 and browsers
	// judge (RFC 6125, Section 6.4.4; the CA/Browser Forum's baseline
	// requirements), the common name is not used.
	CNFallback bool
	// FallbackWith words how the user asks for CNFallback, for the fix of
	// a leaf that would pass with it (the command line's flag); "" is
	// generic.
	FallbackWith string
	// Clock names the clock At comes from, for the fixes that say to
	// check it ("the capture's clock"); "" is this machine's.
	Clock string
	// AtGiven says At is a time the user chose, not a clock's reading:
	// the fixes of a certificate outside its validity then speak of that
	// time (verify at a time within the validity) instead of a clock.
	// AtWith words how it was given (the command line's flag and value);
	// "" is generic.
	AtGiven bool
	AtWith  string
	// IntermediatesWith words how the user gave Intermediates (the
	// command line's flag), for Peer's verdict on a chain that needs one
	// of them but was not sent it; "" is generic.
	IntermediatesWith string
	// peer says the chain is a server's, as sent (Peer): the fixes say
	// what the server must send.
	peer bool
	// Thorough also recovers the digest inside RSA PKCS #1 v1.5
	// signatures with the issuer's key (what one does by hand with
	// openssl rsautl) and checks a root's own signature, for showing;
	// the verdict does not depend on either.
	Thorough bool
}

// Check is one thing checked about a link.
type Check struct {
	Name   string // signature, validity, basic_constraints, key_usage, extended_key_usage, name_constraints, host_name, trust, sent
	OK     bool
	Detail string
}

// Link is one certificate of the chain with what was checked about it.
type Link struct {
	Cert *x509.Certificate
	// Issuer is the certificate that signed it (itself for a root), nil
	// when none was found.
	Issuer *x509.Certificate
	// Role is "leaf", "intermediate" or "root".
	Role string
	// Trusted is set for a certificate from the trusted roots.
	Trusted bool
	// Hash names the hash of the signature algorithm; TBSHash is that hash
	// of the TBSCertificate, and Recovered the digest recovered from an
	// RSA PKCS #1 v1.5 signature.
	Hash      string
	TBSHash   []byte
	Recovered []byte
	Checks    []Check
}

// Result is a verification and its explanation.
type Result struct {
	Links []Link
	// Valid is crypto/x509's verdict (or, for chains with Ed448 links,
	// this package's, which crypto/x509 cannot give).
	Valid bool
	// Err is the verification error; Cause and Fix explain it in plain
	// words.
	Err        error
	Cause, Fix string
	At         time.Time
	Name       string
	// Warnings say what is wrong with a valid chain without failing it
	// (a validity longer than public CAs may issue, key identifiers
	// OpenSSL does not match, a negative serial number).
	Warnings []trace.Warning
	// OCSP is, for a server's chain, the status of the OCSP response it
	// stapled as a client that requires one judges it (the values of
	// trace.Verify's OCSP); OCSPCause and OCSPFix say why it is not good
	// (without failing the chain unless it says revoked).
	OCSP, OCSPCause, OCSPFix string
	// beyondCurl says that the chain was refused by a rule stricter than
	// curl's and OpenSSL's alone (fallbackConstraints).
	beyondCurl bool
}

// OIDs crypto/x509 does not know.
var (
	oidEd448  = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidX448   = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidX25519 = asn1.ObjectIdentifier{1, 3, 101, 110}
)

// maxDepth bounds the chain the explainer builds.
const maxDepth = 10

// VerifyChain verifies a chain as a server sends it or a file holds it:
// the first certificate is the leaf, the others may complete the chain
// (after o.Intermediates).
func VerifyChain(certs []*x509.Certificate, o Options) *Result {
	o.Intermediates = append(slices.Clip(o.Intermediates), certs[1:]...)
	return Verify(certs[0], o)
}

// Verify verifies leaf and explains the chain.
func Verify(leaf *x509.Certificate, o Options) *Result {
	// A critical nameConstraints extension whose directoryName subtrees
	// crypto/x509 does not handle is checked here (ownNameConstraints):
	// crypto/x509 is not to refuse it as not understood.
	leaf = understood(leaf)
	o.Intermediates, o.Roots = allUnderstood(o.Intermediates), allUnderstood(o.Roots)
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	purpose := o.Purpose
	if purpose == x509.ExtKeyUsageAny {
		purpose = x509.ExtKeyUsageServerAuth
	}
	r := &Result{At: at, Name: o.Name}
	// The name is then checked by the common-name fallback alone.
	fallback := o.CNFallback && CommonNameMatches(leaf, o.Name)
	vo := x509.VerifyOptions{
		DNSName:       o.Name,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{purpose},
	}
	vo.Roots = o.poolFor(append([]*x509.Certificate{leaf}, o.Intermediates...)...)
	for _, c := range o.Intermediates {
		vo.Intermediates.AddCert(c)
	}
	if fallback {
		vo.DNSName = ""
	}
	chains, err := leaf.Verify(vo)
	// verified: crypto/x509 built and checked this path, its signatures
	// included.
	verified := err == nil
	// anchored: crypto/x509 built this path up to a trusted root (with
	// or without the name).
	anchored := verified
	var path []*x509.Certificate
	// chainErr is crypto/x509's verdict on the chain without the name,
	// when the name failed: what else is wrong with it.
	var chainErr error
	if verified {
		// With the fallback crypto/x509 checked no name: the common
		// name matched (CommonNameMatches), and it is held to the CAs'
		// name constraints below, as OpenSSL holds it (cnConstraints).
		path = chains[0]
	} else {
		path = buildPath(leaf, o.Intermediates, o.Roots)
		var host x509.HostnameError
		if errors.As(err, &host) && o.Name != "" {
			// crypto/x509 checks the name before it builds a chain: the
			// chain it would have built explains the rest.
			nameless := vo
			nameless.DNSName = ""
			if chains, nerr := leaf.Verify(nameless); nerr == nil {
				path, anchored = chains[0], true
			} else {
				chainErr = nerr
			}
		}
	}
	roots := o.Roots
	if err != nil && o.Roots == nil {
		// A pool (the system's) cannot be listed: ask it for the root of
		// the last certificate found, so that the rest of the chain is
		// explained too.
		var root *x509.Certificate
		if path, root = extendFromPool(path, o, at); root != nil {
			roots = []*x509.Certificate{root}
		}
	}
	// Links crypto/x509 cannot check (Ed448, RSASSA-PSS it does not
	// take), which make it refuse the chain.
	ownChain := false
	for i, c := range path {
		var issuer *x509.Certificate
		if i+1 < len(path) {
			issuer = path[i+1]
		}
		ownChain = ownChain || isEd448Signed(c) || ownPSS(c, issuer)
	}
	for i, c := range path {
		var issuer *x509.Certificate
		if i+1 < len(path) {
			issuer = path[i+1]
		} else if selfSigned(c) {
			issuer = c
		}
		r.Links = append(r.Links, explainLink(c, issuer, i, len(path), path, at, purpose, o.Name, fallback, roots, o.systemRoots(), verified, o.Thorough))
	}
	if !anchored && len(r.Links) > 0 {
		// A chain ending at a self-signed certificate the verifier does not
		// trust fails there: that link carries the failure.
		if l := &r.Links[len(r.Links)-1]; l.Issuer == l.Cert && !l.Trusted {
			where := "the trusted roots"
			if o.systemRoots() {
				where = "the system's trusted roots"
			}
			l.Checks = append(l.Checks, Check{Name: "trust", OK: false, Detail: fmt.Sprintf("self-signed, and not among %s", where)})
		}
	}
	r.Valid = err == nil
	r.Err = err
	if anchored && len(r.Links) > 0 {
		// crypto/x509 built this chain up to a trusted root.
		r.Links[len(r.Links)-1].Trusted = true
	}
	if !verified && ownChain {
		// crypto/x509 cannot check Ed448 signatures, nor RSASSA-PSS
		// ones with parameters it does not take ("unknown authority"):
		// judge such chains by the checks above (every link's
		// signature, validity, constraints and name, ending at a
		// trusted root), then have crypto/x509 judge the rest of the
		// chain on its mirror, so that no rule of its is skipped
		// (certificate policies, for one).
		r.Valid, r.Err = judge(r.Links, o.Name)
		if r.Valid {
			name := o.Name
			if fallback {
				// The common name matched; its constraints are
				// cnConstraints'.
				name = ""
			}
			if merr := mirrorVerify(path, name, at, purpose); merr != nil {
				r.Valid, r.Err = false, merr
			}
		}
	}
	if r.Valid {
		// Stricter than crypto/x509, never weaker: a chain it accepts
		// with a small RSA key anywhere is refused (MinRSABits).
		if werr := weakKey(r.Links); werr != nil {
			r.Valid, r.Err = false, werr
		}
	}
	if r.Valid {
		// Nor with a leaf whose common name, which looks like a host
		// name, a CA's name constraints rule out: OpenSSL checks it
		// when the leaf has no DNS name in its subjectAltName, with
		// the fallback or without.
		if nerr := cnConstraints(path); nerr != nil {
			r.Valid, r.Err = false, nerr
		}
	}
	if r.Valid {
		// Nor with a name that a CA's directoryName or e-mail
		// constraints rule out, which crypto/x509 does not check and
		// OpenSSL does (ownNameConstraints).
		if nerr := ownNameConstraints(path); nerr != nil {
			r.Valid, r.Err = false, nerr
		}
	}
	if r.Valid && fallback {
		// Stricter than curl and OpenSSL: the host the common name
		// stands for is held to the constraints, whatever the common
		// name looks like ("localhost", "*.example.com"), as crypto/x509
		// would hold it in a subjectAltName.
		if nerr := fallbackConstraints(path, o.Name); nerr != nil {
			r.Valid, r.Err, r.beyondCurl = false, nerr, true
		}
	}
	if r.Valid {
		// Nor with a certificate whose extended key usage allows the
		// purpose only through anyExtendedKeyUsage, or a leaf whose
		// Netscape certificate type leaves it out, which OpenSSL
		// refuses (purposeCheck).
		if perr := purposeCheck(r.Links, purpose); perr != nil {
			r.Valid, r.Err = false, perr
		}
	}
	if r.Valid {
		// Nor with a leaf whose key usage allows no TLS use, which
		// OpenSSL refuses.
		if uerr := leafUsage(r.Links, purpose); uerr != nil {
			r.Valid, r.Err = false, uerr
		}
	}
	if r.Valid {
		if w := longValidity(leaf, o.systemRoots()); w != nil {
			r.Warnings = append(r.Warnings, *w)
		}
		if w := keyIDMismatch(r.Links); w != nil {
			r.Warnings = append(r.Warnings, *w)
		}
		if w := negativeSerial(r.Links); w != nil {
			r.Warnings = append(r.Warnings, *w)
		}
		if w := singleLabelWildcard(leaf, o.Name); w != nil {
			r.Warnings = append(r.Warnings, *w)
		}
	}
	var inv x509.CertificateInvalidError
	if errors.As(r.Err, &inv) && inv.Reason == x509.NoValidChains {
		// The link of the CA whose policy constraints failed the path
		// says so (crypto/x509 names no certificate).
		if _, _, i := policyFailure(path); i >= 0 && i < len(r.Links) {
			r.Links[i].Checks = append(r.Links[i].Checks, Check{Name: "policy", OK: false,
				Detail: fmt.Sprintf("%s, policies %s: no policy is valid down to the leaf (RFC 5280, Section 6.1)", policyLimits(path[i]), policies(path[i]))})
		}
	}
	if !r.Valid {
		r.Cause, r.Fix = Explain(r.Err, leaf, path, at, purpose, o)
		var host x509.HostnameError
		switch {
		case errors.As(r.Err, &host) && !o.CNFallback && CommonNameMatches(leaf, o.Name):
			// What the common-name fallback would say: the chain may
			// fail for more than the name.
			fo := o
			fo.CNFallback = true
			r.Cause, r.Fix = commonNameOnly(leaf, o.Name, o.FallbackWith, Verify(leaf, fo))
		case errors.As(r.Err, &host) && chainErr != nil:
			if ownChain {
				// crypto/x509 refused a chain it cannot check: the
				// links' checks, the name's left out, judge the rest.
				_, chainErr = judge(withoutName(r.Links), "")
			}
			if chainErr != nil {
				// The chain fails for more than the name (a
				// self-signed certificate scanned by its address):
				// fixing the name alone would leave it refused, so
				// both are said.
				no := o
				no.Name = ""
				cause, fix := Explain(chainErr, leaf, path, at, purpose, no)
				r.Cause += "; and apart from the name, " + cause
				switch {
				case r.Fix == "":
					r.Fix = fix
				case fix != "":
					r.Fix += "; and " + fix
				}
			}
		}
		// crypto/x509 reports a chain it rejected link by link as "unknown
		// authority"; when the chain reaches a trusted root, the failed
		// check says more.
		// crypto/x509's name constraint error names no CA: the failed
		// check does.
		// Nor does its error for an extended key usage (it names the
		// leaf when an intermediate's forbids the use), nor that of an
		// unhandled critical extension; nor judge's for an Ed448 chain.
		var unk x509.UnknownAuthorityError
		var inv x509.CertificateInvalidError
		var crit x509.UnhandledCriticalExtension
		var judged *checkError
		named := errors.As(r.Err, &inv) && (inv.Reason == x509.CANotAuthorizedForThisName || inv.Reason == x509.IncompatibleUsage) ||
			errors.As(r.Err, &crit) || errors.As(r.Err, &judged)
		if (errors.As(r.Err, &unk) || named) && len(r.Links) > 0 && r.Links[len(r.Links)-1].Trusted {
			if cause, fix := failedCheck(r.Links, at, purpose, o); cause != "" {
				r.Cause, r.Fix = cause, fix
			}
		}
	}
	return r
}

// Failure returns the error of a chain that did not verify (nil for a
// valid one): its message is the cause in plain words, and it wraps the
// verifier's error.
func (r *Result) Failure() error {
	if r.Valid {
		return nil
	}
	return &Error{Cause: r.Cause, Err: r.Err}
}

// Error is a chain that did not verify.
type Error struct {
	// Cause says why in plain words; Err is crypto/x509's error (or this
	// package's, for Ed448 links).
	Cause string
	Err   error
}

func (e *Error) Error() string { return e.Cause }
func (e *Error) Unwrap() error { return e.Err }

// failedCheck explains the first failed check of a chain verified at at.
func failedCheck(links []Link, at time.Time, purpose x509.ExtKeyUsage, o Options) (string, string) {
	for _, l := range links {
		subject := named(l.Cert)
		for _, c := range l.Checks {
			if c.OK {
				continue
			}
			switch c.Name {
			case "signature":
				if strings.Contains(c.Detail, "insecure algorithm") {
					return fmt.Sprintf("the certificate %s is signed with %s, which is no longer accepted (collisions can be forged)", subject, SignatureName(l.Cert)),
						"reissue it with a SHA-256 (or stronger) signature"
				}
				return fmt.Sprintf("the signature of %s does not verify: %s", subject, c.Detail),
					"the certificate was altered, or the chain holds the wrong issuer"
			case "basic_constraints":
				if !l.Cert.BasicConstraintsValid || !l.Cert.IsCA {
					return fmt.Sprintf("%s signed a certificate but is not a CA: %s", subject, notCA(l.Cert)),
						"issue the certificate from a real CA or intermediate (basicConstraints CA:TRUE, keyUsage keyCertSign)"
				}
				return fmt.Sprintf("the path length constraint of %s is exceeded: %s", subject, c.Detail),
					"issue the certificate from a CA higher up, or reissue the CA with a larger pathlen"
			case "key_size":
				return weakKeyCause(&WeakKeyError{Cert: l.Cert, Role: l.Role, Bits: rsaBits(l.Cert), Min: MinRSABits})
			case "key_usage":
				if l.Role == "leaf" {
					return leafUsageCause(&LeafUsageError{Cert: l.Cert, Purpose: purpose})
				}
				return fmt.Sprintf("the key usage of the CA %s (%s) lacks keyCertSign: it may not sign certificates", subject, c.Detail),
					"reissue the CA with keyUsage keyCertSign (and cRLSign)"
			case "extended_key_usage":
				if anyOnly(l.Cert, purpose) {
					return purposeCause(&PurposeError{Cert: l.Cert, Role: l.Role, Purpose: purpose, AnyEKU: true})
				}
				return ekuCause(l.Cert, l.Role == "leaf", purpose)
			case "netscape_cert_type":
				return purposeCause(&PurposeError{Cert: l.Cert, Role: l.Role, Purpose: purpose})
			case "name_constraints":
				return fmt.Sprintf("the name constraints of %s rule out the certificate: %s", subject, c.Detail),
					"issue the certificate from a CA allowed to sign these names"
			case "validity":
				fix := "renew the certificate (and check " + clockName(o.Clock) + ")"
				if o.AtGiven {
					fix = validityFix(l.Cert, at, o)
				}
				return fmt.Sprintf("the certificate %s is outside its validity window: %s", subject, c.Detail), fix
			case "critical_extensions":
				return fmt.Sprintf("the certificate %s has a %s", subject, c.Detail),
					"reissue it without that extension, or with it not critical"
			}
		}
	}
	return "", ""
}

// checkError is a failed check that judge found, which crypto/x509 would
// have refused with an error of its own: failedCheck explains it.
type checkError struct{ msg string }

func (e *checkError) Error() string { return e.msg }

// withoutName returns links without their host name checks.
func withoutName(links []Link) []Link {
	out := slices.Clone(links)
	for i := range out {
		out[i].Checks = slices.DeleteFunc(slices.Clone(out[i].Checks), func(c Check) bool { return c.Name == "host_name" })
	}
	return out
}

// judge decides a chain from the link checks (for Ed448 chains only). A
// leaf not valid for name is an x509.HostnameError, as crypto/x509 says it.
func judge(links []Link, name string) (bool, error) {
	if len(links) == 0 {
		return false, errors.New("no chain")
	}
	for _, l := range links {
		for _, c := range l.Checks {
			if c.Name == "key_size" {
				// Judged after, as for any chain (weakKey).
				continue
			}
			if !c.OK && c.Name == "host_name" {
				return false, x509.HostnameError{Certificate: l.Cert, Host: name}
			}
			// The failures crypto/x509 would have named, named as it
			// does, so that they are explained alike.
			switch {
			case !c.OK && c.Name == "validity":
				return false, x509.CertificateInvalidError{Cert: l.Cert, Reason: x509.Expired}
			case !c.OK && (c.Name == "trust" || (c.Name == "signature" && l.Issuer == nil)):
				// A root not trusted, an issuer not found.
				return false, x509.UnknownAuthorityError{Cert: l.Cert}
			}
			if !c.OK {
				return false, &checkError{fmt.Sprintf("%s of %s: %s", strings.ReplaceAll(c.Name, "_", " "), named(l.Cert), c.Detail)}
			}
		}
	}
	if !links[len(links)-1].Trusted {
		return false, x509.UnknownAuthorityError{Cert: links[len(links)-1].Cert}
	}
	return true, nil
}

// systemRoots tells whether the roots are the system's, which cannot be
// listed.
func (o Options) systemRoots() bool { return o.Roots == nil && o.RootPool == nil }

// extendFromPool completes path, which stops before a root, with the
// chain a pool (nil: the system's) verifies for its last certificate, and
// returns the root found (nil when none). The certificate is checked as a
// CA, at, with any key usage: what the leaf's own verification would have
// needed above it.
func extendFromPool(path []*x509.Certificate, o Options, at time.Time) ([]*x509.Certificate, *x509.Certificate) {
	top := path[len(path)-1]
	if selfSigned(top) || len(path) >= maxDepth {
		return path, nil
	}
	inter := x509.NewCertPool()
	for _, c := range o.Intermediates {
		inter.AddCert(c)
	}
	chains, err := top.Verify(x509.VerifyOptions{Roots: o.poolFor(append([]*x509.Certificate{top}, o.Intermediates...)...), Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains[0]) < 2 {
		return path, nil
	}
	rest := chains[0][1:]
	if len(path)+len(rest) > maxDepth {
		return path, nil
	}
	return append(path, rest...), rest[len(rest)-1]
}

// buildPath follows issuers from leaf through the intermediates and roots,
// by name and signature: to a trusted root when some path leads to one (a
// cross-signed CA offers two issuers of one name), else as far as it can.
func buildPath(leaf *x509.Certificate, intermediates, roots []*x509.Certificate) []*x509.Certificate {
	path := []*x509.Certificate{leaf}
	pool := append(append([]*x509.Certificate{}, roots...), intermediates...)
	budget := 64
	if trusted := pathToRoot(path, pool, roots, &budget); trusted != nil {
		return trusted
	}
	for c := leaf; len(path) < maxDepth && !selfSigned(c); {
		var next *x509.Certificate
		for _, p := range pool {
			if bytes.Equal(p.RawSubject, c.RawIssuer) && !slices.Contains(path, p) && signatureOK(c, p) == nil {
				next = p
				break
			}
		}
		if next == nil {
			// A name match with a bad signature still explains more.
			for _, p := range pool {
				if bytes.Equal(p.RawSubject, c.RawIssuer) && !slices.Contains(path, p) {
					next = p
					break
				}
			}
		}
		if next == nil {
			break
		}
		path = append(path, next)
		c = next
	}
	return path
}

// pathToRoot extends path, by name and signature, to a certificate of
// roots, trying every issuer of each name, within budget signature
// checks; nil when no such path is found.
func pathToRoot(path, pool, roots []*x509.Certificate, budget *int) []*x509.Certificate {
	c := path[len(path)-1]
	if slices.ContainsFunc(roots, c.Equal) {
		return path
	}
	if len(path) >= maxDepth || selfSigned(c) {
		return nil
	}
	for _, p := range pool {
		if *budget <= 0 {
			return nil
		}
		if !bytes.Equal(p.RawSubject, c.RawIssuer) || slices.ContainsFunc(path, p.Equal) {
			continue
		}
		*budget--
		if signatureOK(c, p) != nil {
			continue
		}
		if found := pathToRoot(append(slices.Clip(path), p), pool, roots, budget); found != nil {
			return found
		}
	}
	return nil
}

func selfIssued(c *x509.Certificate) bool { return bytes.Equal(c.RawSubject, c.RawIssuer) }

// selfSigned reports whether c is its own issuer, as openssl takes it: its
// own name as issuer, its authority key identifier (when it has one and a
// subject key identifier) its own, and its signature not refused by its
// own key. A signature crypto/x509 no longer checks (SHA-1, MD5) does not
// make a root any less self-signed. A certificate that only bears its
// issuer's name was issued by another CA of that name.
func selfSigned(c *x509.Certificate) bool {
	if !selfIssued(c) || len(c.AuthorityKeyId) > 0 && len(c.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
		return false
	}
	var insecure x509.InsecureAlgorithmError
	err := signatureOK(c, c)
	return err == nil || errors.As(err, &insecure) || errors.Is(err, errInsecurePSS)
}

func isEd448Signed(c *x509.Certificate) bool {
	var cert struct {
		TBS    asn1.RawValue
		SigAlg struct{ Algorithm asn1.ObjectIdentifier }
	}
	if _, err := asn1.Unmarshal(c.Raw, &cert); err != nil {
		return false
	}
	return cert.SigAlg.Algorithm.Equal(oidEd448)
}

// spkiAlgorithm returns the OID and key bits of a SubjectPublicKeyInfo.
func spkiAlgorithm(raw []byte) (asn1.ObjectIdentifier, []byte) {
	var spki struct {
		Algorithm struct{ Algorithm asn1.ObjectIdentifier }
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(raw, &spki); err != nil {
		return nil, nil
	}
	return spki.Algorithm.Algorithm, spki.Key.Bytes
}

// KeyDescription names a certificate's public key: "RSA 2048 bits",
// "ECDSA P-256", "Ed25519", "Ed448".
func KeyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	if c.PublicKeyAlgorithm == x509.DSA {
		// Dss-Parms (RFC 3279, Section 2.3.2): the size is p's.
		var params struct{ P, Q, G *big.Int }
		if _, err := asn1.Unmarshal(spkiParams(c.RawSubjectPublicKeyInfo), &params); err == nil && params.P != nil {
			return fmt.Sprintf("DSA %d bits", params.P.BitLen())
		}
		return "DSA"
	}
	if k, ok := rsaKey(c); ok {
		return fmt.Sprintf("RSA-PSS %d bits", k.N.BitLen())
	}
	switch oid, _ := spkiAlgorithm(c.RawSubjectPublicKeyInfo); {
	case oid.Equal(oidEd448):
		return "Ed448"
	case oid.Equal(oidX448):
		return "X448"
	case oid.Equal(oidX25519):
		return "X25519"
	case oid != nil:
		return "unknown key type " + oid.String()
	}
	return "unknown key type"
}

// SignatureName names a certificate's signature algorithm, Ed448
// included.
func SignatureName(c *x509.Certificate) string {
	if c.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return c.SignatureAlgorithm.String()
	}
	switch oid, _ := signatureAlgorithm(c); {
	case oid.Equal(oidEd448):
		return "Ed448"
	case oid.Equal(oidRSAPSS):
		return pssName(c)
	case oid != nil:
		// crypto/x509's name of an unknown algorithm is "0".
		return "unknown algorithm " + oid.String()
	}
	return "unknown algorithm"
}

// signatureOK checks c's signature with issuer's key (the mathematics
// only; the issuer's CA rights are checked separately).
func signatureOK(c, issuer *x509.Certificate) error {
	if isEd448Signed(c) {
		oid, key := spkiAlgorithm(issuer.RawSubjectPublicKeyInfo)
		if !oid.Equal(oidEd448) || len(key) != ed448.PublicKeySize {
			return errors.New("the certificate is signed with Ed448 but the issuer's key is not an Ed448 key")
		}
		if !ed448.Verify(ed448.PublicKey(key), c.RawTBSCertificate, c.Signature, "") {
			return errors.New("the Ed448 signature does not verify with the issuer's key")
		}
		return nil
	}
	if ownPSS(c, issuer) {
		return checkPSS(c, issuer)
	}
	return issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
}

var sigHashes = map[x509.SignatureAlgorithm]crypto.Hash{
	x509.SHA1WithRSA: crypto.SHA1, x509.SHA256WithRSA: crypto.SHA256, x509.SHA384WithRSA: crypto.SHA384, x509.SHA512WithRSA: crypto.SHA512,
	x509.SHA256WithRSAPSS: crypto.SHA256, x509.SHA384WithRSAPSS: crypto.SHA384, x509.SHA512WithRSAPSS: crypto.SHA512,
	x509.ECDSAWithSHA1: crypto.SHA1, x509.ECDSAWithSHA256: crypto.SHA256, x509.ECDSAWithSHA384: crypto.SHA384, x509.ECDSAWithSHA512: crypto.SHA512,
	x509.MD5WithRSA: crypto.MD5,
}

// recoverRSA undoes an RSA PKCS #1 v1.5 signature with the public key and
// returns the digest inside its DigestInfo: what seed document 004 does
// with `openssl rsautl -verify`.
func recoverRSA(pub *rsa.PublicKey, sig []byte) []byte {
	k := (pub.N.BitLen() + 7) / 8
	if len(sig) != k {
		return nil
	}
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	if m[0] != 0 || m[1] != 1 {
		return nil
	}
	i := 2
	for i < len(m) && m[i] == 0xff {
		i++
	}
	if i >= len(m) || m[i] != 0 {
		return nil
	}
	var di struct {
		Alg    asn1.RawValue
		Digest []byte
	}
	if _, err := asn1.Unmarshal(m[i+1:], &di); err != nil {
		return nil
	}
	return di.Digest
}

// explainLink checks one certificate of path against its issuer. verified
// says crypto/x509 built and checked this path: its signatures are then
// not checked a second time.
func explainLink(c, issuer *x509.Certificate, i, n int, path []*x509.Certificate, at time.Time, purpose x509.ExtKeyUsage, name string, fallback bool, roots []*x509.Certificate, system, verified, thorough bool) Link {
	l := Link{Cert: c, Issuer: issuer, Role: "intermediate"}
	switch {
	case i == 0:
		l.Role = "leaf"
	case i == n-1 && selfSigned(c):
		l.Role = "root"
	}
	for _, r := range roots {
		if r.Equal(c) {
			l.Trusted = true
		}
	}
	add := func(name string, ok bool, format string, args ...any) {
		l.Checks = append(l.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	// Signature.
	h, ok := sigHashes[c.SignatureAlgorithm]
	if oid, params := signatureAlgorithm(c); !ok && oid.Equal(oidRSAPSS) {
		p, err := parsePSS(params)
		h, ok = p.hash, err == nil
	}
	if ok && h.Available() {
		hh := h.New()
		hh.Write(c.RawTBSCertificate)
		l.Hash, l.TBSHash = h.String(), hh.Sum(nil)
	}
	switch {
	case issuer == nil && (l.Trusted || verified && i == n-1):
		// A trust anchor that is not self-signed (an intermediate given
		// as trusted): crypto/x509 stops there, as openssl verify does
		// with -partial_chain.
		add("signature", true, "not checked: a trust anchor, trusted because it is among the trusted roots; its issuer %q is not needed (openssl verify stops here only with -partial_chain)", dn.Issuer(c))
	case issuer == nil && system:
		// The system's roots were asked for the issuer (extendFromPool)
		// but cannot be listed: say what was done.
		add("signature", false, "issuer %q not found: not in the chain given, and none of the system's trusted roots verifies this certificate at this time (the system's store cannot be listed)", dn.Issuer(c))
	case issuer == nil:
		add("signature", false, "issuer %q not found: not in the chain given nor among the trusted roots", dn.Issuer(c))
	default:
		if pub, ok := issuer.PublicKey.(*rsa.PublicKey); ok && thorough && c.SignatureAlgorithm >= x509.MD5WithRSA && c.SignatureAlgorithm <= x509.SHA512WithRSA {
			l.Recovered = recoverRSA(pub, c.Signature)
		}
		who := "the issuer's"
		if issuer == c {
			who = "its own"
		}
		var err error
		checked := !verified || (issuer == c && thorough)
		if checked {
			// (crypto/x509 does not check a root's own signature.)
			err = signatureOK(c, issuer)
		}
		if err != nil {
			add("signature", false, "%s signature checked with %s %s key: %v", SignatureName(c), who, KeyDescription(issuer), err)
		} else if insecureSig(c.SignatureAlgorithm) && issuer != c {
			add("signature", false, "%s signature verified with %s %s key, but it uses an insecure algorithm: crypto/x509 no longer accepts SHA-1 or MD5 signatures on certificates", SignatureName(c), who, KeyDescription(issuer))
		} else if !checked && issuer == c {
			add("signature", true, "self-signed with its own %s key; a root is trusted because it is in the trust store, not for its signature", KeyDescription(c))
		} else {
			add("signature", true, "%s signature verified with %s %s key", SignatureName(c), who, KeyDescription(issuer))
		}
	}
	if c, ok := checkKeySize(c); !ok {
		l.Checks = append(l.Checks, c)
	}
	// Validity.
	window := fmt.Sprintf("%s to %s", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	switch {
	case at.Before(c.NotBefore):
		add("validity", false, "%s: not yet valid at %s (valid in %s)", window, at.UTC().Format(time.RFC3339), span(c.NotBefore.Sub(at)))
	case at.After(c.NotAfter):
		add("validity", false, "%s: expired at %s (%s ago)", window, at.UTC().Format(time.RFC3339), span(at.Sub(c.NotAfter)))
	default:
		add("validity", true, "%s: valid at %s", window, at.UTC().Format(time.RFC3339))
	}
	if len(c.UnhandledCriticalExtensions) > 0 {
		// RFC 5280, Section 4.2: a critical extension the verifier does
		// not know fails the certificate (crypto/x509 names neither).
		var ids []string
		for _, id := range c.UnhandledCriticalExtensions {
			ids = append(ids, id.String())
		}
		add("critical_extensions", false, "critical extension %s not understood: a verifier must refuse the certificate (RFC 5280, Section 4.2)", strings.Join(ids, ", "))
	}
	if i > 0 {
		// A CA: basic constraints, path length, key usage.
		switch {
		case !c.BasicConstraintsValid && c.Version < 3 && l.Trusted && i == n-1:
			// RFC 5280, Section 4.2.1.9 asks basic constraints of a
			// version 3 certificate only: crypto/x509 and openssl take a
			// version 1 root.
			add("basic_constraints", true, "none: a version %d certificate, which has no extensions, taken as a trusted root", c.Version)
		case !c.BasicConstraintsValid || !c.IsCA:
			add("basic_constraints", false, "%s", notCA(c))
		case c.MaxPathLen >= 0 && (c.MaxPathLen > 0 || c.MaxPathLenZero) && i-1 > c.MaxPathLen:
			add("basic_constraints", false, "CA:TRUE, pathlen:%d, but %d intermediate CA(s) sit below it", c.MaxPathLen, i-1)
		case c.MaxPathLenZero:
			add("basic_constraints", true, "CA:TRUE, pathlen:0 (%d CA(s) below it)", i-1)
		case c.MaxPathLen > 0:
			add("basic_constraints", true, "CA:TRUE, pathlen:%d (%d CA(s) below it)", c.MaxPathLen, i-1)
		default:
			add("basic_constraints", true, "CA:TRUE, no path length limit")
		}
		if c.KeyUsage != 0 {
			add("key_usage", c.KeyUsage&x509.KeyUsageCertSign != 0, "%s", keyUsages(c.KeyUsage))
		}
		if nc := nameConstraints(c); nc != "" {
			ok := true
			detail := nc
			host := ""
			if fallback {
				host = name
			}
			if err := checkNameConstraints(c, path[:i], host); err != "" {
				ok, detail = false, nc+": "+err
			}
			add("name_constraints", ok, "%s", detail)
		}
	} else {
		if c.KeyUsage != 0 {
			add("key_usage", c.KeyUsage&leafUsages(purpose) != 0, "%s", keyUsages(c.KeyUsage))
		}
		if name != "" {
			err := c.VerifyHostname(name)
			switch {
			case err != nil && fallback:
				add("host_name", true, "%s matches the common name %q: the certificate has %s, and the common-name fallback (as %s) was asked for", name, c.Subject.CommonName, noHostSANs(c), fallsBack(name, "does", "do"))
			case err != nil && noSANs(c) && c.Subject.CommonName == "":
				add("host_name", false, "the certificate has %s and no common name: it names no host", noHostSANs(c))
			case err != nil && noSANs(c) && !CommonNameMatches(c, name):
				add("host_name", false, "the certificate has %s, and its common name %q does not match %s either (curl and OpenSSL, which fall back to the common name, refuse it too)",
					noHostSANs(c), c.Subject.CommonName, name)
			case err != nil && noSANs(c):
				add("host_name", false, "the certificate has %s; its common name %q is not used for %s since RFC 6125 and the CA/Browser Forum rules (%s)",
					noHostSANs(c), c.Subject.CommonName, name, fallsBack(name, "falls back to it", "fall back to it"))
			case err != nil && sanTypeMismatch(c, name) != "":
				add("host_name", false, "%s", sanTypeMismatch(c, name))
			case err != nil:
				add("host_name", false, "%s is not among the subject alternative names %s (the common name %q is not used for this since RFC 6125 and the CA/Browser Forum rules)",
					name, sanList(c), c.Subject.CommonName)
			default:
				add("host_name", true, "%s matches the subject alternative names %s", name, sanList(c))
			}
		}
	}
	if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
		if anyOnly(c, purpose) {
			add("extended_key_usage", false, "%s (needed: %s): anyExtendedKeyUsage does not stand for %s to OpenSSL, curl and Firefox (crypto/x509 takes it)", ekuList(c), purpose, purpose)
		} else {
			add("extended_key_usage", ekuAllows(c, purpose), "%s (needed: %s)", ekuList(c), purpose)
		}
	}
	if bits, ok := netscapeCertType(c); ok && i == 0 {
		// A CA's is read only without basicConstraints (purpose.go).
		need, name := nsNeeded(purpose)
		add("netscape_cert_type", bits&need != 0, "%s (needed: %s)", nsTypeNames(bits), name)
	}
	return l
}

// notCA says why c, which signed a certificate, is not a CA: its basic
// constraints say CA:FALSE, or it has none (RFC 5280, Section 4.2.1.9).
func notCA(c *x509.Certificate) string {
	if !c.BasicConstraintsValid {
		return "no basicConstraints extension, so not a CA: it may not issue certificates"
	}
	return "CA:FALSE: it may not issue certificates"
}

func insecureSig(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

func keyUsages(k x509.KeyUsage) string {
	var out []string
	for b := x509.KeyUsageDigitalSignature; b <= x509.KeyUsageDecipherOnly; b <<= 1 {
		if k&b != 0 {
			out = append(out, b.String())
		}
	}
	return strings.Join(out, ", ")
}

func sanList(c *x509.Certificate) string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	switch {
	case len(names) == 0:
		return "(none)"
	case len(names) > 6:
		return fmt.Sprintf("[%s, … %d names in all]", strings.Join(names[:6], ", "), len(names))
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func nameConstraints(c *x509.Certificate) string {
	var parts []string
	if len(c.PermittedDNSDomains) > 0 {
		parts = append(parts, "permitted DNS "+strings.Join(c.PermittedDNSDomains, ", "))
	}
	if len(c.ExcludedDNSDomains) > 0 {
		parts = append(parts, "excluded DNS "+strings.Join(c.ExcludedDNSDomains, ", "))
	}
	for _, n := range c.PermittedIPRanges {
		parts = append(parts, "permitted IP "+n.String())
	}
	for _, n := range c.ExcludedIPRanges {
		parts = append(parts, "excluded IP "+n.String())
	}
	if len(c.PermittedEmailAddresses) > 0 {
		parts = append(parts, "permitted email "+strings.Join(c.PermittedEmailAddresses, ", "))
	}
	if len(c.ExcludedEmailAddresses) > 0 {
		parts = append(parts, "excluded email "+strings.Join(c.ExcludedEmailAddresses, ", "))
	}
	if len(c.PermittedURIDomains) > 0 {
		parts = append(parts, "permitted URI "+strings.Join(c.PermittedURIDomains, ", "))
	}
	if len(c.ExcludedURIDomains) > 0 {
		parts = append(parts, "excluded URI "+strings.Join(c.ExcludedURIDomains, ", "))
	}
	if nc, ok := parseOwnConstraints(c); ok {
		parts = append(parts, nc.describe()...)
	}
	return strings.Join(parts, "; ")
}

// checkNameConstraints tells which names of the certificates below a CA
// (leaf first) the CA's constraints rule out ("" when none): those of
// their subjectAltNames, as crypto/x509 checks them, DNS names,
// addresses, e-mail addresses (a mailbox exactly, or by its host) and
// URIs (by their host as a DNS name; one without a host name cannot be
// matched, RFC 5280, Section 4.2.1.10); and those OpenSSL checks besides
// (ownNameViolations): subjects and directoryName entries against the
// directoryName subtrees, and the subjects' emailAddress attributes. The
// leaf's common names that OpenSSL holds to the DNS constraints
// (cnDNSIDs) count as DNS names. Each name is said to fall outside the
// permitted subtrees or inside an excluded one.
//
// host, when the leaf's common name stands for it (the fallback), counts
// too (fallbackHostAllowed).
func checkNameConstraints(ca *x509.Certificate, below []*x509.Certificate, host string) string {
	// outside and excluded are the phrases of the names outside the
	// permitted subtrees and inside an excluded one; nOut and nEx count
	// the names.
	var outside, excluded []string
	var nOut, nEx int
	verdict := func(permitted, excl []string, in func(string) bool) string {
		for _, e := range excl {
			if in(e) {
				return "excluded"
			}
		}
		if len(permitted) == 0 {
			return ""
		}
		for _, p := range permitted {
			if in(p) {
				return ""
			}
		}
		return "outside"
	}
	dnsVerdict := func(d string) string {
		return verdict(ca.PermittedDNSDomains, ca.ExcludedDNSDomains, func(k string) bool { return domainIn(d, k) })
	}
	ipVerdict := func(ip net.IP) string {
		for _, n := range ca.ExcludedIPRanges {
			if n.Contains(ip) {
				return "excluded"
			}
		}
		if len(ca.PermittedIPRanges) == 0 {
			return ""
		}
		for _, n := range ca.PermittedIPRanges {
			if n.Contains(ip) {
				return ""
			}
		}
		return "outside"
	}
	for i, c := range below {
		var bad, bex []string
		var cnBad, cnEx []string
		sort := func(v, name string, out, ex *[]string) {
			switch v {
			case "outside":
				*out = append(*out, name)
			case "excluded":
				*ex = append(*ex, name)
			}
		}
		for _, d := range c.DNSNames {
			sort(dnsVerdict(d), d, &bad, &bex)
		}
		if i == 0 {
			ids, nul := cnDNSIDs(c)
			for _, d := range ids {
				sort(dnsVerdict(d), d, &cnBad, &cnEx)
			}
			if nul {
				cnBad = append(cnBad, fmt.Sprintf("%q (a NUL byte inside, which OpenSSL refuses under any name constraints)", c.Subject.CommonName))
			}
			if host != "" && !slices.Contains(ids, c.Subject.CommonName) && !fallbackHostAllowed(ca, host) {
				v := dnsVerdict(host)
				if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
					v = ipVerdict(ip)
				}
				phrase := fmt.Sprintf("the host name %s, for which the leaf's common name %q stands (curl and OpenSSL hold no common name without a dot, nor a wildcard, to the constraints, and accept it; tlstrace holds the name the common name stands for to them, as it would a subjectAltName)",
					host, c.Subject.CommonName)
				if v == "excluded" {
					excluded, nEx = append(excluded, phrase), nEx+1
				} else {
					outside, nOut = append(outside, phrase), nOut+1
				}
			}
		}
		for _, ip := range c.IPAddresses {
			sort(ipVerdict(ip), ip.String(), &bad, &bex)
		}
		for _, e := range c.EmailAddresses {
			sort(emailVerdict(ca, e), e, &bad, &bex)
		}
		for _, u := range c.URIs {
			host := u.Hostname()
			if host == "" || net.ParseIP(host) != nil {
				bad = append(bad, u.String()+" (no host name to match)")
				continue
			}
			sort(verdict(ca.PermittedURIDomains, ca.ExcludedURIDomains, func(k string) bool { return domainIn(host, k) }), u.String(), &bad, &bex)
		}
		own, ownEx := ownNameViolations(ca, c, i == 0)
		bad, bex = append(bad, own...), append(bex, ownEx...)
		whose := "the leaf's "
		if i > 0 {
			whose = named(c) + "'s "
		}
		cn := func(names []string) string {
			what, kind := "common name", "a host name"
			if len(names) > 1 {
				what, kind = "common names", "host names"
			}
			return fmt.Sprintf("the leaf's %s %s (%s, which OpenSSL and curl check against the DNS constraints when the subjectAltName has no DNS name)",
				what, strings.Join(names, ", "), kind)
		}
		if len(bad) > 0 {
			outside = append(outside, whose+strings.Join(bad, ", "))
		}
		if len(cnBad) > 0 {
			outside = append(outside, cn(cnBad))
		}
		if len(bex) > 0 {
			excluded = append(excluded, whose+strings.Join(bex, ", "))
		}
		if len(cnEx) > 0 {
			excluded = append(excluded, cn(cnEx))
		}
		nOut += len(bad) + len(cnBad)
		nEx += len(bex) + len(cnEx)
	}
	var out []string
	switch {
	case nOut == 1:
		out = append(out, strings.Join(outside, "; ")+" falls outside them")
	case nOut > 1:
		out = append(out, strings.Join(outside, "; ")+" fall outside them")
	}
	switch {
	case nEx == 1:
		out = append(out, strings.Join(excluded, "; ")+" falls inside an excluded subtree")
	case nEx > 1:
		out = append(out, strings.Join(excluded, "; ")+" fall inside excluded subtrees")
	}
	return strings.Join(out, "; ")
}

// emailIn tells whether the e-mail address addr is within an e-mail
// constraint, as RFC 5280, Section 4.2.1.10 and OpenSSL (nc_email) read
// one: with an @, that mailbox (the host's case aside); beginning with a
// dot, any mailbox on a host within that domain; else any mailbox on
// that host, not on its subdomains (which crypto/x509 takes too).
func emailIn(addr, constraint string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	host := addr[at+1:]
	if c := strings.LastIndexByte(constraint, '@'); c >= 0 {
		return (c == 0 || addr[:at] == constraint[:c]) && strings.EqualFold(host, constraint[c+1:])
	}
	if strings.HasPrefix(constraint, ".") {
		return len(addr) > len(constraint) && strings.EqualFold(addr[len(addr)-len(constraint):], constraint)
	}
	return strings.EqualFold(host, constraint)
}

func domainIn(name, constraint string) bool {
	if constraint == "" {
		// An empty subtree holds every name (RFC 5280, Section
		// 4.2.1.10; crypto/x509 and OpenSSL's nc_dns alike).
		return true
	}
	name, constraint = strings.ToLower(name), strings.ToLower(constraint)
	if strings.HasPrefix(constraint, ".") {
		return strings.HasSuffix(name, constraint)
	}
	return name == constraint || strings.HasSuffix(name, "."+constraint)
}

// span says a duration as a person would: in days from two days up, else
// in hours, minutes or seconds.
func span(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 48*time.Hour:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int64(d/time.Hour), "hour")
	case d >= 2*time.Minute:
		return plural(int64(d/time.Minute), "minute")
	default:
		return plural(int64(d/time.Second), "second")
	}
}
