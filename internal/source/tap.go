package source

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Tracer is the live source: it collects the events of a run, those of the
// tapped connections and those its users emit (DNS, TCP, verification,
// HTTP). It is safe for use by several goroutines (net/http reads and
// writes a connection from two).
type Tracer struct {
	mu   sync.Mutex
	sink *sink
	// KeyLog, when set, receives every secret in NSS key log format
	// (SSLKEYLOGFILE).
	KeyLog io.Writer
	// secrets keeps the key log lines of the run, for --pcap.
	secrets bytes.Buffer
	conns   int
	now     func() time.Time
	// Record keeps every tapped byte, for Recorded (--pcap), up to
	// maxRecorded bytes in all.
	Record   bool
	recorded []*capture.Conn
	recBytes int
	// Hook, when set, sees every event as it is emitted and returns more
	// events to emit right after it (the server's fingerprints). It runs
	// with the tracer's lock held: it must not call the tracer.
	Hook func(*trace.Event) []*trace.Event
}

// maxRecorded bounds what --pcap keeps in memory.
const maxRecorded = 256 << 20

// Recorded returns the connections kept with Record.
func (t *Tracer) Recorded() []*capture.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.recorded
}

// NewTracer returns a Tracer sending events to emit, in order, one at a
// time.
func NewTracer(start time.Time, emit func(*trace.Event)) *Tracer {
	t := &Tracer{now: time.Now}
	t.sink = newSink(start, nil, emit)
	t.sink.hook = t.hook
	t.sink.sess.ForgetOnClose = true
	t.sink.sess.Resumed = t.logResumed
	return t
}

// logResumed writes the key log line of a resumed TLS 1.0-1.2 session,
// which the TLS stack did not write; t.mu is held (the decoder calls it).
func (t *Tracer) logResumed(clientRandom, master []byte) {
	if t.Record {
		keylog.WriteLine(&t.secrets, keylog.LabelClientRandom, clientRandom, master)
	}
	if t.KeyLog != nil {
		keylog.WriteLine(t.KeyLog, keylog.LabelClientRandom, clientRandom, master)
	}
}

// hook runs Hook; t.mu is held.
func (t *Tracer) hook(ev *trace.Event) []*trace.Event {
	if t.Hook == nil {
		return nil
	}
	return t.Hook(ev)
}

// Emit sends an event of tlstrace's own (DNS, TCP, verification, HTTP).
func (t *Tracer) Emit(ev *trace.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = t.now()
	}
	t.sink.sess.Emit(ev)
}

// Locked runs f with the tracer's lock held: no event is emitted while it
// runs (a renderer can flush its buffer).
func (t *Tracer) Locked(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}

// NextConn returns the number of a new connection.
func (t *Tracer) NextConn() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns++
	return t.conns
}

// Secrets returns the key log lines written so far.
func (t *Tracer) Secrets() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.secrets.Bytes())
}

// keyLogWriter is the crypto/tls Config.KeyLogWriter of a traced
// connection: crypto/tls writes one whole line per call.
type keyLogWriter struct{ t *Tracer }

func (w keyLogWriter) Write(line []byte) (int, error) {
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Record {
		t.secrets.Write(line)
	}
	if t.KeyLog != nil {
		t.KeyLog.Write(line)
	}
	f := bytes.Fields(line)
	if len(f) == 3 {
		cr, err1 := hex.DecodeString(string(f[1]))
		secret, err2 := hex.DecodeString(string(f[2]))
		if err1 == nil && err2 == nil {
			t.sink.sess.AddSecret(string(f[0]), cr, secret)
		}
	}
	return len(line), nil
}

// KeyLogWriter returns the writer to set as tls.Config.KeyLogWriter.
func (t *Tracer) KeyLogWriter() io.Writer { return keyLogWriter{t} }

// Tap is a net.Conn whose bytes in both directions go to a trace decoder
// as they are read and written. local says which side this end is.
type Tap struct {
	net.Conn
	t     *Tracer
	dec   *trace.Conn
	local trace.Side
	id    int
	once  sync.Once
	done  chan struct{}
	// finished is set, with t.mu held, when the decoder is flushed: bytes
	// read after it are no longer decoded or emitted (net/http's reader
	// goroutine may still be reading when the run returns). What this end
	// writes is still shown: the client's own close_notify may follow the
	// close of the connection by net/http's goroutine.
	finished bool
	// peerEnded is set when a Read returned an error (end of stream,
	// reset): the peer ended its side, not this end.
	peerEnded bool
	// reset is set when a Read failed with a TCP RST: the connection is
	// gone, and a Write after it is shown only as far as it went (none
	// of it: the kernel refuses it).
	reset bool
	// wrote is set at the first Write; endedFirst is how the peer had
	// ended the connection then (tcpState), "" when it had not.
	wrote      bool
	endedFirst string
	// writeFailed is set when a Write failed (Drain); reading is held
	// while a Read is in progress.
	writeFailed atomic.Bool
	reading     sync.Mutex
	rec         *capture.Conn
	// Stats: bytes on the wire each way.
	BytesRead, BytesWritten int64
}

// NewTap wraps c, an end of connection number id on the local side.
func (t *Tracer) NewTap(c net.Conn, id int, local trace.Side) *Tap {
	t.mu.Lock()
	defer t.mu.Unlock()
	tap := &Tap{Conn: c, t: t, id: id, dec: t.sink.sess.NewConn(id, true), local: local, done: make(chan struct{})}
	if t.Record {
		la, ra := addrPort(c.LocalAddr()), addrPort(c.RemoteAddr())
		rc := &capture.Conn{Client: la, Server: ra, Start: t.now()}
		if local == trace.Server {
			rc.Client, rc.Server = ra, la
		}
		tap.rec = rc
		t.recorded = append(t.recorded, rc)
	}
	return tap
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
}

// record keeps a chunk for --pcap; t.mu is held.
func (c *Tap) record(from trace.Side, at time.Time, b []byte) {
	if c.rec == nil || c.t.recBytes+len(b) > maxRecorded {
		return
	}
	c.t.recBytes += len(b)
	c.rec.Chunks = append(c.rec.Chunks, capture.Chunk{FromClient: from == trace.Client, Time: at, Data: bytes.Clone(b)})
	c.rec.End = at
}

func (c *Tap) Read(b []byte) (int, error) {
	c.reading.Lock()
	defer c.reading.Unlock()
	n, err := c.Conn.Read(b)
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
		// This end's own close or time limit is not the peer's end.
		c.t.mu.Lock()
		c.peerEnded = true
		c.reset = c.reset || errors.Is(err, syscall.ECONNRESET)
		c.t.mu.Unlock()
	}
	c.received(b[:n])
	return n, err
}

// received decodes bytes read from the peer.
func (c *Tap) received(b []byte) {
	if len(b) == 0 {
		return
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	if c.finished {
		return
	}
	c.BytesRead += int64(len(b))
	now := c.t.now()
	c.record(c.local.Other(), now, b)
	c.dec.Feed(c.local.Other(), trace.Stamp{Time: now}, b)
}

// Write shows b as sent by this end, then writes it. Once the peer has
// reset the connection (a Read saw its RST, or the kernel holds the
// connection as closed), or a write has failed (the connection closed
// here, a deadline), b is written first and shown only as far as the
// write went: the kernel refuses it (EPIPE), and a close_notify a TLS
// stack sends as it closes would be shown though no byte of it left.
func (c *Tap) Write(b []byte) (int, error) {
	state := tcpState(c.Conn)
	c.t.mu.Lock()
	if !c.wrote && state != "" {
		c.endedFirst = state
	}
	c.wrote = true
	after := c.reset || state == "reset" || c.writeFailed.Load()
	if !after {
		c.sent(b)
	}
	c.t.mu.Unlock()
	n, err := c.Conn.Write(b)
	if err != nil {
		c.writeFailed.Store(true)
	}
	if after && n > 0 {
		c.t.mu.Lock()
		c.sent(b[:n])
		c.t.mu.Unlock()
	}
	return n, err
}

// sent shows b as sent by this end: counted, recorded and decoded. The
// tracer's lock is held.
func (c *Tap) sent(b []byte) {
	c.BytesWritten += int64(len(b))
	now := c.t.now()
	c.record(c.local, now, b)
	c.dec.Feed(c.local, trace.Stamp{Time: now}, b)
}

// Drain decodes, once a write has failed, what the peer sent that the
// connection holds unread, without waiting for more. A write fails when
// the peer has reset the connection, and what it sent before (a TLS 1.3
// server's certificate_required alert, sent after the client's handshake
// was done and its request on the way) is the cause; the kernel still
// holds those bytes after the reset. Close drains; a client whose request
// failed drains before it reads the Evidence, in case its HTTP stack has
// not closed the connection yet. A Read in progress (an HTTP/2 read loop)
// delivers what comes itself: Drain waits for it at most drainWait, then
// leaves the bytes to it, so that it never blocks on a peer that keeps
// the connection open, nor decodes bytes out of order.
func (c *Tap) Drain() {
	if !c.writeFailed.Load() {
		return
	}
	c.DrainNow()
}

// DrainNow decodes what the peer sent that the connection holds unread,
// without waiting for more, as Drain does once a write failed. A server
// whose TLS stack gave up on what a client sent first calls it before
// closing: crypto/tls reads a record header's worth of an SSL 2.0 hello,
// or of bytes that are not TLS, and stops, and the rest of what the client
// sent, which a capture of the connection holds, is then decoded too.
func (c *Tap) DrainNow() {
	for deadline := time.Now().Add(drainWait); !c.reading.TryLock(); {
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer c.reading.Unlock()
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 16<<10)
	for range maxDrain / len(buf) {
		n := 0
		if err := rc.Read(func(fd uintptr) bool {
			n = recvNow(fd, buf)
			return true
		}); err != nil || n <= 0 {
			return
		}
		c.received(buf[:n])
	}
}

// maxDrain bounds what Drain reads, and drainWait how long it waits for
// a Read in progress.
const (
	maxDrain  = 64 << 10
	drainWait = 100 * time.Millisecond
)

// Evidence returns what the connection's decoder saw go wrong on the wire.
func (c *Tap) Evidence() trace.Evidence {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	ev := c.dec.Evidence()
	ev.EndedFirst[c.local.Other()] = c.endedFirst
	return ev
}

// Close closes the connection and flushes the decoder: records still
// waiting for secrets are shown as encrypted.
func (c *Tap) Close() error {
	c.Drain()
	err := c.Conn.Close()
	c.Finish()
	return err
}

// Finish flushes the decoder once.
func (c *Tap) Finish() {
	c.once.Do(func() {
		c.t.mu.Lock()
		if !c.peerEnded {
			c.dec.StoppedReading(c.local.Other())
		}
		c.dec.EndedAt(c.t.now())
		c.t.sink.closeConn(c.dec, c.id)
		c.finished = true
		c.t.mu.Unlock()
		close(c.done)
	})
}

// Wait waits until the connection is closed (crypto/tls closes the tapped
// conn after sending close_notify; net/http may do that from its own
// goroutine), at most d, then flushes the decoder.
func (c *Tap) Wait(d time.Duration) {
	select {
	case <-c.done:
	case <-time.After(d):
		c.Finish()
	}
}
