package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/hugepage"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/source"
)

type readOptions struct {
	keylog  string
	psk     string
	cacert  string
	capath  string
	json    bool
	verbose int
	raw     bool
	html    htmlOptions
}

func newReadCmd(stdout, stderr io.Writer) *cobra.Command {
	var o readOptions
	cmd := &cobra.Command{
		Use:   "read FILE",
		Short: "Decode the TLS connections of a capture file",
		Long:  help("read"),
		Example: `  tlstrace read capture.pcap --keylog keys.txt
  tlstrace read capture.pcapng -v
  tlstrace read capture.pcap --keylog keys.txt --json | jq .type
  tlstrace read capture.pcap --keylog keys.txt --html report.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRead(args[0], o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.keylog, "keylog", "", "NSS key log `FILE` with the session secrets")
	f.StringVar(&o.psk, "psk", "", "pre-shared key in `HEX` that decrypts TLS 1.0-1.2 plain PSK suites (TLS_PSK_WITH_*)")
	f.StringVar(&o.cacert, "cacert", "", "verify the chains against the CA certificates in `FILE` (PEM or DER) instead of the system's")
	f.StringVar(&o.capath, "capath", "", "verify the chains against the CA certificates in the PEM files of `DIR`")
	f.BoolVar(&o.json, "json", false, "write JSON Lines, one event per line")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	f.BoolVar(&o.raw, "raw", false, "with --json, include each event's bytes as hex (key \"raw\")")
	o.html.flags(f, htmlFlagUsage)
	return cmd
}

func runRead(path string, o readOptions, stdout, stderr io.Writer) error {
	if o.raw && !o.json {
		return fail(exitUsage, errors.New("--raw needs --json"), "-vv shows the bytes in the text view")
	}
	if o.html.file == "" {
		// The heap a read keeps is a few megabytes, and most of what it
		// allocates is garbage a batch later: at Go's default GOGC of
		// 100 the collector runs six times, mostly while the heap is
		// still small. At 200 it runs three times, for 5 to 7 MB more
		// memory (docs/architecture.md). A GOGC of the user's stands.
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(200)
		}
		// The tens of megabytes the file streams through are fresh
		// memory whose 4 KiB pages each cost a fault
		// (docs/architecture.md); the reservation's collection runs
		// while the key log is read.
		go hugepage.Reserve(32 << 20)
	}
	keys := keylog.New()
	if o.keylog != "" {
		k, warnings, err := keylog.ReadFile(o.keylog)
		if errors.Is(err, keylog.ErrNotKeyLog) {
			return fail(exitInput, err, "--keylog takes the key log (SSLKEYLOGFILE); the capture is the argument")
		}
		if err != nil {
			return fail(exitInput, err, "")
		}
		for _, w := range warnings {
			fmt.Fprintf(stderr, "tlstrace: warning: %s:%d: %s\n", o.keylog, w.Line, render.Escape(w.Text))
		}
		keys = k
	}
	if o.psk != "" {
		psk, err := keylog.ParsePSK(o.psk)
		if err != nil {
			return fail(exitUsage, errors.New("--psk is not a key in hexadecimal"), "give the pre-shared key as hex digits, e.g. --psk 0a1b2c")
		}
		keys.SetPSK(psk)
	}
	chains := &source.Chains{TrustWith: "--cacert FILE"}
	if o.cacert != "" || o.capath != "" {
		roots, err := client.LoadRoots(o.cacert, o.capath)
		if err != nil {
			return settingFail(err)
		}
		chains.Roots = roots
	}
	in := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fail(exitInput, err, "")
		}
		defer f.Close()
		in = f
	}
	warn := func(w keylog.Warning) {
		fmt.Fprintf(stderr, "tlstrace: warning: secrets block line %d: %s\n", w.Line, render.Escape(w.Text))
	}
	var st capture.Stats
	so := source.Options{Keys: keys, Warn: warn, NoHTTP2: !o.json && o.verbose == 0, NoDataFields: !o.json, Chains: chains, Stats: &st}
	p := render.NewProgress(stderr, path, in)
	if p != nil {
		so.Progress = p.Update
	}
	ro := render.Options{JSON: o.json, Raw: o.raw, Verbose: o.verbose, Color: colorOK(stdout), Width: render.TerminalWidth(stdout)}
	var err error
	if o.html.file != "" {
		err = readHTML(in, stdout, path, o.html, ro, so)
	} else {
		err = source.Render(in, stdout, func() source.Append { return render.NewAppender(ro) }, so)
		if err != nil {
			err = readFail(path, err)
		}
	}
	if p != nil {
		p.End()
	}
	// A capture that showed nothing says why, once it is read (and the
	// report says it too, readHTML).
	if why := nothingRead(path, st); err == nil && why != "" {
		fmt.Fprintf(stderr, "tlstrace: warning: %s\n", why)
	}
	if lost := st.Unreassembled(); err == nil && lost != "" {
		fmt.Fprintf(stderr, "tlstrace: warning: %s: %s\n", path, lost)
	}
	if late := st.Undecoded(); err == nil && late != "" {
		fmt.Fprintf(stderr, "tlstrace: warning: %s: %s\n", path, late)
	}
	return err
}

// nothingRead is the warning of a capture that showed nothing (path:
// why), "" when it showed something.
func nothingRead(path string, st capture.Stats) string {
	if why := st.Nothing(); why != "" {
		return path + ": " + why
	}
	return ""
}

// readHTML reads the capture in one goroutine, the order the report
// needs, writing the usual output to stdout and the report to the file
// named html. The report holds the HTTP/2 frames' events too, so that its
// event numbers are those of --json.
func readHTML(in io.Reader, stdout io.Writer, path string, html htmlOptions, ro render.Options, so source.Options) error {
	out, err := render.New(stdout, ro)
	if err != nil {
		return err
	}
	so.NoHTTP2 = false
	return writeHTML(html, "tlstrace read "+path, func(h *render.HTML) error {
		both := render.WithReport(out, h)
		err := source.Read(in, both.Event, so)
		if why := nothingRead(path, *so.Stats); err == nil && why != "" {
			h.Warnings = append(h.Warnings, why)
		}
		if lost := so.Stats.Unreassembled(); err == nil && lost != "" {
			h.Warnings = append(h.Warnings, path+": "+lost)
		}
		if late := so.Stats.Undecoded(); err == nil && late != "" {
			h.Warnings = append(h.Warnings, path+": "+late)
		}
		if ferr := both.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return readFail(path, err)
		}
		return nil
	})
}

// readFail is the error of a capture that could not be read, with a hint
// when it is no capture at all.
func readFail(path string, err error) error {
	hint := ""
	if nc := (*capture.NotCaptureError)(nil); errors.As(err, &nc) {
		hint = "give a capture as tcpdump -w, dumpcap, tshark -w or Wireshark write it (pcap or pcapng)"
		if nc.Looks() == "like a key log" {
			hint = "this looks like a key log: give it with --keylog, and the capture as the argument"
		}
	}
	return fail(exitInput, fmt.Errorf("reading %s: %w", path, err), hint)
}
