package main

import (
	"fmt"
	"os"

	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// htmlFlagUsage is the help of --html, on every command that has it.
const htmlFlagUsage = "also write a report to `FILE`: a ladder diagram of each connection, every message expandable to its fields and bytes"

// openHTML creates the report file name (so that a path that cannot be
// written fails before anything runs) and returns its renderer and the
// function that writes the report and closes the file.
func openHTML(name, title string) (*render.HTML, func() error, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, nil, fail(exitInput, fmt.Errorf("--html: %w", err), "")
	}
	h := render.NewHTML(f)
	h.Title = title
	return h, func() error {
		err := h.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(exitInput, fmt.Errorf("--html %s: %w", name, err), "")
		}
		return nil
	}, nil
}

// writeHTML runs fill with a report, then writes the report to the file
// name: what fill saw, even when it failed.
func writeHTML(name, title string, fill func(*render.HTML) error) error {
	h, done, err := openHTML(name, title)
	if err != nil {
		return err
	}
	err = fill(h)
	if herr := done(); err == nil {
		err = herr
	}
	return err
}

// withHTML returns w as it is when name is "", and otherwise a writer
// that gives every event to w and to a report written to the file name
// by done, holding at most maxConns connections when that is not 0.
func withHTML(w render.Writer, name, title string, maxConns int) (out render.Writer, done func() error, err error) {
	if name == "" {
		return w, func() error { return nil }, nil
	}
	h, done, err := openHTML(name, title)
	if err != nil {
		return nil, nil, err
	}
	h.MaxConns = maxConns
	return teeWriter{w, h}, done, nil
}

// teeWriter gives each event to two renderers.
type teeWriter struct {
	a render.Writer
	b *render.HTML
}

func (t teeWriter) Event(ev *trace.Event) {
	t.a.Event(ev)
	t.b.Event(ev)
}

// Flush flushes the first; the report is written once, by done.
func (t teeWriter) Flush() error { return t.a.Flush() }
