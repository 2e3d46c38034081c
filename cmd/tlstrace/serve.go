package main

import (
	"context"
	"crypto/tls"
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
	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/server"
	"github.com/tlstrace/tlstrace/internal/trace"
)

const serveLong = `A TLS server, like openssl s_server, that explains each client: its
handshake decoded from the server's side (TLS 1.3's encrypted messages
decrypted with the session's own secrets), what it offered against what
was chosen, its JA3 and JA4 fingerprints, and its certificate verified and
explained.

Modes: echo (send back what the client sends), www (an HTTPS page and /json
that show the client its own handshake), http (a fixed small response, for
load tests), file (serve the files of --dir).

SIGINT or SIGTERM stops accepting and lets connections finish (5 s at most).`

type serveOptions struct {
	certs, keys  []string
	selfSigned   bool
	listen       string
	mode         string
	dir          string
	verifyClient string
	clientCA     []string
	alpn         string
	tls12, tls13 bool
	tlsMax       string
	ciphers      string
	ocspStaple   string
	noTickets    bool
	keylog       string
	jsonOut      bool
	verbose      int
	maxConns     int
	timeout      time.Duration
	noTrace      bool
}

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve (--cert CHAIN --key KEY | --self-signed)",
		Short: "A TLS server that explains each client (like openssl s_server)",
		Long:  serveLong,
		Example: `  tlstrace serve --self-signed --mode www
  tlstrace serve --cert chain.pem --key key.pem --listen 127.0.0.1:8443 --mode www --json
  tlstrace serve --cert a.pem --key a.key --cert b.pem --key b.key --verify-client require --client-ca ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.certs, "cert", nil, "certificate chain `FILE` (PEM: the leaf, then its intermediates); repeat with --key for several, chosen by SNI")
	f.StringArrayVar(&o.keys, "key", nil, "private key `FILE` of the matching --cert")
	f.BoolVar(&o.selfSigned, "self-signed", false, "serve a throwaway self-signed certificate for localhost")
	f.StringVar(&o.listen, "listen", "127.0.0.1:4433", "address to listen on")
	f.StringVar(&o.mode, "mode", "echo", "echo, www, http or file (with --dir)")
	f.StringVar(&o.dir, "dir", ".", "directory served by --mode file")
	f.StringVar(&o.verifyClient, "verify-client", "none", "ask for a client certificate: none, request or require")
	f.StringArrayVar(&o.clientCA, "client-ca", nil, "CA certificates `FILE` client certificates are verified against")
	f.StringVar(&o.alpn, "alpn", "", "ALPN protocols, comma separated (default: h2,http/1.1 for the HTTP modes)")
	f.BoolVar(&o.tls12, "tlsv1.2", false, "TLS 1.2 or later")
	f.BoolVar(&o.tls13, "tlsv1.3", false, "TLS 1.3 only")
	f.StringVar(&o.tlsMax, "tls-max", "", "highest TLS version: 1.2 or 1.3")
	f.StringVar(&o.ciphers, "ciphers", "", "TLS 1.2 cipher suites (OpenSSL or IANA names, ':' separated)")
	f.StringVar(&o.ocspStaple, "ocsp-staple", "", "staple this DER OCSP response `FILE`")
	f.BoolVar(&o.noTickets, "no-tickets", false, "do not issue session tickets")
	f.StringVar(&o.keylog, "keylog", "", "append the session secrets to `FILE` (NSS key log, 0600)")
	f.BoolVar(&o.jsonOut, "json", false, "write the trace as JSON Lines")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	f.IntVar(&o.maxConns, "max-conns", 256, "most connections served at once")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "limit for a handshake and for an idle connection")
	f.BoolVar(&o.noTrace, "no-trace", false, "do not decode connections (for comparison in load tests)")
	return cmd
}

func runServe(ctx context.Context, o *serveOptions, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := server.Config{Mode: o.mode, Dir: o.dir, VerifyClient: o.verifyClient, NoTickets: o.noTickets,
		MaxConns: o.maxConns, Timeout: o.timeout, Trace: !o.noTrace}
	if m, dir, ok := strings.Cut(o.mode, ":"); ok && m == "file" {
		cfg.Mode, cfg.Dir = m, dir
	}
	switch {
	case o.selfSigned && len(o.certs) > 0:
		return fail(exitUsage, errors.New("--self-signed and --cert conflict"), "")
	case o.selfSigned:
		_, cert, err := certgen.Localhost(demoCA, 30*24*time.Hour)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{cert}
	case len(o.certs) == 0:
		return fail(exitUsage, errors.New("give --cert and --key, or --self-signed"), "")
	case len(o.certs) != len(o.keys):
		return fail(exitUsage, fmt.Errorf("%d --cert but %d --key", len(o.certs), len(o.keys)), "give one --key per --cert, in the same order")
	}
	for i := range o.certs {
		c, err := tls.LoadX509KeyPair(o.certs[i], o.keys[i])
		if err != nil {
			return fail(exitInput, fmt.Errorf("loading %s and %s: %w", o.certs[i], o.keys[i], err), "")
		}
		cfg.Certificates = append(cfg.Certificates, c)
	}
	for _, f := range o.clientCA {
		certs, err := readCerts(f, "")
		if err != nil {
			return err
		}
		cfg.ClientCAs = append(cfg.ClientCAs, certs...)
	}
	if o.verifyClient == "require" && len(cfg.ClientCAs) == 0 {
		return fail(exitUsage, errors.New("--verify-client require needs --client-ca"), "")
	}
	switch {
	case o.alpn != "":
		cfg.ALPN = strings.Split(o.alpn, ",")
	case cfg.Mode == "www" || cfg.Mode == "http" || cfg.Mode == "file":
		cfg.ALPN = []string{"h2", "http/1.1"}
	}
	switch {
	case o.tls13:
		cfg.MinVersion = tls.VersionTLS13
	case o.tls12:
		cfg.MinVersion = tls.VersionTLS12
	}
	switch o.tlsMax {
	case "":
	case "1.2":
		cfg.MaxVersion = tls.VersionTLS12
	case "1.3":
		cfg.MaxVersion = tls.VersionTLS13
	default:
		return fail(exitUsage, fmt.Errorf("--tls-max %q: want 1.2 or 1.3 (crypto/tls serves TLS 1.0 and 1.1 only with GODEBUG settings)", o.tlsMax), "")
	}
	if o.ciphers != "" {
		ids, err := client.ParseCipherSuites(o.ciphers)
		if err != nil {
			return settingFail(err)
		}
		cfg.CipherSuites = ids
	}
	if o.ocspStaple != "" {
		b, err := os.ReadFile(o.ocspStaple)
		if err != nil {
			return fail(exitInput, err, "")
		}
		cfg.OCSPStaple = b
	}
	out, err := newLiveWriter(stdout, o.jsonOut, "text", o.verbose)
	if err != nil {
		return err
	}
	// Events are written as they come, flushed at most every 100 ms (a
	// write per event would cost more than the tracing).
	lastFlush := time.Now()
	srv, err := server.New(cfg, func(ev *trace.Event) {
		out.Event(ev)
		if time.Since(lastFlush) > 100*time.Millisecond {
			out.Flush()
			lastFlush = time.Now()
		}
	})
	if err != nil {
		return fail(exitUsage, flagError(err), "")
	}
	flusher := time.NewTicker(100 * time.Millisecond)
	stopFlush := make(chan struct{})
	defer flusher.Stop()
	go func() {
		for {
			select {
			case <-flusher.C:
				srv.Locked(func() { out.Flush(); lastFlush = time.Now() })
			case <-stopFlush:
				return
			}
		}
	}()
	if o.keylog != "" {
		f, err := os.OpenFile(o.keylog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fail(exitInput, err, "")
		}
		defer f.Close()
		srv.Tracer().KeyLog = f
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(exitConnect, fmt.Errorf("listening on %s: %w", o.listen, err), "pick another --listen address")
	}
	fmt.Fprintf(stderr, "tlstrace: serving %s on https://%s/ (Ctrl-C stops)\n", cfg.Mode, ln.Addr())
	err = srv.Serve(ctx, ln)
	close(stopFlush)
	srv.Locked(func() { out.Flush() })
	return settingFail(err)
}
