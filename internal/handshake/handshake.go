// Package handshake is tlstrace's own TLS engine: a client and a server for
// what crypto/tls does not speak (DHE, AES-CCM, a chosen TLS 1.3 suite, ffdhe
// groups, Ed448, TLS 1.0 and 1.1, SSL 3.0 when asked for). crypto/tls stays the default; this engine
// runs only when asked or needed.
//
// The engine is observed exactly like crypto/tls: it runs over the net.Conn
// it is given (the tracer's tap), so the decoder sees every byte, and it
// writes NSS key log lines to Config.KeyLog as each secret is made, from
// which the decoder decrypts. It emits no events of its own.
//
// Files: handshake.go (configuration, Conn and its net.Conn methods,
// errors), record.go (record layer, handshake reassembly, transcript,
// alerts), keys.go (key exchange), sign.go (signature schemes), client13.go
// (TLS 1.3 client), client12.go (TLS 1.0-1.2 client), server*.go (server).
package handshake

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Protocol versions, as on the wire.
const (
	VersionSSL30 = wire.VersionSSL30
	VersionTLS10 = wire.VersionTLS10
	VersionTLS11 = wire.VersionTLS11
	VersionTLS12 = wire.VersionTLS12
	VersionTLS13 = wire.VersionTLS13
)

// Config configures a client or a server. A Config must not be modified
// while a Conn uses it.
type Config struct {
	// ServerName is, for a client, the name sent as SNI (none for "" or an
	// IP address).
	ServerName string
	// MinVersion and MaxVersion are wire versions; 0 means TLS 1.2 and
	// TLS 1.3 respectively.
	MinVersion, MaxVersion uint16
	// CipherSuites lists the TLS 1.0-1.2 suites in preference order; nil
	// means the engine's default list.
	CipherSuites []uint16
	// TLS13Suites lists the TLS 1.3 suites; nil means all five
	// (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, AES-128-CCM,
	// AES-128-CCM-8).
	TLS13Suites []uint16
	// Groups lists IANA named groups in preference order (ffdhe2048 to
	// ffdhe8192 and the ML-KEM hybrids included); nil means a default.
	// A client sends a key share for the first one.
	Groups []uint16
	// SignatureSchemes lists the schemes accepted from the peer; nil means
	// every scheme the engine verifies, ed448 (0x0808) included.
	SignatureSchemes []uint16
	ALPN             []string
	// Certificates are, for a server, the chains to choose from; for a
	// client, what it sends when asked.
	Certificates []Certificate
	// ClientAuth makes a server request (and check with VerifyPeer) a
	// client certificate.
	ClientAuth bool
	// KeyLog receives NSS key log lines, written as each secret is made.
	KeyLog io.Writer
	// Rand is the source of randomness; nil means crypto/rand.
	Rand io.Reader
	// Time returns the current time; nil means time.Now.
	Time func() time.Time
	// VerifyPeer is called with the peer's chain (leaf first) and stapled
	// OCSP once the handshake signature over it has been checked; an
	// error aborts with bad_certificate. nil: no chain check (the caller
	// verifies later).
	VerifyPeer func(chain []*x509.Certificate, ocsp []byte) error
	// VerifyResumed is, for a client, what checks the chain of a resumed
	// session, which the server does not send again (RFC 5246, Section
	// 7.3; RFC 8446, Section 2.2): it is called, in place of VerifyPeer,
	// with the chain and stapled OCSP of the session resumed (those of
	// the connection that made it), as crypto/tls calls VerifyConnection
	// again; an error aborts with bad_certificate. nil: that chain is not
	// checked again.
	VerifyResumed func(chain []*x509.Certificate, ocsp []byte) error
	// MinDHBits is, for a client, the smallest server DHE group accepted;
	// 0 means 2048.
	MinDHBits int
	// DHPrime is, for a server, a DHE group of its own (generator 2) that
	// it uses for every DHE suite in place of the ffdhe groups, whatever
	// the client names in supported_groups, as a server given its own
	// dhparam file does; nil means the ffdhe groups (RFC 7919). It must
	// be a safe prime of which 2 generates a large subgroup, such as the
	// Oakley groups of RFC 2409 and RFC 3526.
	DHPrime *big.Int
	// Sessions is, for a client, the cache of sessions to resume; nil
	// means none.
	Sessions *SessionCache
	// NoSessionTickets makes a TLS 1.0-1.2 client offer no session_ticket
	// extension (RFC 5077), so that a server can resume its sessions only
	// by session ID; a cached session that holds a ticket is not offered.
	NoSessionTickets bool
	// SessionTicketKey is, for a server, the 32-byte key that seals TLS
	// 1.3 session tickets; nil means no tickets and no resumption. Not
	// used with ClientAuth (a resumed session has no certificate to
	// check).
	SessionTicketKey []byte
}

// Certificate is a chain and its private key.
type Certificate struct {
	// Chain holds DER certificates, leaf first.
	Chain [][]byte
	// Key is an *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey or
	// ed448.PrivateKey (circl).
	Key  crypto.Signer
	OCSP []byte
}

// State describes a connection after its handshake.
type State struct {
	Version, CipherSuite uint16
	// Group is the key exchange group; 0 for static RSA or a custom DHE
	// group.
	Group uint16
	// DHBits is the size of a DHE group, 0 otherwise.
	DHBits int
	// DHGroup names, for a client, the published group a DHE server
	// sent (KnownDHGroup: "ffdhe2048", "RFC 3526 group 14 (MODP 2048
	// bits)" …); "" for a group of the server's own or no DHE.
	DHGroup string
	// PeerSignatureScheme is the scheme the peer signed the handshake
	// with (0 if none).
	PeerSignatureScheme uint16
	ALPN, ServerName    string
	PeerCertificates    []*x509.Certificate
	OCSPResponse        []byte
	DidResume           bool
	HelloRetry          bool
	// ExtendedMasterSecret reports RFC 7627 in TLS 1.0-1.2.
	ExtendedMasterSecret bool
}

// AlertError is a handshake that ended in an alert: received from the peer
// (Sent false) or sent by this side because a check failed (Sent true; Err
// says which check and why).
type AlertError struct {
	Alert uint8
	Sent  bool
	Err   error
}

func (e *AlertError) Error() string {
	name := wire.AlertDescription(e.Alert).String()
	switch {
	case e.Sent && e.Err != nil:
		return fmt.Sprintf("tls: sent alert %s: %v", name, e.Err)
	case e.Sent:
		return "tls: sent alert " + name
	case e.Err != nil:
		return fmt.Sprintf("tls: received alert %s: %v", name, e.Err)
	}
	return "tls: received alert " + name
}

func (e *AlertError) Unwrap() error { return e.Err }

// Errors of a Conn.
var (
	// ErrHandshakeNotDone is returned by Read and Write before the
	// handshake has succeeded.
	ErrHandshakeNotDone = errors.New("tls: handshake not done")
	errClosed           = errors.New("tls: use of closed connection")
)

// Conn is a TLS connection over a net.Conn. Read and Write carry
// application data after the handshake (they run it first if needed); Read
// handles NewSessionTicket and KeyUpdate. Close sends close_notify.
type Conn struct {
	conn     net.Conn
	cfg      *Config
	isClient bool

	hsMu   sync.Mutex
	hsDone bool
	// handshaking is set while the handshake runs, holding both halves.
	handshaking bool
	hsErr       error
	state       State

	// in and out are the record layer: in is used by the handshake and
	// then by Read (under inMu), out by the handshake and then by Write
	// (under outMu).
	inMu  sync.Mutex
	outMu sync.Mutex
	in    recordReader
	out   recordWriter
	// transcript holds the handshake messages of the current handshake.
	transcript transcript

	// appData holds application data read but not yet returned.
	appData []byte
	// readErr is the error that ended reading: io.EOF after close_notify.
	readErr error
	// closeSent records that a fatal alert or close_notify was sent, or
	// that the peer sent an error alert: nothing more is sent.
	closeSent bool

	// clientVerify and serverVerify are the verify_data of a TLS 1.0-1.2
	// client's Finished messages, for a renegotiation (RFC 5746,
	// Section 3.5).
	clientVerify, serverVerify []byte

	// post holds what TLS 1.3 needs after the handshake: the traffic
	// secrets (KeyUpdate) and the resumption secret (tickets).
	post *post13
}

// Client returns a client Conn over conn. The handshake runs on the first
// HandshakeContext, Read or Write.
func Client(conn net.Conn, cfg *Config) *Conn {
	c := &Conn{conn: conn, cfg: cfg, isClient: true}
	c.init()
	return c
}

// Server returns a server Conn over conn.
func Server(conn net.Conn, cfg *Config) *Conn {
	c := &Conn{conn: conn, cfg: cfg}
	c.init()
	return c
}

func (c *Conn) init() {
	if c.cfg == nil {
		c.cfg = &Config{}
	}
	c.in.r = bufio.NewReaderSize(c.conn, 4096)
	c.out.w = c.conn
}

// serverHandshake runs the server side; it is set by the server's file.
var serverHandshake func(ctx context.Context, c *Conn) error

// DefaultHandshakeTimeout bounds a handshake whose context has no
// deadline (as when Read or Write runs it), so that a peer that stops
// answering cannot hold it forever.
const DefaultHandshakeTimeout = 60 * time.Second

// HandshakeContext runs the handshake once; later calls return its result.
// The context bounds it: its deadline (DefaultHandshakeTimeout if it has
// none), or its cancellation, ends the handshake with an error.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	c.hsMu.Lock()
	defer c.hsMu.Unlock()
	if c.hsDone || c.hsErr != nil {
		return c.hsErr
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultHandshakeTimeout)
		defer cancel()
	}
	c.inMu.Lock()
	c.outMu.Lock()
	defer c.outMu.Unlock()
	defer c.inMu.Unlock()
	stop := c.watch(ctx)
	c.handshaking = true
	defer func() { c.handshaking = false }()
	var err error
	switch {
	case c.isClient:
		err = c.clientHandshake(ctx)
	case serverHandshake != nil:
		err = serverHandshake(ctx, c)
	default:
		err = c.fail(wire.AlertInternalError, errors.New("the engine has no server side"))
	}
	if stopErr := stop(); stopErr != nil && err != nil {
		// The context ended the handshake: say so rather than the
		// I/O error its deadline caused.
		err = fmt.Errorf("tls: handshake: %w (%w)", stopErr, err)
	}
	if err != nil {
		c.hsErr = err
		return err
	}
	c.hsDone = true
	c.transcript = transcript{}
	return nil
}

// watch applies the context's deadline to the connection and interrupts it
// when the context is cancelled; the returned function undoes that and
// returns the context's error if the context has ended.
func (c *Conn) watch(ctx context.Context) func() error {
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		c.conn.SetDeadline(deadline)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	if ctx.Done() != nil {
		go func() {
			defer close(stopped)
			select {
			case <-ctx.Done():
				c.conn.SetDeadline(time.Unix(1, 0))
			case <-done:
			}
		}()
	} else {
		close(stopped)
	}
	return func() error {
		close(done)
		<-stopped
		err := ctx.Err()
		if err == nil && hasDeadline && !time.Now().Before(deadline) {
			// The connection's deadline came a moment before the
			// context's.
			err = context.DeadlineExceeded
		}
		if err != nil || hasDeadline {
			c.conn.SetDeadline(time.Time{})
		}
		return err
	}
}

// State returns the state of the connection; it is complete once the
// handshake has succeeded.
func (c *Conn) State() State {
	c.hsMu.Lock()
	defer c.hsMu.Unlock()
	return c.state
}

// Read reads application data, running the handshake first if needed.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.HandshakeContext(context.Background()); err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return 0, nil
	}
	c.inMu.Lock()
	defer c.inMu.Unlock()
	for len(c.appData) == 0 {
		if c.readErr != nil {
			return 0, c.readErr
		}
		if err := c.readAppRecord(); err != nil {
			c.readErr = err
		}
	}
	n := copy(b, c.appData)
	c.appData = c.appData[n:]
	return n, nil
}

// readAppRecord reads one record after the handshake: application data is
// kept, post-handshake messages are handled, close_notify ends reading.
func (c *Conn) readAppRecord() error {
	typ, data, err := c.readRecord()
	if err != nil {
		return err
	}
	switch typ {
	case recordApplicationData:
		c.appData = data
		if c.post != nil {
			c.post.keyUpdates = 0
		}
		return nil
	case recordHandshake:
		c.in.hsBuf = append(c.in.hsBuf, data...)
		for {
			msg, ok, err := c.nextBufferedMessage()
			if err != nil || !ok {
				return err
			}
			if err := c.handlePostHandshake(msg); err != nil {
				return err
			}
		}
	}
	return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("unexpected %s record after the handshake", recordTypeName(typ)))
}

// handlePostHandshake handles a handshake message after the handshake.
func (c *Conn) handlePostHandshake(msg []byte) error {
	if c.state.Version == VersionTLS13 {
		return c.handlePost13(msg)
	}
	if wire.HandshakeType(msg[0]) == wire.TypeHelloRequest && len(msg) == 4 && c.isClient {
		// Renegotiation is refused with a warning (RFC 5746, Section
		// 4.2 allows declining).
		c.outMu.Lock()
		defer c.outMu.Unlock()
		return c.sendAlertLocked(alertLevelWarning, wire.AlertNoRenegotiation)
	}
	if wire.HandshakeType(msg[0]) == wire.TypeClientHello && !c.isClient {
		// A server declines a client's renegotiation the same way (RFC
		// 5746, Section 4.4), and the session goes on.
		c.outMu.Lock()
		defer c.outMu.Unlock()
		return c.sendAlertLocked(alertLevelWarning, wire.AlertNoRenegotiation)
	}
	return c.fail(wire.AlertUnexpectedMessage, fmt.Errorf("unexpected %s after the handshake", wire.HandshakeType(msg[0])))
}

// Write writes application data, running the handshake first if needed.
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.HandshakeContext(context.Background()); err != nil {
		return 0, err
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.closeSent {
		return 0, errClosed
	}
	n := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), wire.MaxPlaintext)]
		if err := c.writeRecord(recordApplicationData, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
		b = b[len(chunk):]
	}
	return n, nil
}

// CloseWrite sends close_notify, after which Write fails; the connection
// stays open for reading.
func (c *Conn) CloseWrite() error {
	c.hsMu.Lock()
	done := c.hsDone
	c.hsMu.Unlock()
	if !done {
		return ErrHandshakeNotDone
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.closeSent {
		return nil
	}
	err := c.writeRecord(recordAlert, wire.MarshalAlert(wire.AlertWarning, wire.AlertCloseNotify))
	c.closeSent = true
	return err
}

// Close sends close_notify if the handshake was done and closes the
// connection.
func (c *Conn) Close() error {
	var alertErr error
	c.hsMu.Lock()
	done := c.hsDone
	c.hsMu.Unlock()
	if done {
		c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		alertErr = c.CloseWrite()
	}
	if err := c.conn.Close(); err != nil {
		return err
	}
	return alertErr
}

// LocalAddr, RemoteAddr and the deadlines are those of the underlying
// connection.
func (c *Conn) LocalAddr() net.Addr                { return c.conn.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr               { return c.conn.RemoteAddr() }
func (c *Conn) SetDeadline(t time.Time) error      { return c.conn.SetDeadline(t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.conn.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.conn }

func (c *Conn) rand() io.Reader {
	if c.cfg.Rand != nil {
		return c.cfg.Rand
	}
	return rand.Reader
}

func (c *Conn) now() time.Time {
	if c.cfg.Time != nil {
		return c.cfg.Time()
	}
	return time.Now()
}

// versions returns the lowest and highest version the configuration
// allows.
func (c *Conn) versions() (lo, hi uint16) {
	lo, hi = c.cfg.MinVersion, c.cfg.MaxVersion
	if lo == 0 {
		lo = VersionTLS12
	}
	if hi == 0 {
		hi = VersionTLS13
	}
	return lo, hi
}

// Default lists.
var (
	// defaultTLS13Suites is every TLS 1.3 suite (RFC 8446, Appendix B.4).
	defaultTLS13Suites = []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}
	// defaultGroups are the groups offered when Config.Groups is nil: the
	// key share goes to the first.
	defaultGroups = []uint16{groupX25519, groupP256, groupP384, groupP521, groupFFDHE2048, groupFFDHE3072}
)

func (c *Conn) tls13Suites() []uint16 {
	if c.cfg.TLS13Suites != nil {
		return c.cfg.TLS13Suites
	}
	return defaultTLS13Suites
}

func (c *Conn) groups() []uint16 {
	if c.cfg.Groups != nil {
		return c.cfg.Groups
	}
	return defaultGroups
}

func (c *Conn) signatureSchemes() []uint16 {
	if c.cfg.SignatureSchemes != nil {
		return c.cfg.SignatureSchemes
	}
	return supportedSchemes
}

// SessionCache holds client sessions for resumption, by server name and
// address. It is safe for concurrent use.
type SessionCache struct {
	mu       sync.Mutex
	max      int
	sessions map[string]*session
	order    []string
}

// defaultSessions is the size of a cache made without one.
const defaultSessions = 64

// NewSessionCache returns a cache of at most n sessions (n <= 0: 64). A
// zero SessionCache is ready to use and holds 64.
func NewSessionCache(n int) *SessionCache {
	if n <= 0 {
		n = defaultSessions
	}
	return &SessionCache{max: n, sessions: map[string]*session{}}
}

// session is what a client keeps to resume: a TLS 1.2 session (ID or
// ticket, master secret) or a TLS 1.3 ticket (PSK).
type session struct {
	version, suite uint16
	// secret is the TLS 1.2 master secret, or the TLS 1.3 PSK derived
	// from the resumption secret and the ticket nonce.
	secret []byte
	ticket []byte
	// TLS 1.3 tickets.
	ageAdd   uint32
	lifetime uint32
	// maxEarlyData is the ticket's max_early_data_size (0: no 0-RTT).
	maxEarlyData uint32
	received     time.Time
	alpn         string
	// peer and ocsp are the server's chain and stapled OCSP response on
	// the connection that made the session.
	peer []*x509.Certificate
	ocsp []byte
	// TLS 1.0-1.2 sessions: the extended master secret (RFC 7627) and
	// the session ID (resumption without a ticket).
	ems       bool
	sessionID []byte
}

// SessionInfo describes a session a cache holds, for callers that
// report on it.
type SessionInfo struct {
	Version uint16
	// Ticket reports whether the session is held by a ticket (TLS 1.3,
	// or RFC 5077), rather than by session ID.
	Ticket bool
	// Lifetime is a TLS 1.3 ticket's ticket_lifetime in seconds.
	Lifetime uint32
	// MaxEarlyData is a TLS 1.3 ticket's max_early_data_size (RFC 8446,
	// Section 4.2.10): the 0-RTT data the server would accept with it; 0
	// when it allows none.
	MaxEarlyData uint32
}

// Sessions lists the sessions the cache holds, oldest first.
func (s *SessionCache) Sessions() []SessionInfo {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionInfo
	for _, k := range s.order {
		if sess, ok := s.sessions[k]; ok {
			out = append(out, SessionInfo{Version: sess.version, Ticket: len(sess.ticket) > 0, Lifetime: sess.lifetime, MaxEarlyData: sess.maxEarlyData})
		}
	}
	return out
}

func (s *SessionCache) get(key string) *session {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[key]
}

func (s *SessionCache) put(key string, sess *session) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = map[string]*session{}
	}
	if s.max <= 0 {
		s.max = defaultSessions
	}
	if _, ok := s.sessions[key]; !ok {
		s.order = append(s.order, key)
		if len(s.order) > s.max {
			delete(s.sessions, s.order[0])
			s.order = s.order[1:]
		}
	}
	s.sessions[key] = sess
}

// sessionKey names the sessions of a server for the cache.
func (c *Conn) sessionKey() string {
	if c.cfg.ServerName != "" {
		return c.cfg.ServerName
	}
	return c.conn.RemoteAddr().String()
}
