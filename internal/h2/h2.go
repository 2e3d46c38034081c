// Package h2 cuts the decrypted application data of HTTP/2 connections
// into frames (RFC 9113), each an `http` `h2_frame` event, with HPACK
// header blocks decoded. It serves live sessions and captures alike. For
// captures it also finds the requests and responses of HTTP/2 and
// HTTP/1.x connections.
package h2

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

const (
	h2FrameHeaderLen = 9
	// h2MaxBuffered bounds the bytes kept per direction for a frame not yet
	// complete; the payload of a larger frame is skipped, its header shown.
	h2MaxBuffered = 1 << 20
	// h2MaxHeaderList bounds a decoded header block.
	h2MaxHeaderList = 1 << 20
)

const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

var h2FrameTypes = []string{"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"}

var h2Settings = map[uint16]string{1: "HEADER_TABLE_SIZE", 2: "ENABLE_PUSH", 3: "MAX_CONCURRENT_STREAMS", 4: "INITIAL_WINDOW_SIZE",
	5: "MAX_FRAME_SIZE", 6: "MAX_HEADER_LIST_SIZE", 8: "ENABLE_CONNECT_PROTOCOL", 9: "NO_RFC7540_PRIORITIES"}

var h2Errors = []string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
	"FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func nameOf(names []string, v uint32) string {
	if int(v) < len(names) {
		return names[v]
	}
	return ""
}

// h2Decoder decodes the frames of one connection, both directions.
type h2Decoder struct {
	conn int
	emit func(*trace.Event)
	// frames emits the h2_frame events; summaries emits a request or
	// response event for each header block that starts one.
	frames, summaries bool
	dirs              [2]h2Direction
	preface           int // bytes of the client preface still expected
	frameNo           int // capture frame of the bytes being decoded
}

type h2Direction struct {
	buf   []byte
	skip  int // payload bytes of an oversized frame still to drop
	hpack *hpack.Decoder
	block []byte // header block fragments awaiting CONTINUATION
	err   bool   // framing lost: stop decoding this direction
}

func newH2Decoder(conn int, emit func(*trace.Event), frames, summaries bool) *h2Decoder {
	d := &h2Decoder{conn: conn, emit: emit, frames: frames, summaries: summaries, preface: len(h2Preface)}
	for i := range d.dirs {
		d.dirs[i].hpack = hpack.NewDecoder(4096, nil)
		d.dirs[i].hpack.SetMaxStringLength(h2MaxHeaderList)
	}
	return d
}

// feed takes decrypted application data sent by side.
func (d *h2Decoder) feed(side trace.Side, at time.Time, b []byte) {
	d.frameNo = 0
	d.feedFrame(side, at, 0, b)
}

// feedFrame is feed for bytes that arrived in capture frame frameNo.
func (d *h2Decoder) feedFrame(side trace.Side, at time.Time, frameNo int, b []byte) {
	d.frameNo = frameNo
	if side > trace.Server {
		return
	}
	dir := &d.dirs[side]
	if dir.err {
		return
	}
	if side == trace.Client && d.preface > 0 {
		n := min(d.preface, len(b))
		want := h2Preface[len(h2Preface)-d.preface:][:n]
		if string(b[:n]) != want {
			dir.err = true
			d.emit(&trace.Event{Conn: d.conn, From: side, Layer: trace.LayerHTTP, Type: trace.TypeH2Frame, Time: at,
				Error: "the client did not start with the HTTP/2 connection preface; not decoded further"})
			return
		}
		d.preface -= n
		b = b[n:]
	}
	if dir.skip > 0 {
		n := min(dir.skip, len(b))
		dir.skip -= n
		b = b[n:]
	}
	dir.buf = append(dir.buf, b...)
	for len(dir.buf) >= h2FrameHeaderLen && !dir.err {
		length := int(dir.buf[0])<<16 | int(dir.buf[1])<<8 | int(dir.buf[2])
		if h2FrameHeaderLen+length > h2MaxBuffered {
			// Show the header, drop the payload as it comes.
			d.frame(side, at, dir, dir.buf[:h2FrameHeaderLen], nil, length)
			dropped := min(length, len(dir.buf)-h2FrameHeaderLen)
			dir.skip = length - dropped
			dir.buf = dir.buf[h2FrameHeaderLen+dropped:]
			continue
		}
		if len(dir.buf) < h2FrameHeaderLen+length {
			break
		}
		d.frame(side, at, dir, dir.buf[:h2FrameHeaderLen], dir.buf[h2FrameHeaderLen:h2FrameHeaderLen+length], length)
		dir.buf = dir.buf[h2FrameHeaderLen+length:]
	}
	dir.buf = append([]byte(nil), dir.buf...)
}

// frame emits one frame; payload is nil when it was too large to keep.
func (d *h2Decoder) frame(side trace.Side, at time.Time, dir *h2Direction, h, payload []byte, length int) {
	typ, flags := uint32(h[3]), h[4]
	f := &trace.H2Frame{
		FrameType: trace.Enum{Name: nameOf(h2FrameTypes, typ), Value: uint64(typ)},
		Flags:     flags,
		StreamID:  binary.BigEndian.Uint32(h[5:]) & 0x7fffffff,
		Length:    length,
	}
	var evErr string
	var fields []hpack.HeaderField
	defer func() {
		if d.frames {
			ev := trace.NewEvent(d.conn, side, f)
			ev.Time, ev.Frame, ev.Error = at, d.frameNo, evErr
			d.emit(ev)
		}
		if d.summaries && fields != nil {
			d.summary(side, at, fields, f.Headers)
		}
	}()
	if payload == nil {
		evErr = fmt.Sprintf("frame of %d bytes: payload not kept", length)
		return
	}
	p := payload
	padded := flags&0x8 != 0 && (typ == 0 || typ == 1 || typ == 5)
	if padded {
		if len(p) < 1 || int(p[0]) > len(p)-1 {
			evErr = "padding longer than the frame"
			return
		}
		p = p[1 : len(p)-int(p[0])]
	}
	flag := func(bit byte) *bool { v := flags&bit != 0; return &v }
	switch typ {
	case 0: // DATA
		f.EndStream = flag(0x1)
	case 1, 9: // HEADERS, CONTINUATION
		if typ == 1 {
			f.EndStream = flag(0x1)
			if flags&0x20 != 0 { // PRIORITY
				if len(p) < 5 {
					evErr = "HEADERS too short for its priority fields"
					return
				}
				p = p[5:]
			}
		}
		if len(dir.block)+len(p) > h2MaxHeaderList {
			evErr = "header block larger than 1 MiB; not decoded"
			dir.block = nil
			return
		}
		dir.block = append(dir.block, p...)
		if flags&0x4 == 0 { // END_HEADERS not set
			return
		}
		hf, err := dir.hpack.DecodeFull(dir.block)
		dir.block = nil
		if err != nil {
			evErr = "HPACK: " + err.Error()
			dir.err = true
			return
		}
		fields = hf
		f.Headers = []string{}
		for _, hf := range fields {
			f.Headers = append(f.Headers, hf.Name+": "+hf.Value)
		}
	case 3: // RST_STREAM
		if len(p) == 4 {
			code := binary.BigEndian.Uint32(p)
			f.ErrorCode = &trace.Enum{Name: nameOf(h2Errors, code), Value: uint64(code)}
		}
	case 4: // SETTINGS
		f.Ack = flag(0x1)
		f.Settings = []string{}
		for ; len(p) >= 6; p = p[6:] {
			id := binary.BigEndian.Uint16(p)
			f.Settings = append(f.Settings, fmt.Sprintf("%s=%d", cmpName(h2Settings[id], id), binary.BigEndian.Uint32(p[2:])))
		}
	case 6: // PING
		f.Ack = flag(0x1)
		f.OpaqueData = append([]byte{}, p...)
	case 7: // GOAWAY
		if len(p) >= 8 {
			last := binary.BigEndian.Uint32(p) & 0x7fffffff
			f.LastStreamID = &last
			code := binary.BigEndian.Uint32(p[4:])
			f.ErrorCode = &trace.Enum{Name: nameOf(h2Errors, code), Value: uint64(code)}
		}
	case 8: // WINDOW_UPDATE
		if len(p) == 4 {
			inc := binary.BigEndian.Uint32(p) & 0x7fffffff
			f.WindowIncrement = &inc
		}
	}
}

// summary emits the request or response a header block starts: a block
// with :method is a request, one with :status a response; one with
// neither (trailers) is no summary.
func (d *h2Decoder) summary(side trace.Side, at time.Time, fields []hpack.HeaderField, lines []string) {
	pseudo := map[string]string{}
	for _, hf := range fields {
		if strings.HasPrefix(hf.Name, ":") {
			if _, dup := pseudo[hf.Name]; !dup {
				pseudo[hf.Name] = hf.Value
			}
		}
	}
	var p trace.LocalPayload
	if m, ok := pseudo[":method"]; ok && side == trace.Client {
		url := pseudo[":path"]
		if a, ok := pseudo[":authority"]; ok {
			url = a + url
			if s, ok := pseudo[":scheme"]; ok {
				url = s + "://" + url
			}
		}
		req := &trace.HTTPRequest{Method: m, URL: url, Headers: lines}
		for _, hf := range fields {
			if hf.Name == "content-length" {
				req.BodyLength = bodyLength(hf.Value)
				break
			}
		}
		p = req
	} else if s, ok := pseudo[":status"]; ok && side == trace.Server {
		code, err := strconv.Atoi(s)
		if err != nil || code < 0 || len(s) != 3 {
			return
		}
		p = &trace.HTTPResponse{Proto: "HTTP/2.0", Status: code, Headers: lines}
	} else {
		return
	}
	ev := trace.NewEvent(d.conn, side, p)
	ev.Time, ev.Frame = at, d.frameNo
	d.emit(ev)
}

func cmpName(name string, id uint16) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("0x%04x", id)
}

// Watcher finds the connections that agree on h2 and decodes their
// application data. Call Event with every event, after emitting it.
type Watcher struct {
	emit  func(*trace.Event)
	conns map[int]*h2Decoder
	http1 map[int]*http1Decoder
	// chose records, per connection, that the server's choice of
	// protocol was seen: its ServerHello below TLS 1.3, or its
	// EncryptedExtensions. Until then (a TLS 1.3 connection whose
	// EncryptedExtensions could not be opened), the server's application
	// data is held until the client's first shows whether it speaks
	// HTTP/2: its connection preface (RFC 9113, Section 3.4) says so.
	chose  map[int]bool
	held   map[int][]heldData
	spoken map[int]bool
	// early holds, per connection, the client's 0-RTT data (RFC 8446,
	// Section 4.2.10) until the server says whether it took it.
	early map[int]*earlyData
	// NoFrames leaves out the h2_frame events. The http request and
	// response events are always emitted: one for each header block that
	// starts one, and for each request and response head of the
	// connections that did not agree on h2 and whose application data
	// reads as HTTP/1.x.
	NoFrames bool
}

// heldData is application data of the server held by a Watcher.
type heldData struct {
	at    time.Time
	frame int
	b     []byte
}

// maxHeld bounds the server's application data held per connection, and
// the client's 0-RTT data held until the server's answer.
const maxHeld = 64 << 10

// earlyData is what a Watcher knows of a connection's 0-RTT data. The
// client sends it before it has the server's answer, so its records come
// before the EncryptedExtensions that say whether the server accepted it;
// a server that rejects it skips those records (RFC 8446, Section
// 4.2.10), and the application data then starts with the client's first
// 1-RTT record. So the data is held until the answer: accepted, it goes
// on as the start of the client's stream; rejected, it is not part of it.
type earlyData struct {
	verdict earlyVerdict
	held    []heldData
	size    int
	// lost is set when more was sent than maxHeld holds: accepted, the
	// stream misses its start.
	lost bool
}

type earlyVerdict int

const (
	earlyUnknown  earlyVerdict = iota
	earlyAccepted              // an early_data extension in EncryptedExtensions
	earlyRejected              // none there, a HelloRetryRequest, or no PSK chosen
)

// NewWatcher returns a Watcher whose frame events go to emit.
func NewWatcher(emit func(*trace.Event)) *Watcher {
	return &Watcher{emit: emit, conns: map[int]*h2Decoder{}, http1: map[int]*http1Decoder{},
		chose: map[int]bool{}, held: map[int][]heldData{}, spoken: map[int]bool{}, early: map[int]*earlyData{}}
}

// Event looks at one event: a ServerHello or EncryptedExtensions from the
// server with ALPN "h2" starts decoding its connection, whose application
// data is then cut into frames.
func (w *Watcher) Event(ev *trace.Event) {
	if ev.Layer == trace.LayerTCP && ev.Type == trace.TypeGap && ev.From <= trace.Server {
		w.stopHTTP1(ev.Conn, ev.From, false)
		return
	}
	if ev.Layer != trace.LayerTLS {
		return
	}
	switch p := ev.Payload.(type) {
	case *trace.Message:
		if ev.From != trace.Server {
			return
		}
		if p.EncryptedExtensions != nil || (p.ServerHello != nil && ev.Type == trace.TypeServerHello &&
			(p.ServerHello.Version() == nil || p.ServerHello.Version().Value < uint64(wire.VersionTLS13))) {
			w.chose[ev.Conn] = true
		}
		if slices.Contains(p.ALPN(), "h2") {
			w.conns[ev.Conn] = newH2Decoder(ev.Conn, w.emit, !w.NoFrames, true)
		}
		switch sh, ee := p.ServerHello, p.EncryptedExtensions; {
		case ee != nil && ee.EarlyData != nil:
			w.earlyAnswer(ev.Conn, *ee.EarlyData)
		case sh != nil && sh.Version() != nil && sh.Version().Value >= uint64(wire.VersionTLS13) && (sh.HelloRetry || !sh.SelectedPSK):
			// Early data needs the first PSK offered accepted
			// (RFC 8446, Section 4.2.10): a server that asks for
			// another hello or chose none rejected it.
			w.earlyAnswer(ev.Conn, false)
		}
	case *trace.Data:
		if ev.Type != trace.TypeApplicationData {
			return
		}
		if ev.From == trace.Client && ev.Record != nil && ev.Record.EarlyData {
			w.earlyRecord(ev, p.Bytes)
			return
		}
		if e := w.early[ev.Conn]; e != nil && e.verdict == earlyUnknown && ev.From == trace.Client {
			// The client's 1-RTT data, and no answer was read (its
			// EncryptedExtensions could not be opened): whether
			// its stream starts here or with the 0-RTT data is
			// unknown, so no HTTP/1.x message is read from it.
			delete(w.early, ev.Conn)
			w.stopHTTP1(ev.Conn, trace.Client, true)
		}
		w.data(ev.Conn, ev.From, ev.Time, ev.Frame, p.Bytes)
	}
}

// data takes application data of the stream of side: the HTTP/2 frames
// of an h2 connection, or HTTP/1.x.
func (w *Watcher) data(conn int, from trace.Side, at time.Time, frame int, b []byte) {
	if d := w.conns[conn]; d != nil {
		d.feedFrame(from, at, frame, b)
		return
	}
	if !w.chose[conn] && !w.spoken[conn] {
		if from == trace.Server {
			w.hold(conn, at, frame, b)
			return
		}
		w.spoken[conn] = true
		if strings.HasPrefix(string(b), h2Preface) {
			w.conns[conn] = newH2Decoder(conn, w.emit, !w.NoFrames, true)
		}
		w.release(conn)
		if d := w.conns[conn]; d != nil {
			d.feedFrame(from, at, frame, b)
			return
		}
	}
	w.feedHTTP1(conn, from, at, frame, b)
}

// earlyRecord takes the client's 0-RTT data: held until the server's
// answer, part of the stream once it accepted it, dropped once it
// rejected it.
func (w *Watcher) earlyRecord(ev *trace.Event, b []byte) {
	e := w.early[ev.Conn]
	if e == nil {
		e = &earlyData{}
		w.early[ev.Conn] = e
	}
	switch e.verdict {
	case earlyAccepted:
		w.data(ev.Conn, trace.Client, ev.Time, ev.Frame, b)
	case earlyUnknown:
		if e.lost || e.size+len(b) > maxHeld {
			e.lost, e.held, e.size = true, nil, 0
			return
		}
		e.held = append(e.held, heldData{at: ev.Time, frame: ev.Frame, b: bytes.Clone(b)})
		e.size += len(b)
	}
}

// earlyAnswer applies the server's answer to the client's early data:
// what is held goes on as the start of the client's stream, or is dropped.
func (w *Watcher) earlyAnswer(conn int, accepted bool) {
	e := w.early[conn]
	if e == nil {
		e = &earlyData{}
		w.early[conn] = e
	}
	if e.verdict != earlyUnknown {
		return // the first answer stands
	}
	e.verdict = earlyRejected
	if accepted {
		e.verdict = earlyAccepted
		if e.lost {
			w.stopHTTP1(conn, trace.Client, true)
		}
		for _, h := range e.held {
			w.data(conn, trace.Client, h.at, h.frame, h.b)
		}
	}
	e.held, e.size = nil, 0
}

// stopHTTP1 ends the HTTP/1.x decoding of side's direction where bytes of
// its stream are missing: where the next message starts is unknown. create
// makes the decoder when there is none yet (bytes missing from the start).
func (w *Watcher) stopHTTP1(conn int, side trace.Side, create bool) {
	d := w.http1[conn]
	if d == nil && create {
		d = newHTTP1Decoder(conn, w.emit)
		w.http1[conn] = d
	}
	if d != nil {
		d.dirs[side].state = http1Stopped
	}
}

// hold keeps a copy of the server's application data until the client
// speaks; past maxHeld, what is held goes on as HTTP/1.x.
func (w *Watcher) hold(conn int, at time.Time, frame int, b []byte) {
	size := len(b)
	for _, h := range w.held[conn] {
		size += len(h.b)
	}
	if size > maxHeld {
		w.spoken[conn] = true
		w.release(conn)
		w.feedHTTP1(conn, trace.Server, at, frame, b)
		return
	}
	w.held[conn] = append(w.held[conn], heldData{at: at, frame: frame, b: bytes.Clone(b)})
}

// release feeds the server's held data to the connection's decoder.
func (w *Watcher) release(conn int) {
	for _, h := range w.held[conn] {
		if d := w.conns[conn]; d != nil {
			d.feedFrame(trace.Server, h.at, h.frame, h.b)
		} else {
			w.feedHTTP1(conn, trace.Server, h.at, h.frame, h.b)
		}
	}
	delete(w.held, conn)
}

// feedHTTP1 feeds application data to the connection's HTTP/1.x reader.
func (w *Watcher) feedHTTP1(conn int, from trace.Side, at time.Time, frame int, b []byte) {
	d := w.http1[conn]
	if d == nil {
		d = newHTTP1Decoder(conn, w.emit)
		w.http1[conn] = d
	}
	d.feed(from, at, frame, b)
}

// Forget drops a closed connection's decoder.
func (w *Watcher) Forget(conn int) {
	w.release(conn)
	delete(w.conns, conn)
	delete(w.http1, conn)
	delete(w.chose, conn)
	delete(w.spoken, conn)
	delete(w.early, conn)
}
