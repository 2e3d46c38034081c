package main

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/client"
)

type verifyOptions struct {
	net        connOptions
	serverName string
	maxTime    time.Duration
	cacerts    []string
	untrusted  []string
	name       string
	at         string
	purpose    string
	pass       string
	cnFallback bool
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
	f.StringVar(&o.name, "name", "", "host name or IP address the certificate must be valid for")
	f.StringVar(&o.at, "at", "", "verify at this `TIME` (RFC 3339) instead of now")
	f.StringVar(&o.purpose, "purpose", "server", "server or client")
	f.StringVar(&o.pass, "pass", "", "password of a PKCS#12 file")
	f.BoolVar(&o.cnFallback, "cn-fallback", false, "accept a certificate without subjectAltName whose common name is the name, as curl and OpenSSL do")
	f.BoolVar(&o.jsonOut, "json", false, "write JSON Lines: one x509 link event per certificate, then the verdict")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field")
	o.net.addNetFlags(f)
	f.StringVar(&o.serverName, "servername", "", "with a URL, the server name for SNI and, without --name, verification (default: HOST)")
	f.DurationVarP(&o.maxTime, "max-time", "m", 0, "with a URL, limit for fetching the chain (e.g. 10s)")
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
	opts := chain.Options{Purpose: x509.ExtKeyUsageServerAuth, Name: o.name, Thorough: true, TrustWith: "--cacert FILE",
		CNFallback: o.cnFallback, FallbackWith: "--cn-fallback"}
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
			return fail(exitUsage, fmt.Errorf("--at %q: %w", o.at, err), "write it like 2026-02-02T08:36:39Z")
		}
		opts.At = at
	}
	var err error
	if opts.Roots, err = readCerts(o.pass, o.cacerts...); err != nil {
		return err
	}
	if opts.Intermediates, err = readCerts(o.pass, o.untrusted...); err != nil {
		return err
	}
	var certs []*x509.Certificate
	var staple []byte
	if strings.HasPrefix(arg, "https://") || (!fileExists(arg) && strings.Contains(arg, ":")) {
		certs, staple, err = fetchChain(ctx, arg, o, &opts)
	} else {
		certs, err = readCerts(o.pass, arg)
	}
	if err != nil {
		return err
	}
	opts.Intermediates = append(opts.Intermediates, certs[1:]...)
	r := chain.Verify(certs[0], opts)
	if r.Valid && len(staple) > 0 && len(r.Links) > 1 {
		// The server's stapled OCSP response, checked against the issuer
		// as tlstrace URL does: revoked fails the chain.
		var ce *client.Error
		if err := client.CheckStaple(staple, certs[0], r.Links[1].Cert); errors.As(err, &ce) {
			r.Valid, r.Err, r.Cause, r.Fix, r.Warnings = false, ce, ce.Err.Error(), ce.Hint, nil
		}
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
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "tlstrace: warning: %s\ntlstrace: hint: %s\n", w.Cause, w.Fix)
	}
	return nil
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// fetchChain connects to a server with the client's dialer and every
// connection flag, and returns the chain it sends without judging it (that
// is verify's job). The connection's own trace is not shown.
func fetchChain(ctx context.Context, arg string, o *verifyOptions, opts *chain.Options) ([]*x509.Certificate, []byte, error) {
	host, port, err := client.ParseTarget(arg)
	if err != nil {
		return nil, nil, fail(exitUsage, err, "")
	}
	if opts.Name == "" {
		opts.Name = cmp.Or(o.serverName, host)
	}
	if err := o.net.settle(); err != nil {
		return nil, nil, err
	}
	n, _, err := o.net.Build()
	if err != nil {
		return nil, nil, settingFail(err)
	}
	certs, staple, err := client.FetchChain(ctx, &client.Session{Host: host, Port: port, ServerName: o.serverName, Network: n}, o.maxTime)
	if err != nil {
		return nil, nil, clientError(err)
	}
	return certs, staple, nil
}
