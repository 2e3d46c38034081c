// Package client makes traced connections: DNS, TCP, TLS (done by
// crypto/tls) and HTTP, each step an event. The bytes crypto/tls reads and
// writes are tapped and fed, with the secrets it logs, to the same trace
// decoder that reads capture files.
package client

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// Tracer collects the events of a run. It is safe for use by several
// goroutines (net/http reads and writes a connection from two).
type Tracer struct {
	mu   sync.Mutex
	sess *trace.Session
	emit func(*trace.Event)
	// KeyLog, when set, receives every secret in NSS key log format
	// (SSLKEYLOGFILE).
	KeyLog io.Writer
	// secrets keeps the key log lines of the run, for --pcap.
	secrets bytes.Buffer
	conns   int
	now     func() time.Time
}

// NewTracer returns a Tracer sending events to emit, in order, one at a
// time.
func NewTracer(start time.Time, emit func(*trace.Event)) *Tracer {
	t := &Tracer{emit: emit, now: time.Now}
	t.sess = trace.NewSession(start, nil, emit)
	return t
}

// Emit sends an event of tlstrace's own (DNS, TCP, verification, HTTP).
func (t *Tracer) Emit(ev *trace.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = t.now()
	}
	t.sess.Emit(ev)
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
	t.secrets.Write(line)
	if t.KeyLog != nil {
		t.KeyLog.Write(line)
	}
	f := bytes.Fields(line)
	if len(f) == 3 {
		cr, err1 := hex.DecodeString(string(f[1]))
		secret, err2 := hex.DecodeString(string(f[2]))
		if err1 == nil && err2 == nil {
			t.sess.AddSecret(string(f[0]), cr, secret)
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
	once  sync.Once
	// Stats: bytes on the wire each way.
	BytesRead, BytesWritten int64
}

// NewTap wraps c, an end of connection number id on the local side.
func (t *Tracer) NewTap(c net.Conn, id int, local trace.Side) *Tap {
	t.mu.Lock()
	dec := t.sess.NewConn(id, true)
	t.mu.Unlock()
	return &Tap{Conn: c, t: t, dec: dec, local: local}
}

func (c *Tap) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.t.mu.Lock()
		c.BytesRead += int64(n)
		c.dec.Feed(c.local.Other(), trace.Stamp{Time: c.t.now()}, b[:n])
		c.t.mu.Unlock()
	}
	return n, err
}

func (c *Tap) Write(b []byte) (int, error) {
	c.t.mu.Lock()
	c.BytesWritten += int64(len(b))
	c.dec.Feed(c.local, trace.Stamp{Time: c.t.now()}, b)
	c.t.mu.Unlock()
	return c.Conn.Write(b)
}

// Close closes the connection and flushes the decoder: records still
// waiting for secrets are shown as encrypted.
func (c *Tap) Close() error {
	err := c.Conn.Close()
	c.Finish()
	return err
}

// Finish flushes the decoder once.
func (c *Tap) Finish() {
	c.once.Do(func() {
		c.t.mu.Lock()
		c.dec.Close()
		c.t.mu.Unlock()
	})
}
