package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/setting"
)

func keyFlags(f *pflag.FlagSet, j *certgen.Job) {
	f.StringVar(&j.KeyType, "key-type", "p256", "key type: "+strings.Join(certgen.KeyTypes, ", "))
	f.StringVar(&j.KeyFile, "key", "", "use this existing private key `FILE` instead of making one")
	f.StringVar(&j.KeyOut, "key-out", "", "write the new private key to `FILE` (mode 0600)")
	fileFlags(f, j)
}

func fileFlags(f *pflag.FlagSet, j *certgen.Job) {
	f.BoolVar(&j.Files.Force, "force", false, "overwrite existing files")
	f.BoolVar(&j.Files.DER, "der", false, "write DER instead of PEM")
}

func certFlags(f *pflag.FlagSet, j *certgen.Job, defDays int) {
	f.StringVar(&j.CommonName, "cn", "", "subject common name")
	f.StringArrayVar(&j.SANs, "san", nil, "subject alternative name: DNS name (*. wildcard allowed), IP address, email or URI (DNS:, IP:, email:, URI: prefixes accepted; repeatable)")
	f.IntVar(&j.Days, "days", defDays, "validity in days (1 or more) from --not-before, or from now")
	f.StringVar(&j.NotBefore, "not-before", "", "start of validity (RFC 3339)")
	f.StringVar(&j.NotAfter, "not-after", "", "end of validity (RFC 3339)")
	f.StringArrayVar(&j.KeyUsage, "key-usage", nil, "key usage: digitalSignature, keyEncipherment, keyAgreement, keyCertSign, cRLSign, … (repeatable)")
	f.StringArrayVar(&j.ExtKeyUsage, "ext-key-usage", nil, "extended key usage: serverAuth, clientAuth, codeSigning, emailProtection, … (repeatable)")
	f.StringVar(&j.CACert, "ca", "", "issuer certificate `FILE`: PEM, DER or PKCS#12 (default: self-signed)")
	f.StringVar(&j.CAKey, "ca-key", "", "issuer private key `FILE` (default: the key the --ca file holds)")
	f.StringVar(&j.CAPass, "ca-pass", "", "password of a PKCS#12 --ca file")
	f.StringVarP(&j.Out, "output", "o", "", "write the certificate to `FILE` (default: standard output)")
	f.StringVar(&j.P12, "p12", "", "also write certificate, chain and key as a PKCS#12 `FILE` (with --pass)")
	f.StringVar(&j.Pass, "pass", "", "password of the --p12 file")
}

func newCertGenCmds(stdout, stderr io.Writer) []*cobra.Command {
	var key, ca, csr, sign, newc certgen.Job
	key.Files.Stdout, ca.Files.Stdout, csr.Files.Stdout, sign.Files.Stdout, newc.Files.Stdout = stdout, stdout, stdout, stdout, stdout
	// made warns of a server's certificate or request (what) written
	// without a name, then says the error.
	made := func(what, fix string) func(certgen.Made, error) error {
		return func(m certgen.Made, err error) error {
			if m.NoServerName {
				fmt.Fprintf(stderr, "tlstrace: warning: the %s names no DNS name or IP address (subjectAltName): browsers and Go's crypto/x509 ignore the CN %q of a server certificate; %s\n", what, m.CommonName, fix)
			}
			for _, d := range m.Dropped {
				fmt.Fprintf(stderr, "tlstrace: %s\n", droppedText(d))
			}
			for _, n := range m.Names {
				fmt.Fprintf(stderr, "tlstrace: warning: %s\n", nameText(n))
			}
			for _, oid := range m.UnknownCritical {
				fmt.Fprintf(stderr, "tlstrace: warning: the certificate carries the request's critical extension %s: Go's crypto/x509 (and tlstrace verify) does not know it, and refuses the certificate, as a verifier must refuse a critical extension it does not know (RFC 5280, Section 4.2); unless every verifier of the certificate knows it, sign a request without it, or with it not critical\n", oid)
			}
			if m.IssuerExpired {
				fmt.Fprintf(stderr, "tlstrace: warning: the issuer %q has expired: no chain through it verifies; renew the CA (tlstrace cert ca) and issue again\n", m.Issuer)
			}
			if m.IssuerNoCAs {
				fmt.Fprintf(stderr, "tlstrace: warning: the issuer %q may not certify CAs (its pathLenConstraint is 0): no chain through the new CA verifies; issue it from a CA whose --path-len allows one more, or from the root\n", m.Issuer)
			}
			if !m.IssuerNotAfter.IsZero() {
				fmt.Fprintf(stderr, "tlstrace: warning: the certificate is valid after its issuer %q expires (%s): from then on no chain through it verifies; give fewer --days (or --not-after), or renew the CA\n", m.Issuer, m.IssuerNotAfter.UTC().Format(time.RFC3339))
			}
			return certJobError(err)
		}
	}
	keyCmd := &cobra.Command{
		Use:   "key -o FILE",
		Short: "Make a private key (like openssl genpkey)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if key.KeyOut == "" {
				key.KeyOut = key.Out
			}
			switch key.KeyOut {
			case "":
				return fail(exitUsage, errors.New("give the key file with -o FILE"), "")
			case "-":
				return fail(exitUsage, certio.ErrPrivateToStdout, "give -o FILE")
			}
			return certJobError(key.Key())
		},
	}
	keyFlags(keyCmd.Flags(), &key)
	keyCmd.Flags().StringVarP(&key.Out, "output", "o", "", "write the key to `FILE` (mode 0600)")

	caCmd := &cobra.Command{
		Use:   "ca --cn NAME -o CERT --key-out KEY",
		Short: "Make a CA: a self-signed root, or an intermediate with --ca/--ca-key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ca.Profile = certgen.ProfileCA
			return made("CA certificate", "")(ca.Certificate())
		},
	}
	keyFlags(caCmd.Flags(), &ca)
	certFlags(caCmd.Flags(), &ca, 3650)
	caCmd.Flags().IntVar(&ca.PathLen, "path-len", -1, "basicConstraints pathlen (-1: no limit)")

	newCmd := &cobra.Command{
		Use:   "new --cn NAME --san NAME -o CERT --key-out KEY [--ca CERT --ca-key KEY]",
		Short: "Make a key and a certificate in one go, signed by --ca or self-signed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return made("certificate", "add --san NAME")(newc.Certificate())
		},
	}
	keyFlags(newCmd.Flags(), &newc)
	certFlags(newCmd.Flags(), &newc, 90)
	newCmd.Flags().StringVar(&newc.Profile, "profile", "server", "server, client or both: sets key usage and extended key usage")

	csrCmd := &cobra.Command{
		Use:   "csr --cn NAME [--san NAME] -o CSR (--key KEY | --key-out KEY)",
		Short: "Make a certificate signing request (like openssl req -new)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return made("request", "add --san NAME")(csr.Request())
		},
	}
	keyFlags(csrCmd.Flags(), &csr)
	csrCmd.Flags().StringVar(&csr.CommonName, "cn", "", "subject common name")
	csrCmd.Flags().StringArrayVar(&csr.SANs, "san", nil, "subject alternative name (repeatable)")
	csrCmd.Flags().StringVarP(&csr.Out, "output", "o", "", "write the request to `FILE` (default: standard output)")

	signCmd := &cobra.Command{
		Use:   "sign CSR --ca CERT --ca-key KEY -o CERT",
		Short: "Issue a certificate for a request, with the extensions it asks for that the issuer leaves to it (like openssl ca's copy_extensions = copy); a CA only with --profile ca",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("path-len") && sign.Profile != certgen.ProfileCA {
				return fail(exitUsage, errors.New("--path-len is a CA's: it needs --profile ca"), "")
			}
			return made("certificate", "make the request with --san NAME")(sign.Sign(args[0]))
		},
	}
	fileFlags(signCmd.Flags(), &sign)
	certFlags(signCmd.Flags(), &sign, 90)
	signCmd.Flags().StringVar(&sign.Profile, "profile", "", "ca, server, client or both (default: not a CA, with the usages the request asks for)")
	signCmd.Flags().IntVar(&sign.PathLen, "path-len", -1, "basicConstraints pathlen of a CA (--profile ca; -1: no limit)")
	return []*cobra.Command{keyCmd, caCmd, csrCmd, signCmd, newCmd}
}

// droppedText says what of a request a certificate does not carry, and
// why, with the flag that decides it.
func droppedText(d certgen.Dropped) string {
	what := "the request's " + d.Extension
	if d.Value != "" {
		what += " " + d.Value
	}
	switch d.Why {
	case certgen.DropNotCA:
		return fmt.Sprintf("warning: left out %s: only a CA's certificate carries it, and a request does not make itself a CA; to issue a CA on purpose, sign with --profile ca", what)
	case certgen.DropKeyType:
		return fmt.Sprintf("warning: left out %s: not a usage of the request's type of key", what)
	case certgen.DropDuplicate:
		return fmt.Sprintf("warning: left out %s asked a second time: a certificate carries each extension once", what)
	}
	if f, ok := flagNames[d.Setting]; ok {
		return fmt.Sprintf("note: %s is not copied: %s sets it", what, f)
	}
	return fmt.Sprintf("note: %s is not copied: the issuer derives it from the keys", what)
}

// nameText says why verifiers refuse a DNS name of the certificate or
// request, or public CAs do not issue it.
func nameText(n certgen.NameWarning) string {
	_, base, _ := strings.Cut(n.Name, ".")
	switch n.Why {
	case certgen.NamePartialWildcard:
		if !strings.Contains(base, ".") {
			// OpenSSL wants two labels after a wildcard's, partial or
			// not.
			return fmt.Sprintf("the DNS name %q is a partial wildcard over a single label: OpenSSL wants two labels or more after a wildcard's, and Go's crypto/x509 (and tlstrace verify) and browsers take \"*\" only as a whole label: none matches a host with it; %s", n.Name, wholeWildcard(base))
		}
		return fmt.Sprintf("the DNS name %q is a partial wildcard: OpenSSL matches it (though never a host whose first label is an A-label, xn--…); Go's crypto/x509 (and tlstrace verify) and browsers take \"*\" only as a whole label, and match no host with it; %s", n.Name, wholeWildcard(base))
	case certgen.NameALabelWildcard:
		return fmt.Sprintf("the DNS name %q puts a wildcard in an A-label (xn--…, an internationalized label): OpenSSL takes that \"*\" as a plain character, and Go's crypto/x509 (and tlstrace verify) and browsers take \"*\" only as a whole label: none matches a host with it; %s", n.Name, wholeWildcard(base))
	case certgen.NameOneLabelWildcard:
		return fmt.Sprintf("the DNS name %q is a wildcard over a single label: Go's crypto/x509 matches it, but OpenSSL (openssl verify, curl, nginx) and browsers refuse it; name the hosts, or use a wildcard under a domain of two labels or more (*.example.%s)", n.Name, base)
	case certgen.NameUnderscore:
		return fmt.Sprintf("the DNS name %q has an underscore, which the name syntax of RFC 5280 does not allow: Go's crypto/x509 and OpenSSL match it, but public CAs may not issue it", n.Name)
	case certgen.NameAddress:
		return fmt.Sprintf("the DNS name %q is an IP address: a client connecting to %s looks for it among the certificate's IP addresses only (curl, openssl -verify_ip, Go's crypto/x509), so this DNS name never matches; give IP:%s (--san IP:%s)", n.Name, n.Name, n.Name, n.Name)
	}
	return fmt.Sprintf("the DNS name %q", n.Name)
}

// wholeWildcard advises a wildcard as a whole label over base, the domain
// a partial wildcard was under: one that OpenSSL and browsers take when
// base has two labels or more, else the hosts named.
func wholeWildcard(base string) string {
	if strings.Contains(base, ".") {
		return fmt.Sprintf("name the hosts, or use *.%s", base)
	}
	return fmt.Sprintf("name the hosts, or use a wildcard under a domain of two labels or more (*.example.%s)", base)
}

// certJobError words a certificate job's error with its flags, a hint and
// its exit code.
func certJobError(err error) error {
	var je *certgen.Error
	if !errors.As(err, &je) {
		return err
	}
	switch {
	case errors.Is(err, certgen.ErrNoSubject):
		return fail(exitUsage, errors.New("give a subject with --cn"), "")
	case errors.Is(err, certgen.ErrNoIssuer):
		return fail(exitUsage, errors.New("sign needs --ca and --ca-key"), "or a --ca file that holds the key too (PEM or PKCS#12)")
	case errors.Is(err, certgen.ErrNoIssuerKey):
		return fail(exitUsage, errors.New("--ca needs --ca-key"), "or a --ca file that holds the key too (PEM or PKCS#12)")
	case errors.Is(err, certgen.ErrCAPassWithoutCA):
		return fail(exitUsage, errors.New("--ca-pass without --ca"), "--ca-pass opens a PKCS#12 --ca file; the password of the --p12 file is --pass")
	case errors.Is(err, certgen.ErrNoKeyOut):
		return fail(exitUsage, errors.New("the new private key needs a file: --key-out FILE"), "or pass an existing key with --key")
	case errors.Is(err, certgen.ErrNoP12Key):
		return fail(exitUsage, errors.New("--p12 needs the private key (not available when signing a request)"), "")
	case errors.Is(err, certgen.ErrSameFile):
		return fail(exitUsage, flagError(err), "give each output its own file")
	case errors.Is(err, certio.ErrPrivateToStdout):
		hint := "give a FILE"
		if se := (*setting.Error)(nil); errors.As(err, &se) {
			hint = "give " + flagNames[se.Name] + " FILE"
		}
		return fail(exitUsage, flagError(err), hint)
	case errors.Is(err, certio.ErrWrongPassword):
		return fail(exitInput, err, "give its password with --ca-pass")
	case errors.Is(err, certgen.ErrNoDays):
		return fail(exitUsage, flagError(err), "give --days 1 or more (as openssl req -days); for a certificate expired on purpose, give its end with --not-after (and --not-before)")
	case errors.Is(err, certgen.ErrValidityOrder):
		return fail(exitUsage, flagError(err), "the end of validity (--days from the start, or --not-after) must come after its start (--not-before, or five minutes ago)")
	case errors.Is(err, certgen.ErrRequestName):
		return fail(exitInput, err, "name the certificate's subjects with --san, which replaces the request's subjectAltName")
	case errors.Is(err, certgen.ErrIssuerNotCA):
		return fail(exitInput, err, "issue from a CA's certificate (tlstrace cert ca), not from a leaf's")
	case errors.Is(err, certgen.ErrIssuerKeyMismatch):
		return fail(exitInput, err, "give the key of the --ca certificate with --ca-key")
	case errors.Is(err, os.ErrExist):
		return fail(exitInput, err, "use --force to overwrite it")
	}
	switch je.Step {
	case certgen.StepSettings:
		hint := ""
		if se := (*setting.Error)(nil); errors.As(je.Err, &se) {
			hint = settingHints[se.Name]
		}
		return fail(exitUsage, flagError(je.Err), hint)
	case certgen.StepRead:
		return certFileError(je.Err)
	case certgen.StepWrite:
		if je.Name == "" || je.Name == "-" {
			return je.Err
		}
		return fail(exitInput, je.Err, "")
	case certgen.StepPKCS12:
		return fail(exitFailure, je.Err, "PKCS#12 cannot carry Ed448 keys")
	}
	return fail(exitFailure, je.Err, "")
}
