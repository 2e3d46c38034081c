package scanev

import "time"

// VersionResult is what a scan found of one version.
type VersionResult struct {
	Version uint16
	// Outcome is Accepted when the server speaks the version.
	Outcome Outcome
	// Reason says why it is not accepted (an alert, a lower version
	// chosen, a time-out).
	Reason string
	// Suites are the accepted suites, in the server's order when
	// ServerOrder, in the order offered otherwise.
	Suites []uint16
	// Order is the server's order verdict, for two suites or more.
	Order Order
	// SSLv2Ciphers are the cipher kinds an SSL 2.0 server listed.
	SSLv2Ciphers []uint32
	// Incomplete says why the list of suites may miss some (a probe
	// timed out); "" when complete.
	Incomplete string
	// NotTLS holds the first bytes of the answer (up to 5) when it was
	// not a TLS record at all, which is why the version was refused.
	NotTLS []byte
	// Unoffered is a suite the server chose in a hello that did not
	// offer it (a protocol violation: RFC 5246, Section 7.4.1.3, has the
	// server pick from the client's list), if HasUnoffered.
	Unoffered    uint16
	HasUnoffered bool
	// RetryOnly reports that every answer that accepted a TLS 1.3
	// hello was a HelloRetryRequest, no ServerHello; Unconfirmed then
	// says why no full handshake confirmed the version (they all failed,
	// and how), "" when one completed.
	RetryOnly   bool
	Unconfirmed string
}

// Order says whose order of preference picks the suite.
type Order uint8

const (
	// OrderUnknown: fewer than two suites, or the probes did not say.
	OrderUnknown Order = iota
	// OrderServer: the server picks by its own preference.
	OrderServer
	// OrderClient: the server picks the client's first acceptable suite.
	OrderClient
)

func (o Order) String() string {
	switch o {
	case OrderServer:
		return "server"
	case OrderClient:
		return "client"
	}
	return "unknown"
}

// Result is a scan's outcome.
type Result struct {
	Addr     string
	Versions []VersionResult
	// Groups13 are the groups the server accepts in TLS 1.3; Groups12
	// the curves it accepts for ECDHE in TLS 1.0-1.2: those a
	// ServerKeyExchange named when offered alone.
	Groups13, Groups12 []uint16
	// Groups12Unknown says why the curves before TLS 1.3 are unknown
	// (no probe got a ServerKeyExchange naming a curve); "" when they
	// were probed and read, or not probed.
	Groups12Unknown string
	// Probes counts the connections made; Duration is the scan's time.
	Probes   int
	Duration time.Duration
	// Features are the protocol features probed (secure renegotiation,
	// extended master secret, heartbeat, compression, fallback SCSV).
	Features []Feature
	// DH are the DHE groups the server uses, per version from SSL 3.0 to
	// TLS 1.2 in which it accepted DHE suites.
	DH []DHGroup
	// FFDHE is what the server did, in TLS 1.2, with the RFC 7919
	// groups offered for DHE; nil when it accepted no DHE suite there.
	FFDHE *FFDHE
	// Renegotiations is how many client-initiated renegotiations in a
	// row (of four asked) the server completed on one connection.
	Renegotiations int
	// InsecureRenegotiation reports that a renegotiation the server
	// completed had no RFC 5746 binding: its renegotiation_info did not
	// carry the verify_data of the session's Finished messages.
	InsecureRenegotiation bool
	// HTTP is what the HSTS request showed of HTTP.
	HTTP HTTPCheck
	// Signatures are the signature schemes the server signed with when
	// offered alone, TLS 1.2's (ServerKeyExchange) then TLS 1.3's
	// (CertificateVerify); SignatureNotes says what those probes could
	// not settle: a server that signed with a scheme that was not
	// offered, a TLS 1.3 handshake this side stopped.
	Signatures     []SignatureAccepted
	SignatureNotes []string
	// ALPN are the ALPN protocols the server chose, each offered alone
	// (in TLS 1.0-1.2).
	ALPN []string
	// ALPNRefused are the ALPN protocols whose hello (each offered
	// alone, in TLS 1.0-1.2) the server refused with a
	// no_application_protocol alert (RFC 7301, Section 3.2).
	ALPNRefused []string
	// Chains are the certificate chains, one per leaf: TLS 1.0-1.2's
	// per kind of key the suites need, then TLS 1.3's that they lack.
	Chains []CertChain
	// At is the time the chains were judged at.
	At       time.Time
	Findings []Finding
	Grade    string
	// Ungraded says why a server that accepted a version has no grade
	// (no probe got its certificate), or why one that accepted none
	// refused (it wants a server name); "" otherwise.
	Ungraded string
}

// HTTPCheck is what the HSTS request showed of HTTP.
type HTTPCheck uint8

const (
	// HTTPUnchecked: no request was made (STARTTLS, no version from TLS
	// 1.0 on, or no handshake for it completed).
	HTTPUnchecked HTTPCheck = iota
	// HTTPAnswered: the server answered GET / with an HTTP response.
	HTTPAnswered
	// HTTPNone: a handshake completed and no HTTP response came: the
	// server does not speak HTTP.
	HTTPNone
)

// Feature returns the feature named name, nil if it was not probed.
func (r *Result) Feature(name string) *Feature {
	for i := range r.Features {
		if r.Features[i].Name == name {
			return &r.Features[i]
		}
	}
	return nil
}

// Version returns the result of version v, nil if not probed.
func (r *Result) Version(v uint16) *VersionResult {
	for i := range r.Versions {
		if r.Versions[i].Version == v {
			return &r.Versions[i]
		}
	}
	return nil
}
