// Certificates with a negative serial number, which RFC 5280 forbids but
// openssl reads and verifies, are read and shown (with a warning) rather
// than refused unread, as crypto/x509 does since Go 1.23.
//
//go:debug x509negativeserial=1

// Command tlstrace makes TLS and HTTPS connections visible and explains them:
// every record and handshake message decoded, TLS 1.3's encrypted ones
// decrypted with the session's own secrets.
//
// Usage:
//
//	tlstrace URL [curl's options]
//	tlstrace demo | connect | serve | verify | cert | read
//
// Run `tlstrace help` for the commands and their flags.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/starttls"
)

// Exit codes. They are part of the interface: scripts test them.
const (
	exitOK = 0
	// exitFailure is a failure not covered below (Go's runtime uses it
	// too).
	exitFailure = 1
	// exitUsage is a command line that cannot be run: unknown flag, missing
	// argument, conflicting flags.
	exitUsage = 2
	// exitInput is an input file that cannot be read or parsed (a capture,
	// a key log).
	exitInput = 3
)

// stdin is what `tlstrace connect` sends; tests replace it.
var stdin io.Reader = os.Stdin

// Version is set at link time (-ldflags "-X main.Version=v1.2.3"); without
// it, the module version from the build info is used.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// exitError carries an exit code and a hint with an error.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, err error, hint string) error {
	return &exitError{code: code, err: err, hint: hint}
}

// flagNames are the flags of the settings internal packages name in a
// setting.Error.
var flagNames = map[string]string{
	"SANs": "--san", "Profile": "--profile", "KeyUsage": "--key-usage", "ExtKeyUsage": "--ext-key-usage",
	"Resolve": "--resolve", "ConnectTo": "--connect-to", "CACert": "--cacert", "CAPath": "--capath", "Cert": "--cert",
	"CertType": "--cert-type", "Pinned": "--pinnedpubkey", "MaxVersion": "--tls-max", "Ciphers": "--ciphers",
	"TLS13Ciphers": "--tls13-ciphers", "Curves": "--curves", "StartTLS": "--starttls",
	"VerifyClient": "--verify-client", "Mode": "--mode", "Dir": "--dir", "CertFiles": "--cert", "ClientCAFiles": "--client-ca", "OCSPStapleFile": "--ocsp-staple",
	"NotBefore": "--not-before", "NotAfter": "--not-after", "Days": "--days", "Out": "-o", "KeyOut": "--key-out", "P12": "--p12", "Engine": "--engine", "Shard": "--shard",
}

// settingHints are the hints given with a setting's error.
var settingHints = map[string]string{
	"Ciphers":   "crypto/tls implements the suites of Go's tls.CipherSuites and tls.InsecureCipherSuites; the client's own engine (get, connect) also the DHE-RSA, AES-CCM and AES-CCM8 ones",
	"Cert":      "--cert takes a PEM certificate, --key its PEM private key (unencrypted); a PKCS#12 file needs --cert-type P12 and its --pass",
	"Pinned":    "give sha256//BASE64 (tlstrace cert pin CERT prints it) or a public key file (openssl pkey -pubout)",
	"NotBefore": timeHint,
	"NotAfter":  timeHint,
}

// timeHint is the hint of a time flag that does not parse (RFC 3339).
const timeHint = "write it like 2026-02-02T08:36:39Z"

// settingFail is a setting's error as the command line says it: with its
// flag, a hint, and the exit code of a usage error or, when a file cannot
// be read, of an input error.
func settingFail(err error) error {
	var se *setting.Error
	if !errors.As(err, &se) {
		return err
	}
	code := exitUsage
	if se.File {
		code = exitInput
	}
	return fail(code, flagError(err), settingHints[se.Name])
}

// flagError says a setting's error with the name of its flag.
func flagError(err error) error {
	var se *setting.Error
	if !errors.As(err, &se) {
		return err
	}
	name, ok := flagNames[se.Name]
	if !ok {
		name = se.Name
	}
	if se.Value == "" {
		return fmt.Errorf("%s: %w", name, se.Err)
	}
	return fmt.Errorf("%s %q: %w", name, se.Value, se.Err)
}

// colorMode is --color: auto, always or never.
var colorMode = "auto"

// colorOK reports whether to colour the text written to w, as --color says.
func colorOK(w io.Writer) bool {
	return render.UseColor(colorMode, w)
}

// helpFiles holds each command's long help, help/COMMAND.txt, the text
// that `tlstrace help COMMAND` and the manual page show.
//
//go:embed help/*.txt
var helpFiles embed.FS

// help is the long help of command name, without the file's final newline.
func help(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		// The files are compiled in: a missing one is a bug in this
		// package, caught by any test that builds the commands.
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tlstrace",
		Short:         "Make TLS and HTTPS connections visible and explain them",
		Long:          help("tlstrace"),
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// "sever" is one letter from "serve".
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&colorMode, "color", "auto", "colour the text output: auto (on a terminal, unless NO_COLOR is set), always or never")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		switch colorMode {
		case "auto", "always", "never":
			return nil
		}
		return fail(exitUsage, fmt.Errorf("--color %q: want auto, always or never", colorMode), "")
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if args := c.Flags().Args(); c != root && c.HasSubCommands() && len(args) > 0 {
			// "cert issue --ca …": the word is no subcommand, which
			// says more than the flag after it, unknown to cert.
			return fail(exitUsage, fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath()), subcommandHint(c, args[0]))
		}
		return fail(exitUsage, err, fmt.Sprintf("see '%s --help'", c.CommandPath()))
	})
	root.AddCommand(newReadCmd(stdout, stderr))
	root.AddCommand(newGetCmd(stdout, stderr, "get URL"))
	root.AddCommand(newDemoCmd(stdout, stderr))
	root.AddCommand(newConnectCmd(stdin, stdout, stderr))
	root.AddCommand(newVerifyCmd(stdout, stderr))
	root.AddCommand(newCertCmd(stdout, stderr))
	root.AddCommand(newServeCmd(stdout, stderr))
	root.AddCommand(newScanCmd(stdout, stderr))
	root.AddCommand(newLabCmd(stdout, stderr))
	root.AddCommand(newManCmd(stdout))
	// `tlstrace URL` is `tlstrace get URL`.
	get := newGetCmd(stdout, stderr, "tlstrace")
	root.Args = cobra.ArbitraryArgs
	root.Flags().AddFlagSet(get.Flags())
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && cmd.Flags().NFlag() == 0 {
			return cmd.Help()
		}
		if len(args) == 0 {
			return noURL(cmd)
		}
		if len(args) > 1 {
			return fail(exitUsage, fmt.Errorf("unexpected arguments %q", args[1:]), "give one URL")
		}
		if err := mistypedCommand(cmd, args[0]); err != nil {
			return err
		}
		return get.RunE(cmd, args)
	}
	usageArgs(root)
	return root
}

// flagValues are the values shell completion offers for the flags that
// take one of a few words, on whichever command has them.
var flagValues = map[string][]string{
	"color":         {"auto", "always", "never"},
	"format":        {"text", "curl", "trace"},
	"mode":          {"echo", "www", "http", "file"},
	"starttls":      starttls.Names(),
	"engine":        {"auto", "go", "own"},
	"key-type":      certgen.KeyTypes,
	"profile":       {"server", "client", "both"},
	"verify-client": {"none", "request", "require"},
	"purpose":       {"server", "client"},
	"cert-type":     {"PEM", "P12"},
	"tls-max":       {"1.0", "1.1", "1.2", "1.3"},
}

// completeValues registers flagValues' completions on cmd and its
// subcommands.
func completeValues(cmd *cobra.Command) {
	complete := func(f *pflag.Flag) {
		values, ok := flagValues[f.Name]
		if !ok {
			return
		}
		if _, exists := cmd.GetFlagCompletionFunc(f.Name); exists {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	}
	cmd.LocalNonPersistentFlags().VisitAll(complete)
	cmd.PersistentFlags().VisitAll(complete)
	for _, c := range cmd.Commands() {
		completeValues(c)
	}
}

// mistypedCommand is a usage error for a bare word that is not a
// command but is close to one ("sever"): taken as a host name, it would
// be looked up in DNS and fail with a message about the network. A word
// with a scheme, a dot, a colon or a slash is an address and passes, as
// does "localhost".
func mistypedCommand(root *cobra.Command, arg string) error {
	if arg == "localhost" || strings.ContainsAny(arg, ".:/[") {
		return nil
	}
	s := root.SuggestionsFor(arg)
	if len(s) == 0 {
		return nil
	}
	for i := range s {
		s[i] = fmt.Sprintf("'%s %s'", root.Name(), s[i])
	}
	return fail(exitUsage, fmt.Errorf("unknown command %q", arg),
		fmt.Sprintf("did you mean %s? (a host name needs a dot or a scheme: https://%s/)", strings.Join(s, " or "), arg))
}

// subcommandHint names the subcommands of c close to word, or points to
// its help.
func subcommandHint(c *cobra.Command, word string) string {
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default, set where it suggests itself
	}
	if s := c.SuggestionsFor(word); len(s) > 0 {
		return fmt.Sprintf("did you mean '%s %s'?", c.CommandPath(), strings.Join(s, "' or '"+c.CommandPath()+" "))
	}
	return fmt.Sprintf("see '%s --help' for its commands", c.CommandPath())
}

// usageArgs makes the argument errors of cmd and its subcommands usage
// errors (exit 2), so that any other error without a code of its own is a
// failure (exit 1).
func usageArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return fail(exitUsage, err, fmt.Sprintf("see '%s --help'", c.CommandPath()))
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
}

// run executes a command line and returns the exit code. Tests call it in
// process.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run with a context that, when done, stops long-running
// commands (serve) as SIGINT would.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	if len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd) {
		// Registered only when asked for: it visits every flag.
		completeValues(root)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	msg, hint := outcome(err)
	fmt.Fprintf(stderr, "tlstrace: error: %s\n", render.Escape(msg))
	if hint != "" {
		fmt.Fprintf(stderr, "tlstrace: hint: %s\n", render.Escape(hint))
	}
	return exitCode(err)
}

// exitCode is the exit status of a command that returned err (not nil).
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Usage and input errors carry their codes; anything else is a
	// failure not listed (exit 1).
	return exitFailure
}

// outcome is the error a command returned as standard error gives it:
// its message and its hint ("" when it has none); "", "" for nil. The
// HTML report shows the same (openHTML).
func outcome(err error) (msg, hint string) {
	if err == nil {
		return "", ""
	}
	var ee *exitError
	if errors.As(err, &ee) {
		hint = ee.hint
	}
	return err.Error(), hint
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
