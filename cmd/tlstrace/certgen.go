package main

import (
	"crypto"
	"crypto/x509"
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
)

type genOptions struct {
	cfg       certgen.Config
	keyType   string
	keyFile   string // an existing key to use
	days      int
	notBefore string
	notAfter  string
	caCert    string
	caKey     string
	out       string
	keyOut    string
	p12       string
	pass      string
	files     certio.Files // --der, --force
	stderr    io.Writer    // for warnings
}

func (o *genOptions) keyFlags(f *pflag.FlagSet) {
	f.StringVar(&o.keyType, "key-type", "p256", "key type: "+strings.Join(certgen.KeyTypes, ", "))
	f.StringVar(&o.keyFile, "key", "", "use this existing private key `FILE` instead of making one")
	f.StringVar(&o.keyOut, "key-out", "", "write the new private key to `FILE` (mode 0600)")
	f.BoolVar(&o.files.Force, "force", false, "overwrite existing files")
	f.BoolVar(&o.files.DER, "der", false, "write DER instead of PEM")
}

func (o *genOptions) certFlags(f *pflag.FlagSet, defDays int) {
	f.StringVar(&o.cfg.CommonName, "cn", "", "subject common name")
	f.StringArrayVar(&o.cfg.SANs, "san", nil, "subject alternative name: DNS name, IP, email or URI (DNS:, IP:, email:, URI: prefixes accepted; repeatable)")
	f.IntVar(&o.days, "days", defDays, "validity in days from now")
	f.StringVar(&o.notBefore, "not-before", "", "start of validity (RFC 3339)")
	f.StringVar(&o.notAfter, "not-after", "", "end of validity (RFC 3339)")
	f.StringArrayVar(&o.cfg.KeyUsage, "key-usage", nil, "key usage: digitalSignature, keyEncipherment, keyAgreement, keyCertSign, cRLSign, … (repeatable)")
	f.StringArrayVar(&o.cfg.ExtKeyUsage, "ext-key-usage", nil, "extended key usage: serverAuth, clientAuth, codeSigning, emailProtection, … (repeatable)")
	f.StringVar(&o.caCert, "ca", "", "issuer certificate `FILE` (default: self-signed)")
	f.StringVar(&o.caKey, "ca-key", "", "issuer private key `FILE`")
	f.StringVarP(&o.out, "output", "o", "", "write the certificate to `FILE` (default: standard output)")
	f.StringVar(&o.p12, "p12", "", "also write certificate, chain and key as a PKCS#12 `FILE` (with --pass)")
	f.StringVar(&o.pass, "pass", "", "password of the PKCS#12 file")
}

func newCertGenCmds(stdout, stderr io.Writer) []*cobra.Command {
	var key, ca, csr, sign, newc genOptions
	ca.files.Stdout, csr.files.Stdout, sign.files.Stdout, newc.files.Stdout = stdout, stdout, stdout, stdout
	csr.stderr, sign.stderr, newc.stderr = stderr, stderr, stderr
	keyCmd := &cobra.Command{
		Use:   "key -o FILE",
		Short: "Make a private key (like openssl genpkey)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if key.keyOut == "" {
				key.keyOut = key.out
			}
			if key.keyOut == "" {
				return fail(exitUsage, errors.New("give the key file with -o FILE"), "")
			}
			if err := key.free(key.keyOut); err != nil {
				return err
			}
			_, der, err := key.loadOrMakeKey()
			if err != nil {
				return err
			}
			return key.writeKey(der)
		},
	}
	key.keyFlags(keyCmd.Flags())
	keyCmd.Flags().StringVarP(&key.out, "output", "o", "", "write the key to `FILE` (mode 0600)")

	caCmd := &cobra.Command{
		Use:   "ca --cn NAME -o CERT --key-out KEY",
		Short: "Make a CA: a self-signed root, or an intermediate with --ca/--ca-key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ca.cfg.Profile = certgen.ProfileCA
			return ca.issue(nil)
		},
	}
	ca.keyFlags(caCmd.Flags())
	ca.certFlags(caCmd.Flags(), 3650)
	caCmd.Flags().IntVar(&ca.cfg.PathLen, "path-len", -1, "basicConstraints pathlen (-1: no limit)")

	newCmd := &cobra.Command{
		Use:   "new --cn NAME --san NAME -o CERT --key-out KEY [--ca CERT --ca-key KEY]",
		Short: "Make a key and a certificate in one go, signed by --ca or self-signed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return newc.issue(nil)
		},
	}
	newc.keyFlags(newCmd.Flags())
	newc.certFlags(newCmd.Flags(), 90)
	newCmd.Flags().StringVar(&newc.cfg.Profile, "profile", "server", "server, client or both: sets key usage and extended key usage")

	csrCmd := &cobra.Command{
		Use:   "csr --cn NAME [--san NAME] -o CSR (--key KEY | --key-out KEY)",
		Short: "Make a certificate signing request (like openssl req -new)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var names x509.Certificate
			if err := certgen.AddSANs(&names, csr.cfg.SANs); err != nil {
				return settingFail(err)
			}
			if err := csr.free(csr.out, csr.newKeyOut()); err != nil {
				return err
			}
			k, keyDER, err := csr.loadOrMakeKey()
			if err != nil {
				return err
			}
			der, err := certgen.Request(csr.cfg, k)
			if err != nil {
				return fail(exitFailure, err, "")
			}
			if err := csr.write(csr.out, "CERTIFICATE REQUEST", der, false); err != nil {
				return err
			}
			if certgen.ServerWithoutName(&names) {
				fmt.Fprintf(stderr, "tlstrace: warning: the request names no DNS name or IP address (subjectAltName): browsers and Go's crypto/x509 ignore the CN %q of a server certificate; add --san NAME\n", csr.cfg.CommonName)
			}
			return csr.writeKey(keyDER)
		},
	}
	csr.keyFlags(csrCmd.Flags())
	csrCmd.Flags().StringVar(&csr.cfg.CommonName, "cn", "", "subject common name")
	csrCmd.Flags().StringArrayVar(&csr.cfg.SANs, "san", nil, "subject alternative name (repeatable)")
	csrCmd.Flags().StringVarP(&csr.out, "output", "o", "", "write the request to `FILE` (default: standard output)")

	signCmd := &cobra.Command{
		Use:   "sign CSR --ca CERT --ca-key KEY -o CERT",
		Short: "Issue a certificate for a request, copying the extensions it asks for (like openssl x509 -req -copy_extensions copyall)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return fail(exitInput, err, "")
			}
			req, err := certgen.ParseRequest(b)
			if err != nil {
				return fail(exitInput, fmt.Errorf("%s: %w", args[0], err), "")
			}
			if sign.caCert == "" || sign.caKey == "" {
				return fail(exitUsage, errors.New("sign needs --ca and --ca-key"), "")
			}
			return sign.issue(req)
		},
	}
	signCmd.Flags().BoolVar(&sign.files.Force, "force", false, "overwrite existing files")
	signCmd.Flags().BoolVar(&sign.files.DER, "der", false, "write DER instead of PEM")
	sign.certFlags(signCmd.Flags(), 90)
	signCmd.Flags().StringVar(&sign.cfg.Profile, "profile", "", "server, client or both (default: the request's extensions only)")
	return []*cobra.Command{keyCmd, caCmd, csrCmd, signCmd, newCmd}
}

// loadOrMakeKey reads --key, or makes a key of --key-type and returns its
// PKCS #8 form, which writeKey writes to --key-out once the rest worked.
func (o *genOptions) loadOrMakeKey() (crypto.Signer, []byte, error) {
	if o.keyFile != "" {
		k, err := readKey(o.keyFile)
		return k, nil, err
	}
	k, err := certgen.GenerateKey(o.keyType)
	if err != nil {
		return nil, nil, fail(exitUsage, err, "")
	}
	if o.keyOut == "" {
		return nil, nil, fail(exitUsage, errors.New("the new private key needs a file: --key-out FILE"), "or pass an existing key with --key")
	}
	der, err := certio.MarshalPKCS8(k)
	if err != nil {
		return nil, nil, err
	}
	return k, der, nil
}

// writeKey writes a key made by loadOrMakeKey (nil: none was made).
func (o *genOptions) writeKey(der []byte) error {
	if der == nil {
		return nil
	}
	return o.write(o.keyOut, "PRIVATE KEY", der, true)
}

// free fails when a file about to be written exists and --force was not
// given. It runs before anything is made, so that a refusal writes no
// file at all (not even the new key).
func (o *genOptions) free(names ...string) error {
	if err := o.files.Free(names...); err != nil {
		return fail(exitInput, err, "use --force to overwrite it")
	}
	return nil
}

// newKeyOut is --key-out when a key is to be made, "" otherwise.
func (o *genOptions) newKeyOut() string {
	if o.keyFile != "" {
		return ""
	}
	return o.keyOut
}

func readKey(name string) (crypto.Signer, error) {
	k, err := certio.ReadSigner(name)
	if err != nil {
		return nil, fail(exitInput, err, "")
	}
	return k, nil
}

// write writes PEM (or DER) to name, or to standard output when name is
// "" (never a private file). It never overwrites a file without --force.
func (o *genOptions) write(name, typ string, der []byte, private bool) error {
	err := o.files.Write(name, typ, der, private)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, certio.ErrPrivateToStdout):
		return fail(exitUsage, err, "give --key-out FILE")
	case errors.Is(err, os.ErrExist):
		return fail(exitInput, err, "use --force to overwrite it")
	case name == "" || name == "-":
		return err
	}
	return fail(exitInput, err, "")
}

// issue makes a certificate as o says; req, when set, gives the subject,
// key and requested extensions.
func (o *genOptions) issue(req *x509.CertificateRequest) error {
	c := &o.cfg
	c.Request = req
	if err := c.SetValidity(time.Now(), o.days, o.notBefore, o.notAfter); err != nil {
		return fail(exitUsage, flagError(err), "")
	}
	if err := c.Check(); errors.Is(err, certgen.ErrNoSubject) {
		return fail(exitUsage, errors.New("give a subject with --cn"), "")
	} else if err != nil {
		return fail(exitUsage, flagError(err), "")
	}
	if req == nil {
		if err := o.free(o.newKeyOut()); err != nil {
			return err
		}
	}
	if err := o.free(o.out, o.p12); err != nil {
		return err
	}
	var chainCerts []*x509.Certificate
	if o.caCert != "" {
		certs, err := readCerts("", o.caCert)
		if err != nil {
			return err
		}
		c.Issuer, chainCerts = certs[0], certs
		if o.caKey == "" {
			return fail(exitUsage, errors.New("--ca needs --ca-key"), "")
		}
		if c.IssuerKey, err = readKey(o.caKey); err != nil {
			return err
		}
	} else if req != nil {
		return fail(exitUsage, errors.New("give the issuer with --ca and --ca-key"), "")
	}
	var keyDER []byte
	if req == nil {
		var err error
		if c.Key, keyDER, err = o.loadOrMakeKey(); err != nil {
			return err
		}
	}
	der, err := certgen.Issue(*c)
	if err != nil {
		return fail(exitFailure, err, "")
	}
	if err := o.write(o.out, "CERTIFICATE", der, false); err != nil {
		return err
	}
	if err := o.writeKey(keyDER); err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	if certgen.ServerWithoutName(leaf) && o.stderr != nil {
		fix := "add --san NAME"
		if req != nil {
			fix = "make the request with --san NAME"
		}
		fmt.Fprintf(o.stderr, "tlstrace: warning: the certificate names no DNS name or IP address (subjectAltName): browsers and Go's crypto/x509 ignore the CN %q of a server certificate; %s\n", leaf.Subject.CommonName, fix)
	}
	if o.p12 == "" {
		return nil
	}
	if c.Key == nil {
		return fail(exitUsage, errors.New("--p12 needs the private key (not available when signing a request)"), "")
	}
	data, err := certio.EncodePKCS12(c.Key, leaf, chainCerts, o.pass)
	if err != nil {
		return fail(exitFailure, err, "PKCS#12 cannot carry Ed448 keys")
	}
	return o.write(o.p12, "", data, true)
}
