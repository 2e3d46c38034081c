package trace

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// This file holds the typed payloads of the steps that are not TLS
// records: DNS, TCP, certificate verification, HTTP, timing, the client's
// fingerprint. Their producers (client, server, chain, h2, source) fill a
// payload and make the event with NewEvent, which derives the field tree
// (the -v view and the JSON `fields`) from it, so the tree and what
// consumers read can never disagree.

// Event types of the other layers, as in the JSON contract.
const (
	TypeLookup            = "lookup"              // dns
	TypeQuery             = "query"               // dns, a query in a capture
	TypeAnswer            = "answer"              // dns, a response in a capture
	TypeConnect           = "connect"             // tcp, tlstrace's own connect
	TypeAccept            = "accept"              // tcp, a client accepted by serve
	TypeVerify            = "verify"              // x509, the server's chain checked by the client
	TypeLink              = "link"                // x509, one certificate of a chain explained
	TypeVerdict           = "verdict"             // x509, the chain's verdict
	TypeCertificateInfo   = "certificate"         // x509, a certificate shown by cert show
	TypeRequestInfo       = "certificate_request" // x509, a certificate request shown by cert show
	TypeRequest           = "request"             // http
	TypeResponse          = "response"            // http
	TypeBody              = "body"                // http
	TypeH2Frame           = "h2_frame"            // http
	TypeTiming            = "timing"              // info
	TypeHandshakeComplete = "handshake_complete"  // info
	TypeHandshakeFailed   = "handshake_failed"    // info
	TypeClientFingerprint = "client_fingerprint"  // info
	TypeStartTLS          = "starttls"            // info
	TypeEngine            = "engine"              // info
	// TypeNotDecoded is a UDP flow of a capture that carries TLS as DTLS
	// or QUIC, which tlstrace does not decode; once per flow.
	TypeNotDecoded = "not_decoded" // info
	// TCP segments of a capture: syn, syn_ack, ack, fin, rst, gap, and
	// truncated (the first packet of a connection cut short by the
	// snapshot length).
	TypeSYN    = "syn"
	TypeSYNACK = "syn_ack"
	TypeACK    = "ack"
	TypeFIN    = "fin"
	TypeRST    = "rst"
	TypeGap    = "gap"
	// TypeTruncated is the first packet of a connection that the capture
	// cut short (its snapshot length), like tshark's "Packet size
	// limited during capture"; once per connection.
	TypeTruncated = "truncated"
	// TypeRetransmission is a segment whose bytes, or some of them, the
	// capture had seen before (tshark's "TCP Retransmission"), compared
	// with the first copy; TypeRetransmissionSummary counts a
	// connection's retransmissions when it ends.
	TypeRetransmission        = "retransmission"
	TypeRetransmissionSummary = "retransmission_summary"
	// TypeKeepAlive is a keep-alive (RFC 9293, Section 3.8.4): a segment
	// of at most one byte, not data, at the sequence number just before
	// the next of its side (tshark's "TCP Keep-Alive").
	TypeKeepAlive = "keep_alive"
	// TypeRolesInferred says that a capture holds no SYN of a
	// connection, so which side is the client was inferred.
	TypeRolesInferred = "roles_inferred"
	// TypeAfterReset is the first segment with data of a connection of
	// a capture closed after its reset; TypeAfterClose the first with
	// bytes past its side's FIN, once both sides closed with a FIN;
	// TypeAfterEviction the first with data of a connection the reader
	// stopped following because it tracked too many at once. None is
	// decoded, nor the segments after them.
	TypeAfterReset    = "after_reset"
	TypeAfterClose    = "after_close"
	TypeAfterEviction = "after_eviction"
)

// LocalPayload is a payload that makes its own event: its layer, type and field
// tree.
type LocalPayload interface {
	Layer() string
	Type() string
	Tree() *field.Node
}

// NewEvent returns the event of a local payload, its fields derived from
// it. Error, Time and Frame are the caller's to set.
func NewEvent(conn int, from Side, p LocalPayload) *Event {
	return &Event{Conn: conn, From: from, Layer: p.Layer(), Type: p.Type(), Fields: p.Tree(), Payload: p}
}

func micros(d time.Duration) uint64 { return uint64(d.Microseconds()) }

func addStrings(f *field.Node, name string, l []string) {
	n := f.Add(field.NewList(name))
	for _, s := range l {
		n.AddString("", s)
	}
}

// DNSLookup is a name resolved before connecting.
type DNSLookup struct {
	Name string
	// Resolver says who answered: /etc/hosts or a name server ("DNS
	// 192.0.2.53"); unused when Given.
	Resolver string
	// Given says that the settings gave the addresses (curl's --resolve),
	// so that no lookup ran.
	Given     bool
	Addresses []string
	// CNAME is the canonical name when it differs from Name.
	CNAME string
	// Duration is the lookup's time; nil when no lookup ran (Given).
	Duration *time.Duration
}

// ResolverGiven is the resolver of a lookup whose addresses the settings
// gave (DNSLookup.Given): a value of the JSON contract (docs/json.md),
// which names curl's option for it.
const ResolverGiven = "--resolve"

// Via says who answered: Resolver, or ResolverGiven.
func (p *DNSLookup) Via() string {
	if p.Given {
		return ResolverGiven
	}
	return p.Resolver
}

// DNSMessage is a DNS query or response seen in a capture (UDP port 53),
// as its bytes say.
type DNSMessage struct {
	// Client and Server are the addresses of the asker and the name
	// server.
	Client, Server string
	ID             uint16
	Response       bool
	// RCode is the response code's name as dig shows it (NOERROR,
	// NXDOMAIN, …).
	RCode string
	// Questions are "name TYPE"; Answers are "name TYPE data" with the
	// TTL in seconds after the type ("name TYPE ttl data").
	Questions, Answers []string
}

func (*DNSMessage) Layer() string { return LayerDNS }
func (p *DNSMessage) Type() string {
	if p.Response {
		return TypeAnswer
	}
	return TypeQuery
}

func (p *DNSMessage) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("client", p.Client)
	f.AddString("server", p.Server)
	f.AddUint("id", uint64(p.ID))
	if p.Response {
		f.AddString("rcode", p.RCode)
	}
	addStrings(f, "questions", p.Questions)
	if p.Response {
		addStrings(f, "answers", p.Answers)
	}
	return f
}

func (*DNSLookup) Layer() string { return LayerDNS }
func (*DNSLookup) Type() string  { return TypeLookup }

func (p *DNSLookup) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("name", p.Name)
	f.AddString("resolver", p.Via())
	addStrings(f, "addresses", p.Addresses)
	if p.CNAME != "" {
		f.AddString("cname", p.CNAME)
	}
	if p.Duration != nil {
		f.AddUint("duration_us", micros(*p.Duration))
	}
	return f
}

// TCPConnect is tlstrace's own TCP connect.
type TCPConnect struct {
	Host   string
	Remote string
	// Local is the local address, "" when the connect failed.
	Local    string
	Duration time.Duration
	// RTT is the kernel's smoothed round-trip time, when it gave one.
	RTT *time.Duration
}

func (*TCPConnect) Layer() string { return LayerTCP }
func (*TCPConnect) Type() string  { return TypeConnect }

func (p *TCPConnect) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("host", p.Host)
	f.AddString("remote", p.Remote)
	if p.Local != "" {
		f.AddString("local", p.Local)
	}
	f.AddUint("duration_us", micros(p.Duration))
	if p.RTT != nil {
		f.AddUint("rtt_us", micros(*p.RTT))
	}
	return f
}

// TCPAccept is a client's connection accepted by the server.
type TCPAccept struct {
	Remote, Local string
}

func (*TCPAccept) Layer() string { return LayerTCP }
func (*TCPAccept) Type() string  { return TypeAccept }

func (p *TCPAccept) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("remote", p.Remote)
	f.AddString("local", p.Local)
	return f
}

// RolesInferred says how the client and the server of a connection were
// told apart when the capture holds neither its SYN nor its SYN-ACK (it
// began mid-connection): By is RoleByClientHello (the side whose first
// bytes are a ClientHello), RoleByServerMessage (the other side, when the
// first bytes are a message only a server sends), RoleByPort (the side with the higher,
// ephemeral, port) or RoleByFirstPacket (equal ports: the sender of the
// first packet captured).
type RolesInferred struct {
	Client, Server string
	By             string
}

// The ways a connection's roles are inferred (RolesInferred.By).
const (
	RoleByClientHello   = "client_hello"
	RoleByServerMessage = "server_message"
	RoleByPort          = "port"
	RoleByFirstPacket   = "first_packet"
)

func (*RolesInferred) Layer() string { return LayerTCP }
func (*RolesInferred) Type() string  { return TypeRolesInferred }

func (p *RolesInferred) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("client", p.Client)
	f.AddString("server", p.Server)
	f.AddString("by", p.By)
	return f
}

// Reason says in words how the roles were inferred.
func (p *RolesInferred) Reason() string {
	switch p.By {
	case RoleByClientHello:
		return "the client is the side that sent the ClientHello"
	case RoleByServerMessage:
		return "the server is the side that sent the first bytes captured, a message only a server sends (ServerHello, ServerKeyExchange, CertificateRequest, ServerHelloDone, CertificateStatus, NewSessionTicket)"
	case RoleByPort:
		return "the client is the side with the higher (ephemeral) port; no ClientHello came first"
	}
	return "the client is the side that sent the first packet captured (both ports are the same)"
}

// NotDecoded is a UDP flow of a capture that carries TLS in a way
// tlstrace does not decode, said at the first datagram that reads as one
// so that such a capture does not read as empty: Protocol "DTLS" or
// "QUIC", Version and First as its header says them (capture.UDPTLS),
// ByPort when it was taken for QUIC by its port alone (a short header).
type NotDecoded struct {
	Protocol, Version, First string
	Client, Server           string
	ByPort                   bool
}

func (*NotDecoded) Layer() string { return LayerInfo }
func (*NotDecoded) Type() string  { return TypeNotDecoded }

func (p *NotDecoded) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("protocol", p.Protocol)
	if p.Version != "" {
		f.AddString("version", p.Version)
	}
	f.AddString("first", p.First)
	f.AddString("client", p.Client)
	f.AddString("server", p.Server)
	if p.ByPort {
		f.AddBool("by_port", true)
	}
	f.AddString("reason", p.Reason())
	return f
}

// Reason says why the flow is not decoded, and what does decode it.
func (p *NotDecoded) Reason() string {
	if p.Protocol == "QUIC" {
		how := ""
		if p.ByPort {
			how = "taken for QUIC by its port (443) and its short header, which names no version; "
		}
		return how + "tlstrace decodes TLS over TCP; QUIC carries its TLS handshake in CRYPTO frames of its own packets (RFC 9001), which tlstrace does not decode: its datagrams are left out (Wireshark decodes QUIC with the key log)"
	}
	return "tlstrace decodes TLS over TCP; DTLS over UDP (RFC 9147) is not decoded: its datagrams are left out (Wireshark decodes DTLS with the key log)"
}

// TCPSegment is a TCP segment of a capture that shows a step of the
// connection (Kind: syn, syn_ack, ack, fin, rst), bytes missing from
// the capture (gap), or the first packet of a connection cut short by the
// snapshot length (truncated). Seq and Ack are relative to the initial sequence
// numbers, as Wireshark shows them.
type TCPSegment struct {
	Kind     string
	Seq, Ack uint32
	// Window is the receive window advertised, scaled by the Window
	// Scale option when both SYNs carried it (as Wireshark's
	// tcp.window_size); RawWindow the header's field.
	Window         uint32
	RawWindow      uint16
	Len            int
	RawSeq, RawAck uint32
	// Missing counts the bytes lost in a gap, or cut from the packet
	// (truncated).
	Missing int
	// Unreassembled, for a gap, says what of it IP fragments that could
	// not be reassembled account for (nothing: the bytes were not
	// captured).
	Unreassembled Unreassembled
	// A retransmission's bytes seen before (Again), how many of them
	// differ from the first copy (Differ, the first at relative
	// sequence number DifferAt) and how many could not be compared
	// (Unchecked). A retransmission summary's Segments, their bytes seen
	// before (Again) and the segments that differed (Differ).
	Again, Differ, Unchecked int
	DifferAt                 uint32
	Segments                 int
}

// Unreassembled is what of a gap IP fragments that could not be
// reassembled account for: the capture holds those bytes, or some of
// them, in pieces. Datagrams is 0 when none do.
type Unreassembled struct {
	// Datagrams counts the IP datagrams never whole that carried bytes
	// of the gap, Fragments the fragments of them captured, Causes why
	// they were not reassembled.
	Datagrams, Fragments int
	Causes               FragmentCauses
	// Whole says that they held all the gap's bytes, as their TCP
	// headers say; otherwise some may not have been captured at all.
	Whole bool
	// ByAddresses says that some are taken for the connection's by their
	// addresses only: their first fragment, with the TCP header, was not
	// captured.
	ByAddresses bool
}

// FragmentCauses says why IP datagrams were not reassembled, one bit a
// cause.
type FragmentCauses uint8

const (
	// FragmentMissing: a fragment was not captured (within 60 seconds
	// of the first, or before the capture ended).
	FragmentMissing FragmentCauses = 1 << iota
	// FragmentsOverlap: fragments overlapped or disagreed on where the
	// datagram ends, and it was dropped (RFC 5722).
	FragmentsOverlap
	// FragmentLimit: given up at the limits of reassembly.
	FragmentLimit
	// FragmentCut: a fragment was cut by the snapshot length.
	FragmentCut
)

var fragmentCauses = []struct {
	c          FragmentCauses
	name, text string
}{
	{FragmentMissing, "fragment_missing", "a fragment was not captured"},
	{FragmentsOverlap, "fragments_overlap", "fragments overlapped, and the datagram was dropped as RFC 5722 says"},
	{FragmentLimit, "reassembly_limit", "too many fragments waited at once"},
	{FragmentCut, "fragment_cut", "a fragment was cut by the snapshot length"},
}

// Names names the causes as the JSON does.
func (c FragmentCauses) Names() []string {
	var out []string
	for _, x := range fragmentCauses {
		if c&x.c != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

// Text says the causes in words.
func (c FragmentCauses) Text() string {
	var out []string
	for _, x := range fragmentCauses {
		if c&x.c != 0 {
			out = append(out, x.text)
		}
	}
	return strings.Join(out, "; ")
}

// Text says in words where the bytes of a gap are: "" when they were not
// captured; else that the capture holds them (all, or some, or, matched
// by addresses only, may hold them) in IP fragments that could not be
// reassembled, and why.
func (u Unreassembled) Text() string {
	if u.Datagrams == 0 {
		return ""
	}
	holds := "the capture holds them"
	switch {
	case u.ByAddresses:
		holds = "the capture may hold them, or some of them,"
	case !u.Whole:
		holds = "the capture holds them, or some of them,"
	}
	frags := fmt.Sprintf("%d IP fragment%s", u.Fragments, map[bool]string{true: "s"}[u.Fragments != 1])
	if u.Datagrams > 1 {
		frags += fmt.Sprintf(" of %d datagrams", u.Datagrams)
	}
	if u.ByAddresses {
		frags += " between the same hosts"
	}
	text := fmt.Sprintf("%s as %s that could not be reassembled (%s)", holds, frags, u.Causes.Text())
	if u.ByAddresses {
		text += ": the first fragment, with the TCP ports, was not captured"
	}
	return text
}

func (*TCPSegment) Layer() string  { return LayerTCP }
func (p *TCPSegment) Type() string { return p.Kind }

func (p *TCPSegment) Tree() *field.Node {
	f := field.NewObject("")
	if p.Kind == TypeRetransmissionSummary {
		f.AddUint("segments", uint64(p.Segments))
		f.AddUint("bytes", uint64(p.Again))
		f.AddUint("differing", uint64(p.Differ))
		return f
	}
	f.AddUint("seq", uint64(p.Seq))
	if p.Kind == TypeGap {
		// Bytes missing from the capture: no segment, so no
		// acknowledgement, window or length of one.
		f.AddUint("raw_seq", uint64(p.RawSeq))
		f.AddUint("missing", uint64(p.Missing))
		if u := p.Unreassembled; u.Datagrams > 0 {
			o := f.Add(field.NewObject("unreassembled"))
			o.AddUint("datagrams", uint64(u.Datagrams))
			o.AddUint("fragments", uint64(u.Fragments))
			l := o.Add(field.NewList("causes"))
			for _, c := range u.Causes.Names() {
				l.AddString("", c)
			}
			o.AddBool("whole", u.Whole)
			o.AddBool("by_addresses", u.ByAddresses)
		}
		return f
	}
	f.AddUint("ack", uint64(p.Ack))
	f.AddUint("win", uint64(p.Window))
	f.AddUint("len", uint64(p.Len))
	f.AddUint("raw_seq", uint64(p.RawSeq))
	f.AddUint("raw_ack", uint64(p.RawAck))
	f.AddUint("raw_win", uint64(p.RawWindow))
	if p.Kind == TypeTruncated {
		f.AddUint("missing", uint64(p.Missing))
	}
	if p.Kind == TypeRetransmission {
		f.AddUint("again", uint64(p.Again))
		f.AddUint("differing", uint64(p.Differ))
		if p.Differ > 0 {
			f.AddUint("first_difference", uint64(p.DifferAt))
		}
		f.AddUint("unchecked", uint64(p.Unchecked))
	}
	return f
}

// Handshake is what a handshake settled, as the TLS stack that ran it
// reports (handshake_complete), or only how long it took before failing
// (handshake_failed).
type Handshake struct {
	// Failed reports a handshake that did not complete; only Duration and
	// the explanation below are set then.
	Failed bool
	// Cause says in plain words why a failed handshake failed, as read
	// from the wire; Fix what to do about it. Alert is the alert that
	// ended it, AlertFrom the side that sent it; nil when none did.
	Cause, Fix string
	Alert      *Alert
	AlertFrom  Side
	// Engine names the TLS stack that ran the handshake: EngineGo
	// (crypto/tls) or EngineOwn (tlstrace's own engine); "" when the
	// producer does not say.
	Engine      string
	Version     string
	CipherSuite string
	// Group is the key exchange group, "" when the stack does not say.
	Group string
	// ServerName is the SNI the client sent, "" if none.
	ServerName string
	ALPN       string
	Resumed    bool
	HelloRetry bool
	// ECHAccepted is set by the client when ECH was accepted.
	ECHAccepted bool
	// ClientCertificate is set by the server: whether the client sent one.
	ClientCertificate *bool
	// SuiteRank and GroupRank say where the chosen suite and group stood
	// in the client's offer (1 = its first choice, GREASE not counted),
	// out of SuitesOffered and GroupsOffered; zero when unknown.
	SuiteRank, SuitesOffered int
	GroupRank, GroupsOffered int
	// Notes say what the side that reports chose and why, where the
	// choice is not the obvious one; Warnings what is wrong with a
	// handshake that completed, and its fix.
	Notes    []string
	Warnings []Warning
	Duration time.Duration
}

func (*Handshake) Layer() string { return LayerInfo }

func (p *Handshake) Type() string {
	if p.Failed {
		return TypeHandshakeFailed
	}
	return TypeHandshakeComplete
}

func (p *Handshake) Tree() *field.Node {
	f := field.NewObject("")
	if !p.Failed {
		if p.Engine != "" {
			f.AddString("engine", p.Engine)
		}
		f.AddString("version", p.Version)
		f.AddString("cipher_suite", p.CipherSuite)
		if p.Group != "" {
			f.AddString("group", p.Group)
		}
		if p.ServerName != "" {
			f.AddString("server_name", p.ServerName)
		}
		if p.ALPN != "" {
			f.AddString("alpn", p.ALPN)
		}
		f.AddBool("resumed", p.Resumed)
		f.AddBool("hello_retry_request", p.HelloRetry)
		if p.ECHAccepted {
			f.AddBool("ech_accepted", true)
		}
		if p.ClientCertificate != nil {
			f.AddBool("client_certificate", *p.ClientCertificate)
		}
		if p.SuitesOffered > 0 {
			f.AddUint("cipher_suite_rank", uint64(p.SuiteRank))
			f.AddUint("cipher_suites_offered", uint64(p.SuitesOffered))
		}
		if p.GroupsOffered > 0 {
			f.AddUint("group_rank", uint64(p.GroupRank))
			f.AddUint("groups_offered", uint64(p.GroupsOffered))
		}
		if p.Notes != nil {
			addStrings(f, "notes", p.Notes)
		}
		if p.Warnings != nil {
			addWarnings(f, p.Warnings)
		}
	} else {
		if p.Cause != "" {
			f.AddString("cause", p.Cause)
		}
		if p.Fix != "" {
			f.AddString("fix", p.Fix)
		}
		if p.Alert != nil && p.Alert.Description != nil {
			f.AddString("alert", p.Alert.Description.Name)
			f.AddString("alert_from", p.AlertFrom.String())
		}
	}
	f.AddUint("duration_us", micros(p.Duration))
	return f
}

// The engines that run handshakes, as Handshake.Engine and EngineChoice
// name them.
const (
	EngineGo  = "crypto/tls"
	EngineOwn = "tlstrace"
)

// EngineChoice says that tlstrace's own engine runs a connection's
// handshake instead of crypto/tls, the default, and why: the settings ask
// for what crypto/tls does not implement, or crypto/tls's handshake with
// the server failed for want of it.
type EngineChoice struct {
	// Engine is EngineOwn.
	Engine string
	// Reason says why, in plain words.
	Reason string
}

func (*EngineChoice) Layer() string { return LayerInfo }
func (*EngineChoice) Type() string  { return TypeEngine }

func (p *EngineChoice) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("engine", p.Engine)
	f.AddString("reason", p.Reason)
	return f
}

// CertSummary is a certificate as the client's verify step lists it.
type CertSummary struct {
	Subject, Issuer string
	// SANs lists the DNS names and IP addresses; nil when there are none.
	SANs                []string
	NotBefore, NotAfter time.Time
	PublicKey           string
	SignatureAlgorithm  string
}

func (c *CertSummary) tree() *field.Node {
	n := field.NewObject("")
	n.AddString("subject", c.Subject)
	n.AddString("issuer", c.Issuer)
	if c.SANs != nil {
		addStrings(n, "subject_alt_names", c.SANs)
	}
	n.AddString("not_before", c.NotBefore.UTC().Format(time.RFC3339))
	n.AddString("not_after", c.NotAfter.UTC().Format(time.RFC3339))
	n.AddString("public_key", c.PublicKey)
	n.AddString("signature_algorithm", c.SignatureAlgorithm)
	return n
}

// Verify is the client's check of the server's chain: what was sent, the
// path crypto/x509 verified, the pin and OCSP checks, the verdict.
type Verify struct {
	Host string
	// Chain is what was sent; nil when it could not be seen (a capture
	// whose secrets do not decrypt it).
	Chain []CertSummary
	// VerifiedChain lists the subjects of the verified path, leaf first;
	// nil when verification failed.
	VerifiedChain []string
	// PublicKeyPin is the leaf's pin in curl's sha256// form, when pins
	// were checked.
	PublicKeyPin string
	// OCSP is the stapled response's status, when it was checked.
	OCSP string
	// Verdict is "trusted", "not trusted" or "not verified" (a chain
	// that could not be seen).
	Verdict string
	// Insecure says that the chain is not trusted and the run went on
	// all the same, as it was told to (curl's --insecure).
	Insecure bool
	// Fix says how to make the chain trusted, when it is not.
	Fix string
	// Trusted reports whether every check passed.
	Trusted bool
	// At is the time the chain was checked at when it is not the time of
	// the run: for a capture, when the Certificate message was captured.
	At time.Time
	// Notes say what was not checked, and why (no host name without SNI;
	// a chain the capture's secrets do not decrypt).
	Notes []string
	// Warnings say what is wrong with a trusted chain without failing it
	// (chain.Result.Warnings).
	Warnings []Warning
}

// Warning is something wrong that did not fail the step, and its fix.
type Warning struct {
	Cause, Fix string
}

// VerdictInsecure is the verdict of a chain not trusted when the run
// went on all the same (Verify.Insecure): a value of the JSON contract
// (docs/json.md), which names curl's option for it.
const VerdictInsecure = "NOT trusted; going on because of --insecure"

// Said is the verdict as the JSON contract says it: Verdict, or
// VerdictInsecure.
func (p *Verify) Said() string {
	if p.Insecure {
		return VerdictInsecure
	}
	return p.Verdict
}

func (*Verify) Layer() string { return LayerX509 }
func (*Verify) Type() string  { return TypeVerify }

func (p *Verify) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("host", p.Host)
	if p.Chain != nil {
		l := f.Add(field.NewList("chain"))
		for i := range p.Chain {
			l.Add(p.Chain[i].tree())
		}
	}
	if p.VerifiedChain != nil {
		addStrings(f, "verified_chain", p.VerifiedChain)
	}
	if p.PublicKeyPin != "" {
		f.AddString("public_key_pin", p.PublicKeyPin)
	}
	if p.OCSP != "" {
		f.AddString("ocsp", p.OCSP)
	}
	f.AddString("verdict", p.Said())
	if p.Fix != "" {
		f.AddString("fix", p.Fix)
	}
	if !p.At.IsZero() {
		f.AddString("at", p.At.UTC().Format(time.RFC3339))
	}
	if p.Notes != nil {
		addStrings(f, "notes", p.Notes)
	}
	if p.Warnings != nil {
		addWarnings(f, p.Warnings)
	}
	return f
}

// addWarnings adds the list "warnings" of ws to f, each its cause and fix.
func addWarnings(f *field.Node, ws []Warning) {
	l := f.Add(field.NewList("warnings"))
	for _, w := range ws {
		o := l.Add(field.NewObject(""))
		o.AddString("cause", w.Cause)
		o.AddString("fix", w.Fix)
	}
}

// Check is one thing checked about a certificate of a chain.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Link explains one certificate of a chain: its keys, the hash of its
// TBSCertificate and the digest recovered from its signature, and each
// check made.
type Link struct {
	Depth              int
	Role               string
	Subject, Issuer    string
	Serial             string
	PublicKey          string
	SignatureAlgorithm string
	// IssuerPublicKey is set when the issuer is another certificate.
	IssuerPublicKey string
	// TBSHash is "ALGORITHM hex" of the TBSCertificate, when computed.
	TBSHash string
	// SignedDigest is the digest recovered from an RSA PKCS #1 v1.5
	// signature, with DigestNote saying whether it matches.
	SignedDigest, DigestNote string
	TrustedRoot              bool
	Checks                   []Check
}

func (*Link) Layer() string { return LayerX509 }
func (*Link) Type() string  { return TypeLink }

func (p *Link) Tree() *field.Node {
	f := field.NewObject("")
	f.AddUint("depth", uint64(p.Depth))
	f.AddString("role", p.Role)
	f.AddString("subject", p.Subject)
	f.AddString("issuer", p.Issuer)
	f.AddString("serial", p.Serial)
	f.AddString("public_key", p.PublicKey)
	f.AddString("signature_algorithm", p.SignatureAlgorithm)
	if p.IssuerPublicKey != "" {
		f.AddString("issuer_public_key", p.IssuerPublicKey)
	}
	if p.TBSHash != "" {
		f.AddString("tbs_hash", p.TBSHash)
	}
	if p.SignedDigest != "" {
		f.AddString("signed_digest", p.SignedDigest).Note = p.DigestNote
	}
	f.AddBool("trusted_root", p.TrustedRoot)
	checks := f.Add(field.NewList("checks"))
	for _, c := range p.Checks {
		o := checks.Add(field.NewObject(""))
		o.AddString("check", c.Name)
		o.AddBool("ok", c.OK)
		o.AddString("detail", c.Detail)
	}
	return f
}

// Verdict is a chain's verdict, with the cause and fix of a failure.
type Verdict struct {
	Valid bool
	// Name is the host name checked, "" when none was.
	Name       string
	At         time.Time
	Cause, Fix string
	// OCSP is, for a server's chain (verify URL), the status of its
	// stapled OCSP response as a client that requires a good one judges
	// it (Verify's OCSP), and OCSPCause and OCSPFix say why it is not
	// good; a response saying revoked at the time fails the chain.
	OCSP, OCSPCause, OCSPFix string
}

func (*Verdict) Layer() string { return LayerX509 }
func (*Verdict) Type() string  { return TypeVerdict }

func (p *Verdict) Tree() *field.Node {
	f := field.NewObject("")
	f.AddBool("valid", p.Valid)
	if p.Name != "" {
		f.AddString("name", p.Name)
	}
	f.AddString("at", p.At.UTC().Format(time.RFC3339))
	if !p.Valid {
		f.AddString("cause", p.Cause)
		if p.Fix != "" {
			f.AddString("fix", p.Fix)
		}
	}
	if p.OCSP != "" {
		f.AddString("ocsp", p.OCSP)
		if p.OCSPCause != "" {
			f.AddString("ocsp_cause", p.OCSPCause)
		}
		if p.OCSPFix != "" {
			f.AddString("ocsp_fix", p.OCSPFix)
		}
	}
	return f
}

// CertificateInfo is a certificate shown on its own (cert show): the
// facts of its one-line summary, with Fields the whole description.
type CertificateInfo struct {
	Subject, Issuer string
	NotAfter        time.Time
	// Fields is the description, as `openssl x509 -text` gives it.
	Fields *field.Node
}

func (*CertificateInfo) Layer() string       { return LayerX509 }
func (*CertificateInfo) Type() string        { return TypeCertificateInfo }
func (p *CertificateInfo) Tree() *field.Node { return p.Fields }

// RequestInfo is a certificate signing request (PKCS #10) shown on its
// own (cert show): its subject, with Fields the whole description.
type RequestInfo struct {
	Subject string
	// Fields is the description, as `openssl req -text` gives it.
	Fields *field.Node
}

func (*RequestInfo) Layer() string       { return LayerX509 }
func (*RequestInfo) Type() string        { return TypeRequestInfo }
func (p *RequestInfo) Tree() *field.Node { return p.Fields }

// HTTPRequest is a request as written on the connection.
type HTTPRequest struct {
	Method, URL string
	// Headers are "Name: value" lines in the order written; HTTP/2's
	// pseudo-headers start with a colon.
	Headers []string
	// BodyLength is the body's length as the head declares it
	// (Content-Length), when it does.
	BodyLength *int
}

func (*HTTPRequest) Layer() string { return LayerHTTP }
func (*HTTPRequest) Type() string  { return TypeRequest }

func (p *HTTPRequest) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("method", p.Method)
	f.AddString("url", p.URL)
	addStrings(f, "headers", p.Headers)
	if p.BodyLength != nil {
		f.AddUint("body_length", uint64(*p.BodyLength))
	}
	return f
}

// HTTPResponse is a response's status line and headers.
type HTTPResponse struct {
	Proto   string
	Status  int
	Reason  string
	Headers []string
}

func (*HTTPResponse) Layer() string { return LayerHTTP }
func (*HTTPResponse) Type() string  { return TypeResponse }

func (p *HTTPResponse) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("proto", p.Proto)
	f.AddUint("status", uint64(p.Status))
	f.AddString("reason", p.Reason)
	addStrings(f, "headers", p.Headers)
	return f
}

// HTTPBody is a response body as read.
type HTTPBody struct {
	Length      int64
	ContentType string
	Duration    time.Duration
}

func (*HTTPBody) Layer() string { return LayerHTTP }
func (*HTTPBody) Type() string  { return TypeBody }

func (p *HTTPBody) Tree() *field.Node {
	f := field.NewObject("")
	f.AddUint("length", uint64(p.Length))
	if p.ContentType != "" {
		f.AddString("content_type", p.ContentType)
	}
	f.AddUint("duration_us", micros(p.Duration))
	return f
}

// Timing is where a connection's time went, each step measured from the
// start of the run: DNS, TCP connect, TLS handshake, first response byte
// (TTFB, from the start), total.
type Timing struct {
	DNS, Connect, TLS, TTFB, Total time.Duration
	// StartTLS is the clear-text dialog before the handshake (SMTP's
	// STARTTLS, …), 0 when there was none.
	StartTLS time.Duration
}

func (*Timing) Layer() string { return LayerInfo }
func (*Timing) Type() string  { return TypeTiming }

func (p *Timing) Tree() *field.Node {
	f := field.NewObject("")
	f.AddUint("dns_us", micros(p.DNS))
	f.AddUint("connect_us", micros(p.Connect))
	if p.StartTLS > 0 {
		f.AddUint("starttls_us", micros(p.StartTLS))
	}
	f.AddUint("tls_us", micros(p.TLS))
	f.AddUint("ttfb_us", micros(p.TTFB))
	f.AddUint("total_us", micros(p.Total))
	return f
}

// Fingerprint is a client's JA3 and JA4 (TLS client) fingerprints, of
// the connection's ClientHello number Hello: 1, or 2 for the one that
// follows a HelloRetryRequest (or a renegotiation's).
type Fingerprint struct {
	JA3, JA3String, JA4 string
	Hello               int
}

func (*Fingerprint) Layer() string { return LayerInfo }
func (*Fingerprint) Type() string  { return TypeClientFingerprint }

func (p *Fingerprint) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("ja3", p.JA3)
	f.AddString("ja3_string", p.JA3String)
	f.AddString("ja4", p.JA4)
	if p.Hello > 0 {
		f.AddUint("hello", uint64(p.Hello))
	}
	return f
}

// StartTLS is one line of a protocol's dialog (SMTP, IMAP, …), or one
// decoded message of a binary one: before TLS, the plaintext upgrade;
// with InTLS, the lines sent inside the TLS session once it is
// established (the greeting, capabilities and quit of tlstrace imap://…).
type StartTLS struct {
	Protocol, Line string
	InTLS          bool
	// Title names the protocol in prose ("IMAP") for the views; it is
	// not part of the JSON contract.
	Title string
}

func (*StartTLS) Layer() string { return LayerInfo }
func (*StartTLS) Type() string  { return TypeStartTLS }

func (p *StartTLS) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("protocol", p.Protocol)
	f.AddString("line", p.Line)
	if p.InTLS {
		f.AddBool("in_tls", true)
	}
	return f
}

// H2Frame is one HTTP/2 frame (RFC 9113, Section 4.1) cut from decrypted
// application data. The pointers and lists are set for the frame types
// that carry them.
type H2Frame struct {
	FrameType Enum
	Flags     uint8
	StreamID  uint32
	Length    int
	EndStream *bool // DATA, HEADERS
	Ack       *bool // SETTINGS, PING
	// Headers are the HPACK-decoded "name: value" lines of a complete
	// header block.
	Headers         []string
	Settings        []string // SETTINGS, "NAME=value"
	OpaqueData      []byte   // PING
	LastStreamID    *uint32  // GOAWAY
	ErrorCode       *Enum    // RST_STREAM, GOAWAY
	WindowIncrement *uint32  // WINDOW_UPDATE
}

func (*H2Frame) Layer() string { return LayerHTTP }
func (*H2Frame) Type() string  { return TypeH2Frame }

func (p *H2Frame) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("type", p.FrameType.Value, p.FrameType.Name)
	f.AddUint("flags", uint64(p.Flags))
	f.AddUint("stream_id", uint64(p.StreamID))
	f.AddUint("length", uint64(p.Length))
	if p.EndStream != nil {
		f.AddBool("end_stream", *p.EndStream)
	}
	if p.Headers != nil {
		addStrings(f, "headers", p.Headers)
	}
	if p.Ack != nil {
		f.AddBool("ack", *p.Ack)
	}
	if p.Settings != nil {
		addStrings(f, "settings", p.Settings)
	}
	if p.OpaqueData != nil {
		f.AddBytes("opaque_data", p.OpaqueData)
	}
	if p.LastStreamID != nil {
		f.AddUint("last_stream_id", uint64(*p.LastStreamID))
	}
	if p.ErrorCode != nil {
		f.AddEnum("error_code", p.ErrorCode.Value, p.ErrorCode.Name)
	}
	if p.WindowIncrement != nil {
		f.AddUint("window_size_increment", uint64(*p.WindowIncrement))
	}
	return f
}

// HandshakeState fills a Handshake from what crypto/tls reports of a
// completed handshake; its Engine is EngineGo.
func HandshakeState(cs tls.ConnectionState) *Handshake {
	h := &Handshake{
		Engine:      EngineGo,
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		ServerName:  cs.ServerName,
		ALPN:        cs.NegotiatedProtocol,
		Resumed:     cs.DidResume,
		HelloRetry:  cs.HelloRetryRequest,
		ECHAccepted: cs.ECHAccepted,
	}
	// A resumed TLS 1.2 session exchanges no key: crypto/tls reports
	// the group of the handshake that made the session.
	if cs.CurveID != 0 && !(cs.DidResume && cs.Version < tls.VersionTLS13) {
		h.Group = wire.GroupName(uint16(cs.CurveID))
	}
	return h
}

// TypeSessionClosed is the info event of a live session that the peer
// ended.
const TypeSessionClosed = "session_closed"

// SessionClosed says that the peer (the event's From) ended a live
// session, after which tlstrace sends nothing more of its input, only
// its own close_notify: with a close_notify alert, or by closing the TCP
// connection without one.
type SessionClosed struct {
	CloseNotify bool
}

func (*SessionClosed) Layer() string { return LayerInfo }
func (*SessionClosed) Type() string  { return TypeSessionClosed }

func (p *SessionClosed) Tree() *field.Node {
	f := field.NewObject("")
	f.AddBool("close_notify", p.CloseNotify)
	return f
}

// TypeRunFailed is the info event that ends a live run that failed.
const TypeRunFailed = "run_failed"

// RunFailed is how a live run failed, as the command says it on standard
// error, for --json: the event's Error is the error, Hint what to do
// about it, ExitCode the command's exit status, and Step the stage that
// failed (dns, connect, tls, verify, http, usage), "" when the failure is
// none of them (the capture file could not be written). It is the run's,
// not a connection's: conn 0.
type RunFailed struct {
	Step     string
	ExitCode int
	Hint     string
}

func (*RunFailed) Layer() string { return LayerInfo }
func (*RunFailed) Type() string  { return TypeRunFailed }

func (p *RunFailed) Tree() *field.Node {
	f := field.NewObject("")
	if p.Step != "" {
		f.AddString("step", p.Step)
	}
	f.AddUint("exit_code", uint64(p.ExitCode))
	if p.Hint != "" {
		f.AddString("hint", p.Hint)
	}
	return f
}
