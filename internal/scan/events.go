package scan

import "github.com/tlstrace/tlstrace/internal/scan/scanev"

// A scan's result and the payloads of its events are package scanev's,
// a leaf that the renderers import without the probes and the engine;
// here they keep their names in package scan.

// Layer is the layer of the scan's events.
const Layer = scanev.Layer

// VersionSSL20 is SSL 2.0's version number.
const VersionSSL20 = scanev.VersionSSL20

type (
	Payload             = scanev.Payload
	Result              = scanev.Result
	VersionResult       = scanev.VersionResult
	Outcome             = scanev.Outcome
	Order               = scanev.Order
	Severity            = scanev.Severity
	Finding             = scanev.Finding
	Feature             = scanev.Feature
	CertChain           = scanev.CertChain
	SuiteAccepted       = scanev.SuiteAccepted
	VersionFound        = scanev.VersionFound
	GroupAccepted       = scanev.GroupAccepted
	Summary             = scanev.Summary
	SSLv2CipherAccepted = scanev.SSLv2CipherAccepted
	ALPNAccepted        = scanev.ALPNAccepted
	SignatureAccepted   = scanev.SignatureAccepted
	SignatureNote       = scanev.SignatureNote
	CurvesUnknown       = scanev.CurvesUnknown
	ALPNRefused         = scanev.ALPNRefused
	DHGroup             = scanev.DHGroup
	FFDHE               = scanev.FFDHE
	HTTPCheck           = scanev.HTTPCheck
)

// What the HSTS request showed of HTTP.
const (
	HTTPUnchecked = scanev.HTTPUnchecked
	HTTPAnswered  = scanev.HTTPAnswered
	HTTPNone      = scanev.HTTPNone
)

// Outcomes of a probe.
const (
	Accepted = scanev.Accepted
	Refused  = scanev.Refused
	TimedOut = scanev.TimedOut
	Failed   = scanev.Failed
)

// Orders of preference.
const (
	OrderUnknown = scanev.OrderUnknown
	OrderServer  = scanev.OrderServer
	OrderClient  = scanev.OrderClient
)

// Severities of a finding.
const (
	Info     = scanev.Info
	Low      = scanev.Low
	Medium   = scanev.Medium
	High     = scanev.High
	Critical = scanev.Critical
)

// ForwardSecret reports whether suite s has forward secrecy
// (scanev.ForwardSecret).
func ForwardSecret(s uint16) bool { return scanev.ForwardSecret(s) }

// Bits returns the cipher's key strength in bits (scanev.Bits).
func Bits(s uint16) int { return scanev.Bits(s) }

// IntegrityOnly reports whether s is an integrity-only TLS 1.3 suite
// (scanev.IntegrityOnly).
func IntegrityOnly(s uint16) bool { return scanev.IntegrityOnly(s) }
