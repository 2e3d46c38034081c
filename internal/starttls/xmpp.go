package starttls

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// XMPP's STARTTLS (RFC 6120, Section 5): the client opens a stream to the
// server's domain, the server answers with its stream header and its
// features, the client sends <starttls/> and the server <proceed/>. The
// XML is read with encoding/xml on a reader that counts what it takes, so
// a stanza is bounded and nothing after <proceed/> is read.

func init() {
	// XEP-0368 names the ALPN identifiers of Direct TLS; 5223 is the usual
	// port of the client's. The server's Direct TLS has no usual port.
	// curl has no XMPP URLs, so no dialog inside TLS is needed.
	register(&Protocol{
		Name: "xmpp", Title: "XMPP", Port: 5222, TLSPort: 5223, ALPN: "xmpp-client",
		Upgrade: func(d *Dialog) error { return xmppUpgrade(d, xmppClientNS) },
	})
	register(&Protocol{
		Name: "xmpp-server", Title: "XMPP server-to-server", Port: 5269, ALPN: "xmpp-server",
		Upgrade: func(d *Dialog) error { return xmppUpgrade(d, xmppServerNS) },
	})
}

// XMPP's namespaces (RFC 6120, Sections 4.8.1, 4.8.2 and 5.4.2.1).
const (
	xmppClientNS  = "jabber:client"
	xmppServerNS  = "jabber:server"
	xmppStreamsNS = "http://etherx.jabber.org/streams"
	xmppTLSNS     = "urn:ietf:params:xml:ns:xmpp-tls"
)

// xmppStarttls is the client's request (RFC 6120, Section 5.4.2.1).
const xmppStarttls = "<starttls xmlns='" + xmppTLSNS + "'/>"

// maxStanza bounds one stanza of the server (and the stream header): the
// features of a server are a few hundred bytes; 64 KiB is RFC 6120's
// smallest stanza size a server must accept (Section 13.12), used here
// the other way.
const maxStanza = 64 << 10

// xmppHeader is the client's stream header (RFC 6120, Section 4.7), to
// the server's domain. It gives no 'from': tlstrace has no address.
func xmppHeader(host, ns string) string {
	var to strings.Builder
	if err := xml.EscapeText(&to, []byte(host)); err != nil {
		panic("starttls: internal error: " + err.Error())
	}
	return "<?xml version='1.0'?><stream:stream to='" + strings.ReplaceAll(to.String(), "'", "&#39;") +
		"' version='1.0' xml:lang='en' xmlns='" + ns + "' xmlns:stream='" + xmppStreamsNS + "'>"
}

// xmlCounter is the decoder's source: the dialog's reader, one byte at a
// time (an io.ByteReader, so encoding/xml adds no buffer of its own), with
// the bytes of the stanza being read kept to show it.
type xmlCounter struct {
	r   io.ByteReader
	raw []byte
}

// errStanzaTooLong is a stanza of more than maxStanza bytes.
var errStanzaTooLong = errors.New("stanza too long")

func (c *xmlCounter) ReadByte() (byte, error) {
	if len(c.raw) >= maxStanza {
		return 0, errStanzaTooLong
	}
	b, err := c.r.ReadByte()
	if err == nil {
		c.raw = append(c.raw, b)
	}
	return b, err
}

func (c *xmlCounter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := c.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// xmppStream is the server's side of an XML stream.
type xmppStream struct {
	d   *Dialog
	src *xmlCounter
	dec *xml.Decoder
}

func newXMPPStream(d *Dialog) *xmppStream {
	src := &xmlCounter{r: d.Reader()}
	dec := xml.NewDecoder(src)
	return &xmppStream{d: d, src: src, dec: dec}
}

// xmppElement is an element of the server: its name and, for a stanza,
// the names of its children (the features).
type xmppElement struct {
	Name     xml.Name
	Children []xml.Name
	// Open says the element is the stream header, left open; End that the
	// server closed its stream (</stream:stream>).
	Open, End bool
}

// token reads one token, turning the decoder's errors into the dialog's.
func (s *xmppStream) token() (xml.Token, error) {
	t, err := s.dec.RawToken()
	if err == nil {
		return t, nil
	}
	if errors.Is(err, errStanzaTooLong) {
		return nil, &ProtocolError{Protocol: s.d.Protocol.Name, Reason: fmt.Sprintf("the server sent a stanza of more than %d bytes", maxStanza)}
	}
	var syn *xml.SyntaxError
	if errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) {
		s.show()
		return nil, &ProtocolError{Protocol: s.d.Protocol.Name, Reason: "the server sent XML that does not parse: " + syn.Msg}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	s.show()
	return nil, &ClosedError{Protocol: s.d.Protocol.Name, Err: err}
}

// show reports the bytes read since the last stanza as one line:
// whitespace that holds a line break becomes one space, since XML
// between elements ignores it and a line of the dialog is one line.
func (s *xmppStream) show() {
	raw := string(s.src.raw)
	s.src.raw = s.src.raw[:0]
	if line := trace.XMPPLine(raw); line != "" {
		s.d.Show(trace.Server, line)
	}
}

// next reads the server's next element: the stream header (left open), a
// whole stanza, or the end of the stream. Text between them (white space)
// is skipped; the prologue goes with the stream header.
func (s *xmppStream) next() (*xmppElement, error) {
	var el *xmppElement
	depth := 0
	for {
		t, err := s.token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if depth == 0 {
				el = &xmppElement{Name: s.resolve(t.Name, t.Attr)}
				if el.Name.Local == "stream" && t.Name.Space == "stream" {
					el.Open = true
					s.show()
					return el, nil
				}
			} else if depth == 1 {
				el.Children = append(el.Children, s.resolve(t.Name, t.Attr))
			}
			depth++
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				s.show()
				return nil, &ProtocolError{Protocol: s.d.Protocol.Name, Reason: "the server sent text outside any element, not an XML stream"}
			}
		case xml.EndElement:
			if depth == 0 {
				s.show()
				return &xmppElement{Name: t.Name, End: true}, nil
			}
			depth--
			if depth == 0 {
				s.show()
				return el, nil
			}
		}
	}
}

// resolve gives an element its namespace: RawToken leaves prefixes
// unresolved, and the stanzas of XMPP name theirs with a default xmlns
// or, for the stream's own elements, the prefix "stream".
func (s *xmppStream) resolve(n xml.Name, attrs []xml.Attr) xml.Name {
	if n.Space == "stream" {
		return xml.Name{Space: xmppStreamsNS, Local: n.Local}
	}
	for _, a := range attrs {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			return xml.Name{Space: a.Value, Local: n.Local}
		}
	}
	return n
}

// refused is a RefusedError at step, the server's element named.
func (s *xmppStream) refused(step string, el *xmppElement, want string) error {
	got := "<" + el.Name.Local + ">"
	if el.End {
		got = "the end of its stream"
	}
	return &RefusedError{Protocol: s.d.Protocol.Name, Step: step, Answer: got, Want: want}
}

// open sends the client's stream header and reads the server's, then its
// features.
func (s *xmppStream) open(ns string) (*xmppElement, error) {
	if err := s.send(xmppHeader(s.d.Host, ns)); err != nil {
		return nil, err
	}
	el, err := s.next()
	if err != nil {
		return nil, err
	}
	if !el.Open {
		return nil, s.refused("stream header", el, "<stream:stream>")
	}
	feats, err := s.next()
	if err != nil {
		return nil, err
	}
	if feats.Name != (xml.Name{Space: xmppStreamsNS, Local: "features"}) {
		// A <stream:error/> (RFC 6120, Section 4.9): host-unknown, ….
		return nil, s.refused("stream features", feats, "<stream:features>")
	}
	return feats, nil
}

// send sends a piece of XML without a line end: XMPP has no lines, and
// the bytes are shown as sent.
func (s *xmppStream) send(x string) error {
	s.d.Show(trace.Client, x)
	return s.d.Write([]byte(x))
}

// xmppUpgrade is RFC 6120, Section 5.4.2, on a stream of namespace ns.
func xmppUpgrade(d *Dialog, ns string) error {
	s := newXMPPStream(d)
	feats, err := s.open(ns)
	if err != nil {
		return err
	}
	offered := false
	for _, c := range feats.Children {
		offered = offered || c == xml.Name{Space: xmppTLSNS, Local: "starttls"}
	}
	if !offered {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "stream features", Answer: "features without <starttls>", Want: xmppStarttls}
	}
	if err := s.send(xmppStarttls); err != nil {
		return err
	}
	el, err := s.next()
	if err != nil {
		return err
	}
	if el.Name != (xml.Name{Space: xmppTLSNS, Local: "proceed"}) {
		// <failure/> (RFC 6120, Section 5.4.2.2), then the server closes.
		return s.refused("STARTTLS", el, "<proceed xmlns='"+xmppTLSNS+"'/>")
	}
	return nil
}
