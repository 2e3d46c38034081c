package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/certio"
	"github.com/tlstrace/tlstrace/internal/chain"
)

func newCertCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Make, inspect and pin certificates (like openssl req, x509, genpkey)",
	}
	cmd.AddCommand(newCertShowCmd(stdout, stderr), newCertPinCmd(stdout))
	cmd.AddCommand(newCertGenCmds(stdout, stderr)...)
	return cmd
}

func newCertShowCmd(stdout, stderr io.Writer) *cobra.Command {
	var jsonOut bool
	var pass string
	cmd := &cobra.Command{
		Use:   "show FILE...",
		Short: "Show certificates (PEM, DER, PKCS#7, PKCS#12, bundles) like openssl x509 -text, and requests like openssl req -text",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format := "trace"
			if jsonOut {
				format = ""
			}
			out, err := newLiveWriter(stdout, jsonOut, format, 1)
			if err != nil {
				return err
			}
			n := 0
			for _, name := range args {
				bundle, err := certio.ReadFile(name, pass)
				if err != nil {
					// A certificate request, shown as openssl req -text.
					if req, rerr := certgen.ReadRequest(name); rerr == nil {
						n++
						out.Event(chain.RequestEvent(n, req, name))
						continue
					}
					return certFileError(err)
				}
				if err := bundle.NeedCerts(name); err != nil {
					return certFileError(err)
				}
				for _, c := range bundle.Certs {
					n++
					out.Event(chain.FileEvent(n, c, name, string(bundle.Format)))
				}
				if bundle.Key != nil && !jsonOut {
					fmt.Fprintf(stderr, "tlstrace: %s also holds a private key (not shown)\n", name)
				}
			}
			return out.Flush()
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "write JSON Lines, one certificate per line")
	cmd.Flags().StringVar(&pass, "pass", "", "password of a PKCS#12 file")
	return cmd
}

func newCertPinCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "pin FILE",
		Short: "Print the SPKI pin of a certificate in curl's --pinnedpubkey form",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			certs, err := readCerts("", args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, chain.Pin(certs[0]))
			return nil
		},
	}
}
