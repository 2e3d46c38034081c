package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

const readLong = `Read a pcap or pcapng capture and show every TLS connection in it: the TCP
handshake, each TLS record and handshake message with its fields, and, with
the session secrets, the encrypted handshake messages and application data
decrypted.

Secrets come from an NSS key log (--keylog, the file SSLKEYLOGFILE makes
curl, browsers and openssl -keylogfile write) or from the Decryption Secrets
Blocks of a pcapng file (as written by editcap --inject-secrets). TLS is
found by content, on any port.

FILE "-" reads standard input (dumpcap -w - | tlstrace read -).

Output: one line per step; -v adds every decoded field (like openssl
s_client -trace), -vv the bytes as hex; --json writes JSON Lines.`

type readOptions struct {
	keylog  string
	json    bool
	verbose int
	raw     bool
}

func newReadCmd(stdout, stderr io.Writer) *cobra.Command {
	var o readOptions
	cmd := &cobra.Command{
		Use:   "read FILE",
		Short: "Decode the TLS connections of a capture file",
		Long:  readLong,
		Example: `  tlstrace read capture.pcap --keylog keys.txt
  tlstrace read capture.pcapng -v
  tlstrace read capture.pcap --keylog keys.txt --json | jq .type`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRead(args[0], o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.keylog, "keylog", "", "NSS key log `FILE` with the session secrets")
	f.BoolVar(&o.json, "json", false, "write JSON Lines, one event per line")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	f.BoolVar(&o.raw, "raw", false, "with --json, include each event's bytes as hex (key \"raw\")")
	return cmd
}

// eventWriter is what a renderer offers.
type eventWriter interface {
	Event(*trace.Event)
	Flush() error
}

func newWriter(stdout io.Writer, json bool, verbose int, raw bool) eventWriter {
	if json {
		j := render.NewJSON(stdout)
		j.Raw = raw || verbose >= 2
		return j
	}
	t := render.NewText(stdout)
	t.Color = colorOK(stdout)
	t.Verbose = verbose >= 1
	t.Hex = verbose >= 2
	return t
}

func runRead(path string, o readOptions, stdout, stderr io.Writer) error {
	keys := keylog.New()
	if o.keylog != "" {
		f, err := os.Open(o.keylog)
		if err != nil {
			return fail(exitInput, err, "")
		}
		k, warnings, err := keylog.Parse(f)
		f.Close()
		if err != nil {
			return fail(exitInput, fmt.Errorf("reading key log %s: %w", o.keylog, err), "")
		}
		for _, w := range warnings {
			fmt.Fprintf(stderr, "tlstrace: warning: %s:%d: %s\n", o.keylog, w.Line, w.Text)
		}
		keys = k
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
	out := newWriter(stdout, o.json, o.verbose, o.raw)
	warn := func(w keylog.Warning) {
		fmt.Fprintf(stderr, "tlstrace: warning: secrets block line %d: %s\n", w.Line, w.Text)
	}
	err := source.Read(in, out.Event, source.Options{Keys: keys, Warn: warn})
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return fail(exitInput, fmt.Errorf("reading %s: %w", path, err), "")
	}
	return nil
}

// colorMode is --color: auto, always or never.
var colorMode = "auto"

// colorOK reports whether to colour the text written to w: with --color
// auto, when w is a terminal, NO_COLOR (https://no-color.org) is not set
// and TERM is not dumb.
func colorOK(w io.Writer) bool {
	switch colorMode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
