package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/tlstrace/tlstrace/internal/failure"
	"github.com/tlstrace/tlstrace/internal/h2"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Request is one traced HTTP request, as curl's options describe it.
type Request struct {
	Method string
	URL    string
	// User, when set, replaces the URL's user and password (curl -u):
	// sent as Basic authentication, withheld and masked as the URL's.
	User   *url.Userinfo
	Header http.Header
	Body   []byte
	// Head asks only for the headers (curl -I).
	Head bool
	// HTTP is "", "1.1" (--http1.1) or "2" (--http2).
	HTTP string
	// Follow follows redirects (curl -L), up to MaxRedirects.
	Follow       bool
	MaxRedirects int
	// LocationTrusted sends the credentials (Authorization and Cookie in
	// Header) to every redirect target, as curl --location-trusted does.
	// Without it they go only to targets of the URL's origin, and a Host
	// in Header only to the URL's host (credentialsFor).
	LocationTrusted bool
	// Withheld, when set, is told of each redirect target to which
	// credentials were not sent.
	Withheld func(Withheld)
	// Reconnect repeats the request this many more times, resuming the
	// TLS session (--reconnect).
	Reconnect int
	// MaxTime bounds the whole run (curl -m). Without it, each wait for
	// the response body is bounded by BodyIdle.
	MaxTime time.Duration
	// BodyIdle is how long the body may go without a byte when MaxTime
	// is not set; 0 is DefaultBodyIdleTimeout.
	BodyIdle  time.Duration
	UserAgent string
	Network   Network
	TLS       TLSOptions
	// Output receives the response body of the last hop.
	Output io.Writer
}

// ParseHeaders returns the headers written "Name: value" (curl -H), the
// name canonicalised; a later header replaces an earlier one of the same
// name. A line without ':' is an error.
func ParseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range lines {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("header %q has no ':'", line)
		}
		h[http.CanonicalHeaderKey(strings.TrimSpace(k))] = []string{strings.TrimSpace(v)}
	}
	return h, nil
}

// ReadBody returns the request body curl -d gives: the contents of FILE
// for "@FILE", else data itself. The error is the file's.
func ReadBody(data string) ([]byte, error) {
	if name, ok := strings.CutPrefix(data, "@"); ok {
		return os.ReadFile(name)
	}
	return []byte(data), nil
}

// Result is what the last response was.
type Result struct {
	Status   int
	Proto    string
	BodySize int64
	// Warnings are the weaknesses of the connections that worked, each
	// said once.
	Warnings []Warning
}

// Withheld is a redirect target of another origin than the URL's, to
// which the request's credentials were not sent.
type Withheld struct {
	// URL is the target, its password redacted (RedactURL).
	URL string
	// Headers names the headers of Request.Header left out, in the
	// order Authorization, Cookie, Host.
	Headers []string
	// User says that the URL's user and password were left out.
	User bool
}

// credentialHeaders are the headers curl sends a redirect target only
// when it has the scheme, host and port of the URL (CVE-2018-1000007,
// CVE-2022-27776), or with --location-trusted.
var credentialHeaders = []string{"Authorization", "Cookie"}

// origin returns u's scheme, host in lower case, and port (the scheme's
// default when none is written), as curl compares them before it sends
// credentials to a redirect target; "" for a URL that does not parse.
func origin(target string) (scheme, host, port string) {
	u, err := url.Parse(target)
	if err != nil {
		return "", "", ""
	}
	port = u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), port
}

// credentialsFor returns the names of r.Header that are not to be sent
// to target, a redirect of r.URL: the credentials when target's scheme,
// host or port differ from the URL's, and a Host header when its host
// differs (curl uses a custom Host only for the host of the URL), unless
// LocationTrusted.
func (r *Request) credentialsFor(target string) []string {
	if r.LocationTrusted {
		return nil
	}
	s0, h0, p0 := origin(r.URL)
	s, h, p := origin(target)
	var out []string
	if s != s0 || h != h0 || p != p0 || h == "" {
		if r.basicAuth() != "" {
			out = append(out, urlUser)
		}
		for _, k := range credentialHeaders {
			if v := r.Header.Get(k); v != "" {
				out = append(out, k)
			}
		}
	}
	if (h != h0 || h == "") && r.Header.Get("Host") != "" {
		out = append(out, "Host")
	}
	return out
}

// urlUser stands in a withhold list for the user and password (User, or
// the URL's).
const urlUser = ":user"

// basicAuth returns the credentials of User, or else of the URL's
// userinfo, base64 encoded for a Basic Authorization header (RFC 7617),
// as curl sends them; "" when there are none, or Header has an
// Authorization of its own (curl sends the one of -H then, and none for
// an empty one, which removes the header).
func (r *Request) basicAuth() string {
	user := r.User
	if user == nil {
		if u, err := url.Parse(r.URL); err == nil {
			user = u.User
		}
	}
	if _, given := r.Header["Authorization"]; user == nil || given {
		return ""
	}
	pass, _ := user.Password()
	return base64.StdEncoding.EncodeToString([]byte(user.Username() + ":" + pass))
}

// Withhold masks the credentials of the URL in ev, an event of the run:
// the base64 of the Basic Authorization header is overwritten with '*'
// of the same length in the decrypted bytes of HTTP/1.x, the HPACK string
// of the whole header value (Huffman-coded or not) with as many '*' in
// HTTP/2's, and the value in the header lines of requests and HTTP/2
// frames, so that no view nor export shows them; the bytes masked are
// recorded (trace.Data.Masked), as Conversation.Withhold records them.
// It does nothing without credentials (User, or the URL's).
func (r *Request) Withhold(ev *trace.Event) {
	if r == nil {
		return
	}
	token := r.basicAuth()
	if token == "" {
		return
	}
	value := "Basic " + token
	switch p := ev.Payload.(type) {
	case *trace.Data:
		// Huffman's code of '*' is the byte 0xf9 (RFC 7541, Appendix B):
		// a string of them decodes to as many '*'.
		mask(p, hpack.AppendHuffmanString(nil, value), 0xf9)
		mask(p, []byte(token), '*')
	case *trace.HTTPRequest:
		maskLines(p.Headers, token)
	case *trace.H2Frame:
		maskLines(p.Headers, token)
	}
}

// mask overwrites each s in d's bytes with with, and records where.
func mask(d *trace.Data, s []byte, with byte) {
	if len(s) == 0 {
		return
	}
	for i := bytes.Index(d.Bytes, s); i >= 0; i = bytes.Index(d.Bytes, s) {
		for j := i; j < i+len(s); j++ {
			d.Bytes[j] = with
		}
		d.Masked = append(d.Masked, trace.Span{Offset: i, Length: len(s)})
	}
	slices.SortFunc(d.Masked, func(a, b trace.Span) int { return a.Offset - b.Offset })
}

// maskLines masks the credentials' token in header lines.
func maskLines(lines []string, token string) {
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, token, strings.Repeat("*", len(token)))
	}
}

// Get runs the request, following redirects and reconnecting as asked.
// Each hop and each reconnection is a connection of its own.
func Get(ctx context.Context, t *source.Tracer, r *Request) (*Result, error) {
	if r.MaxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.MaxTime)
		defer cancel()
	}
	if r.Reconnect > 0 && r.TLS.Sessions == nil {
		r.TLS.Sessions = tls.NewLRUClientSessionCache(8)
	}
	if r.Reconnect > 0 && r.TLS.OwnSessions == nil {
		r.TLS.OwnSessions = handshake.NewSessionCache(8)
	}
	var res *Result
	var warnings []Warning
	defer func() {
		if res != nil {
			res.Warnings = warnings
		}
	}()
	for round := 0; round <= r.Reconnect; round++ {
		hops := 0
		target, method, body := r.URL, r.Method, r.Body
		var withhold []string
		for {
			var next string
			var err error
			res, next, err = hop(ctx, t, r, method, target, body, withhold)
			if res != nil {
				for _, w := range res.Warnings {
					if !slices.Contains(warnings, w) {
						warnings = append(warnings, w)
					}
				}
			}
			if err != nil {
				// A certificate that does not parse explains a run
				// that then ran out of time waiting for the server.
				var ce *trace.CertificateError
				if ctx.Err() != nil && r.MaxTime > 0 && !errors.As(err, &ce) {
					step := StepHTTP
					var se *Error
					if errors.As(err, &se) {
						step = se.Step
					}
					var tk *failure.Trickle
					if errors.As(err, &tk) && tk.Side == trace.Server {
						return res, advise(step, failure.Explained(fmt.Sprintf("%s timed out after %v: %v", stepNames[step], r.MaxTime, tk), tk, err), AdviseSlowServer)
					}
					var te *trace.TruncatedError
					if errors.As(err, &te) && te.Side == trace.Server {
						return res, advise(step, failure.Explained(fmt.Sprintf("%s timed out after %v: the server sent only part of %s in that time (%s)", stepNames[step], r.MaxTime, te.What(), te.Amount()), te, err), AdviseMaxTime)
					}
					return res, advise(step, fmt.Errorf("%s timed out: the whole run may take %v", stepNames[step], r.MaxTime), AdviseMaxTime)
				}
				return res, err
			}
			if next == "" || !r.Follow {
				break
			}
			hops++
			if hops > r.MaxRedirects {
				return res, advise(StepHTTP, fmt.Errorf("more than %d redirects", r.MaxRedirects), AdviseMaxRedirects)
			}
			// curl turns a POST into a GET on 301, 302 and 303.
			if res.Status == 303 || (method == http.MethodPost && (res.Status == 301 || res.Status == 302)) {
				method, body = http.MethodGet, nil
			}
			if w, ok := leavesTLS(target, next); ok && !slices.Contains(warnings, w) {
				warnings = append(warnings, w)
			}
			target = next
			if withhold = r.credentialsFor(target); withhold != nil && r.Withheld != nil {
				w := Withheld{URL: RedactURL(target)}
				for _, k := range withhold {
					if k == urlUser {
						w.User = true
					} else {
						w.Headers = append(w.Headers, k)
					}
				}
				r.Withheld(w)
			}
		}
	}
	return res, nil
}

// leavesTLS is the warning of a redirect from an https:// URL to an
// http:// one, which the run followed: the request to it, and its
// answer, went in clear text.
func leavesTLS(from, to string) (Warning, bool) {
	f, ferr := url.Parse(from)
	t, terr := url.Parse(to)
	if ferr != nil || terr != nil || !strings.EqualFold(f.Scheme, "https") || !strings.EqualFold(t.Scheme, "http") {
		return Warning{}, false
	}
	return Warning{
		Cause: fmt.Sprintf("the redirect from %s to %s left TLS: that request and its answer went in clear text, which anyone on the path can read and change", RedactURL(from), RedactURL(to)),
		Fix:   "have the server redirect to an https:// URL (and send Strict-Transport-Security); without following redirects the run stops at the redirect",
	}, true
}

var stepNames = map[Step]string{StepUsage: "the run", StepDNS: "the DNS lookup", StepConnect: "the TCP connect",
	StepTLS: "the TLS handshake", StepVerify: "the certificate check", StepHTTP: "the HTTP exchange"}

// hop makes one request on a new connection and returns the redirect
// target, if any. The headers of r.Header named in withhold are not sent.
func hop(ctx context.Context, t *source.Tracer, r *Request, method, target string, body []byte, withhold []string) (*Result, string, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", stepErr(StepUsage, fmt.Errorf("%q is not an http:// or https:// URL", RedactURL(target)), "")
	}
	if p := u.Port(); p != "" && !IsPort(p) {
		return nil, "", stepErr(StepUsage, fmt.Errorf("%q: bad port %q: want a number from 0 to 65535", RedactURL(target), p), "")
	}
	conn := t.NextConn()
	tm := &Timings{Start: time.Now()}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	host := u.Hostname()
	var nc net.Conn
	var tap *source.Tap
	var tlsConn TLSConn
	if u.Scheme == "https" {
		o := r.TLS
		switch r.HTTP {
		case "1.1":
			o.ALPN = []string{"http/1.1"}
		default:
			o.ALPN = []string{"h2", "http/1.1"}
		}
		var raw net.Conn
		conn, raw, tlsConn, tap, err = connectTLS(t, conn, &o, func(conn int, o *TLSOptions) (net.Conn, TLSConn, *source.Tap, error) {
			raw, err := dial(ctx, t, conn, r.Network, host, port, tm)
			if err != nil {
				return nil, nil, nil, err
			}
			if o.Engine == EngineOwn || o.ownReason() != "" {
				// net/http speaks HTTP/2 only over crypto/tls's
				// connections.
				o.ALPN = []string{"http/1.1"}
			}
			tc, tap, err := Handshake(ctx, t, conn, raw, host, o, tm)
			return raw, tc, tap, err
		})
		if err != nil {
			if raw != nil {
				raw.Close()
			}
			var ce *Error
			if errors.As(err, &ce) && ce.Advice == AdviseALPN && r.HTTP != "1.1" {
				// h2 was not offered because the own engine ran.
				ce.Advice = AdviseALPNEngine
			}
			return nil, "", err
		}
		nc = tlsConn
		if g, ok := tlsConn.(goConn); ok {
			nc = g.Conn // net/http speaks HTTP/2 over a *tls.Conn only
		}
	} else {
		if nc, err = dial(ctx, t, conn, r.Network, host, port, tm); err != nil {
			return nil, "", err
		}
		nc = &plainConn{Conn: nc, http1: h2.NewHTTP1(conn, t.Emit)}
	}
	defer func() {
		nc.Close()
		if tap != nil {
			tap.Wait(time.Second)
		}
		if pc, ok := nc.(*plainConn); ok {
			pc.wait()
		}
	}()

	var once sync.Once
	give := func(context.Context, string, string) (net.Conn, error) {
		var c net.Conn
		once.Do(func() { c = nc })
		if c == nil {
			return nil, errors.New("tlstrace: one request per connection")
		}
		return c, nil
	}
	tr := &http.Transport{
		DialContext:           give,
		DialTLSContext:        give,
		DisableCompression:    true,
		ResponseHeaderTimeout: DefaultHeaderTimeout,
		ForceAttemptHTTP2:     r.HTTP != "1.1",
		Protocols:             new(http.Protocols),
		// HTTP/2 advertises it as SETTINGS_MAX_HEADER_LIST_SIZE too.
		MaxResponseHeaderBytes: MaxResponseHeaders,
	}
	tr.Protocols.SetHTTP1(true)
	if r.HTTP != "1.1" {
		tr.Protocols.SetHTTP2(true)
	}
	defer tr.CloseIdleConnections()

	var reqBody io.Reader
	if body != nil {
		reqBody = bytes.NewReader(body)
	}
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
		if r.Head {
			method = http.MethodHead
		}
	}
	// The request's context is cancelled when the body goes silent.
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	req, err := http.NewRequestWithContext(rctx, method, u.String(), reqBody)
	if err != nil {
		return nil, "", stepErr(StepUsage, err, "")
	}
	req.Header.Set("User-Agent", r.UserAgent)
	req.Header.Set("Accept", "*/*")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range r.Header {
		if slices.Contains(withhold, k) {
			continue
		}
		if len(v) == 1 && v[0] == "" {
			// curl -H "Name:" removes a header. net/http sends its own
			// User-Agent when there is none, and none when it is empty.
			req.Header.Del(k)
			if k == "User-Agent" {
				req.Header.Set(k, "")
			}
			continue
		}
		req.Header[k] = v
	}
	if h := r.Header.Get("Host"); h != "" && !slices.Contains(withhold, "Host") {
		req.Host = h
	}
	// The URL's credentials, as curl sends them: to the URL's origin.
	// net/http's Client would send those of each hop's URL; its
	// Transport sends none.
	req.URL.User = nil
	if token := r.basicAuth(); token != "" && !slices.Contains(withhold, urlUser) {
		req.Header.Set("Authorization", "Basic "+token)
	}

	// net/http calls the trace hooks from its own goroutines (HTTP/2).
	// The request and response themselves are shown from the bytes on
	// the wire (the tracer decodes them, as in a capture).
	var mu sync.Mutex
	var firstByte time.Time
	ct := &httptrace.ClientTrace{
		GotFirstResponseByte: func() {
			mu.Lock()
			firstByte = time.Now()
			mu.Unlock()
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), ct))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		if tap != nil {
			// TLS 1.3 servers check a client certificate after the
			// client's handshake is done, and answer with an alert,
			// which may still wait unread when the request's write
			// failed.
			tap.Drain()
			if ev := tap.Evidence(); endedByServer(&ev) {
				return nil, "", explainHandshake(err, ev, &r.TLS)
			}
		}
		h2 := tlsConn != nil && tlsConn.State().ALPN == "h2"
		if tap != nil && !h2 {
			// From the wire: the server sent at least the limit's worth
			// of response without net/http finding the end of its
			// headers, which is when it gives up.
			if ev := tap.Evidence(); ev.Data[trace.Server] >= int64(MaxResponseHeaders) {
				return nil, "", headersErr(&HeadersTooLargeError{Limit: MaxResponseHeaders, Received: ev.Data[trace.Server], Err: err})
			}
		}
		hint := ""
		if h2 {
			// net/http ends an HTTP/2 connection with no typed error when
			// a header block passes the limit (as for other errors in
			// the frames), so this can only be said as a possibility.
			hint = fmt.Sprintf("if the server's response headers are larger than the %d KiB this client advertised (SETTINGS_MAX_HEADER_LIST_SIZE), they are refused, as curl refuses them too", MaxResponseHeaders>>10)
		}
		return nil, "", stepErr(StepHTTP, fmt.Errorf("HTTP request failed: %w", err), hint)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			if n := len(k) + 2 + len(v); n > MaxHeaderLine {
				resp.Body.Close()
				return nil, "", headersErr(&HeadersTooLargeError{Limit: MaxHeaderLine, Line: n, Name: k})
			}
		}
	}
	mu.Lock()
	if !firstByte.IsZero() {
		tm.TTFB = firstByte.Sub(tm.Start)
	}
	mu.Unlock()
	out := io.Discard
	if r.Output != nil {
		out = r.Output
	}
	bstart := time.Now()
	var from io.Reader = resp.Body
	var idle *idleReader
	if r.MaxTime <= 0 {
		idle = newIdleReader(resp.Body, cmp.Or(r.BodyIdle, DefaultBodyIdleTimeout), rcancel)
		from = idle
	}
	n, err := io.Copy(out, from)
	if idle != nil && idle.stop() {
		err = &BodyIdleError{Limit: idle.limit, Received: n}
	}
	resp.Body.Close()
	bev := trace.NewEvent(conn, trace.Server, &trace.HTTPBody{Length: n, ContentType: resp.Header.Get("Content-Type"), Duration: time.Since(bstart)})
	if err != nil {
		bev.Error = err.Error()
	}
	t.Emit(bev)
	res := &Result{Status: resp.StatusCode, Proto: resp.Proto, BodySize: n}
	if tlsConn != nil {
		res.Warnings = Weaknesses(tlsConn.State())
	}
	// Send close_notify now: crypto/tls leaves it out when net/http closes
	// the connection from its own goroutine while another call is active.
	if tlsConn != nil {
		tlsConn.CloseWrite()
	}
	tr.CloseIdleConnections()
	nc.Close()
	if tap != nil {
		// Another goroutine may be closing it: wait for its close_notify.
		tap.Wait(time.Second)
		if err == nil && closeDelimited(resp) {
			if ev := tap.Evidence(); !closeNotified(&ev) {
				res.Warnings = append(res.Warnings, Warning{
					Cause: fmt.Sprintf("the response body (%d bytes) had no length: it ended where the server closed the TCP connection, without a close_notify alert, so a body cut short on the path cannot be told from a whole one (RFC 8446, Section 6.1; RFC 5246, Section 7.2.1)", n),
					Fix:   "have the server send a Content-Length or a chunked body, and end the session with close_notify",
				})
			}
		}
	}
	emitTimings(t, conn, tm)
	var ie *BodyIdleError
	if errors.As(err, &ie) {
		return res, "", advise(StepHTTP, fmt.Errorf("reading the response body: %w", err), AdviseBodyIdle)
	}
	if err != nil {
		return res, "", stepErr(StepHTTP, fmt.Errorf("reading the response body: %w", err), "")
	}
	next := ""
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc := resp.Header.Get("Location"); loc != "" {
			if lu, err := u.Parse(loc); err == nil {
				next = lu.String()
			}
		}
	}
	return res, next, nil
}

// closeDelimited reports whether resp's body is delimited by the close
// of the connection: HTTP/1.x without a Content-Length nor chunked
// encoding (RFC 9112, Section 6.3, rule 8), for which only close_notify
// tells its end from a cut.
func closeDelimited(resp *http.Response) bool {
	return resp.ProtoMajor == 1 && resp.ContentLength < 0 && len(resp.TransferEncoding) == 0 &&
		resp.Request != nil && resp.Request.Method != http.MethodHead && resp.StatusCode != http.StatusNoContent &&
		resp.StatusCode != http.StatusNotModified && resp.StatusCode >= 200
}

// closeNotified reports whether the server sent close_notify.
func closeNotified(ev *trace.Evidence) bool {
	a := ev.Alert[trace.Server]
	return a != nil && a.Description != nil && a.Description.Value == uint64(wire.AlertCloseNotify)
}

// BodyIdleError is a response body that stopped: no byte of it came for
// Limit, after Received bytes.
type BodyIdleError struct {
	Limit    time.Duration
	Received int64
}

func (e *BodyIdleError) Error() string {
	return fmt.Sprintf("no byte of it came for %s (%d bytes had come): the server went silent", seconds(e.Limit), e.Received)
}

// idleReader reads a response body and cancels its request when no byte
// comes for limit: a body that keeps coming, however slowly, goes on.
type idleReader struct {
	r      io.Reader
	limit  time.Duration
	timer  *time.Timer
	mu     sync.Mutex
	fired  bool
	halted bool
}

func newIdleReader(r io.Reader, limit time.Duration, cancel context.CancelFunc) *idleReader {
	ir := &idleReader{r: r, limit: limit}
	ir.timer = time.AfterFunc(limit, func() {
		ir.mu.Lock()
		defer ir.mu.Unlock()
		if !ir.halted {
			ir.fired = true
			cancel()
		}
	})
	return ir
}

func (ir *idleReader) Read(b []byte) (int, error) {
	n, err := ir.r.Read(b)
	if n > 0 {
		ir.mu.Lock()
		if !ir.fired {
			ir.timer.Reset(ir.limit)
		}
		ir.mu.Unlock()
	}
	return n, err
}

// stop ends the watch and reports whether the limit had been reached.
func (ir *idleReader) stop() bool {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	ir.timer.Stop()
	ir.halted = true
	return ir.fired
}

// plainConn shows the HTTP/1.x messages of a connection without TLS from
// the bytes read and written, as the tracer shows those inside TLS. What
// is written is shown before it is sent, so that a request comes before
// the answer it gets, whichever of net/http's goroutines runs first.
type plainConn struct {
	net.Conn
	http1 *h2.HTTP1
	// writing is held while bytes are shown and written; done is set
	// once the connection is closed, after which nothing is shown.
	writing sync.Mutex
	done    bool
}

func (c *plainConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.http1.Feed(trace.Server, time.Now(), b[:n])
	}
	return n, err
}

func (c *plainConn) Write(b []byte) (int, error) {
	c.writing.Lock()
	defer c.writing.Unlock()
	if c.done {
		return 0, net.ErrClosed
	}
	c.http1.Feed(trace.Client, time.Now(), b)
	return c.Conn.Write(b)
}

// wait returns once no write is under way on the closed connection, and
// stops those to come: no event of it comes after.
func (c *plainConn) wait() {
	c.writing.Lock()
	defer c.writing.Unlock()
	c.done = true
}

// emitTimings sends the waterfall of one connection: each step's duration
// and the time from the start to the first response byte and to the end.
func emitTimings(t *source.Tracer, conn int, tm *Timings) {
	t.Emit(trace.NewEvent(conn, trace.Local, &trace.Timing{DNS: tm.DNS, Connect: tm.Connect, StartTLS: tm.StartTLS, TLS: tm.TLS, TTFB: tm.TTFB, Total: time.Since(tm.Start)}))
}

// curl's limits on response headers: a header line (CURL_MAX_HTTP_HEADER)
// and all of them together (MAX_HTTP_RESP_HEADER_SIZE).
const (
	MaxHeaderLine      = 100 << 10
	MaxResponseHeaders = 300 << 10
)

// HeadersTooLargeError is a response whose headers were refused: all of
// them past Limit bytes, or one line (Name, Line bytes) past it.
type HeadersTooLargeError struct {
	Limit int
	// Line and Name are the size and name of a header line over the
	// line limit.
	Line int
	Name string
	// Received is how many bytes of response came without the end of its
	// headers, when all of them were over the limit.
	Received int64
	Err      error
}

func (e *HeadersTooLargeError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("the response header %s is %d bytes, larger than %d KiB", e.Name, e.Line, e.Limit>>10)
	}
	return fmt.Sprintf("the response headers are larger than %d KiB: %d bytes came without their end", e.Limit>>10, e.Received)
}

func (e *HeadersTooLargeError) Unwrap() error { return e.Err }

func headersErr(e *HeadersTooLargeError) *Error {
	return stepErr(StepHTTP, e, "the server sends headers too large to be sane; curl refuses them too")
}
