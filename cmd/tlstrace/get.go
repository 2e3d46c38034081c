package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Exit codes of the live commands, one per failing step.
const (
	exitDNS     = 4
	exitConnect = 5
	exitTLS     = 6
	exitVerify  = 7
	exitHTTP    = 8
)

// getOptions are curl's options; those that need no mapping are the
// request's own fields.
type getOptions struct {
	req     client.Request
	conn    connOptions
	headers []string
	data    string
	output  string
	http11  bool
	http2   bool
	body    bool
	jsonOut bool
	format  string
	verbose int
	pcap    string
	html    htmlOptions
	// sslReqd is curl's --ssl-reqd: a clear-text mail URL upgrades with
	// STARTTLS. httpSet lists the HTTP-only flags given.
	sslReqd bool
	httpSet []string
	// user is curl's -u USER:PASSWORD, for the mail URLs: a login inside
	// TLS, the password never shown.
	user string
}

// connOptions are the network and TLS flags of every command that
// connects (get, connect, demo).
type connOptions struct {
	client.Options
	versions   minVersionFlags
	ipv4, ipv6 bool
}

// minVersionFlags are the --tlsv1.x flags of the commands that speak TLS
// (get, connect, demo, serve): each sets the lowest version, and the
// highest given wins.
type minVersionFlags struct{ tls10, tls11, tls12, tls13 bool }

// add defines --tlsv1.0 … --tlsv1.3, with the usage of each, 1.0 first.
func (m *minVersionFlags) add(f *pflag.FlagSet, usage [4]string) {
	for i, p := range []*bool{&m.tls10, &m.tls11, &m.tls12, &m.tls13} {
		f.BoolVar(p, "tlsv1."+strconv.Itoa(i), false, usage[i])
	}
}

// set sets min to the version the flags ask for ("1.0" … "1.3"), and
// leaves it when none is given.
func (m minVersionFlags) set(min *string) {
	for _, v := range []struct {
		on bool
		v  string
	}{{m.tls13, "1.3"}, {m.tls12, "1.2"}, {m.tls11, "1.1"}, {m.tls10, "1.0"}} {
		if v.on {
			*min = v.v
			return
		}
	}
}

func (o *connOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVarP(&o.Insecure, "insecure", "k", false, "go on when the certificate chain is not trusted (shown loudly)")
	f.StringVar(&o.CACert, "cacert", "", "trust the CA certificates in `FILE` (PEM) instead of the system's")
	f.StringVar(&o.CAPath, "capath", "", "trust the CA certificates in the PEM files of `DIR`")
	f.StringVarP(&o.Cert, "cert", "E", "", "client certificate `FILE` (PEM, or PKCS#12 with --cert-type P12)")
	f.StringVar(&o.Key, "key", "", "private key `FILE` of the client certificate (PEM)")
	f.StringVar(&o.CertType, "cert-type", "PEM", "client certificate type: PEM or P12")
	f.StringVar(&o.Pass, "pass", "", "password of the client key or PKCS#12 file")
	f.StringVar(&o.Pinned, "pinnedpubkey", "", "require the server key to match `sha256//BASE64[;sha256//…]` or a PEM/DER public key file")
	f.BoolVar(&o.CertStatus, "cert-status", false, "require a good stapled OCSP response")
	f.BoolVar(&o.CNFallback, "cn-fallback", false, "accept a certificate without subjectAltName whose common name is the host, as curl and OpenSSL do")
	o.versions.add(f, [4]string{"use TLS 1.0 or later", "use TLS 1.1 or later", "use TLS 1.2 or later", "use TLS 1.3"})
	f.BoolVarP(&o.versions.tls10, "tlsv1", "1", false, "use TLS 1.0 or later")
	f.StringVar(&o.MaxVersion, "tls-max", "", "highest TLS `VERSION` to use: 1.0, 1.1, 1.2, 1.3 (1.0 or 1.1 without --tlsv1.x: that version alone)")
	f.StringVar(&o.Ciphers, "ciphers", "", "TLS 1.0–1.2 cipher suites, OpenSSL or IANA names separated by ':'")
	f.StringVar(&o.TLS13Ciphers, "tls13-ciphers", "", "TLS 1.3 cipher suites, IANA names separated by ':'")
	f.StringVar(&o.Curves, "curves", "", "key exchange groups, e.g. X25519MLKEM768:X25519:P-256 or ffdhe2048")
	f.StringVar(&o.Engine, "engine", "auto", "TLS stack: go (crypto/tls), own (tlstrace's own engine), or auto: crypto/tls unless the options or the server need the own engine")
	o.addNetFlags(f)
}

// addNetFlags adds the flags of where and how to connect.
func (o *connOptions) addNetFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&o.Resolve, "resolve", nil, "use `HOST:PORT:ADDR[,ADDR]` instead of DNS (HOST * is any host; the host without case, as curl)")
	f.StringArrayVar(&o.ConnectTo, "connect-to", nil, "connect to `HOST1:PORT1:HOST2:PORT2` instead (an empty HOST1 or PORT1 is any, an empty HOST2 or PORT2 the original)")
	f.Var((*seconds)(&o.ConnectTimeout), "connect-timeout", "limit for DNS and TCP connect, in seconds (e.g. 5 or 5s)")
	f.BoolVarP(&o.ipv4, "ipv4", "4", false, "use IPv4 only")
	f.BoolVarP(&o.ipv6, "ipv6", "6", false, "use IPv6 only")
}

func newGetCmd(stdout, stderr io.Writer, use string) *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: "Make a traced HTTPS request (like curl -v, with every message decoded)",
		Long:  help("get"),
		Example: `  tlstrace https://example.com/
  tlstrace https://localhost:8443/ --cacert ca.pem --format curl
  tlstrace get https://localhost:8443/ --json | jq -c '[.from,.type]'
  tlstrace -L http://example.com/ --http1.1 -v
  tlstrace imap://mail.example.com/ --ssl-reqd`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return noURL(cmd)
			}
			for _, n := range httpOnlyFlags {
				if cmd.Flags().Changed(n) {
					o.httpSet = append(o.httpSet, "--"+n)
				}
			}
			return runGet(cmd.Context(), args[0], &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	o.conn.addFlags(f)
	f.StringArrayVarP(&o.headers, "header", "H", nil, "extra request header `\"Name: value\"`")
	f.StringVarP(&o.req.Method, "request", "X", "", "request `METHOD`")
	f.StringVarP(&o.data, "data", "d", "", "POST `DATA` (@FILE reads a file)")
	f.StringVarP(&o.output, "output", "o", "", "write the body to `FILE` (-: to standard output, after the trace)")
	f.BoolVarP(&o.req.Head, "head", "I", false, "ask for the headers only (HEAD)")
	f.BoolVarP(&o.req.Follow, "location", "L", false, "follow redirects, each hop on its own connection")
	f.IntVar(&o.req.MaxRedirects, "max-redirs", 50, "most redirects to follow")
	f.BoolVar(&o.req.LocationTrusted, "location-trusted", false, "with -L, send Authorization and Cookie headers to every redirect target, another host's too (by default only to the URL's scheme, host and port)")
	f.BoolVar(&o.http11, "http1.1", false, "use HTTP/1.1")
	f.BoolVar(&o.http2, "http2", false, "use HTTP/2 when the server agrees (the default)")
	f.IntVar(&o.req.Reconnect, "reconnect", 0, "repeat the request `N` times, resuming the TLS session")
	f.VarP((*seconds)(&o.req.MaxTime), "max-time", "m", "limit for the whole run, in seconds (e.g. 10 or 10s)")
	f.BoolVar(&o.body, "body", false, "print the response body after the trace")
	f.StringVarP(&o.req.UserAgent, "user-agent", "A", "tlstrace/"+version(), "User-Agent header")
	f.BoolVar(&o.jsonOut, "json", false, "write JSON Lines, one event per line")
	f.StringVar(&o.format, "format", "text", "output: text, curl (curl -v lines) or trace (every field)")
	f.CountVarP(&o.verbose, "verbose", "v", "show every field (-v), and the bytes as hex (-vv)")
	f.StringVar(&o.pcap, "pcap", "", "write the session to `FILE` as pcapng, its secrets embedded (Wireshark opens it decrypted)")
	o.html.flags(f, htmlFlagUsage)
	f.StringVarP(&o.user, "user", "u", "", "`USER:PASSWORD`: for https://, Basic authentication (it replaces the URL's user); for imap://, pop3://, smtp://, ftp://, ldap:// … a login inside TLS (the password is never shown)")
	f.BoolVar(&o.sslReqd, "ssl-reqd", false, "for smtp://, imap://, pop3:// … URLs: upgrade the session with STARTTLS (without it, tlstrace stops rather than stay in clear text)")
	return cmd
}

func runGet(ctx context.Context, target string, o *getOptions, stdout, stderr io.Writer) error {
	if !strings.Contains(target, "://") {
		target = "https://" + target
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	conv, err := conversationURL(target, client.URLOptions{Upgrade: o.sslReqd, HTTPOnly: o.httpSet, User: o.user})
	if err != nil {
		return err
	}
	if conv != nil && conv.Credentials != nil && o.pcap != "" {
		return fail(exitUsage, errors.New("--pcap with -u would write the password, encrypted, next to the secrets that decrypt it"), "drop --pcap, or -u")
	}
	if conv == nil {
		if err := httpUser(target, o); err != nil {
			return err
		}
	}
	out, err := newLiveWriter(stdout, o.jsonOut, o.format, o.verbose)
	if err != nil {
		return err
	}
	netw, tlsOpts, err := o.conn.build()
	if err != nil {
		return err
	}
	req := &o.req
	req.URL, req.Network, req.TLS = target, netw, *tlsOpts
	req.Withheld = func(w client.Withheld) { noteWithheld(stderr, w, o.user != "") }
	// As curl: --location-trusted is -L that trusts every target.
	req.Follow = req.Follow || req.LocationTrusted
	if conv != nil {
		conv.Network, conv.TLS, conv.Timeout = netw, *tlsOpts, req.MaxTime
	}
	switch {
	case req.Head && (o.data != "" || req.Method != ""):
		// As curl: -I asks for HEAD, -d for POST, -X for another.
		return fail(exitUsage, errors.New("-I and -d or -X conflict: only one request method can be chosen"), "")
	case o.http11 && o.http2:
		return fail(exitUsage, errors.New("--http1.1 and --http2 conflict"), "")
	case o.http11:
		req.HTTP = "1.1"
	case o.http2:
		req.HTTP = "2"
	}
	if req.Header, err = client.ParseHeaders(o.headers); err != nil {
		return fail(exitUsage, err, `write it as -H "Name: value"`)
	}
	if o.data != "" {
		if req.Body, err = client.ReadBody(o.data); err != nil {
			return fail(exitInput, err, "")
		}
	}
	if (o.body || o.output == "-") && o.jsonOut {
		return fail(exitUsage, errors.New("--body (or -o -) and --json conflict: the body would be mixed into the JSON Lines"), "write the body to a file with -o FILE")
	}
	var bodyBuf *strings.Builder
	switch {
	case o.output == "-":
		// As curl's -o -: the body to standard output, here after
		// the trace (as --body).
		o.body = true
		fallthrough
	case o.body:
		bodyBuf = &strings.Builder{}
		req.Output = bodyBuf
	case o.output != "":
		f, err := os.Create(o.output)
		if err != nil {
			return fail(exitInput, err, "")
		}
		defer f.Close()
		req.Output = f
	}
	keyLog, err := openKeyLogEnv(stderr)
	if err != nil {
		return err
	}
	if keyLog != nil {
		defer keyLog.Close()
	}
	// The report's file is made last, so that no check above leaves it
	// behind empty. Its title names the URL's user, not its password.
	out, doneHTML, err := withHTML(out, o.html, "tlstrace "+client.RedactURL(target), 0)
	if err != nil {
		return err
	}
	tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
		conv.Withhold(ev)
		if conv == nil {
			req.Withhold(ev)
		}
		warnVerify(ev, stderr)
		out.Event(ev)
	})
	tr.KeyLog = keyLog
	if o.conn.Insecure {
		warnInsecure(stderr)
	}
	tr.Record = o.pcap != ""
	var res *client.Result
	if conv != nil {
		err = client.Converse(ctx, tr, conv)
		if err == nil && conv.Credentials != nil {
			fmt.Fprintf(stderr, "tlstrace: logged in as %q inside TLS (password withheld)\n", conv.Credentials.User)
		}
	} else {
		res, err = client.Get(ctx, tr, req)
	}
	if o.pcap != "" {
		if perr := writePcap(o.pcap, tr, stderr); perr != nil && err == nil {
			err = perr
		}
	}
	cerr := clientError(err)
	emitRunFailed(tr, o.jsonOut, err, cerr)
	err = finishOutput(cerr, out.Flush, doneHTML)
	if bodyBuf != nil {
		fmt.Fprint(stdout, bodyBuf.String())
	}
	if res != nil {
		warn(stderr, res.Warnings)
	}
	return err
}

// httpUser sets the request's user and password from -u, which replace
// the URL's as in curl, and refuses those that would be sent in clear
// text, or written to --pcap.
func httpUser(target string, o *getOptions) error {
	u, err := url.Parse(target)
	if err != nil {
		return nil // the client says what is wrong with the URL
	}
	what := client.RedactURL(target)
	if o.user != "" {
		name, pass, ok := strings.Cut(o.user, ":")
		if !ok || name == "" {
			return fail(exitUsage, errors.New("-u wants USER:PASSWORD"), "tlstrace does not ask for the password: give it after the colon")
		}
		o.req.User, what = url.UserPassword(name, pass), "-u with "+what
	}
	if o.req.User == nil && u.User == nil {
		return nil
	}
	switch {
	case u.Scheme == "http":
		return fail(exitUsage, fmt.Errorf("%s would send the password in clear text", what), "use https://, which sends it inside TLS")
	case o.pcap != "":
		return fail(exitUsage, errors.New("--pcap with a password (-u, or in the URL) would write the password, encrypted, next to the secrets that decrypt it"), "drop --pcap, or the password")
	}
	return nil
}

// openKeyLogEnv opens the key log file $SSLKEYLOGFILE names, as
// keylog.OpenEnv, and warns when others may read it.
func openKeyLogEnv(stderr io.Writer) (io.WriteCloser, error) {
	w, err := keylog.OpenEnv()
	if err != nil {
		return nil, fail(exitInput, err, "")
	}
	if w != nil {
		warnExposed(stderr, os.Getenv("SSLKEYLOGFILE"), w)
	}
	return w, nil
}

// warnExposed warns when others than its owner may read the key log file
// name that w appends to: its secrets decrypt every session logged.
func warnExposed(stderr io.Writer, name string, w io.Writer) {
	if mode, ok := keylog.Exposed(w); ok {
		fmt.Fprintf(stderr, "tlstrace: warning: the key log %s has mode %04o: others can read the secrets that decrypt every session in it; chmod 600 %s\n",
			render.Escape(name), mode, render.Escape(name))
	}
}

// noURL is a usage error: get without its URL (curl exits 2 too, so that
// a script whose URL is empty does not pass).
func noURL(cmd *cobra.Command) error {
	return fail(exitUsage, errors.New("no URL"), fmt.Sprintf("give one, as in '%s https://example.com/' (see '%s --help')", cmd.CommandPath(), cmd.CommandPath()))
}

// writePcap writes what the tracer recorded, with its secrets.
func writePcap(name string, tr *source.Tracer, stderr io.Writer) error {
	conns := tr.Recorded()
	if err := capture.WritePcapngFile(name, tr.Secrets(), conns); err != nil {
		return fail(exitInput, fmt.Errorf("--pcap: %w", err), "")
	}
	fmt.Fprintf(stderr, "tlstrace: wrote %s: %d connection%s, secrets embedded (keep it private)\n", name, len(conns), map[bool]string{true: "s"}[len(conns) != 1])
	return nil
}

// noteWithheld says that a redirect target of another origin did not get
// the request's credentials, as curl does not send them; dashU says that
// the user and password are -u's, not the URL's.
func noteWithheld(stderr io.Writer, w client.Withheld, dashU bool) {
	var names []string
	switch {
	case w.User && dashU:
		names = append(names, "the user and password of -u (Authorization)")
	case w.User:
		names = append(names, "the URL's user and password (Authorization)")
	}
	for _, h := range w.Headers {
		names = append(names, h+" (-H)")
	}
	fmt.Fprintf(stderr, "tlstrace: note: %s not sent to %s: its scheme, host or port is not the URL's (as curl, to keep credentials from another origin); --location-trusted sends %s\n",
		strings.Join(names, ", "), render.Escape(w.URL), map[bool]string{true: "them", false: "it"}[len(names) > 1])
}

// warn says each weakness of a connection that worked, and its fix.
func warn(stderr io.Writer, warnings []trace.Warning) {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "tlstrace: warning: %s\ntlstrace: hint: %s\n", render.Escape(w.Cause), render.Escape(w.Fix))
	}
}

// warnVerify says on stderr what is wrong with a chain that was trusted
// all the same (chain.Result.Warnings), as the --insecure warning is said.
func warnVerify(ev *trace.Event, stderr io.Writer) {
	if p, ok := ev.Payload.(*trace.Verify); ok {
		warn(stderr, p.Warnings)
	}
}

func warnInsecure(stderr io.Writer) {
	fmt.Fprintln(stderr, "tlstrace: warning: --insecure: the server's certificate is checked and shown, but not enforced; anyone on the path could be answering")
}

// clientError maps a failed step to its exit code, and its advice to
// words with flags.
func clientError(err error) error { return clientErrorWith(err, nil) }

// clientErrorWith is clientError with the words of some advice replaced
// (a command whose flags differ).
func clientErrorWith(err error, words map[client.Advice]string) error {
	var ce *client.Error
	if err == nil || !errors.As(err, &ce) {
		return err
	}
	var ue *client.URLError
	if errors.As(ce.Err, &ue) {
		return urlFail(ue)
	}
	code := map[client.Step]int{
		client.StepUsage:   exitUsage,
		client.StepDNS:     exitDNS,
		client.StepConnect: exitConnect,
		client.StepTLS:     exitTLS,
		client.StepVerify:  exitVerify,
		client.StepHTTP:    exitHTTP,
	}[ce.Step]
	hint := ce.Hint
	if a, ok := advice[ce.Advice]; ok {
		hint = a
	}
	if a, ok := words[ce.Advice]; ok {
		hint = a
	}
	if ce.Advice == client.AdviseVersions {
		hint = versionsHint(ce.Older, ce.Newer)
	}
	return fail(code, flagError(ce.Err), hint)
}

// versionsHint words the versions the server may speak that the client
// did not offer (client.AdviseVersions) with the flags that allow them:
// older ones, the newest first, and newer ones.
func versionsHint(older, newer []uint16) string {
	var flags []string
	weak := false
	for _, v := range older {
		flags = append(flags, fmt.Sprintf("--tlsv1.%d", v-tls.VersionTLS10))
		weak = weak || v < tls.VersionTLS12
	}
	allow := ""
	switch len(flags) {
	case 0:
	case 1:
		allow = "allow " + tls.VersionName(older[0]) + " with " + flags[0]
	default:
		allow = "allow older versions with " + strings.Join(flags[:len(flags)-1], ", ") + " or " + flags[len(flags)-1]
	}
	switch {
	case weak && len(flags) == 1:
		allow += " (insecure, RFC 8996)"
	case weak:
		allow += " (TLS 1.0 and 1.1 are insecure, RFC 8996)"
	}
	switch {
	case allow != "" && len(newer) > 0:
		return "the server may speak only older versions or only newer ones: " + allow + "; or newer ones by raising or dropping --tls-max; or upgrade the server"
	case allow != "":
		return allow + ", or upgrade the server"
	case len(newer) > 0:
		return "the server may speak only newer versions than --tls-max allows: raise or drop --tls-max"
	}
	return advice[client.AdviseVersions]
}

// advice words the client's remedies with the flags they involve.
var advice = map[client.Advice]string{
	client.AdviseResolve:        "check the host name; --resolve HOST:PORT:ADDRESS connects without DNS",
	client.AdviseConnectTimeout: "check that the host is reachable (a firewall may drop packets); --connect-timeout sets the limit",
	client.AdviseFamily:         "check the address and the route; -4 or -6 picks the IP version",
	client.AdviseMaxTime:        "raise -m/--max-time, or check that the server answers",
	client.AdviseSlowServer:     "the server answers, but too slowly: raise -m/--max-time to wait for it, or find what slows it (its load, its TLS stack, something between)",
	client.AdviseHandshakeTime:  "the server may not speak TLS on this port; -m sets the limit",
	client.AdviseMaxRedirects:   "raise --max-redirs, or look for a redirect loop",
	client.AdviseStartTLS:       "check the port and --starttls",
	client.AdviseOtherVersions:  "allow other versions with --tlsv1.0 … --tls-max",
	// The words when the server may speak no version left to offer;
	// versionsHint words the others.
	client.AdviseVersions:       "the server speaks no version the client can offer: upgrade the server",
	client.AdviseSuites:         "compare the ClientHello with what the server allows; relax --ciphers, --tls13-ciphers or --curves",
	client.AdviseClientCert:     "pass one with --cert FILE --key FILE",
	client.AdviseOwnEngine:      "the server may need what crypto/tls does not speak (Ed448 signatures, RSASSA-PSS certificates, DHE or AES-CCM suites, ffdhe groups): drop --engine go, and tlstrace's own engine tries again",
	client.AdviseRetryOwn:       "the server may need what crypto/tls does not speak (Ed448 signatures, RSASSA-PSS certificates, DHE or AES-CCM suites, ffdhe groups), and tlstrace's own engine could not connect again to try: run with --engine own",
	client.AdviseServerName:     "name the server in the URL (https://NAME:PORT/), with --resolve NAME:PORT:ADDRESS to reach this address (connect: --servername NAME)",
	client.AdviseNoLogin:        "drop -u",
	client.AdviseCredentials:    "the TLS session works; check the user and password given with -u",
	client.AdviseTraceHandshake: "run with -v to see each message of the handshake",
	client.AdviseALPN:           "the server may speak h2 alone: offer it too (drop --http1.1), or add http/1.1 to the server's ALPN list",
	client.AdviseALPNEngine:     "the server may speak h2 alone, which only crypto/tls offers (tlstrace's own engine speaks HTTP/1.1): run without --engine own and the settings only it speaks, or add http/1.1 to the server's ALPN list",
	client.AdviseServerALPN:     "the server refused both protocols of HTTP over TLS, so no HTTP client can connect: add h2 or http/1.1 to the server's ALPN list (nothing on this side helps)",
	client.AdvisePin:            "if the key changed on purpose, update --pinnedpubkey",
	client.AdviseCertStatus:     "enable OCSP stapling on the server, or drop --cert-status",
	client.AdviseBodyIdle:       "the server stalled; -m/--max-time replaces this limit with the whole run's (a stream with long pauses needs it)",
}

// newLiveWriter returns the renderer for a live command's --json and
// --format.
func newLiveWriter(stdout io.Writer, jsonOut bool, format string, verbose int) (render.Writer, error) {
	if jsonOut && format != "text" && format != "" {
		return nil, fail(exitUsage, fmt.Errorf("--json and --format %s conflict", format), "--json writes every event; drop one of them")
	}
	w, err := render.New(stdout, render.Options{JSON: jsonOut, Format: format, Verbose: verbose, Sections: true, Color: colorOK(stdout), Width: render.TerminalWidth(stdout)})
	if err != nil {
		return nil, fail(exitUsage, fmt.Errorf("unknown --format %q", format), "use text, curl or trace")
	}
	return w, nil
}

// emitRunFailed emits, with --json, the failure of a live run as its last
// event (info run_failed): err as the command returns it (its message,
// hint and exit code, as standard error and the HTML report give them),
// and the step that failed, from raw, the client's error that err was
// made of. It emits nothing when err is nil.
func emitRunFailed(tr *source.Tracer, jsonOut bool, raw, err error) {
	if err == nil || !jsonOut {
		return
	}
	msg, hint := outcome(err)
	p := &trace.RunFailed{ExitCode: exitCode(err), Hint: hint}
	var ce *client.Error
	var ue *client.URLError
	switch {
	case errors.As(raw, &ue):
		p.Step = "usage"
	case errors.As(raw, &ce):
		p.Step = stepNames[ce.Step]
	}
	ev := trace.NewEvent(0, trace.Local, p)
	ev.Error = msg
	tr.Emit(ev)
}

// stepNames names the client's steps in the run_failed event.
var stepNames = map[client.Step]string{
	client.StepUsage:   "usage",
	client.StepDNS:     "dns",
	client.StepConnect: "connect",
	client.StepTLS:     "tls",
	client.StepVerify:  "verify",
	client.StepHTTP:    "http",
}

// finishOutput ends a live command's output: flush writes out the trace
// still held, then done writes the --html report (withHTML's, after the
// trace's last event), which shows the command's error. err is that
// error, as the command returns it (with its exit code and hint). It
// returns err, or when err is nil the first error of the two.
func finishOutput(err error, flush func() error, done func(error) error) error {
	if ferr := flush(); ferr != nil && err == nil {
		err = ferr
	}
	if herr := done(err); herr != nil && err == nil {
		err = herr
	}
	return err
}

// build turns the flags into the client's settings. Without --cacert or
// --capath, curl's environment variables name the CAs (CURL_CA_BUNDLE,
// SSL_CERT_FILE, then SSL_CERT_DIR).
func (o *connOptions) build() (client.Network, *client.TLSOptions, error) {
	if err := o.settle(); err != nil {
		return client.Network{}, nil, err
	}
	o.TrustWith = "--cacert FILE"
	o.FallbackWith = "--cn-fallback"
	o.Words, o.CertStatusWith, o.EngineWith = advice, "--cert-status", "--engine own"
	o.CAsFromEnv()
	n, t, err := o.Build()
	if errors.Is(err, client.ErrVersionRange) {
		return n, nil, fail(exitUsage, errors.New("the minimum TLS version is above --tls-max"), "")
	}
	if err != nil {
		return n, nil, settingFail(err)
	}
	return n, t, nil
}

// settle turns -4/-6 and --tlsv1.x into the client's settings.
func (o *connOptions) settle() error {
	switch {
	case o.ipv4 && o.ipv6:
		return fail(exitUsage, errors.New("-4 and -6 conflict"), "")
	case o.ipv4:
		o.Family = "tcp4"
	case o.ipv6:
		o.Family = "tcp6"
	}
	o.versions.set(&o.MinVersion)
	return nil
}
