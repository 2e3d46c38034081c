package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/trace"
)

type connectOptions struct {
	s       client.Session
	conn    connOptions
	jsonOut bool
	format  string
	verbose int
	html    htmlOptions
	alpn    string
}

func newConnectCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var o connectOptions
	cmd := &cobra.Command{
		Use:   "connect HOST:PORT",
		Short: "A traced TLS session on standard input and output (like openssl s_client)",
		Long:  help("connect"),
		Example: `  echo QUIT | tlstrace connect smtp.example.com:587 --starttls smtp
  printf 'GET / HTTP/1.0\r\n\r\n' | tlstrace connect localhost:4433 --cacert ca.pem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConnect(cmd.Context(), args[0], &o, stdin, stdout, stderr)
		},
	}
	f := cmd.Flags()
	o.conn.addFlags(f)
	f.StringVar(&o.s.StartTLS, "starttls", "", "upgrade a clear-text session first: `PROTO` one of "+strings.Join(starttls.Names(), ", "))
	f.BoolVar(&o.s.CRLF, "crlf", false, "send each line feed of standard input as CR LF")
	f.StringVar(&o.s.ServerName, "servername", "", "server name for SNI and verification (default: HOST)")
	f.DurationVar(&o.s.Idle, "idle", time.Second, "after standard input ends, how long the server may stay quiet before the session is closed")
	o.s.Timeout = 30 * time.Second
	f.Var((*seconds)(&o.s.Timeout), "timeout", "limit for the STARTTLS dialog and the handshake")
	f.BoolVar(&o.jsonOut, "json", false, "write the trace as JSON Lines")
	f.StringVar(&o.format, "format", "text", "trace output: text, curl or trace")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	o.html.flags(f, htmlFlagUsage)
	f.StringVar(&o.alpn, "alpn", "", "offer the ALPN protocols `LIST` (comma separated), e.g. postgresql for PostgreSQL's direct TLS")
	return cmd
}

func runConnect(ctx context.Context, addr string, o *connectOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	// An https:// URL names the server as verify's argument does.
	if strings.Contains(addr, "://") && !strings.HasPrefix(addr, "https://") {
		return fail(exitUsage, fmt.Errorf("%q: connect takes HOST[:PORT] or an https:// URL", addr), "for a mail or other clear-text protocol, give HOST:PORT and --starttls PROTO")
	}
	host, port, err := client.ParseTarget(addr)
	if err != nil {
		return fail(exitUsage, err, "write HOST:PORT")
	}
	if err := client.CheckStartTLS(o.s.StartTLS); err != nil {
		return settingFail(err)
	}
	netw, tlsOpts, err := o.conn.build()
	if err != nil {
		return err
	}
	out, err := newLiveWriter(stderr, o.jsonOut, o.format, o.verbose)
	if err != nil {
		return err
	}
	keyLog, err := openKeyLogEnv(stderr)
	if err != nil {
		return err
	}
	if keyLog != nil {
		defer keyLog.Close()
	}
	out, doneHTML, err := withHTML(out, o.html, "tlstrace connect "+addr, 0)
	if err != nil {
		return err
	}
	tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
		warnVerify(ev, stderr)
		out.Event(ev)
		out.Flush() // the trace goes out as it happens, between the data
	})
	tr.KeyLog = keyLog
	if o.conn.Insecure {
		warnInsecure(stderr)
	}
	s := &o.s
	s.Host, s.Port, s.Network, s.TLS = host, port, netw, *tlsOpts
	s.Warn = func(w client.Warning) { warn(stderr, []client.Warning{w}) }
	if o.alpn != "" {
		s.TLS.ALPN = strings.Split(o.alpn, ",")
	}
	err = client.Connect(ctx, tr, s, stdin, stdout)
	cerr := clientErrorWith(err, connectAdvice)
	emitRunFailed(tr, o.jsonOut, err, cerr)
	return finishOutput(cerr, out.Flush, doneHTML)
}

// connectAdvice words the advice that names get's flags elsewhere:
// connect's limit is --timeout, its ALPN list --alpn.
var connectAdvice = map[client.Advice]string{
	client.AdviseMaxTime:       "raise --timeout, or check that the server answers",
	client.AdviseHandshakeTime: "the server may not speak TLS on this port; --timeout sets the limit",
	client.AdviseALPN:          "offer one it speaks (--alpn LIST), or add the protocol to the server's ALPN list",
	client.AdviseServerALPN:    "offer other protocols (--alpn LIST), or add h2 or http/1.1 to the server's ALPN list",
	client.AdviseSlowServer:    "the server answers, but too slowly: raise --timeout to wait for it, or find what slows it (its load, its TLS stack, something between)",
}
