// Package trace turns the bytes of TLS connections into a stream of events:
// one per record-level step (a handshake message, a change_cipher_spec, an
// alert, application data, a record that could not be decrypted).
//
// A Conn is the per-connection decoder of docs/architecture.md. It is the
// same for live connections and for capture files: bytes arrive through
// Feed, in each direction, in any chunking; secrets arrive through AddSecret
// (or a key log shared by the Session). Records are framed, decrypted with
// the TLS 1.3 key schedule or the TLS 1.0-1.2 key block, handshake messages
// are reassembled across records, and each step is decoded by package wire.
package trace

import (
	"encoding/hex"
	"time"

	"github.com/tlstrace/tlstrace/internal/field"
)

// Side says who an event comes from.
type Side uint8

const (
	// Client is the side that sent the ClientHello (or the TCP SYN).
	Client Side = iota
	// Server is the other side.
	Server
	// Local is tlstrace itself: DNS lookups, verification, notes.
	Local
)

func (s Side) String() string {
	switch s {
	case Client:
		return "client"
	case Server:
		return "server"
	}
	return "local"
}

// MarshalText writes the side as "client", "server" or "local".
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Other returns the opposite side of a connection.
func (s Side) Other() Side {
	if s == Client {
		return Server
	}
	return Client
}

// Layers of events (the `layer` key of the JSON contract).
const (
	LayerDNS  = "dns"
	LayerTCP  = "tcp"
	LayerTLS  = "tls"
	LayerX509 = "x509"
	LayerHTTP = "http"
	LayerInfo = "info"
)

// Event types of the tls layer that are not handshake message names.
const (
	TypeChangeCipherSpec = "change_cipher_spec"
	TypeAlert            = "alert"
	TypeApplicationData  = "application_data"
	TypeHeartbeat        = "heartbeat"
	TypeEncryptedRecord  = "encrypted_record"
	// TypePartialRecord is a record the connection ended inside: its
	// header, when seen, gives the record (encrypted or not).
	TypePartialRecord = "partial_record"
	// TypeHandshakeFragment is a handshake record that completes no
	// message: it holds part of one that a later record completes (a
	// *HandshakeFragment); the message's event carries the last record.
	TypeHandshakeFragment = "handshake_fragment"
	// TypeNotTLS is a tcp step: a stream whose first bytes are not TLS
	// (its payload is a *Data with those bytes).
	TypeNotTLS = "not_tls"
)

// Values of Record.MAC, for the records of a NULL cipher suite.
const (
	MACVerified  = "verified"
	MACUnchecked = "unchecked"
)

// Stamp says when and where bytes were seen: the capture time, and for
// capture files the frame (packet) number, counted from 1 as Wireshark does.
type Stamp struct {
	Time  time.Time
	Frame int
}

// Enum is a registered code point with its name, as in the JSON contract.
type Enum struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// MarshalJSON writes e as the JSON contract does (field.AppendEnum): a
// code point without a name is named unknown_N.
func (e Enum) MarshalJSON() ([]byte, error) {
	return append(field.AppendEnum(nil, e.Name, e.Value), '}'), nil
}

// Record describes the TLS record that carried an event.
type Record struct {
	// Type and Version are those of the record header, as on the wire.
	Type    Enum `json:"type"`
	Version Enum `json:"version"`
	// Length is the length of the record body on the wire.
	Length int `json:"length"`
	// Encrypted reports whether the record was protected. The records of
	// a NULL cipher suite are not: their content is in the clear, followed
	// by a MAC (RFC 5246, Section 6.2.3.1), and MAC says so.
	Encrypted bool `json:"encrypted"`
	// MAC is set on the records of a NULL cipher suite after its
	// change_cipher_spec: MACVerified when the keys were known and the
	// record's MAC verified, MACUnchecked when the content is shown
	// without keys to check its MAC.
	MAC string `json:"mac,omitempty"`
	// InnerType is the content type found inside a decrypted TLS 1.3
	// record, whose header always says application_data.
	InnerType *Enum `json:"inner_type,omitempty"`
	// Seq is the record sequence number in its direction's current key
	// epoch, set for decrypted records.
	Seq *uint64 `json:"seq,omitempty"`
	// EarlyData reports a TLS 1.3 record the client sent as 0-RTT early
	// data: it opened with the client early traffic secret.
	EarlyData bool `json:"early_data,omitempty"`
	// Anomalies lists what was wrong with the record itself (its length
	// over the version's limit); offsets count from the record header.
	// Every event the record carried shares them.
	Anomalies []field.Anomaly `json:"anomalies,omitempty"`
	// Key is the step of the key schedule behind a decrypted record: the
	// secret its key and IV come from. It is not part of the JSON
	// contract (secrets never appear in events); the HTML report reads
	// it. Records that share a key share one KeyUse.
	Key *KeyUse `json:"-"`
	// seq and inner hold what Seq and InnerType point at, so that a
	// decrypted record is one allocation, not three.
	seq   uint64
	inner Enum
}

// KeyUse says which secret protected a decrypted record, where the secret
// came from, and how the record's key and IV were derived from it.
type KeyUse struct {
	// Secret names the secret: a key log label of TLS 1.3
	// (CLIENT_HANDSHAKE_TRAFFIC_SECRET, …) or "master secret" (TLS
	// 1.0-1.2).
	Secret string
	// Generation counts the KeyUpdates (RFC 8446, Section 7.2) that
	// took the TLS 1.3 traffic secret from the one logged.
	Generation int
	// From says where the secret came from (a key log line, an RSA
	// premaster secret, a pre-shared key, the session a handshake
	// resumes).
	From string
	// Keys says how the record's keys were derived from the secret.
	Keys string
	// Value is the secret itself (for TLS 1.0-1.2 the master secret): a
	// consumer shows it only when asked to.
	Value []byte
}

// Event is one step of a run. Its JSON form is the stable contract of
// docs/json.md. An event and the bytes it holds are valid only during the
// call that emits it; Clone keeps one.
type Event struct {
	// T is the time since the start of the run, in seconds.
	T float64 `json:"t"`
	// Conn numbers the connection within the run, from 1.
	Conn int `json:"conn"`
	// From says who sent it, or "local" for tlstrace's own steps.
	From Side `json:"from"`
	// Layer is one of the Layer constants.
	Layer string `json:"layer"`
	// Type is the step: a snake_case handshake message name, or one of the
	// Type constants, or a layer-specific name (syn, syn_ack, …).
	Type string `json:"type"`
	// Frame is the capture frame in which the step completed (0 when live).
	Frame int `json:"frame,omitempty"`
	// Record is the TLS record that carried the step.
	Record *Record `json:"record,omitempty"`
	// Fields holds the decoded fields, names as in the RFCs.
	Fields *field.Node `json:"fields,omitempty"`
	// Anomalies lists what was unusual about the step.
	Anomalies []field.Anomaly `json:"anomalies,omitempty"`
	// Error is set when the step failed, in plain words.
	Error string `json:"error,omitempty"`
	// Raw holds the bytes of the step (a whole handshake message, or the
	// plaintext of a record). The JSON renderer drops it unless asked.
	Raw HexBytes `json:"raw,omitempty"`
	// Payload is the typed content of the step, what consumers read: a
	// *Message for handshake messages, *Alert, *Data, and the payloads of
	// local steps (*DNSLookup, *Verdict, …; see payload.go). Nil for
	// steps that carry none, such as an error with nothing decoded.
	// Consumers never look fields up by name in Fields.
	Payload any `json:"-"`
	// Time is the absolute time of the step.
	Time time.Time `json:"-"`
}

// Clone returns a copy of ev that owns all its bytes. An event is valid
// only while it is being emitted (application data points into a reused
// decryption buffer): a consumer that keeps events must keep clones.
func (ev *Event) Clone() *Event {
	c := *ev
	c.Fields = ev.Fields.Clone()
	if ev.Raw != nil {
		c.Raw = append(HexBytes(nil), ev.Raw...)
	}
	if ev.Record != nil {
		r := *ev.Record
		r.Anomalies = append([]field.Anomaly(nil), ev.Record.Anomalies...)
		// The copy points at its own sequence number and inner type.
		if ev.Record.Seq == &ev.Record.seq {
			r.Seq = &r.seq
		}
		if ev.Record.InnerType == &ev.Record.inner {
			r.InnerType = &r.inner
		}
		c.Record = &r
	}
	c.Anomalies = append([]field.Anomaly(nil), ev.Anomalies...)
	if d, ok := ev.Payload.(*Data); ok && d.Bytes != nil {
		// The only payload whose bytes are lent (application data).
		c.Payload = &Data{Length: d.Length, Bytes: append([]byte(nil), d.Bytes...), ErrorSaid: d.ErrorSaid, Masked: append([]Span(nil), d.Masked...)}
	}
	return &c
}

// HexBytes is a byte string written as lowercase hex in JSON.
type HexBytes []byte

// MarshalText writes b as hex.
func (b HexBytes) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, b), nil }
