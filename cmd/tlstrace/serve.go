package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/server"
	"github.com/tlstrace/tlstrace/internal/starttls"
)

type serveOptions struct {
	server.Options
	listen   string
	versions minVersionFlags
	keylog   string
	jsonOut  bool
	verbose  int
	noTrace  bool
	html     htmlOptions
}

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve (--cert CHAIN --key KEY | --self-signed)",
		Short: "A TLS server that explains each client (like openssl s_server)",
		Long:  help("serve"),
		Example: `  tlstrace serve --self-signed --mode www
  tlstrace serve --cert chain.pem --key key.pem --listen 127.0.0.1:8443 --mode www --json
  tlstrace serve --cert a.pem --key a.key --cert b.pem --key b.key --verify-client require --client-ca ca.pem
  tlstrace serve --self-signed --starttls smtp --listen 127.0.0.1:2525`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.CertFiles, "cert", nil, "certificate chain `FILE` (PEM: the leaf, then its intermediates); repeat with --key for several, chosen by SNI")
	f.StringArrayVar(&o.KeyFiles, "key", nil, "private key `FILE` of the matching --cert")
	f.BoolVar(&o.SelfSigned, "self-signed", false, "serve a throwaway self-signed certificate for localhost")
	f.StringVar(&o.listen, "listen", "127.0.0.1:4433", "address to listen on")
	f.StringVar(&o.Mode, "mode", "echo", "echo, www, http or file (with --dir)")
	f.StringVar(&o.Dir, "dir", ".", "directory served by --mode file")
	f.StringVar(&o.VerifyClient, "verify-client", "none", "ask for a client certificate: none, request or require")
	f.StringArrayVar(&o.ClientCAFiles, "client-ca", nil, "CA certificates `FILE` client certificates are verified against")
	f.StringVar(&o.ALPN, "alpn", "", "ALPN protocols, comma separated (default: h2,http/1.1 for the HTTP modes)")
	o.versions.add(f, [4]string{"TLS 1.0 or later (served by tlstrace's own engine)", "TLS 1.1 or later (served by tlstrace's own engine)", "TLS 1.2 or later", "TLS 1.3 only"})
	f.StringVar(&o.MaxVersion, "tls-max", "", "highest TLS version: 1.0, 1.1, 1.2 or 1.3 (1.0 or 1.1 alone serves that version only, as openssl s_server -tls1_1 does)")
	f.StringVar(&o.Engine, "engine", "", "TLS engine: go (crypto/tls) or own (tlstrace's own); default: crypto/tls unless the certificate (Ed448) or the versions need the own engine")
	f.StringVar(&o.Ciphers, "ciphers", "", "TLS 1.0–1.2 cipher suites (OpenSSL or IANA names, ':' separated; DHE and CCM suites are served by tlstrace's own engine)")
	f.StringVar(&o.TLS13Ciphers, "tls13-ciphers", "", "TLS 1.3 cipher suites allowed (IANA names, ':' separated; served by tlstrace's own engine)")
	f.StringVar(&o.Curves, "curves", "", "key exchange groups in preference order (':' separated; ffdhe2048…ffdhe8192 are served by tlstrace's own engine)")
	f.StringVar(&o.OCSPStapleFile, "ocsp-staple", "", "staple this DER OCSP response `FILE`")
	f.BoolVar(&o.NoTickets, "no-tickets", false, "do not issue session tickets")
	f.StringVar(&o.keylog, "keylog", "", "append the session secrets to `FILE` (NSS key log, 0600)")
	f.BoolVar(&o.jsonOut, "json", false, "write the trace as JSON Lines")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	f.IntVar(&o.MaxConns, "max-conns", 256, "most connections served at once; when full, one that has not finished its handshake (idle 250ms, or slow 2s) is closed to make room")
	o.Timeout = 30 * time.Second
	f.Var((*seconds)(&o.Timeout), "timeout", "limit for a handshake and for an idle connection")
	o.FirstByteTimeout = server.DefaultFirstByteTimeout
	f.Var((*seconds)(&o.FirstByteTimeout), "first-byte-timeout", "limit for a new connection's first byte (silent connections hold no slot longer)")
	f.BoolVar(&o.noTrace, "no-trace", false, "do not decode connections (for comparison in load tests)")
	o.html.flags(f, htmlFlagUsage+", one section per client (the first 1,000), written when the server stops")
	f.StringVar(&o.StartTLS, "starttls", "", "speak the clear-text part of `PROTO` before TLS: one of "+strings.Join(starttls.Served(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("starttls", cobra.FixedCompletions(starttls.Served(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// serveHTMLConns is the most clients serve's report holds: it is written
// when the server stops, and a server runs for as long as it is let.
const serveHTMLConns = 1000

func runServe(ctx context.Context, o *serveOptions, stdout, stderr io.Writer) (err error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case o.SelfSigned && len(o.CertFiles) > 0:
		return fail(exitUsage, errors.New("--self-signed and --cert conflict"), "")
	case o.SelfSigned: // Config makes the certificate
	case len(o.CertFiles) == 0:
		return fail(exitUsage, errors.New("give --cert and --key, or --self-signed"), "")
	case len(o.CertFiles) != len(o.KeyFiles):
		return fail(exitUsage, fmt.Errorf("%d --cert but %d --key", len(o.CertFiles), len(o.KeyFiles)), "give one --key per --cert, in the same order")
	}
	if o.VerifyClient == "require" && len(o.ClientCAFiles) == 0 {
		return fail(exitUsage, errors.New("--verify-client require needs --client-ca"), "")
	}
	o.versions.set(&o.MinVersion)
	o.Trace = !o.noTrace
	o.TrustWith = "--client-ca FILE"
	cfg, err := o.Config()
	if err != nil {
		return settingFail(err)
	}
	out, _ := newLiveWriter(stdout, o.jsonOut, "text", o.verbose)
	if o.html.file != "" && o.noTrace {
		return fail(exitUsage, errors.New("--html and --no-trace conflict"), "the report is made of the trace")
	}
	out, doneHTML, err := withHTML(out, o.html, "tlstrace serve", serveHTMLConns)
	if err != nil {
		return err
	}
	flush := func() error { return nil } // nothing to flush before th starts
	defer func() { err = finishOutput(err, flush, doneHTML) }()
	th := render.NewThrottled(out, 100*time.Millisecond)
	srv, err := server.New(cfg, th.Event)
	if err != nil {
		return fail(exitUsage, flagError(err), "")
	}
	th.Start(srv.Locked)
	flush = func() error { return th.Stop(srv.Locked) }
	if o.keylog != "" {
		f, err := keylog.OpenAppend(o.keylog)
		if err != nil {
			return fail(exitInput, err, "")
		}
		defer f.Close()
		warnExposed(stderr, o.keylog, f)
		srv.Tracer().KeyLog = f
	}
	if _, port, err := net.SplitHostPort(o.listen); err != nil || !client.IsPort(port) {
		return fail(exitUsage, fmt.Errorf("--listen %q: want HOST:PORT, a port from 0 to 65535", o.listen), "e.g. --listen 127.0.0.1:8443")
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(exitConnect, fmt.Errorf("listening on %s: %w", o.listen, err), "pick another --listen address")
	}
	fmt.Fprintf(stderr, "tlstrace: serving %s (Ctrl-C stops)\n", srv.Describe(ln.Addr()))
	return settingFail(srv.Serve(ctx, ln))
}
