package client

// Advice is a remedy that involves a setting: the command line says it
// with its flags. Error.Hint holds the remedies that need no setting.
type Advice int

const (
	NoAdvice Advice = iota
	// AdviseResolve: check the host name, or give its address (Network.Resolve).
	AdviseResolve
	// AdviseConnectTimeout: the host may be unreachable; Network.ConnectTimeout
	// sets the limit.
	AdviseConnectTimeout
	// AdviseFamily: check the address and route; Network.Family picks the
	// IP version.
	AdviseFamily
	// AdviseMaxTime: raise Request.MaxTime, or check that the server answers.
	AdviseMaxTime
	// AdviseSlowServer: the server was still sending when the time ran
	// out, a few bytes at a time: it answers, too slowly; a longer limit
	// (Request.MaxTime) waits for it.
	AdviseSlowServer
	// AdviseHandshakeTime: the server may not speak TLS on this port; the
	// limit of the whole run (Request.MaxTime) applies.
	AdviseHandshakeTime
	// AdviseMaxRedirects: raise Request.MaxRedirects, or look for a loop.
	AdviseMaxRedirects
	// AdviseStartTLS: check the port and Session.StartTLS.
	AdviseStartTLS
	// AdviseVersions: the server refused every version the client
	// offered; it may speak one the client did not offer (Error.Older,
	// Error.Newer): allow it (TLSOptions.MinVersion, MaxVersion), or
	// upgrade the server.
	AdviseVersions
	// AdviseOtherVersions: the client refused the server's version; allow
	// others (TLSOptions.MinVersion, MaxVersion).
	AdviseOtherVersions
	// AdviseSuites: compare the ClientHello with what the server allows;
	// relax TLSOptions.CipherSuites and Curves.
	AdviseSuites
	// AdviseClientCert: give a client certificate (TLSOptions.Certificates).
	AdviseClientCert
	// AdviseOwnEngine: the server may need what crypto/tls does not speak
	// (Ed448 or rsa_pss_pss signatures, DHE, AES-CCM, ffdhe groups); let tlstrace's own
	// engine run (TLSOptions.Engine).
	AdviseOwnEngine
	// AdviseRetryOwn: the server may need what crypto/tls does not speak,
	// and the own engine could not reach it again to try; run the own
	// engine from the start (TLSOptions.Engine).
	AdviseRetryOwn
	// AdviseServerName: the server needs the host's name (SNI), which a
	// URL with an address does not send; name the host in the URL and
	// give its address (Network.Resolve).
	AdviseServerName
	// AdviseNoLogin: the protocol has no login; drop the credentials
	// (Conversation.Credentials).
	AdviseNoLogin
	// AdviseCredentials: the TLS session works and the server refused the
	// login; check the user and password (Conversation.Credentials).
	AdviseCredentials
	// AdviseTraceHandshake: the handshake failed for a reason not read
	// from the wire; show each of its messages to see where.
	AdviseTraceHandshake
	// AdviseALPN: the server speaks none of the protocols offered, and
	// the client could offer others (http/1.1 alone was offered: h2 was
	// not); offer one it speaks (TLSOptions.ALPN), or add one to the
	// server's list.
	AdviseALPN
	// AdviseALPNEngine: AdviseALPN where h2 was not offered because
	// tlstrace's own engine ran (TLSOptions.Engine, or a setting only it
	// speaks): HTTP/2 runs on crypto/tls only.
	AdviseALPNEngine
	// AdviseServerALPN: the server refused h2 and http/1.1 both, every
	// protocol of HTTP over TLS: only its ALPN list can change that.
	AdviseServerALPN
	// AdvisePin: the server's key matches no pin; if it changed on
	// purpose, update the pins (TLSOptions.Pins).
	AdvisePin
	// AdviseCertStatus: the server stapled no OCSP response; enable
	// stapling on the server, or stop asking for it (TLSOptions.CertStatus).
	AdviseCertStatus
	// AdviseBodyIdle: the response body stopped coming for
	// DefaultBodyIdleTimeout; a run with a limit of its own
	// (Request.MaxTime) waits for the body as long as that allows.
	AdviseBodyIdle
)

func advise(s Step, err error, a Advice) *Error { return &Error{Step: s, Err: err, Advice: a} }
