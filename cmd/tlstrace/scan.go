package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/scan"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// scanOptions are scan's flags; the probes' settings are scan.Options,
// given their address and server name per target.
type scanOptions struct {
	scan.Options
	serverName string
	jsonOut    bool
	list       string
	shard      string
	cacerts    []string
	html       htmlOptions
	// report is the --html report, given every target's events.
	report *render.HTML
}

func newScanCmd(stdout, stderr io.Writer) *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan TARGET",
		Short: "Scan a server's TLS versions, cipher suites and groups, with findings and a grade (like sslscan)",
		Long:  help("scan"),
		Example: `  tlstrace scan example.com
  tlstrace scan 127.0.0.1:8443 --json | jq -c 'select(.type == "suite_accepted")'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := scanTargets(args, &o)
			if err != nil {
				return err
			}
			if o.html.file == "" {
				return runScans(cmd.Context(), targets, &o, stdout, stderr)
			}
			title := "tlstrace scan"
			if len(args) > 0 {
				// A user's password never reaches the page.
				t := args[0]
				if strings.Contains(t, "://") {
					t = client.RedactURL(t)
				} else {
					t = strings.TrimPrefix(client.RedactURL("https://"+t), "https://")
				}
				title += " " + t
			}
			if o.list != "" {
				title += " -l " + o.list
			}
			return writeHTML(o.html, title, func(h *render.HTML) error {
				o.report = h
				return runScans(cmd.Context(), targets, &o, stdout, stderr)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Concurrency, "concurrency", 4, "at most `N` connections to the server at once")
	f.Float64Var(&o.Rate, "rate", 0, "start at most `N` probes per second (0: no bound besides --concurrency)")
	o.Timeout = 5 * time.Second
	f.Var((*seconds)(&o.Timeout), "timeout", "time allowed to each probe, connect included")
	f.StringVar(&o.serverName, "sni", "", "server name to send and to check the chains for (default: the host of TARGET; for an IP address none is sent and the chains are checked for the address)")
	f.BoolVar(&o.jsonOut, "json", false, "write JSON Lines: the scan's results as events (docs/json.md)")
	f.StringVar(&o.StartTLS, "starttls", "", "speak the STARTTLS dialog of `PROTO` before each probe's hello: one of "+strings.Join(starttls.Names(), ", "))
	f.StringArrayVar(&o.cacerts, "cacert", nil, "trusted CA certificates `FILE` for the chains (repeatable; default: the system's)")
	f.StringVarP(&o.list, "list", "l", "", "scan the targets listed in `FILE`, one a line")
	f.StringVar(&o.html.file, "html", "", "also write a report to `FILE`: per target the grade, the findings with their cause and fix, the versions, suites, groups and chains")
	f.StringVar(&o.shard, "shard", "", "scan only shard `k/n` of the list (1 <= k <= n)")
	return cmd
}

// scanTargets returns the targets of the command line: the argument, or
// the lines of -l FILE, kept to --shard k/n.
func scanTargets(args []string, o *scanOptions) ([]string, error) {
	var targets []string
	switch {
	case o.list != "" && len(args) > 0:
		return nil, fail(exitUsage, errors.New("give a TARGET or -l FILE, not both"), "")
	case o.list != "":
		b, err := os.ReadFile(o.list)
		if err != nil {
			return nil, fail(exitInput, fmt.Errorf("reading the target list: %w", err), "")
		}
		targets = scan.Targets(string(b))
	case len(args) == 1:
		targets = args
	default:
		return nil, fail(exitUsage, errors.New("no target"), "give HOST[:PORT] or -l FILE")
	}
	if o.shard == "" {
		return targets, nil
	}
	shard, err := scan.ParseShard(o.shard)
	if err != nil {
		return nil, settingFail(err)
	}
	return shard.Of(targets), nil
}

// runScans scans each target in turn; an unreachable one is reported on
// stderr and makes the exit status 1 once all are done.
func runScans(ctx context.Context, targets []string, o *scanOptions, stdout, stderr io.Writer) error {
	var unreachable error
	for i, t := range targets {
		if i > 0 && !o.jsonOut {
			fmt.Fprintln(stdout)
		}
		err := runScan(ctx, t, o, stdout, stderr)
		if len(targets) == 1 || err == nil {
			if err != nil {
				return err
			}
			continue
		}
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitFailure {
			return err
		}
		fmt.Fprintf(stderr, "tlstrace: %s: %s\n", t, render.Escape(err.Error()))
		unreachable = err
	}
	if unreachable != nil {
		return fail(exitFailure, errors.New("some targets could not be reached"), "")
	}
	return nil
}

func runScan(ctx context.Context, target string, o *scanOptions, stdout, stderr io.Writer) error {
	if o.Concurrency < 1 {
		return fail(exitUsage, fmt.Errorf("--concurrency %d: want 1 or more", o.Concurrency), "")
	}
	if o.Rate < 0 {
		return fail(exitUsage, fmt.Errorf("--rate %g: want 0 or more", o.Rate), "")
	}
	if o.Timeout <= 0 {
		return fail(exitUsage, fmt.Errorf("--timeout %s: want a positive duration", o.Timeout), "")
	}
	if err := client.CheckStartTLS(o.StartTLS); err != nil {
		return settingFail(err)
	}
	opts := o.Options
	var err error
	if opts.Addr, opts.ServerName, err = scan.SplitHostPort(target); err != nil {
		return fail(exitUsage, err, "give HOST, HOST:PORT or an https:// URL")
	}
	if o.serverName != "" {
		opts.ServerName = o.serverName
	}
	opts.TrustWith = "--cacert FILE"
	if opts.Roots, err = readCerts("", o.cacerts...); err != nil {
		return err
	}
	var js *render.JSON
	if o.jsonOut {
		js = render.NewJSON(stdout)
	}
	if js != nil || o.report != nil {
		opts.Emit = scan.Events(opts.Addr, func(ev *trace.Event) {
			if js != nil {
				js.Event(ev)
			}
			if o.report != nil {
				o.report.Event(ev)
			}
		})
	}
	if bar := render.NewScanProgress(stderr, opts.Addr); bar != nil {
		opts.OnProbe = bar.Probe
		defer bar.End()
	}
	res, err := scan.Scan(ctx, opts)
	if js != nil {
		if ferr := js.Flush(); err == nil && ferr != nil {
			return ferr
		}
	}
	if err != nil {
		if nt := (*scan.NotTLSError)(nil); errors.As(err, &nt) {
			return fail(exitFailure, err, notTLSHint(nt.Start))
		}
		if errors.Is(err, scan.ErrUnreachable) {
			return fail(exitFailure, err, "check the host and port, and that a TLS server listens there")
		}
		return err
	}
	if js == nil {
		return render.ScanReport(stdout, res)
	}
	return nil
}

// notTLSHint is the advice for a server whose answer starts with start,
// which is not TLS: a mail or file server greets first, and is scanned
// with its STARTTLS dialog.
func notTLSHint(start []byte) string {
	s := string(start)
	switch {
	case strings.HasPrefix(s, "220"):
		return "it greets like an SMTP or FTP server: scan its TLS with --starttls smtp (or ftp)"
	case strings.HasPrefix(s, "* OK"):
		return "it greets like an IMAP server: scan its TLS with --starttls imap"
	case strings.HasPrefix(s, "+OK"):
		return "it greets like a POP3 server: scan its TLS with --starttls pop3"
	case strings.HasPrefix(s, "HTTP/"):
		return "it speaks plain HTTP: HTTPS is usually on another port (443)"
	}
	return "check the port: this one does not speak TLS"
}
