package server

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// hostileServer runs a traced www server that keeps only the causes of
// its failed handshakes (so that the events do not weigh on the heap
// measured), and returns its address and those causes so far.
func hostileServer(t *testing.T, cfg Config) (string, func() []*trace.Handshake) {
	t.Helper()
	var mu sync.Mutex
	var failed []*trace.Handshake
	addr := serveWWW(t, cfg, func(ev *trace.Event) {
		if h, ok := ev.Payload.(*trace.Handshake); ok && h.Failed {
			c := *h
			mu.Lock()
			failed = append(failed, &c)
			mu.Unlock()
		}
	})
	return addr, func() []*trace.Handshake {
		mu.Lock()
		defer mu.Unlock()
		return append([]*trace.Handshake(nil), failed...)
	}
}

// tenThousandSuites is a TLS 1.2 ClientHello offering 10,000 cipher
// suites, none assigned (from 0x6000, GREASE values left out), in two
// records.
func tenThousandSuites(t *testing.T) []byte {
	var suites []uint16
	for id := uint16(0x6000); len(suites) < 10000; id++ {
		if !wire.IsGREASE(id) {
			suites = append(suites, id)
		}
	}
	groups, _ := wire.SupportedGroupsExtension([]uint16{29, 23})
	sigs, _ := wire.SignatureAlgorithmsExtension(13, []uint16{0x0403, 0x0804})
	ch := &wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: suites, Extensions: []wire.Extension{groups, sigs}}
	msg, err := ch.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for len(msg) > 0 {
		n := min(len(msg), wire.MaxPlaintext)
		if out, err = wire.AppendRecord(out, wire.ContentHandshake, wire.VersionTLS10, msg[:n]); err != nil {
			t.Fatal(err)
		}
		msg = msg[n:]
	}
	return out
}

// sslv2Hello is an SSL 2.0 CLIENT-HELLO offering SSL 2.0 and
// SSL_CK_RC4_128_WITH_MD5, with a 16-byte challenge.
var sslv2Hello = append([]byte{0x80, 28, 1, 0, 2, 0, 3, 0, 0, 0, 16, 1, 0, 0x80}, make([]byte, 16)...)

func openFDs(t *testing.T) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(fds)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestHostileClients sends serve the clients a server meets on the
// Internet: garbage, a ClientHello at one byte a second, more idle
// sockets than MaxConns, an oversized record, an SSL 2.0 hello, plain
// HTTP and a ClientHello with 10,000 suites. Throughout, a good client is
// served within a second; once they are gone, the heap and the open file
// descriptors are back where they were; and each is explained in serve's
// trace by what it did.
func TestHostileClients(t *testing.T) {
	for _, engine := range []string{"go", "own"} {
		t.Run(engine, func(t *testing.T) { hostileClients(t, engine) })
	}
}

func hostileClients(t *testing.T, engine string) {
	const maxConns = 8
	const timeout = 4 * time.Second
	addr, failures := hostileServer(t, Config{MaxConns: maxConns, Timeout: timeout, Engine: engine})
	good := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	get := func() (time.Duration, error) {
		start := time.Now()
		resp, err := good.Get("https://" + addr + "/")
		if err != nil {
			return time.Since(start), err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return time.Since(start), fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	// Warm up: the first connections set up what every later one reuses.
	for range 20 {
		if _, err := get(); err != nil {
			t.Fatal(err)
		}
	}
	fds, heap := openFDs(t), heapInUse()

	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return nil
		}
		c.SetDeadline(time.Now().Add(3 * timeout))
		return c
	}
	// send writes b, then reads until the server closes.
	send := func(b []byte) func() {
		return func() {
			c := dial()
			if c == nil {
				return
			}
			defer c.Close()
			c.Write(b)
			io.Copy(io.Discard, c)
		}
	}
	garbage := make([]byte, 4096)
	rand.Read(garbage)
	copy(garbage, "SSH-2.0-OpenSSH_9.6\r\n")
	hello := tlstest.ClientHello(t)
	clients := map[string]func(){
		"garbage":      send(garbage),
		"oversized":    send(append([]byte{22, 3, 1, 0x4e, 0x20, 1, 0, 0x4e, 0x1c}, make([]byte, 20000)...)),
		"sslv2":        send(sslv2Hello),
		"plain-http":   send([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")),
		"10000-suites": send(tenThousandSuites(t)),
		"one-byte-a-second": func() {
			c := dial()
			if c == nil {
				return
			}
			defer c.Close()
			for _, b := range hello {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		},
	}
	for i := range maxConns + 4 {
		clients[fmt.Sprintf("idle-%d", i)] = func() {
			if c := dial(); c != nil {
				defer c.Close()
				c.Read(make([]byte, 1))
			}
		}
	}
	var wg sync.WaitGroup
	for _, f := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	hostileDone := make(chan struct{})
	go func() { wg.Wait(); close(hostileDone) }()

	// A good client throughout, one request every 100 ms.
	var worst time.Duration
	served := 0
	for running := true; running; {
		select {
		case <-hostileDone:
			running = false
		case <-time.After(100 * time.Millisecond):
		}
		d, err := get()
		if err != nil {
			t.Errorf("good client after %d served: %v", served, err)
			break
		}
		served++
		worst = max(worst, d)
	}
	t.Logf("good client: %d requests, the slowest in %v", served, worst)
	if worst > time.Second {
		t.Errorf("a good client waited %v", worst)
	}

	// Flat: what the hostile clients held is given back.
	var nowFDs int
	var nowHeap uint64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		nowFDs, nowHeap = openFDs(t), heapInUse()
		if nowFDs <= fds && nowHeap < heap+1<<20 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("open descriptors %d then %d; heap %d KiB then %d KiB", fds, nowFDs, heap>>10, nowHeap>>10)
	if nowFDs > fds {
		t.Errorf("%d descriptors open after the hostile clients, %d before", nowFDs, fds)
	}
	if nowHeap >= heap+1<<20 {
		t.Errorf("heap %d KiB after the hostile clients, %d KiB before", nowHeap>>10, heap>>10)
	}

	// Each is explained by what it did: by one of its causes.
	want := map[string][]string{
		"garbage":    {`the client did not speak TLS (first bytes "SSH-2")`},
		"oversized":  {"the client sent a record header that claims 20000 bytes, more than TLS allows"},
		"sslv2":      {"the client sent its ClientHello in the SSL 2.0 format (offering SSL 2.0), which the server does not accept"},
		"plain-http": {"the client sent plain HTTP, not TLS"},
		// crypto/tls reads them all; the own engine reads up to 1024.
		"10000-suites": {"none of the 10000 cipher suites the client offered is one the server serves (none of them is an assigned cipher suite)",
			"the client's ClientHello holds 10000 cipher suites, more than the server accepts (1024; the server sent a decode_error alert)"},
		// Or, while the server is full, closed for a new client.
		"one-byte-a-second": {"the client sent too slowly to finish its handshake", "the client had not finished its handshake in"},
		"idle":              {"the client sent nothing for", "closed to make room"},
	}
	got := failures()
	says := func(cause string) bool {
		for _, h := range got {
			if strings.Contains(h.Cause, cause) && h.Fix != "" {
				return true
			}
		}
		return false
	}
	for name, causes := range want {
		if !slices.ContainsFunc(causes, says) {
			t.Errorf("%s: no failed handshake says %q", name, causes[0])
		}
	}
	if t.Failed() {
		for _, h := range got {
			t.Logf("cause: %s\n\tfix: %s", h.Cause, h.Fix)
		}
	}
}
