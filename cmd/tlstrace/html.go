package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/render"
)

// htmlFlagUsage is the help of --html, on every command that has it.
const htmlFlagUsage = "also write a report to `FILE`: a ladder diagram of each connection, every message expandable to its fields and bytes"

// htmlOptions are the report's flags: --html FILE and --html-secrets.
type htmlOptions struct {
	file    string
	secrets bool
}

func (o *htmlOptions) flags(f *pflag.FlagSet, usage string) {
	f.StringVar(&o.file, "html", "", usage)
	f.BoolVar(&o.secrets, "html-secrets", false, "with --html, show the values of the secrets in the report's key schedule (default: their names only)")
}

// openHTML creates the report file o.file (so that a path that cannot be
// written fails before anything runs) and returns its renderer and the
// function that writes the report and closes the file, given the error
// the command returns (nil when it succeeded): the report shows it, and
// its hint, as standard error does.
func openHTML(o htmlOptions, title string) (*render.HTML, func(error) error, error) {
	name := o.file
	// A report with the secrets' values is readable by its owner only,
	// as a key log is; a file that existed is replaced whole, and its
	// mode set too.
	mode := os.FileMode(0o644)
	if o.secrets {
		mode = 0o600
	}
	f, err := certio.Create(name, mode, true)
	if err != nil {
		return nil, nil, fail(exitInput, fmt.Errorf("--html: %w", err), "")
	}
	h := render.NewHTML(f)
	h.Title, h.Secrets, h.SecretsWith = title, o.secrets, "--html-secrets"
	return h, func(runErr error) error {
		h.Error, h.Hint = outcome(runErr)
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
// o.file: what fill saw, even when it failed.
func writeHTML(o htmlOptions, title string, fill func(*render.HTML) error) error {
	h, done, err := openHTML(o, title)
	if err != nil {
		return err
	}
	err = fill(h)
	if herr := done(err); err == nil {
		err = herr
	}
	return err
}

// withHTML returns w as it is when o.file is "", and otherwise a writer
// that gives every event to w and to a report written to the file o.file
// by done (given the command's error, as openHTML's), holding at most
// maxConns connections when that is not 0.
func withHTML(w render.Writer, o htmlOptions, title string, maxConns int) (out render.Writer, done func(error) error, err error) {
	if o.file == "" {
		return w, func(error) error { return nil }, nil
	}
	h, done, err := openHTML(o, title)
	if err != nil {
		return nil, nil, err
	}
	h.MaxConns = maxConns
	return render.WithReport(w, h), done, nil
}
