package source

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// renderers are the outputs the parallel read is checked with: every
// event's JSON with its bytes, and the text with fields and hex.
var renderers = map[string]func() Append{
	"json": func() Append {
		return func(b []byte, ev *trace.Event) []byte { return append(render.AppendEvent(b, ev, true), '\n') }
	},
	"text": func() Append {
		w := &sliceWriter{}
		t := render.NewText(w)
		t.Verbose, t.Hex = true, true
		return func(b []byte, ev *trace.Event) []byte {
			w.b = b
			t.Event(ev)
			t.Flush()
			return w.b
		}
	},
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// sequential is the output of one decoder, the reference.
func sequential(t *testing.T, capture []byte, o Options, newAppend func() Append) []byte {
	t.Helper()
	app := newAppend()
	var out []byte
	if err := Read(bytes.NewReader(capture), func(ev *trace.Event) { out = app(out, ev) }, o); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkParallel compares Render with Read on capture, with GOMAXPROCS 1
// and 2 and with more workers than cores.
func checkParallel(t *testing.T, capture []byte, opts func() Options) {
	t.Helper()
	for name, newAppend := range renderers {
		want := sequential(t, capture, opts(), newAppend)
		if len(want) == 0 {
			t.Fatalf("%s: no output", name)
		}
		for _, c := range []struct{ procs, workers int }{{1, 0}, {2, 0}, {2, 3}, {1, 7}} {
			prev := runtime.GOMAXPROCS(c.procs)
			var got bytes.Buffer
			o := opts()
			o.Workers = c.workers
			err := Render(bytes.NewReader(capture), &got, newAppend, o)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s, GOMAXPROCS %d, %d workers: output differs from one decoder's (%d bytes, want %d)\n%s",
					name, c.procs, c.workers, got.Len(), len(want), firstDiff(got.Bytes(), want))
			}
		}
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got %.200s\nwant %.200s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

func TestRenderIllustrated(t *testing.T) {
	for _, v := range []string{"tls12", "tls13"} {
		t.Run(v, func(t *testing.T) {
			capture, err := os.ReadFile(td + "illustrated-" + v + "/capture.pcap")
			if err != nil {
				t.Fatal(err)
			}
			checkParallel(t, capture, func() Options { return Options{Keys: readKeys(t, td+"illustrated-"+v+"/keylog.txt")} })
		})
	}
}

// TestRenderManyConnections reads a capture of many interleaved TLS
// connections (TLS 1.3 and 1.2, full and resumed handshakes, HTTP/2
// frames), made here with crypto/tls and the live tap, with their secrets
// in a Decryption Secrets Block, and checks that the parallel read writes
// what one decoder writes, and that the resumed TLS 1.2 connections, whose
// keys come from the connection they resume, were decrypted.
func TestRenderManyConnections(t *testing.T) {
	n := 30
	head, secrets, packets := synthCapture(t, n)
	capture := slices.Concat(head, secrets, packets)
	if f := os.Getenv("SYNTH_OUT"); f != "" {
		os.WriteFile(f, capture, 0o644)
	}
	checkParallel(t, capture, func() Options { return Options{} })

	// Resumed TLS 1.2 handshakes have no certificate.
	var encrypted, hellos, certs, data, frames int
	var mu sync.Mutex // the workers count together
	err := Render(bytes.NewReader(capture), io.Discard, func() Append {
		return func(b []byte, ev *trace.Event) []byte {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case ev.Type == "encrypted_record":
				encrypted++
			case ev.Type == "server_hello":
				hellos++
			case ev.Type == "certificate":
				certs++
			case ev.Type == trace.TypeApplicationData:
				data++
			case ev.Type == "h2_frame":
				frames++
			}
			return b
		}
	}, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if encrypted > 0 || hellos-certs < n/6 || data < 2*n || frames < n/3 {
		t.Errorf("%d records not decrypted, %d resumed handshakes, %d application data records, %d HTTP/2 frames",
			encrypted, hellos-certs, data, frames)
	}

	// The secrets in the middle of the capture: they serve only what
	// follows them.
	mid := 0
	for mid < len(packets)/2 {
		mid += int(binary.LittleEndian.Uint32(packets[mid+4:]))
	}
	capture = slices.Concat(head, packets[:mid], secrets, packets[mid:])
	checkParallel(t, capture, func() Options { return Options{} })
}

// synthCapture makes n TLS connections over in-memory pipes, taps the
// client ends, and writes them as pcapng blocks: the head of the file, the
// key log in a Decryption Secrets Block, and the packets of the
// connections interleaved: the TLS 1.2 ones, which resume each other's
// sessions, in turn, the TLS 1.3 ones beside them.
func synthCapture(t *testing.T, n int) (head, secrets, packets []byte) {
	t.Helper()
	tr := NewTracer(time.Now(), func(*trace.Event) {})
	tr.Record = true
	cert := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "example.com")
	srvCfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	cache := tls.NewLRUClientSessionCache(4)
	settings := []byte{0, 0, 0, 4, 0, 0, 0, 0, 0} // an empty SETTINGS frame
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for i := range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		tap := tr.NewTap(c, i+1, trace.Client)
		cfg := &tls.Config{InsecureSkipVerify: true, KeyLogWriter: tr.KeyLogWriter(), ServerName: "example.com"}
		switch i % 3 {
		case 0:
			cfg.NextProtos = []string{"h2"}
		case 1:
			cfg.MaxVersion = tls.VersionTLS12
		case 2:
			// Resumes the session of the connection before it.
			cfg.MaxVersion = tls.VersionTLS12
			cfg.ClientSessionCache = cache
		}
		if i%3 == 1 {
			cfg.ClientSessionCache = cache
		}
		size := 100 + i*997%20000
		done := make(chan error, 1)
		go func() {
			sc := tls.Server(s, srvCfg)
			defer sc.Close()
			buf := make([]byte, 64)
			if _, err := sc.Read(buf); err != nil {
				done <- err
				return
			}
			if sc.ConnectionState().NegotiatedProtocol == "h2" {
				sc.Write(settings)
			}
			_, err := sc.Write(bytes.Repeat([]byte{byte(i)}, size))
			done <- err
		}()
		cc := tls.Client(tap, cfg)
		if err := cc.Handshake(); err != nil {
			t.Fatal(err)
		}
		req := []byte("GET / HTTP/1.1\r\n\r\n")
		if cc.ConnectionState().NegotiatedProtocol == "h2" {
			req = append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), settings...)
		}
		if _, err := cc.Write(req); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, cc)
		cc.Close()
	}
	conns := tr.Recorded()
	// Each connection's packets, then round robin.
	blocks := [][][]byte{nil}
	for i, c := range conns {
		var b bytes.Buffer
		keys := []byte(nil)
		if i == 0 {
			keys = tr.Secrets()
		}
		if err := capture.WritePcapng(&b, keys, []*capture.Conn{c}); err != nil {
			t.Fatal(err)
		}
		var pkts [][]byte
		for rest := b.Bytes(); len(rest) > 0; {
			l := binary.LittleEndian.Uint32(rest[4:])
			blk := rest[:l]
			rest = rest[l:]
			switch binary.LittleEndian.Uint32(blk) {
			case 6: // Enhanced Packet Block
				pkts = append(pkts, blk)
			case 0x0A: // Decryption Secrets Block
				secrets = blk
			default:
				if i == 0 {
					head = append(head, blk...)
				}
			}
		}
		if i%3 == 0 {
			blocks = append(blocks, pkts)
		} else {
			blocks[0] = append(blocks[0], pkts...)
		}
	}
	for more := true; more; {
		more = false
		for i, p := range blocks {
			if len(p) > 0 {
				packets = append(packets, p[0]...)
				blocks[i] = p[1:]
				more = true
			}
		}
	}
	if len(secrets) == 0 {
		t.Fatal("no secrets block")
	}
	return head, secrets, packets
}

// failWriter fails once it has taken n bytes.
type failWriter struct{ n int }

var errFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errFull
	}
	w.n -= len(p)
	return len(p), nil
}

// TestRenderWriteError checks that a write error ends the read with that
// error.
func TestRenderWriteError(t *testing.T) {
	capture, err := os.ReadFile(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		err := Render(bytes.NewReader(capture), &failWriter{n: 100}, renderers["json"], Options{Workers: workers})
		if !errors.Is(err, errFull) {
			t.Errorf("%d workers: error %v, want %v", workers, err, errFull)
		}
	}
}
