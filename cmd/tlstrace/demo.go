package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/tlstrace/tlstrace/internal/server"
)

func newDemoCmd(stdout, stderr io.Writer) *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Trace a request to an in-process HTTPS server (no network, no setup)",
		Long:  help("demo"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.jsonOut, "json", false, "write JSON Lines, one event per line")
	f.StringVar(&o.format, "format", "text", "output: text, curl (curl -v lines) or trace (every field)")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	f.BoolVar(&o.http11, "http1.1", false, "use HTTP/1.1 instead of HTTP/2")
	f.BoolVar(&o.conn.versions.tls12, "tls12", false, "use TLS 1.2 (sets --tls-max 1.2)")
	f.IntVar(&o.req.Reconnect, "reconnect", 0, "repeat the request `N` times, resuming the TLS session")
	f.StringVar(&o.pcap, "pcap", "", "write the session to `FILE` as pcapng, its secrets embedded")
	o.html.flags(f, htmlFlagUsage)
	return cmd
}

func runDemo(ctx context.Context, o *getOptions, stdout, stderr io.Writer) error {
	srv, err := server.StartDemo(time.Hour)
	var listenErr *net.OpError
	if errors.As(err, &listenErr) {
		return fail(exitConnect, err, "")
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			fmt.Fprintf(stderr, "tlstrace: demo server: %v\n", err)
		}
	}()
	o.conn.Roots = []*x509.Certificate{srv.Root}
	o.conn.Resolve = []string{fmt.Sprintf("localhost:%d:127.0.0.1", srv.Port)}
	o.conn.ConnectTimeout = 5 * time.Second
	o.req.MaxTime, o.req.MaxRedirects, o.req.UserAgent = 10*time.Second, 5, "tlstrace/"+version()
	if o.conn.versions.tls12 {
		o.conn.versions.tls12 = false
		o.conn.MaxVersion = "1.2"
	}
	return runGet(ctx, fmt.Sprintf("https://localhost:%d/", srv.Port), o, stdout, stderr)
}
