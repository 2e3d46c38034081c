package h2

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// http1MaxHead bounds the bytes kept for a request or response head (its
// start line and header fields); a longer head ends the decoding of that
// direction, as does anything that is not HTTP/1.x.
const http1MaxHead = 64 << 10

// http1Decoder finds the request and response heads of an HTTP/1.x
// connection in its decrypted application data, following message bodies
// by their framing (Content-Length, chunked) to find where the next message
// starts. Where it cannot tell (a body that ends with the connection, a
// protocol switch, bytes that are not HTTP/1.x), it stops: it shows only
// heads that are complete in the bytes.
type http1Decoder struct {
	conn int
	emit func(*trace.Event)
	dirs [2]http1Direction
	// methods are the methods of the requests not yet answered, for the
	// responses to HEAD, which have no body; at most http1MaxPending.
	methods []string
}

// http1MaxPending bounds the requests awaiting a response: past it the
// client's side is no longer decoded, nor the server's once it has
// answered those.
const http1MaxPending = 1024

type http1State int

const (
	http1Head      http1State = iota // a start line and header fields
	http1Body                        // skip bytes of a Content-Length body
	http1Chunk                       // a chunk-size line
	http1ChunkData                   // skip bytes of a chunk and its CRLF
	http1Trailer                     // trailer fields, until an empty line
	http1Stopped                     // framing unknown: decode no more
)

type http1Direction struct {
	state http1State
	buf   []byte
	skip  int64
}

func newHTTP1Decoder(conn int, emit func(*trace.Event)) *http1Decoder {
	return &http1Decoder{conn: conn, emit: emit}
}

// HTTP1 decodes the HTTP/1.x requests and responses of a connection
// without TLS (a live http:// request) as the Watcher decodes those of
// TLS application data. It is safe for concurrent use: the bytes of each
// side arrive in order, from any goroutine.
type HTTP1 struct {
	mu sync.Mutex
	d  *http1Decoder
}

// NewHTTP1 returns the decoder of connection conn, whose events go to emit.
func NewHTTP1(conn int, emit func(*trace.Event)) *HTTP1 {
	return &HTTP1{d: newHTTP1Decoder(conn, emit)}
}

// Feed takes bytes that side sent, at time at.
func (h *HTTP1) Feed(side trace.Side, at time.Time, b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.d.feed(side, at, 0, b)
}

// feed takes decrypted application data sent by side, which arrived in
// capture frame frameNo at time at.
func (d *http1Decoder) feed(side trace.Side, at time.Time, frameNo int, b []byte) {
	if side > trace.Server {
		return
	}
	dir := &d.dirs[side]
	for len(b) > 0 && dir.state != http1Stopped {
		switch dir.state {
		case http1Body, http1ChunkData:
			n := int(min(dir.skip, int64(len(b))))
			dir.skip -= int64(n)
			b = b[n:]
			if dir.skip == 0 {
				if dir.state == http1Body {
					dir.state = http1Head
				} else {
					dir.state = http1Chunk
				}
			}
			continue
		}
		// The states that read lines.
		dir.buf = append(dir.buf, b...)
		b = nil
		d.lines(side, at, frameNo, dir)
		if len(dir.buf) > 0 && dir.state != http1Head && dir.state != http1Chunk && dir.state != http1Trailer {
			// Line reading moved to a skipping state with bytes left over.
			b, dir.buf = dir.buf, nil
		}
	}
	if dir.state == http1Stopped {
		dir.buf = nil
	}
}

// lines consumes what it can of dir.buf in the line-reading states.
func (d *http1Decoder) lines(side trace.Side, at time.Time, frameNo int, dir *http1Direction) {
	for dir.state == http1Head || dir.state == http1Chunk || dir.state == http1Trailer {
		switch dir.state {
		case http1Head:
			end := bytes.Index(dir.buf, []byte("\r\n\r\n"))
			if end < 0 {
				if len(dir.buf) > http1MaxHead {
					dir.state = http1Stopped
				}
				return
			}
			head := string(dir.buf[:end])
			dir.buf = dir.buf[end+4:]
			d.head(side, at, frameNo, dir, head)
		case http1Chunk, http1Trailer:
			end := bytes.Index(dir.buf, []byte("\r\n"))
			if end < 0 {
				if len(dir.buf) > http1MaxHead {
					dir.state = http1Stopped
				}
				return
			}
			line := string(dir.buf[:end])
			dir.buf = dir.buf[end+2:]
			if dir.state == http1Trailer {
				if line == "" {
					dir.state = http1Head
				}
				continue
			}
			size, _, _ := strings.Cut(line, ";")
			n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
			switch {
			case err != nil || n < 0:
				dir.state = http1Stopped
			case n == 0:
				dir.state = http1Trailer
			default:
				dir.state, dir.skip = http1ChunkData, n+2
			}
		}
	}
}

// head emits the request or response of a complete head and sets the state
// that skips its body.
func (d *http1Decoder) head(side trace.Side, at time.Time, frameNo int, dir *http1Direction, head string) {
	lines := strings.Split(head, "\r\n")
	start, fields := lines[0], lines[1:]
	var p trace.LocalPayload
	noBody := false
	if side == trace.Client {
		method, rest, ok1 := strings.Cut(start, " ")
		target, proto, ok2 := strings.Cut(rest, " ")
		if !ok1 || !ok2 || !token(method) || target == "" || strings.ContainsAny(target, " \t") || !http1Proto(proto) {
			dir.state = http1Stopped
			return
		}
		if len(d.methods) >= http1MaxPending {
			dir.state = http1Stopped
			return
		}
		d.methods = append(d.methods, method)
		req := &trace.HTTPRequest{Method: method, URL: target, Headers: fields}
		for _, f := range fields {
			if name, value, _ := strings.Cut(f, ":"); strings.EqualFold(name, "content-length") {
				req.BodyLength = bodyLength(strings.TrimSpace(value))
				break
			}
		}
		p = req
	} else {
		proto, rest, _ := strings.Cut(start, " ")
		code, reason, _ := strings.Cut(rest, " ")
		status, err := strconv.Atoi(code)
		if !http1Proto(proto) || len(code) != 3 || err != nil || status < 100 {
			dir.state = http1Stopped
			return
		}
		p = &trace.HTTPResponse{Proto: proto, Status: status, Reason: reason, Headers: fields}
		switch {
		case status == 101:
			// The connection switches protocol: what follows is not HTTP/1.
			d.emitHead(side, at, frameNo, p)
			dir.state = http1Stopped
			return
		case status < 200:
			noBody = true // informational: the final response follows
		default:
			if len(d.methods) == 0 && d.dirs[trace.Client].state == http1Stopped {
				// The request is unknown: so is whether a body follows.
				dir.state = http1Stopped
				return
			}
			var method string
			if len(d.methods) > 0 {
				method, d.methods = d.methods[0], d.methods[1:]
			}
			noBody = method == "HEAD" || status == 204 || status == 304
		}
	}
	d.emitHead(side, at, frameNo, p)
	dir.state = http1Head
	if noBody {
		return
	}
	var length string
	chunked, hasLength := false, false
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "transfer-encoding":
			chunked = strings.HasSuffix(strings.ToLower(value), "chunked")
			if !chunked {
				dir.state = http1Stopped // the body ends with the connection
				return
			}
		case "content-length":
			if hasLength && value != length {
				dir.state = http1Stopped
				return
			}
			length, hasLength = value, true
		}
	}
	switch {
	case chunked:
		dir.state = http1Chunk
	case hasLength:
		n, err := strconv.ParseInt(length, 10, 64)
		if err != nil || n < 0 {
			dir.state = http1Stopped
		} else if n > 0 {
			dir.state, dir.skip = http1Body, n
		}
	case side == trace.Server:
		// A response without a length ends with the connection.
		dir.state = http1Stopped
	}
}

func (d *http1Decoder) emitHead(side trace.Side, at time.Time, frameNo int, p trace.LocalPayload) {
	ev := trace.NewEvent(d.conn, side, p)
	ev.Time, ev.Frame = at, frameNo
	d.emit(ev)
}

// bodyLength is the length a Content-Length value declares, or nil.
func bodyLength(v string) *int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

func http1Proto(s string) bool { return s == "HTTP/1.1" || s == "HTTP/1.0" }

// token reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func token(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
