package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tlstrace/tlstrace/internal/lab"
)

func newLabCmd(stdout, stderr io.Writer) *cobra.Command {
	var basePort int
	var dir string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Serve broken TLS servers on loopback, one fault each, to learn and test diagnoses",
		Long:  help("lab"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if basePort < 0 || basePort+len(lab.Names) > 65535 {
				return fail(exitUsage, fmt.Errorf("--base-port %d: want 1 to %d", basePort, 65535-len(lab.Names)), "")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runLab(ctx, basePort, dir, jsonOut, stdout)
		},
	}
	f := cmd.Flags()
	f.IntVar(&basePort, "base-port", 8440, "the first `PORT`: the index page; each fault on the next (0: ports the system chooses)")
	f.StringVar(&dir, "dir", ".", "write the root CA to `DIR`/ca.pem")
	f.BoolVar(&jsonOut, "json", false, "list the servers as JSON Lines, one per server")
	return cmd
}

// runLab serves the index page and every fault until ctx is done, after
// listing them on stdout.
func runLab(ctx context.Context, basePort int, dir string, jsonOut bool, stdout io.Writer) error {
	l, err := lab.New()
	if err != nil {
		return err
	}
	ca, err := l.WriteCA(dir)
	if err != nil {
		return fail(exitFailure, err, "give a directory you can write with --dir")
	}
	servers, err := l.Listen(basePort, append([]string{"index"}, lab.Names...))
	if err != nil {
		return fail(exitFailure, err, "choose free ports with --base-port")
	}
	if err := lab.WriteList(stdout, servers, ca, jsonOut); err != nil {
		return err
	}
	lab.ServeAll(ctx, servers, ca)
	return nil
}
