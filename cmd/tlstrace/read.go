package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

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
s_client -trace), -vv the bytes as hex; --json writes JSON Lines.
Connections are decoded on every core, the output kept in capture order.
On a terminal, a line on standard error shows how far a long read has come.`

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
	if o.raw && !o.json {
		return fail(exitUsage, errors.New("--raw needs --json"), "-vv shows the bytes in the text view")
	}
	keys := keylog.New()
	if o.keylog != "" {
		k, warnings, err := keylog.ReadFile(o.keylog)
		if err != nil {
			return fail(exitInput, err, "")
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
	warn := func(w keylog.Warning) {
		fmt.Fprintf(stderr, "tlstrace: warning: secrets block line %d: %s\n", w.Line, w.Text)
	}
	so := source.Options{Keys: keys, Warn: warn, NoHTTP2: !o.json && o.verbose == 0}
	p := newProgress(stderr, path, in)
	if p != nil {
		so.Progress = p.update
	}
	err := source.Render(in, stdout, readAppend(stdout, o), so)
	if p != nil {
		p.end()
	}
	if err != nil {
		return fail(exitInput, fmt.Errorf("reading %s: %w", path, err), "")
	}
	return nil
}

// readAppend returns the renderer of read's output, one per decoding
// goroutine.
func readAppend(stdout io.Writer, o readOptions) func() source.Append {
	if o.json {
		raw := o.raw || o.verbose >= 2
		return func() source.Append {
			return func(b []byte, ev *trace.Event) []byte {
				return append(render.AppendEvent(b, ev, raw), '\n')
			}
		}
	}
	color := colorOK(stdout)
	return func() source.Append {
		w := &appendWriter{}
		t := render.NewText(w)
		t.Color = color
		t.Verbose = o.verbose >= 1
		t.Hex = o.verbose >= 2
		return func(b []byte, ev *trace.Event) []byte {
			w.b = b
			t.Event(ev)
			t.Flush() // appendWriter does not fail
			return w.b
		}
	}
}

// appendWriter appends what is written to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// progress shows how far read has come on stderr, when stderr is a
// terminal and the file takes more than a second.
type progress struct {
	w           io.Writer
	name        string
	size        int64 // 0 when unknown (a pipe)
	start, last time.Time
	shown       bool
}

func newProgress(stderr io.Writer, name string, in io.Reader) *progress {
	if !isTerminal(stderr) {
		return nil
	}
	p := &progress{w: stderr, name: name, start: time.Now()}
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			p.size = fi.Size()
		}
	}
	return p
}

func (p *progress) update(off int64) {
	now := time.Now()
	if now.Sub(p.start) < time.Second || now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	if p.size > 0 {
		fmt.Fprintf(p.w, "\rtlstrace: reading %s: %3d%% (%d of %d MB)\x1b[K", p.name, off*100/p.size, off>>20, p.size>>20)
		return
	}
	fmt.Fprintf(p.w, "\rtlstrace: reading %s: %d MB\x1b[K", p.name, off>>20)
}

// end clears the progress line.
func (p *progress) end() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// isTerminal reports whether w is a terminal: a character device other
// than the null device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
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
	return isTerminal(w)
}
