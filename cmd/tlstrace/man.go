package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
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
			h := &doc.GenManHeader{Title: "TLSTRACE", Section: "1", Source: "tlstrace " + version(), Manual: "tlstrace manual"}
			if err := doc.GenManTree(cmd.Root(), h, dir); err != nil {
				return fail(exitInput, fmt.Errorf("writing the manual pages: %w", err), "")
			}
			fmt.Fprintf(stdout, "manual pages written to %s; read one with: man -l %s/tlstrace.1\n", dir, dir)
			return nil
		},
	}
}
