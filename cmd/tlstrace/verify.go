package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/client"
)

type verifyOptions struct {
	// chain holds the flags that are chain.Options as they are.
	chain      chain.Options
	net        connOptions
	serverName string
	maxTime    time.Duration
	cacerts    []string
	untrusted  []string
	at         string
	purpose    string
	pass       string
	jsonOut    bool
	verbose    int
}

func newVerifyCmd(stdout, stderr io.Writer) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify CERT|URL",
		Short: "Verify a certificate chain and explain each link (like openssl verify, by hand)",
		Long:  help("verify"),
		Example: `  tlstrace verify --cacert ca_cert.pem --name localhost server_cert.pem
  tlstrace verify --cacert root.pem --untrusted intermediate.pem --at 2026-02-02T08:00:00Z leaf.pem
  tlstrace verify https://example.com/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), args[0], &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.cacerts, "cacert", nil, "trusted CA certificates `FILE` (repeatable; default: the system's)")
	f.StringArrayVar(&o.untrusted, "untrusted", nil, "intermediate certificates `FILE` that may complete the chain (repeatable)")
	f.StringVar(&o.chain.Name, "name", "", "host name or IP address the certificate must be valid for")
	f.StringVar(&o.at, "at", "", "verify at this `TIME` (RFC 3339) instead of now")
	f.StringVar(&o.purpose, "purpose", "server", "server or client")
	f.StringVar(&o.pass, "pass", "", "password of a PKCS#12 file")
	f.BoolVar(&o.chain.CNFallback, "cn-fallback", false, "accept a certificate without subjectAltName whose common name is the name, as curl and OpenSSL do")
	f.BoolVar(&o.jsonOut, "json", false, "write JSON Lines: one x509 link event per certificate, then the verdict")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field")
	o.net.addNetFlags(f)
	f.StringVar(&o.serverName, "servername", "", "with a URL, the server name for SNI and, without --name, verification (default: HOST)")
	f.VarP((*seconds)(&o.maxTime), "max-time", "m", "with a URL, limit for fetching the chain, in seconds (e.g. 10 or 10s)")
	return cmd
}

// readCerts reads the certificates of files.
func readCerts(pass string, names ...string) ([]*x509.Certificate, error) {
	certs, err := certio.ReadCerts(pass, names...)
	if err != nil {
		return nil, certFileError(err)
	}
	return certs, nil
}

// certFileError is a certificate file certio cannot read.
func certFileError(err error) error {
	hint := ""
	if errors.Is(err, certio.ErrWrongPassword) {
		hint = "give it with --pass"
	}
	return fail(exitInput, err, hint)
}

func runVerify(ctx context.Context, arg string, o *verifyOptions, stdout, stderr io.Writer) error {
	opts := o.chain
	opts.Purpose, opts.Thorough, opts.TrustWith, opts.FallbackWith = x509.ExtKeyUsageServerAuth, true, "--cacert FILE", "--cn-fallback"
	opts.IntermediatesWith = "--untrusted"
	switch o.purpose {
	case "server":
	case "client":
		opts.Purpose = x509.ExtKeyUsageClientAuth
	default:
		return fail(exitUsage, fmt.Errorf("--purpose %q: want server or client", o.purpose), "")
	}
	if o.at != "" {
		at, err := time.Parse(time.RFC3339, o.at)
		if err != nil {
			return fail(exitUsage, fmt.Errorf("--at %q: %w", o.at, err), timeHint)
		}
		opts.At, opts.AtGiven, opts.AtWith = at, true, "--at "+o.at
	}
	// The connection flags are used only with a server, but checked with
	// a file too: flags that conflict, or a value that cannot be used, are
	// a usage error whatever the target, as get says them.
	if err := o.net.settle(); err != nil {
		return err
	}
	n, _, err := o.net.Build()
	if err != nil {
		return settingFail(err)
	}
	if opts.Roots, err = readCerts(o.pass, o.cacerts...); err != nil {
		return err
	}
	if opts.Intermediates, err = readCerts(o.pass, o.untrusted...); err != nil {
		return err
	}
	r, err := verifyTarget(ctx, arg, o, n, opts)
	if err != nil {
		return err
	}
	out, _ := newLiveWriter(stdout, o.jsonOut, "text", o.verbose)
	for _, ev := range r.Events(1) {
		out.Event(ev)
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if !r.Valid {
		return fail(exitVerify, r.Failure(), r.Fix)
	}
	warn(stderr, r.Warnings)
	return nil
}

// verifyTarget verifies the chain of a certificate file, or the one the
// server of an https:// URL or HOST:PORT sends, reached with the client's
// dialer and the network n of the connection flags.
func verifyTarget(ctx context.Context, arg string, o *verifyOptions, n client.Network, opts chain.Options) (*chain.Result, error) {
	if !client.NamesServer(arg) {
		certs, err := readCerts(o.pass, arg)
		if err != nil {
			return nil, err
		}
		return chain.VerifyChain(certs, opts), nil
	}
	host, port, err := client.ParseTarget(arg)
	if err != nil {
		return nil, fail(exitUsage, err, "")
	}
	r, err := client.VerifyPeer(ctx, &client.Session{Host: host, Port: port, ServerName: o.serverName, Network: n}, o.maxTime, opts)
	return r, clientError(err)
}
