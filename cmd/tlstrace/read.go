package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/h2"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
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
	h := newCaptureDecoder(keys, out.Event, stderr)
	err := capture.Read(in, h, capture.Options{})
	h.finish()
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return fail(exitInput, fmt.Errorf("reading %s: %w", path, err), "")
	}
	return nil
}

// captureDecoder feeds what a capture holds into trace connections: one
// Conn per TCP flow, numbered like the flows (so conn N is Wireshark's
// tcp.stream N-1).
type captureDecoder struct {
	sess   *trace.Session
	conns  map[*capture.Flow]*trace.Conn
	h2     *h2.Watcher
	stderr io.Writer
}

func newCaptureDecoder(keys *keylog.Log, emit func(*trace.Event), stderr io.Writer) *captureDecoder {
	h := &captureDecoder{conns: map[*capture.Flow]*trace.Conn{}, stderr: stderr}
	h.h2 = h2.NewWatcher(func(ev *trace.Event) { h.sess.Emit(ev) })
	h.sess = trace.NewSession(time.Time{}, keys, func(ev *trace.Event) {
		emit(ev)
		h.h2.Event(ev)
	})
	return h
}

func (h *captureDecoder) start(ts time.Time) {
	if h.sess.Start.IsZero() {
		h.sess.Start = ts
	}
}

// Secrets takes the key log of a pcapng Decryption Secrets Block.
func (h *captureDecoder) Secrets(b []byte) {
	k, warnings, _ := keylog.Parse(bytes.NewReader(b))
	for _, w := range warnings {
		fmt.Fprintf(h.stderr, "tlstrace: warning: secrets block line %d: %s\n", w.Line, w.Text)
	}
	h.sess.Keys.Merge(k)
}

func side(fromClient bool) trace.Side {
	if fromClient {
		return trace.Client
	}
	return trace.Server
}

// TCP shows the TCP steps worth seeing: the three-way handshake, FIN, RST and
// gaps.
func (h *captureDecoder) TCP(ev capture.TCPEvent) {
	h.start(ev.Time)
	fields := field.NewObject("")
	fields.AddUint("seq", uint64(ev.RelSeq))
	fields.AddUint("ack", uint64(ev.RelAck))
	fields.AddUint("win", uint64(ev.Window))
	fields.AddUint("len", uint64(ev.Len))
	fields.AddUint("raw_seq", uint64(ev.Seq))
	fields.AddUint("raw_ack", uint64(ev.Ack))
	if ev.Kind == "gap" {
		fields.AddUint("missing", uint64(ev.Missing))
	}
	h.sess.Emit(&trace.Event{Conn: ev.Flow.ID, From: side(ev.FromClient), Layer: trace.LayerTCP, Type: ev.Kind,
		Frame: ev.Frame, Time: ev.Time, Fields: fields})
	if ev.Kind == "gap" {
		if c := h.conns[ev.Flow]; c != nil {
			c.Gap(side(ev.FromClient), trace.Stamp{Time: ev.Time, Frame: ev.Frame}, ev.Missing)
		}
	}
}

// Data feeds stream bytes to the flow's connection decoder.
func (h *captureDecoder) Data(f *capture.Flow, fromClient bool, frame int, ts time.Time, b []byte) {
	h.start(ts)
	c := h.conns[f]
	if c == nil {
		c = h.sess.NewConn(f.ID, false)
		h.conns[f] = c
	}
	c.Feed(side(fromClient), trace.Stamp{Time: ts, Frame: frame}, b)
}

// Close ends a flow's decoder.
func (h *captureDecoder) Close(f *capture.Flow) {
	if c := h.conns[f]; c != nil {
		c.Close()
		delete(h.conns, f)
		h.h2.Forget(f.ID)
	}
}

// finish closes what the capture left open.
func (h *captureDecoder) finish() {
	flows := make([]*capture.Flow, 0, len(h.conns))
	for f := range h.conns {
		flows = append(flows, f)
	}
	slices.SortFunc(flows, func(a, b *capture.Flow) int { return a.ID - b.ID })
	for _, f := range flows {
		h.Close(f)
	}
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
