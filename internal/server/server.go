// Package server is tlstrace serve: a crypto/tls server that traces each
// client through the same tap and decoder as the client, fingerprints it
// (JA3, JA4), and verifies and explains its certificate.
package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/failure"
	"github.com/tlstrace/tlstrace/internal/fingerprint"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/suites"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Config is what serve needs.
type Config struct {
	// Certificates are chosen by crypto/tls from the client's SNI.
	Certificates []tls.Certificate
	// OwnCertificates are chains only the project's own engine can serve
	// (Ed448 keys); with the own engine, Certificates are served as well,
	// chosen by SNI and then by the client's signature_algorithms.
	OwnCertificates []handshake.Certificate
	// Engine is "go" (crypto/tls), "own" (the project's own engine) or ""
	// (crypto/tls unless OwnCertificates, a version below TLS 1.2 or a
	// cipher suite crypto/tls lacks needs the own engine).
	Engine string
	// Mode is "echo", "www", "http" or "file" (Dir).
	Mode string
	Dir  string
	// VerifyClient is "none", "request" or "require"; ClientCAs are the
	// CAs client certificates are verified against.
	VerifyClient string
	ClientCAs    []*x509.Certificate
	// TrustWith words how the user trusts a client CA, for the fixes of
	// an untrusted client chain (cmd's flag); "" is generic.
	TrustWith    string
	ALPN         []string
	MinVersion   uint16
	MaxVersion   uint16
	CipherSuites []uint16
	// TLS13Suites and Groups narrow the TLS 1.3 suites and the key
	// exchange groups served (nil: the defaults); a choice of TLS 1.3
	// suites and the ffdhe groups need the own engine.
	TLS13Suites, Groups []uint16
	// OCSPStaple is stapled to the first certificate.
	OCSPStaple []byte
	NoTickets  bool
	// MaxConns bounds the connections served at once; Timeout bounds the
	// handshake and each read of an idle connection.
	MaxConns int
	Timeout  time.Duration
	// FirstByteTimeout bounds the wait for a new connection's first byte,
	// so that silent connections do not hold slots for long.
	FirstByteTimeout time.Duration
	// Trace turns the per-connection trace on.
	Trace bool
	// StartTLS, when set, is the protocol whose clear-text dialog each
	// client speaks before TLS (its Serve side).
	StartTLS *starttls.Protocol
}

// Server serves TLS connections on a listener.
type Server struct {
	cfg    Config
	tracer *source.Tracer
	tls    *tls.Config
	// own is the own engine's configuration, nil when crypto/tls serves.
	own *handshake.Config
	// ownWhy says why the own engine serves.
	ownWhy string
	// ticketKey seals the session tickets of either engine.
	ticketKey [32]byte
	slots     chan struct{}
	mu        sync.Mutex
	info      map[net.Conn]*ClientInfo
	byID      map[int]*ClientInfo
	// pending are the connections whose handshake is in progress, the
	// ones evict may close when every slot is taken.
	pending map[*pending]struct{}
	wg      sync.WaitGroup
}

// ClientInfo is what the server learnt about one client.
type ClientInfo struct {
	Conn        int
	Remote      string
	Hello       *fingerprint.Hello
	JA3, JA3Str string
	JA4         string
	// State is what was negotiated (filled from the own engine's state
	// when it served).
	State tls.ConnectionState
	Done  bool
	// leaf is the first certificate of the server's Certificate message
	// (DER), to explain a client that refused it.
	leaf []byte
	// hellos counts the connection's ClientHellos; Hello and the
	// fingerprints are the first's.
	hellos int
}

// New makes a server whose events go to emit (nil: no trace).
func New(cfg Config, emit func(*trace.Event)) (*Server, error) {
	if len(cfg.Certificates) == 0 && len(cfg.OwnCertificates) == 0 {
		return nil, errors.New("no certificate to serve")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.FirstByteTimeout <= 0 {
		cfg.FirstByteTimeout = DefaultFirstByteTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 256
	}
	if cfg.MinVersion == 0 && cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS12 {
		// The default minimum, TLS 1.2, is above the maximum: the
		// maximum alone is served, as openssl s_server -tls1_1 serves
		// TLS 1.1; an older version only when asked for (TLS 1.0 with
		// a maximum of TLS 1.1).
		cfg.MinVersion = cfg.MaxVersion
	}
	s := &Server{cfg: cfg, slots: make(chan struct{}, cfg.MaxConns), info: map[net.Conn]*ClientInfo{}, byID: map[int]*ClientInfo{},
		pending: map[*pending]struct{}{}}
	if emit == nil {
		emit = func(*trace.Event) {}
	}
	s.tracer = source.NewTracer(time.Now(), emit)
	s.tracer.Hook = s.observe
	if len(cfg.OCSPStaple) > 0 {
		cfg.Certificates[0].OCSPStaple = cfg.OCSPStaple
	}
	s.tls = &tls.Config{
		Certificates:           cfg.Certificates,
		MinVersion:             cfg.MinVersion,
		MaxVersion:             cfg.MaxVersion,
		CipherSuites:           cfg.CipherSuites,
		NextProtos:             cfg.ALPN,
		SessionTicketsDisabled: cfg.NoTickets,
	}
	for _, g := range cfg.Groups {
		s.tls.CurvePreferences = append(s.tls.CurvePreferences, tls.CurveID(g))
	}
	if cfg.Trace {
		s.tls.KeyLogWriter = s.tracer.KeyLogWriter()
	}
	// Each connection gets a clone of this config; crypto/tls would give
	// every clone its own ticket key, so set one to share.
	var ticketKey [32]byte
	if _, err := rand.Read(ticketKey[:]); err != nil {
		return nil, err
	}
	s.tls.SetSessionTicketKeys([][32]byte{ticketKey})
	s.ticketKey = ticketKey
	switch cfg.VerifyClient {
	case "", "none":
	case "request":
		s.tls.ClientAuth = tls.RequestClientCert
	case "require":
		s.tls.ClientAuth = tls.RequireAnyClientCert
	default:
		return nil, setting.Errorf("VerifyClient", cfg.VerifyClient, "want none, request or require")
	}
	own, why, err := useOwn(&cfg)
	if err != nil {
		return nil, err
	}
	if own {
		s.own, s.ownWhy = s.ownConfig(), why
	}
	return s, nil
}

// Engine names the engine that serves: "go" (crypto/tls) or "own".
func (s *Server) Engine() string {
	if s.own != nil {
		return "own"
	}
	return "go"
}

// Describe says what the server serves when it listens on addr: its
// mode, the URL clients reach it at (the scheme of the STARTTLS protocol
// when they upgrade first) and the engine when it is the own one, as in
// "echo after STARTTLS on smtp://127.0.0.1:2525/ with tlstrace's own TLS
// engine".
func (s *Server) Describe(addr net.Addr) string {
	scheme, upgrade := "https", ""
	if s.cfg.StartTLS != nil {
		scheme, upgrade = s.cfg.StartTLS.Scheme, " after STARTTLS"
	}
	engine := ""
	if s.own != nil {
		engine = " with tlstrace's own TLS engine"
	}
	return fmt.Sprintf("%s%s on %s://%s/%s", s.cfg.Mode, upgrade, scheme, addr, engine)
}

// useOwn decides whether the own engine serves, and says why: asked for,
// or needed by a certificate (Ed448), a version below TLS 1.2 or a cipher
// suite that crypto/tls does not implement.
func useOwn(cfg *Config) (bool, string, error) {
	need := ""
	switch {
	case len(cfg.OwnCertificates) > 0:
		need = "an Ed448 certificate"
	case cfg.MinVersion != 0 && cfg.MinVersion < tls.VersionTLS12, cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS12:
		need = "TLS 1.0 and 1.1"
	case cfg.TLS13Suites != nil:
		need = "a choice of TLS 1.3 cipher suites"
	default:
		for _, id := range cfg.CipherSuites {
			if !suites.Go(id) {
				need = "the cipher suite " + wire.CipherSuiteName(id)
				break
			}
		}
		for _, g := range cfg.Groups {
			if need == "" && suites.FFDHE(g) {
				need = "the group " + wire.GroupName(g)
			}
		}
	}
	switch cfg.Engine {
	case "own":
		return true, "the settings ask for it", nil
	case "go":
		if need != "" {
			return false, "", setting.Errorf("Engine", cfg.Engine, "crypto/tls cannot serve %s; the own engine can", need)
		}
		return false, "", nil
	case "":
		if need == "" {
			return false, "", nil
		}
		return true, "crypto/tls cannot serve " + need, nil
	}
	return false, "", setting.Errorf("Engine", cfg.Engine, "want go or own")
}

// ownConfig is the own engine's configuration for the server's settings
// (each connection adds its client verification).
func (s *Server) ownConfig() *handshake.Config {
	cfg := &handshake.Config{
		MinVersion:   s.cfg.MinVersion,
		MaxVersion:   s.cfg.MaxVersion,
		CipherSuites: s.cfg.CipherSuites,
		TLS13Suites:  s.cfg.TLS13Suites,
		Groups:       s.cfg.Groups,
		ALPN:         s.cfg.ALPN,
		ClientAuth:   s.cfg.VerifyClient == "request" || s.cfg.VerifyClient == "require",
	}
	if s.cfg.Mode != "echo" && s.cfg.Mode != "" {
		// net/http speaks HTTP/2 only over a *tls.Conn: over the own
		// engine's connection it would take an h2 client for HTTP/1.1.
		cfg.ALPN = slices.DeleteFunc(slices.Clone(cfg.ALPN), func(p string) bool { return p == "h2" })
	}
	if s.cfg.Trace {
		cfg.KeyLog = s.tracer.KeyLogWriter()
	}
	if !s.cfg.NoTickets {
		cfg.SessionTicketKey = s.ticketKey[:]
	}
	for _, c := range s.cfg.Certificates {
		key, ok := c.PrivateKey.(crypto.Signer)
		if !ok {
			continue
		}
		cfg.Certificates = append(cfg.Certificates, handshake.Certificate{Chain: c.Certificate, Key: key, OCSP: c.OCSPStaple})
	}
	cfg.Certificates = append(cfg.Certificates, s.cfg.OwnCertificates...)
	if len(s.cfg.OCSPStaple) > 0 {
		cfg.Certificates[0].OCSP = s.cfg.OCSPStaple
	}
	return cfg
}

// ownState is the own engine's state in crypto/tls's terms, so that the
// trace, the ranks and the www page read either engine alike.
func ownState(st handshake.State) tls.ConnectionState {
	return tls.ConnectionState{
		Version:            st.Version,
		HandshakeComplete:  true,
		DidResume:          st.DidResume,
		CipherSuite:        st.CipherSuite,
		CurveID:            tls.CurveID(st.Group),
		NegotiatedProtocol: st.ALPN,
		ServerName:         st.ServerName,
		PeerCertificates:   st.PeerCertificates,
		OCSPResponse:       st.OCSPResponse,
		HelloRetryRequest:  st.HelloRetry,
	}
}

// Locked runs f while no event is being emitted.
func (s *Server) Locked(f func()) { s.tracer.Locked(f) }

// Tracer returns the server's tracer (for SSLKEYLOGFILE-style key logs).
func (s *Server) Tracer() *source.Tracer { return s.tracer }

// observe keeps, per connection, the ClientHello and its fingerprints,
// and returns them as an event to follow the ClientHello.
func (s *Server) observe(ev *trace.Event) []*trace.Event {
	m, ok := ev.Payload.(*trace.Message)
	if ok && ev.From == trace.Server && m.Certificate != nil && len(m.Certificate.DER) > 0 {
		s.mu.Lock()
		if ci := s.byID[ev.Conn]; ci != nil {
			ci.leaf = bytes.Clone(m.Certificate.DER[0])
		}
		s.mu.Unlock()
		return nil
	}
	if !ok || m.ClientHello == nil || ev.From != trace.Client || ev.Error != "" {
		// No fingerprint of a hello that did not decode to the end: it
		// would be made of what happened to be read.
		return nil
	}
	h := fingerprint.FromClientHello(m.ClientHello)
	ja3s, ja3 := h.JA3()
	ja4 := h.JA4()
	n := 1
	s.mu.Lock()
	if old := s.byID[ev.Conn]; old != nil && old.Hello != nil {
		// The ClientHello after a HelloRetryRequest (or a
		// renegotiation's): the connection's record keeps the first,
		// which JA3 and JA4 are taken from, as FoxIO's JA4 takes them.
		// RFC 8446, Section 4.1.2 has the second offer the same suites
		// and groups, so the ranks do not change.
		old.hellos++
		n = old.hellos
	} else {
		ci := &ClientInfo{Conn: ev.Conn, Hello: h, JA3: ja3, JA3Str: ja3s, JA4: ja4, hellos: 1}
		if old != nil {
			ci.Remote = old.Remote
		}
		s.byID[ev.Conn] = ci
	}
	s.mu.Unlock()
	fev := trace.NewEvent(ev.Conn, trace.Client, &trace.Fingerprint{JA3: ja3, JA3String: ja3s, JA4: ja4, Hello: n})
	fev.Time = ev.Time
	return []*trace.Event{fev}
}

// Serve accepts connections until ctx ends, then stops accepting, lets
// the connections in progress finish (at most 5 s), and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	tl := &listener{Listener: ln, s: s, conns: make(chan net.Conn), done: make(chan struct{}), stopped: make(chan struct{})}
	go tl.run()
	var srv *http.Server
	errc := make(chan error, 1)
	switch s.cfg.Mode {
	case "echo", "":
		go func() { errc <- s.echoLoop(tl) }()
	case "www", "http", "file":
		srv = &http.Server{
			Handler:           s.handler(),
			ReadHeaderTimeout: s.cfg.Timeout,
			IdleTimeout:       s.cfg.Timeout,
			ErrorLog:          nil,
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, connKey{}, c)
			},
		}
		srv.SetKeepAlivesEnabled(true)
		go func() { errc <- srv.Serve(tl) }()
	default:
		return setting.Errorf("Mode", s.cfg.Mode, "want echo, www, http or file")
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		tl.Close()
		return err
	}
	tl.Close()
	// No connection is added to wg once run has returned.
	<-tl.stopped
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		srv.Shutdown(sctx)
		cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	return nil
}

type connKey struct{}

// listener accepts TCP connections, bounded by MaxConns, and hands out
// traced TLS connections whose handshake is done (or has failed and been
// reported).
type listener struct {
	net.Listener
	s     *Server
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	// stopped is closed when run returns.
	stopped chan struct{}
}

func (l *listener) run() {
	defer close(l.stopped)
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !l.slot() {
			c.Close()
			return
		}
		l.s.wg.Add(1)
		go l.handshake(c)
	}
}

// slot takes a slot for a new connection. When every slot is taken, it
// makes room by closing a connection that holds one without finishing its
// handshake (evict), and waits for the slot that frees; it reports false
// when the listener closes first.
func (l *listener) slot() bool {
	select {
	case l.s.slots <- struct{}{}:
		return true
	default:
	}
	tick := time.NewTicker(evictEvery)
	defer tick.Stop()
	for {
		l.s.evict()
		select {
		case l.s.slots <- struct{}{}:
			return true
		case <-l.done:
			return false
		case <-tick.C:
		}
	}
}

// When every slot is taken, a connection that has sent no byte for
// evictIdle, or has not finished its handshake in evictSlow, is closed to
// make room for a new one (the longest held first, idle ones before
// slow ones); the listener tries every evictEvery. A client's ClientHello
// follows its connect by one trip: only clients more than 250 ms away
// lose their place, and only while the server is full.
const (
	evictIdle  = 250 * time.Millisecond
	evictSlow  = 2 * time.Second
	evictEvery = 100 * time.Millisecond
)

// pending is a connection whose handshake is in progress.
type pending struct {
	// conn is the TCP connection, closed to evict it.
	conn  net.Conn
	start time.Time
	fb    *firstByteConn
	// evicted is set when evict closed it.
	evicted atomic.Bool
}

// evict closes the connection that has held its slot longest without
// finishing its handshake, when it has been given evictIdle (no byte
// yet) or evictSlow, and reports whether it closed one.
func (s *Server) evict() bool {
	now := time.Now()
	var victim *pending
	victimIdle := false
	s.mu.Lock()
	for p := range s.pending {
		idle := !p.fb.got.Load()
		if age := now.Sub(p.start); p.evicted.Load() || idle && age < evictIdle || !idle && age < evictSlow {
			continue
		}
		if victim == nil || idle && !victimIdle || idle == victimIdle && p.start.Before(victim.start) {
			victim, victimIdle = p, idle
		}
	}
	s.mu.Unlock()
	if victim == nil {
		return false
	}
	victim.evicted.Store(true)
	victim.conn.Close()
	return true
}

func (l *listener) handshake(c net.Conn) {
	var tc net.Conn
	hc := &hookConn{Conn: c}
	hc.onClose = func() {
		if tc != nil {
			l.s.forget(tc)
		}
		<-l.s.slots
		l.s.wg.Done()
	}
	// Closing the connection frees its place in wg; until accept has
	// emitted what it found (a failed handshake is reported after the
	// close), Serve must still wait for it.
	l.s.wg.Add(1)
	tc, err := l.s.accept(hc)
	l.s.wg.Done()
	if err != nil {
		hc.Close()
		return
	}
	select {
	case l.conns <- tc:
	case <-l.done:
		tc.Close()
	}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// hookConn runs onClose once when closed (crypto/tls closes it when the
// TLS connection is closed): it frees the connection's slot.
type hookConn struct {
	net.Conn
	onClose func()
	once    sync.Once
}

// SyscallConn gives the socket of the connection, through which the tap
// reads what the client sent without waiting (source.Tap.DrainNow).
func (c *hookConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

func (c *hookConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.onClose)
	return err
}

// accept traces and handshakes one connection, on crypto/tls or on the
// own engine.
func (s *Server) accept(c net.Conn) (net.Conn, error) {
	id := s.tracer.NextConn()
	s.tracer.Emit(trace.NewEvent(id, trace.Client, &trace.TCPAccept{Remote: c.RemoteAddr().String(), Local: c.LocalAddr().String()}))
	if p := s.cfg.StartTLS; p != nil {
		// The clear-text dialog comes before the tap: the tap's bytes
		// are TLS records.
		if err := s.startTLS(id, c, p); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.byID[id] = &ClientInfo{Conn: id, Remote: c.RemoteAddr().String()}
	s.mu.Unlock()
	var raw net.Conn = c
	var tap *source.Tap
	if s.cfg.Trace {
		tap = s.tracer.NewTap(c, id, trace.Server)
		raw = tap
	}
	fb := &firstByteConn{Conn: raw}
	fb.SetReadDeadline(time.Now().Add(min(s.cfg.FirstByteTimeout, s.cfg.Timeout)))
	p := &pending{conn: c, start: time.Now(), fb: fb}
	s.mu.Lock()
	s.pending[p] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, p)
		s.mu.Unlock()
	}()
	var (
		conn        net.Conn
		handshakeFn func(context.Context) error
		state       func() tls.ConnectionState
	)
	engine := trace.EngineGo
	if s.own != nil {
		engine = trace.EngineOwn
		s.tracer.Emit(trace.NewEvent(id, trace.Local, &trace.EngineChoice{Engine: trace.EngineOwn, Reason: s.ownWhy}))
		cfg := *s.own
		cfg.VerifyPeer = func(chain []*x509.Certificate, _ []byte) error {
			return s.verifyClient(id, tls.ConnectionState{PeerCertificates: chain})
		}
		hc := handshake.Server(fb, &cfg)
		conn, handshakeFn, state = hc, hc.HandshakeContext, func() tls.ConnectionState { return ownState(hc.State()) }
	} else {
		cfg := s.tls.Clone()
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return s.verifyClient(id, cs) }
		if s.cfg.Mode == "www" || s.cfg.Mode == "http" || s.cfg.Mode == "file" {
			// net/http's HTTP/2 server refuses a prohibited suite:
			// offer the client's other protocol then.
			cfg.GetConfigForClient = func(chi *tls.ClientHelloInfo) (*tls.Config, error) { return s.alpnFor(cfg, chi), nil }
		}
		tc := tls.Server(fb, cfg)
		conn, handshakeFn, state = tc, tc.HandshakeContext, tc.ConnectionState
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	// The client's first bytes are read here, whatever the engine does
	// before it reads: a client that sent them is never taken for an
	// idle one (evict).
	fb.prime()
	err := handshakeFn(ctx)
	if err != nil {
		h := &trace.Handshake{Failed: true, Engine: engine, Duration: time.Since(start)}
		x := &failed{err: err, read: -1, silent: !fb.got.Load(), answered: answerPlainHTTP(err),
			evicted: p.evicted.Load(), held: time.Since(p.start), reads: int(fb.reads.Load()), head: fb.head}
		if last := fb.last.Load(); last != 0 {
			x.quiet = time.Since(time.Unix(0, last))
		}
		if tap != nil {
			// What the client sent that the TLS stack did not read
			// (the rest of an SSL 2.0 hello) is part of the trace.
			tap.DrainNow()
		}
		conn.Close()
		if tap != nil {
			tap.Wait(time.Second)
			x.ev, x.read = tap.Evidence(), tap.BytesRead
		}
		s.mu.Lock()
		if ci := s.byID[id]; ci != nil {
			x.hello, x.leaf = ci.Hello, ci.leaf
		}
		delete(s.byID, id)
		s.mu.Unlock()
		s.explain(h, x)
		ev := trace.NewEvent(id, trace.Local, h)
		ev.Error = "handshake failed: " + err.Error()
		s.tracer.Emit(ev)
		return nil, err
	}
	cs := state()
	h := trace.HandshakeState(cs)
	h.Engine = engine
	if s.own != nil {
		h.Engine = trace.EngineOwn
	}
	// wire names every suite; crypto/tls only its own.
	h.CipherSuite = wire.CipherSuiteName(cs.CipherSuite)
	sent := len(cs.PeerCertificates) > 0
	h.ClientCertificate = &sent
	s.mu.Lock()
	ci := s.byID[id]
	if ci != nil && ci.Hello != nil {
		// What was chosen against what was offered: its place in the
		// client's preference order.
		// The signalling values (RFC 5746, Section 3.3; RFC 7507,
		// Section 2) are in the list but are not suites to choose.
		suites := slices.DeleteFunc(slices.Clone(ci.Hello.CipherSuites), func(s uint16) bool { return s == 0x00FF || s == 0x5600 })
		h.SuiteRank, h.SuitesOffered = rank(cs.CipherSuite, suites)
		if h.Group != "" {
			// A resumed TLS 1.2 session exchanged no key (h.Group
			// is "" then).
			h.GroupRank, h.GroupsOffered = rank(uint16(cs.CurveID), ci.Hello.Groups)
		}
		if s.own == nil {
			s.h2Said(h, cs, ci.Hello.ALPN)
		}
	}
	s.mu.Unlock()
	h.Duration = time.Since(start)
	s.tracer.Emit(trace.NewEvent(id, trace.Local, h))
	s.mu.Lock()
	if ci != nil {
		ci.State = cs
		ci.Done = true
		s.info[conn] = ci
	}
	s.mu.Unlock()
	return conn, nil
}

// startTLS speaks the server's side of p's clear-text dialog with the
// client on c, each line a starttls event, within Timeout. A client that
// quits, closes, sends what the dialog refuses, or pipelines commands
// after asking for TLS (CVE-2011-0411) ends the connection, with an event
// that says why.
func (s *Server) startTLS(id int, c net.Conn, p *starttls.Protocol) error {
	c.SetDeadline(time.Now().Add(s.cfg.Timeout))
	show := func(from trace.Side, line string) {
		s.tracer.Emit(trace.NewEvent(id, from, &trace.StartTLS{Protocol: p.Name, Title: p.Title, Line: line}))
	}
	err := starttls.ServeUpgrade(c, p, s.hostname(), show)
	c.SetDeadline(time.Time{})
	if err != nil {
		ev := trace.NewEvent(id, trace.Local, &trace.StartTLS{Protocol: p.Name, Title: p.Title, Line: "no TLS: the dialog ended"})
		ev.Error = err.Error()
		s.tracer.Emit(ev)
	}
	return err
}

// hostname is the name the server gives itself in a clear-text greeting:
// the first DNS name of its first certificate, else localhost.
func (s *Server) hostname() string {
	for _, c := range s.cfg.Certificates {
		if c.Leaf != nil && len(c.Leaf.DNSNames) > 0 {
			return c.Leaf.DNSNames[0]
		}
	}
	return "localhost"
}

// DefaultFirstByteTimeout is how long a new connection may stay silent.
const DefaultFirstByteTimeout = 5 * time.Second

// firstByteConn lifts the first-byte read deadline once a byte came, and
// keeps how many reads brought bytes and when the last did.
type firstByteConn struct {
	net.Conn
	got   atomic.Bool
	reads atomic.Int64
	// last is the time of the last read that brought bytes (Unix ns).
	last atomic.Int64
	// head is the client's first bytes (up to a record header's worth),
	// read by the handshake's goroutine only.
	head []byte
	// primed holds what prime read, and primeErr its error, for the
	// next Reads.
	primed   []byte
	primeErr error
}

// prime reads the client's first bytes (up to a record header's worth,
// within the first-byte deadline) ahead of the TLS engine, which then
// reads them, or the error, first.
func (c *firstByteConn) prime() {
	b := make([]byte, wire.RecordHeaderLen)
	n, err := c.read(b)
	c.primed, c.primeErr = b[:n], err
}

func (c *firstByteConn) Read(b []byte) (int, error) {
	if len(c.primed) > 0 {
		n := copy(b, c.primed)
		c.primed = c.primed[n:]
		return n, nil
	}
	if err := c.primeErr; err != nil {
		c.primeErr = nil
		return 0, err
	}
	return c.read(b)
}

func (c *firstByteConn) read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.reads.Add(1)
		c.last.Store(time.Now().UnixNano())
		if len(c.head) < wire.RecordHeaderLen {
			c.head = append(c.head, b[:min(n, wire.RecordHeaderLen-len(c.head))]...)
		}
		if !c.got.Swap(true) {
			c.Conn.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

// plainHTTPBody answers a plain HTTP request on the TLS port, as nginx does.
const plainHTTPBody = "400 Bad Request: the plain HTTP request was sent to HTTPS port\n"

// answerPlainHTTP answers a handshake that failed on a plain HTTP request
// with a 400, and reports whether it did.
func answerPlainHTTP(err error) bool {
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) || rh.Conn == nil || failure.Read(trace.Server, err, &trace.Evidence{}).Kind != failure.PlainHTTP {
		return false
	}
	c := rh.Conn
	c.SetDeadline(time.Now().Add(time.Second))
	_, werr := fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(plainHTTPBody), plainHTTPBody)
	if werr != nil {
		return false
	}
	// Read what is left of the request, so that closing does not reset
	// the connection before the client has read the answer.
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	return true
}

// rank says where chosen stood in the client's offer (1 = its first
// choice) and how many it offered, GREASE values not counted; 0, 0 when
// nothing was chosen, or what was chosen is not among the offered.
func rank(chosen uint16, offered []uint16) (rank, n int) {
	for _, v := range offered {
		if wire.IsGREASE(v) {
			continue
		}
		n++
		if v == chosen && rank == 0 {
			rank = n
		}
	}
	if rank == 0 {
		// Not among the offered: a DHE group of TLS 1.2 the client
		// need not list (RFC 7919, Section 4), no rank to give.
		return 0, 0
	}
	return rank, n
}

// verifyClient verifies and explains a client certificate. With "require"
// a missing or untrusted certificate ends the handshake.
func (s *Server) verifyClient(id int, cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		if s.cfg.VerifyClient == "require" {
			return &clientCertError{}
		}
		return nil
	}
	r := chain.Verify(cs.PeerCertificates[0], chain.Options{
		Roots:         s.cfg.ClientCAs,
		TrustWith:     s.cfg.TrustWith,
		Intermediates: cs.PeerCertificates[1:],
		Purpose:       x509.ExtKeyUsageClientAuth,
	})
	for _, ev := range r.Events(id) {
		s.tracer.Emit(ev)
	}
	if !r.Valid && s.cfg.VerifyClient == "require" {
		return &clientCertError{Result: r}
	}
	return nil
}

// Info returns what is known of the client on c.
func (s *Server) Info(c net.Conn) *ClientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info[c]
}

// forget drops a connection's record.
func (s *Server) forget(c net.Conn) {
	s.mu.Lock()
	if ci := s.info[c]; ci != nil {
		delete(s.byID, ci.Conn)
	}
	delete(s.info, c)
	s.mu.Unlock()
}

// echoLoop sends back what each client sends.
func (s *Server) echoLoop(l *listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return nil
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 16<<10)
			for {
				c.SetReadDeadline(time.Now().Add(s.cfg.Timeout))
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return // the client closed, or stayed idle past the timeout
				}
			}
		}()
	}
}
