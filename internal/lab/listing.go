package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
)

// Entry is a server as the lab lists it: one JSON line of `tlstrace lab
// --json`.
type Entry struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Kind   string `json:"kind"`
	Fault  string `json:"fault"`
	Expect Expect `json:"expect"`
}

// Expect is what `tlstrace URL --cacert ca.pem` does against a server.
type Expect struct {
	Exit int `json:"exit"`
	// Warning: the client connects, and warns of a weakness.
	Warning bool `json:"warning,omitempty"`
	// Scan is the rule of the finding `tlstrace scan` reports for a
	// fault the client cannot see.
	Scan string `json:"scan_finding,omitempty"`
}

// Entry returns the server's entry in the listing.
func (s *Server) Entry() Entry {
	return Entry{Name: s.Name, URL: s.URL, Kind: s.Kind, Fault: s.Fault.Fault, Expect: Expect{Exit: s.Exit, Warning: s.Warning, Scan: s.Scan}}
}

// WriteList writes the listing of servers whose root CA is the file ca:
// the CA's path, then a table of the servers' names, URLs, exit codes and
// faults; or, with jsonOut, one Entry per server as JSON Lines.
func WriteList(w io.Writer, servers []*Server, ca string, jsonOut bool) error {
	if jsonOut {
		enc := json.NewEncoder(w)
		for _, s := range servers {
			if err := enc.Encode(s.Entry()); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(w, "root CA: %s\n", ca)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tEXIT\tFAULT")
	for _, s := range servers {
		exit := fmt.Sprint(s.Exit)
		if s.Warning {
			exit += " (warns)"
		}
		if s.Scan != "" {
			exit += " (scan finds it)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.URL, exit, s.Fault.Fault)
	}
	return tw.Flush()
}

// ServeAll serves every server until ctx is done, the first with the
// page that lists them all (Index, with the root CA file ca), and returns
// once all have stopped.
func ServeAll(ctx context.Context, servers []*Server, ca string) {
	page := Index(servers, ca)
	var wg sync.WaitGroup
	for i, s := range servers {
		var index func() []byte
		if i == 0 {
			index = func() []byte { return page }
		}
		wg.Go(func() { s.Serve(ctx, index) })
	}
	wg.Wait()
}
