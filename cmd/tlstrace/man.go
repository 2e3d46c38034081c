package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/manpage"
)

// newManCmd writes the manual pages: tlstrace(1) and one page per
// subcommand, from the same definitions as --help.
func newManCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the manual pages (tlstrace.1 and one per command) into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(exitInput, err, "")
			}
			if err := writeManPages(cmd.Root(), dir, manDate()); err != nil {
				return fail(exitInput, fmt.Errorf("writing the manual pages: %w", err), "")
			}
			fmt.Fprintf(stdout, "manual pages written to %s; read one with: man -l %s/tlstrace.1\n", dir, dir)
			return nil
		},
	}
}

// manDate is the date the pages carry: SOURCE_DATE_EPOCH's, so that a
// build that sets it writes the same pages every time, or today's.
func manDate() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Now().UTC()
}

// writeManPages writes the page of c and of each of its commands into dir,
// as NAME.1 (the command path joined with dashes).
func writeManPages(c *cobra.Command, dir string, date time.Time) error {
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManPages(sub, dir, date); err != nil {
			return err
		}
	}
	name := manName(c)
	f, err := certio.Create(filepath.Join(dir, name+".1"), 0o644, true)
	if err != nil {
		return err
	}
	err = manpage.Write(f, manPage(c, name, date))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func manName(c *cobra.Command) string { return strings.ReplaceAll(c.CommandPath(), " ", "-") }

// manPage describes command c as its page.
func manPage(c *cobra.Command, name string, date time.Time) manpage.Page {
	c.InitDefaultHelpFlag()
	p := manpage.Page{
		Name: name, Section: "1", Date: date.Format("January 2006"),
		Source: "tlstrace " + version(), Manual: "tlstrace manual",
		Short: c.Short, Synopsis: c.UseLine(), Description: c.Long, Example: c.Example,
		Options: manOptions(c.NonInheritedFlags()), Inherited: manOptions(c.InheritedFlags()),
	}
	if p.Description == "" {
		p.Description = c.Short
	}
	if c.HasParent() {
		p.SeeAlso = append(p.SeeAlso, manName(c.Parent())+"(1)")
	}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
			p.SeeAlso = append(p.SeeAlso, manName(sub)+"(1)")
		}
	}
	return p
}

// manOptions lists the flags of f, as --help shows them: the value's name
// from the usage's `NAME`, or its type, and a default that says something.
func manOptions(f *pflag.FlagSet) []manpage.Option {
	var opts []manpage.Option
	f.VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden {
			return
		}
		arg, usage := pflag.UnquoteUsage(fl)
		o := manpage.Option{Short: fl.Shorthand, Long: fl.Name, Arg: arg, Usage: usage}
		switch fl.DefValue {
		case "", "false", "0", "[]", "0s":
		default:
			o.Default = fl.DefValue
		}
		if fl.NoOptDefVal != "" && fl.Value.Type() != "bool" {
			// A count (-v, -vv) takes no value.
			o.Arg = ""
		}
		opts = append(opts, o)
	})
	return opts
}
