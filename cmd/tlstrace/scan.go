package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/scan"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

type scanOptions struct {
	concurrency int
	timeout     time.Duration
	serverName  string
	jsonOut     bool
	list        string
	shard       string
	cacerts     []string
	starttls    string
	rate        float64
	html        htmlOptions
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
				title += " " + args[0]
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
	f.IntVar(&o.concurrency, "concurrency", 4, "at most `N` connections to the server at once")
	f.Float64Var(&o.rate, "rate", 0, "start at most `N` probes per second (0: no bound besides --concurrency)")
	f.DurationVar(&o.timeout, "timeout", 5*time.Second, "time allowed to each probe, connect included")
	f.StringVar(&o.serverName, "sni", "", "server name to send (default: the host of TARGET, none for an IP address)")
	f.BoolVar(&o.jsonOut, "json", false, "write JSON Lines: the scan's results as events (docs/json.md)")
	f.StringVar(&o.starttls, "starttls", "", "speak the STARTTLS dialog of `PROTO` before each probe's hello: one of "+strings.Join(starttls.Names(), ", "))
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
		for line := range strings.Lines(string(b)) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				targets = append(targets, line)
			}
		}
	case len(args) == 1:
		targets = args
	default:
		return nil, fail(exitUsage, errors.New("no target"), "give HOST[:PORT] or -l FILE")
	}
	if o.shard == "" {
		return targets, nil
	}
	ks, ns, ok := strings.Cut(o.shard, "/")
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if !ok || kerr != nil || nerr != nil || n < 1 || k < 1 || k > n {
		return nil, fail(exitUsage, fmt.Errorf("--shard %q: want k/n with 1 <= k <= n", o.shard), "")
	}
	var mine []string
	for i, t := range targets {
		if i%n == k-1 {
			mine = append(mine, t)
		}
	}
	return mine, nil
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
		fmt.Fprintf(stderr, "tlstrace: %s: %v\n", t, err)
		unreachable = err
	}
	if unreachable != nil {
		return fail(exitFailure, errors.New("some targets could not be reached"), "")
	}
	return nil
}

func runScan(ctx context.Context, target string, o *scanOptions, stdout, stderr io.Writer) error {
	if o.concurrency < 1 {
		return fail(exitUsage, fmt.Errorf("--concurrency %d: want 1 or more", o.concurrency), "")
	}
	if o.rate < 0 {
		return fail(exitUsage, fmt.Errorf("--rate %g: want 0 or more", o.rate), "")
	}
	if o.timeout <= 0 {
		return fail(exitUsage, fmt.Errorf("--timeout %s: want a positive duration", o.timeout), "")
	}
	if err := client.CheckStartTLS(o.starttls); err != nil {
		return fail(exitUsage, err, "")
	}
	addr, sni, err := scan.SplitHostPort(target)
	if err != nil {
		return fail(exitUsage, err, "give HOST, HOST:PORT or an https:// URL")
	}
	if o.serverName != "" {
		sni = o.serverName
	}
	opts := scan.Options{Addr: addr, ServerName: sni, Concurrency: o.concurrency, Timeout: o.timeout, StartTLS: o.starttls, Rate: o.rate}
	if opts.Roots, err = readCerts("", o.cacerts...); err != nil {
		return err
	}
	var js *render.JSON
	if o.jsonOut {
		js = render.NewJSON(stdout)
	}
	if js != nil || o.report != nil {
		start := time.Now()
		opts.Emit = func(p scan.Payload) {
			ev := trace.NewEvent(0, trace.Local, p)
			ev.Fields.AddString("target", addr)
			ev.Time = time.Now()
			ev.T = ev.Time.Sub(start).Seconds()
			if js != nil {
				js.Event(ev)
			}
			if o.report != nil {
				o.report.Event(ev)
			}
		}
	}
	if render.IsTerminal(stderr) {
		bar := newScanProgress(stderr, addr)
		opts.OnProbe = bar.probe
		defer bar.done()
	}
	res, err := scan.Scan(ctx, opts)
	if js != nil {
		if ferr := js.Flush(); err == nil && ferr != nil {
			return ferr
		}
	}
	if err != nil {
		if errors.Is(err, scan.ErrUnreachable) {
			return fail(exitFailure, err, "check the host and port, and that a TLS server listens there")
		}
		return err
	}
	if js == nil {
		writeScanReport(stdout, res)
	}
	return nil
}

// writeScanReport writes the text report of a scan.
func writeScanReport(w io.Writer, r *scan.Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "Scan of %s: %d probes in %.2f s\n\nVersions\n", r.Addr, r.Probes, r.Duration.Seconds())
	for _, vr := range r.Versions {
		state := "accepted"
		if vr.Outcome != scan.Accepted {
			state = "not accepted"
			if vr.Outcome == scan.TimedOut || vr.Outcome == scan.Failed {
				state = vr.Outcome.String()
			}
			if vr.Reason != "" {
				state += " (" + vr.Reason + ")"
			}
		}
		fmt.Fprintf(&b, "  %-8s %s\n", wire.VersionName(vr.Version), state)
	}
	for _, vr := range r.Versions {
		if len(vr.SSLv2Ciphers) > 0 {
			b.WriteString("\nSSL 2.0 cipher kinds\n")
			for _, k := range vr.SSLv2Ciphers {
				fmt.Fprintf(&b, "  %s\n", wire.SSLv2CipherName(k))
			}
		}
		if len(vr.Suites) == 0 {
			continue
		}
		order := "order unknown"
		switch vr.Order {
		case scan.OrderServer:
			order = "server's order"
		case scan.OrderClient:
			order = "follows the client's order"
		}
		if len(vr.Suites) == 1 {
			order = "one suite"
		}
		fmt.Fprintf(&b, "\n%s suites (%s)\n", wire.VersionName(vr.Version), order)
		for _, s := range vr.Suites {
			fs := ""
			if !scan.ForwardSecret(s) {
				fs = "  no forward secrecy"
			}
			fmt.Fprintf(&b, "  %-48s %-9s %3d bits%s\n", suiteLabel(s), wire.CipherSuiteKeyExchange(s), scan.Bits(s), fs)
		}
		if vr.Incomplete != "" {
			fmt.Fprintf(&b, "  (the list may be incomplete: %s)\n", vr.Incomplete)
		}
	}
	if len(r.Groups13)+len(r.Groups12)+len(r.DH) > 0 {
		b.WriteString("\nGroups\n")
		if len(r.Groups13) > 0 {
			fmt.Fprintf(&b, "  TLS 1.3: %s\n", groupList(r.Groups13))
		}
		if len(r.Groups12) > 0 {
			fmt.Fprintf(&b, "  ECDHE before TLS 1.3: %s\n", groupList(r.Groups12))
		}
		for _, g := range r.DH {
			if g.Err != "" {
				fmt.Fprintf(&b, "  DHE in %s: unknown (%s)\n", wire.VersionName(g.Version), g.Err)
			} else {
				fmt.Fprintf(&b, "  DHE in %s: %d-bit prime (%s)\n", wire.VersionName(g.Version), g.Bits, suiteLabel(g.Suite))
			}
		}
	}
	if len(r.Signatures)+len(r.SignatureNotes) > 0 {
		b.WriteString("\nSignature schemes (each offered alone)\n")
		var names []string
		for i, sa := range r.Signatures {
			names = append(names, wire.SignatureSchemeName(sa.Scheme))
			if i == len(r.Signatures)-1 || r.Signatures[i+1].Version != sa.Version {
				fmt.Fprintf(&b, "  %s: %s\n", wire.VersionName(sa.Version), strings.Join(names, ", "))
				names = nil
			}
		}
		for _, m := range r.SignatureNotes {
			fmt.Fprintf(&b, "  unsettled: %s\n", m)
		}
	}
	if len(r.ALPN) > 0 {
		fmt.Fprintf(&b, "\nALPN: %s\n", strings.Join(r.ALPN, ", "))
	}
	if len(r.Features) > 0 {
		b.WriteString("\nFeatures\n")
		for _, f := range r.Features {
			state := "no"
			switch {
			case !f.Known:
				state = "unknown"
			case f.Supported:
				state = "yes"
			}
			name := f.Name
			if f.Version == wire.VersionTLS13 {
				name += " (TLS 1.3)"
			}
			fmt.Fprintf(&b, "  %-33s %-7s %s\n", name, state, f.Detail)
		}
	}
	for _, cc := range r.Chains {
		fmt.Fprintf(&b, "\nCertificate chain of the %s key (%s)\n", cc.KeyType, wire.VersionName(cc.Version))
		for i, c := range cc.Certs {
			fmt.Fprintf(&b, "  %d %s (%s, %s), issuer %s, until %s\n", i, c.Subject, chain.KeyDescription(c), chain.SignatureName(c), c.Issuer, c.NotAfter.UTC().Format(time.DateOnly))
		}
		switch {
		case cc.Err != "":
			fmt.Fprintf(&b, "  %s\n", cc.Err)
		case cc.Verdict != nil && cc.Verdict.Valid:
			b.WriteString("  trusted\n")
		case cc.Verdict != nil:
			fmt.Fprintf(&b, "  not trusted: %s\n  fix: %s\n", cc.Verdict.Cause, cc.Verdict.Fix)
		}
	}
	b.WriteString("\nFindings\n")
	if len(r.Findings) == 0 {
		b.WriteString("  none\n")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %-8s %s [%s]\n           cause: %s\n           fix:   %s\n", strings.ToUpper(f.Severity.String()), f.Title, f.Rule, f.Cause, f.Fix)
	}
	if r.Grade == "" {
		b.WriteString("\nNo grade: the server accepted no version.\n")
	} else {
		fmt.Fprintf(&b, "\nGrade %s (rules: docs/scan.md)\n", r.Grade)
	}
	_, _ = io.WriteString(w, b.String())
}

func suiteLabel(s uint16) string {
	if n := wire.CipherSuiteName(s); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", s)
}

func groupList(gs []uint16) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = wire.GroupName(g)
	}
	return strings.Join(names, ", ")
}

// scanProgress is the line on a terminal's stderr that says how far a
// scan has come, once it has run for a third of a second: the probes
// started and the time. It is erased when the scan ends.
type scanProgress struct {
	mu          sync.Mutex
	w           io.Writer
	addr        string
	start, last time.Time
	shown       bool
}

func newScanProgress(w io.Writer, addr string) *scanProgress {
	return &scanProgress{w: w, addr: addr, start: time.Now()}
}

func (p *scanProgress) probe(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.start) < time.Second/3 || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprintf(p.w, "\r\x1b[Kscanning %s: %d probes, %.1f s", p.addr, n, now.Sub(p.start).Seconds())
}

func (p *scanProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
