package source

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestTapPartialRecord: a record the peer was still sending when this end
// closed is reported as not read to its end, naming who closed first; one
// the peer cut by closing is reported as the connection ending inside it.
func TestTapPartialRecord(t *testing.T) {
	// A handshake record header announcing 100 bytes, and 10 of them.
	partial := append([]byte{22, 3, 3, 0, 100}, make([]byte, 10)...)
	for _, c := range []struct {
		name      string
		peerClose bool
		want      string
	}{
		{"local-closed-first", false, "the rest of a record was not read: the client closed the connection first (10 of the 100 bytes its header announces seen)"},
		{"peer-cut", true, "the connection ended inside a record (10 of the 100 bytes its header announces seen)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			local, remote := net.Pipe()
			var got []string
			tr := NewTracer(time.Now(), func(ev *trace.Event) {
				if ev.Type == trace.TypePartialRecord {
					got = append(got, ev.Error)
				}
			})
			tap := tr.NewTap(local, 1, trace.Client)
			go func() {
				remote.Write(partial)
				if c.peerClose {
					remote.Close()
				}
			}()
			buf := make([]byte, 64)
			n, _ := tap.Read(buf)
			if c.peerClose {
				// Read on to the end of the stream, as a TLS stack does
				// when it waits for the rest of the record.
				for n < len(partial) {
					m, err := tap.Read(buf)
					n += m
					if err != nil {
						break
					}
				}
				if _, err := tap.Read(buf); err == nil {
					t.Fatal("no end of stream after the peer closed")
				}
			}
			tap.Close()
			remote.Close()
			if len(got) != 1 || !strings.Contains(got[0], c.want) {
				t.Fatalf("partial record events %q, want one saying %q", got, c.want)
			}
		})
	}
}

// TestTapDrainAfterReset: the alert a peer sent just before it reset the
// connection is decoded once a write has failed, although nothing read
// it: Close drains what the connection holds.
func TestTapDrainAfterReset(t *testing.T) {
	// A fatal certificate_required alert, then the reset.
	raw := resetPeer(t, []byte{21, 3, 3, 0, 2, 2, 116})
	tap := NewTracer(time.Now(), func(*trace.Event) {}).NewTap(raw, 1, trace.Client)
	// The reset may take a moment to arrive: write until a write fails.
	deadline := time.Now().Add(5 * time.Second)
	for {
		// An application data record, as the request after the
		// handshake goes.
		if _, err := tap.Write([]byte{23, 3, 3, 0, 4, 1, 2, 3, 4}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no write failed after the peer's reset")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a := tap.Evidence().Alert[trace.Server]; a != nil {
		t.Fatalf("the alert was decoded before anything read it: %+v", a)
	}
	tap.Close()
	a := tap.Evidence().Alert[trace.Server]
	if a == nil || a.Description == nil || a.Description.Value != 116 {
		t.Fatalf("after Close, the server's alert is %+v, want certificate_required (116)", a)
	}
}

// TestTapDrainWithReadInFlight: a peer that keeps the connection open and
// silent, a Read waiting for it (an HTTP/2 read loop), and a write that
// failed: Drain and Close return at once rather than wait for the peer.
func TestTapDrainWithReadInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			held <- c
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-held
	defer peer.Close()
	tap := NewTracer(time.Now(), func(*trace.Event) {}).NewTap(raw, 1, trace.Client)
	readDone := make(chan struct{})
	go func() {
		tap.Read(make([]byte, 64))
		close(readDone)
	}()
	time.Sleep(50 * time.Millisecond) // the Read is waiting
	raw.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := tap.Write([]byte{23, 3, 3, 0, 1, 0}); err == nil {
		t.Fatal("a write past its deadline did not fail")
	}
	done := make(chan struct{})
	go func() {
		tap.Drain()
		tap.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Drain and Close wait for a peer that sends nothing")
	}
	<-readDone
}

// TestTapWriteAfterReset: once the peer has reset the connection, a
// write (the close_notify a TLS stack sends as it closes) fails, and the
// tap shows none of it: no byte left, as a capture shows.
func TestTapWriteAfterReset(t *testing.T) {
	raw := resetPeer(t, nil)
	defer raw.Close()
	var events []*trace.Event
	tap := NewTracer(time.Now(), func(ev *trace.Event) { events = append(events, ev.Clone()) }).NewTap(raw, 1, trace.Client)
	for deadline := time.Now().Add(5 * time.Second); !tcpClosed(raw); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the kernel does not hold the connection as closed after the peer's RST")
		}
	}
	// A close_notify alert, as crypto/tls sends it before a handshake.
	if _, err := tap.Write([]byte{21, 3, 3, 0, 2, 1, 0}); err == nil {
		t.Error("a write after the peer's reset did not fail")
	}
	tap.Close()
	for _, ev := range events {
		if ev.From == trace.Client {
			t.Errorf("the tap shows %s from the client, which never left", ev.Type)
		}
	}
}

// resetPeer returns a connection to a peer on 127.0.0.1 that sent sent,
// then reset the connection (closed it with linger 0: a RST), once the
// reset has been sent.
func resetPeer(t *testing.T, sent []byte) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	reset, dialed := make(chan error, 1), make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			reset <- err
			return
		}
		<-dialed
		if len(sent) > 0 {
			_, err = c.Write(sent)
		}
		c.(*net.TCPConn).SetLinger(0)
		reset <- errors.Join(err, c.Close())
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	close(dialed)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-reset; err != nil {
		t.Fatal(err)
	}
	return raw
}
