package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tlstrace/tlstrace/internal/lab"
)

// labLine is one server in the --json listing.
type labLine struct {
	Name   string    `json:"name"`
	URL    string    `json:"url"`
	Kind   string    `json:"kind"`
	Fault  string    `json:"fault"`
	Expect labExpect `json:"expect"`
}

type labExpect struct {
	Exit int `json:"exit"`
	// Warning: the client connects, and warns of a weakness.
	Warning bool `json:"warning,omitempty"`
}

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

func runLab(ctx context.Context, basePort int, dir string, jsonOut bool, stdout io.Writer) error {
	l, err := lab.New()
	if err != nil {
		return err
	}
	ca, err := l.WriteCA(dir)
	if err != nil {
		return fail(exitFailure, err, "give a directory you can write with --dir")
	}
	if abs, err := filepath.Abs(ca); err == nil {
		ca = abs
	}
	servers, err := l.Listen(basePort, append([]string{"index"}, lab.Names...))
	if err != nil {
		return fail(exitFailure, err, "choose free ports with --base-port")
	}
	page := lab.Index(servers, ca)
	index := func() []byte { return page }
	var tw *tabwriter.Writer
	if !jsonOut {
		fmt.Fprintf(stdout, "root CA: %s\n", ca)
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tURL\tEXIT\tFAULT")
	}
	enc := json.NewEncoder(stdout)
	var wg sync.WaitGroup
	for i, s := range servers {
		var idx func() []byte
		if i == 0 {
			idx = index
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Serve(ctx, idx)
		}()
		if jsonOut {
			if err := enc.Encode(labLine{Name: s.Name, URL: s.URL, Kind: s.Kind, Fault: s.Fault.Fault, Expect: labExpect{Exit: s.Exit, Warning: s.Warning}}); err != nil {
				return err
			}
		} else {
			exit := fmt.Sprint(s.Exit)
			if s.Warning {
				exit += " (warns)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.URL, exit, s.Fault.Fault)
		}
	}
	if tw != nil {
		tw.Flush()
	}
	wg.Wait()
	return nil
}
