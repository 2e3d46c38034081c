package render

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// Curl writes events in the line shapes of `curl -v` (with OpenSSL):
// "* TLSv1.3 (OUT), TLS handshake, Client hello (1):", "> GET / HTTP/1.1",
// "< HTTP/1.1 200 OK". It also prints what curl never does: the server's
// change_cipher_spec of a TLS 1.3 handshake.
type Curl struct {
	w    *bufio.Writer
	safe *safeWriter // escapes what would act on a terminal
	err  error
	// per connection: the version string of its messages so far
	version map[int]string
	offered map[int]string
}

// NewCurl returns a curl -v style renderer writing to w.
func NewCurl(w io.Writer) *Curl {
	safe := &safeWriter{w: w}
	return &Curl{w: bufio.NewWriter(safe), safe: safe, version: map[int]string{}, offered: map[int]string{}}
}

// Flush writes what is buffered.
func (c *Curl) Flush() error {
	if err := c.w.Flush(); c.err == nil {
		c.err = err
	}
	if err := c.safe.flush(); c.err == nil {
		c.err = err
	}
	return c.err
}

func (c *Curl) printf(format string, args ...any) {
	if c.err == nil {
		_, c.err = fmt.Fprintf(c.w, format, args...)
	}
}

// curlMessageNames are the names curl gives handshake messages
// (ssl_msg_type in lib/vtls/openssl.c).
var curlMessageNames = map[string]string{
	"hello_request":          "Hello request",
	"client_hello":           "Client hello",
	"server_hello":           "Server hello",
	"hello_retry_request":    "Server hello",
	"new_session_ticket":     "Newsession Ticket",
	"end_of_early_data":      "End of early data",
	"encrypted_extensions":   "Encrypted Extensions",
	"certificate":            "Certificate",
	"server_key_exchange":    "Server key exchange",
	"certificate_request":    "Request CERT",
	"server_hello_done":      "Server finished",
	"certificate_verify":     "CERT verify",
	"client_key_exchange":    "Client key exchange",
	"finished":               "Finished",
	"certificate_status":     "Certificate Status",
	"key_update":             "Key update",
	"compressed_certificate": "Compressed Certificate",
	"message_hash":           "Message hash",
}

// curlVersion names a TLS version as curl does.
func curlVersion(name string) string {
	switch name {
	case "TLS 1.0":
		return "TLSv1.0"
	case "TLS 1.1":
		return "TLSv1.1"
	case "TLS 1.2":
		return "TLSv1.2"
	case "TLS 1.3":
		return "TLSv1.3"
	case "SSL 3.0":
		return "SSLv3"
	}
	return "TLSv1.3"
}

// Event writes one event.
func (c *Curl) Event(ev *trace.Event) {
	if ev.Layer == trace.LayerTLS {
		c.tls(ev)
		return
	}
	switch p := ev.Payload.(type) {
	case *trace.DNSLookup:
		if ev.Error != "" {
			c.printf("* Could not resolve host: %s\n", p.Name)
			return
		}
		for _, a := range p.Addresses {
			if strings.Contains(a, ":") {
				c.printf("* IPv6: %s\n", a)
			} else {
				c.printf("* IPv4: %s\n", a)
			}
		}
	case *trace.TCPConnect:
		c.printf("*   Trying %s...\n", p.Remote)
		if ev.Error != "" {
			c.printf("* connect to %s failed: %s\n", p.Remote, ev.Error)
			return
		}
		host, port, _ := strings.Cut(p.Remote, "]:")
		if !strings.HasPrefix(host, "[") {
			host, port, _ = strings.Cut(p.Remote, ":")
		}
		c.printf("* Connected to %s (%s) port %s (#%d)\n", p.Host, strings.TrimPrefix(host, "["), port, ev.Conn-1)
	case *trace.Handshake:
		if p.Failed {
			return
		}
		c.printf("* SSL connection using %s / %s", curlVersion(p.Version), p.CipherSuite)
		if p.Group != "" {
			c.printf(" / %s", p.Group)
		}
		if p.Engine == trace.EngineOwn {
			// curl names no engine; crypto/tls is the default.
			c.printf(", by %s", engineText(p.Engine))
		}
		c.printf("\n")
		if p.ALPN != "" {
			c.printf("* ALPN: server accepted %s\n", p.ALPN)
		} else {
			c.printf("* ALPN: server did not agree on a protocol. Uses default.\n")
		}
	case *trace.Timing:
		c.printf("* Connection #%d closed; %s\n", ev.Conn-1, timingLine(p))
	case *trace.Verify:
		if len(p.Chain) > 0 {
			leaf := p.Chain[0]
			c.printf("* Server certificate:\n")
			c.printf("*  subject: %s\n", leaf.Subject)
			c.printf("*  start date: %s\n", curlDate(leaf.NotBefore))
			c.printf("*  expire date: %s\n", curlDate(leaf.NotAfter))
			c.printf("*  %s\n", curlSANLine(p.Host, leaf.SANs))
			c.printf("*  issuer: %s\n", leaf.Issuer)
		}
		if ev.Error != "" {
			c.printf("*  SSL certificate problem: %s\n", ev.Error)
		} else {
			c.printf("*  SSL certificate verify ok.\n")
		}
	case *trace.HTTPRequest:
		proto := "HTTP/1.1"
		for _, h := range p.Headers {
			if strings.HasPrefix(h, ":") {
				proto = "HTTP/2"
				break
			}
		}
		c.printf("> %s %s %s\n", p.Method, pathOf(p.URL), proto)
		for _, h := range p.Headers {
			if v, ok := strings.CutPrefix(h, ":authority: "); ok {
				// curl -v shows an HTTP/2 request's :authority as
				// the Host header it stands for.
				c.printf("> Host: %s\n", v)
			}
		}
		for _, h := range p.Headers {
			if !strings.HasPrefix(h, ":") {
				c.printf("> %s\n", h)
			}
		}
		c.printf("> \n")
	case *trace.HTTPResponse:
		// As curl -v: "HTTP/2 200", without the pseudo-headers.
		line := fmt.Sprintf("%s %d", strings.Replace(p.Proto, "HTTP/2.0", "HTTP/2", 1), p.Status)
		if p.Reason != "" {
			line += " " + p.Reason
		}
		c.printf("< %s\n", line)
		for _, h := range p.Headers {
			if !strings.HasPrefix(h, ":") {
				c.printf("< %s\n", h)
			}
		}
		c.printf("< \n")
	case *trace.HTTPBody:
		c.printf("* %d bytes of body\n", p.Length)
	case *trace.SessionClosed:
		c.printf("* %s\n", closedText(ev.From, p))
	case *trace.EngineChoice:
		c.printf("* TLS handshake by %s: %s\n", engineText(p.Engine), p.Reason)
	case *trace.StartTLS:
		// The plaintext dialog before TLS, as curl -v shows a mail
		// server's lines.
		mark := "<"
		if ev.From == trace.Client {
			mark = ">"
		}
		c.printf("%s %s\n", mark, p.Line)
	}
	// curl -v does not show HTTP/2 frames, links or verdicts.
}

func (c *Curl) tls(ev *trace.Event) {
	dir := "IN"
	if ev.From == trace.Client {
		dir = "OUT"
	}
	msg, _ := ev.Payload.(*trace.Message)
	if msg != nil && msg.ClientHello != nil && ev.Type == trace.TypeClientHello {
		h := msg.ClientHello
		if len(h.ALPN) > 0 && ev.From == trace.Client {
			// curl says what it offers before its ClientHello.
			c.printf("* ALPN: offers %s\n", strings.Join(h.ALPN, ","))
		}
		v := "TLS 1.2"
		if h.SupportedVersions != nil {
			if len(h.SupportedVersions) > 0 {
				v = enumText(h.SupportedVersions[0])
			}
		} else {
			v = h.LegacyVersion.Name
		}
		c.offered[ev.Conn] = curlVersion(v)
	}
	// Like OpenSSL's message callback, the hellos carry the version the
	// client offered; the version chosen shows from the next message on.
	version := c.version[ev.Conn]
	if version == "" || ev.Type == trace.TypeClientHello || ev.Type == trace.TypeServerHello {
		version = c.offered[ev.Conn]
	}
	if msg != nil && msg.ServerHello != nil && ev.Type == trace.TypeServerHello {
		v := ""
		if sv := msg.ServerHello.Version(); sv != nil {
			v = enumText(*sv)
		}
		c.version[ev.Conn] = curlVersion(v)
	}
	switch ev.Type {
	case trace.TypeChangeCipherSpec:
		c.printf("* %s (%s), TLS change cipher, Change cipher spec (1):\n", version, dir)
	case trace.TypeAlert:
		a, _ := ev.Payload.(*trace.Alert)
		if a == nil || a.Level == nil || a.Description == nil {
			return
		}
		c.printf("* %s (%s), TLS alert, %s (%d):\n", version, dir, curlAlert(a.Description.Name), a.Level.Value<<8|a.Description.Value)
	case trace.TypeApplicationData, trace.TypeEncryptedRecord, trace.TypePartialRecord, trace.TypeHeartbeat, trace.TypeNotTLS:
	case trace.TypeHandshakeFragment:
		// OpenSSL's message callback sees a message once it is whole.
	default:
		name, ok := curlMessageNames[ev.Type]
		if !ok {
			name = "Unknown"
		}
		code := uint64(0)
		if msg != nil && msg.HasMsgType {
			code = msg.MsgType.Value
		}
		c.printf("* %s (%s), TLS handshake, %s (%d):\n", version, dir, name, code)
	}
}

// curlAlert spells an alert as OpenSSL's SSL_alert_desc_string_long does.
func curlAlert(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	s = strings.ReplaceAll(s, "unknown ca", "unknown CA")
	s = strings.ReplaceAll(s, "psk", "PSK")
	return s
}

// curlSANLine is curl's line on the leaf's subjectAltName (OpenSSL's
// backend, lib/vtls/openssl.c): the name that matched the host, or that
// none did; the names themselves when no host was checked.
func curlSANLine(host string, sans []string) string {
	if host == "" {
		return "subjectAltName: " + strings.Join(sans, ", ")
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	for _, san := range sans {
		switch {
		case ip != nil:
			if sanIP := net.ParseIP(san); sanIP != nil && sanIP.Equal(ip) {
				return fmt.Sprintf("subjectAltName: host %q matched cert's IP address!", host)
			}
		case net.ParseIP(san) == nil && sanMatches(san, host):
			return fmt.Sprintf("subjectAltName: host %q matched cert's %q", host, san)
		}
	}
	return "subjectAltName does not match " + host
}

// sanMatches reports whether the DNS name san matches host as
// crypto/x509 matches them: without case and a final dot, a wildcard
// standing for the whole leftmost label.
func sanMatches(san, host string) bool {
	san, host = strings.TrimSuffix(strings.ToLower(san), "."), strings.TrimSuffix(strings.ToLower(host), ".")
	if rest, ok := strings.CutPrefix(san, "*."); ok {
		_, hostRest, found := strings.Cut(host, ".")
		return found && hostRest == rest && !strings.HasPrefix(host, ".")
	}
	return san == host
}

func curlDate(t time.Time) string {
	return t.UTC().Format("Jan _2 15:04:05 2006 GMT")
}

func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return u
}
