package wire

import "fmt"

// AlertLevel is the level of an alert (RFC 5246, Section 7.2).
type AlertLevel uint8

// Alert levels.
const (
	AlertWarning AlertLevel = 1
	AlertFatal   AlertLevel = 2
)

func (l AlertLevel) String() string {
	switch l {
	case AlertWarning:
		return "warning"
	case AlertFatal:
		return "fatal"
	}
	return fmt.Sprintf("unknown_%d", uint8(l))
}

// AlertDescription is the description of an alert (RFC 8446, Section 6;
// the IANA TLS Alerts registry).
type AlertDescription uint8

// Alert descriptions.
const (
	AlertCloseNotify                  AlertDescription = 0
	AlertUnexpectedMessage            AlertDescription = 10
	AlertBadRecordMAC                 AlertDescription = 20
	AlertDecryptionFailed             AlertDescription = 21
	AlertRecordOverflow               AlertDescription = 22
	AlertDecompressionFailure         AlertDescription = 30
	AlertHandshakeFailure             AlertDescription = 40
	AlertNoCertificate                AlertDescription = 41
	AlertBadCertificate               AlertDescription = 42
	AlertUnsupportedCertificate       AlertDescription = 43
	AlertCertificateRevoked           AlertDescription = 44
	AlertCertificateExpired           AlertDescription = 45
	AlertCertificateUnknown           AlertDescription = 46
	AlertIllegalParameter             AlertDescription = 47
	AlertUnknownCA                    AlertDescription = 48
	AlertAccessDenied                 AlertDescription = 49
	AlertDecodeError                  AlertDescription = 50
	AlertDecryptError                 AlertDescription = 51
	AlertTooManyCIDsRequested         AlertDescription = 52
	AlertExportRestriction            AlertDescription = 60
	AlertProtocolVersion              AlertDescription = 70
	AlertInsufficientSecurity         AlertDescription = 71
	AlertInternalError                AlertDescription = 80
	AlertInappropriateFallback        AlertDescription = 86
	AlertUserCanceled                 AlertDescription = 90
	AlertNoRenegotiation              AlertDescription = 100
	AlertMissingExtension             AlertDescription = 109
	AlertUnsupportedExtension         AlertDescription = 110
	AlertCertificateUnobtainable      AlertDescription = 111
	AlertUnrecognizedName             AlertDescription = 112
	AlertBadCertificateStatusResponse AlertDescription = 113
	AlertBadCertificateHashValue      AlertDescription = 114
	AlertUnknownPSKIdentity           AlertDescription = 115
	AlertCertificateRequired          AlertDescription = 116
	AlertGeneralError                 AlertDescription = 117
	AlertNoApplicationProtocol        AlertDescription = 120
	AlertECHRequired                  AlertDescription = 121
)

var alertNames = map[AlertDescription]string{
	AlertCloseNotify: "close_notify", AlertUnexpectedMessage: "unexpected_message", AlertBadRecordMAC: "bad_record_mac",
	AlertDecryptionFailed: "decryption_failed", AlertRecordOverflow: "record_overflow",
	AlertDecompressionFailure: "decompression_failure", AlertHandshakeFailure: "handshake_failure",
	AlertNoCertificate: "no_certificate", AlertBadCertificate: "bad_certificate",
	AlertUnsupportedCertificate: "unsupported_certificate", AlertCertificateRevoked: "certificate_revoked",
	AlertCertificateExpired: "certificate_expired", AlertCertificateUnknown: "certificate_unknown",
	AlertIllegalParameter: "illegal_parameter", AlertUnknownCA: "unknown_ca", AlertAccessDenied: "access_denied",
	AlertDecodeError: "decode_error", AlertDecryptError: "decrypt_error",
	AlertTooManyCIDsRequested: "too_many_cids_requested", AlertExportRestriction: "export_restriction",
	AlertProtocolVersion: "protocol_version", AlertInsufficientSecurity: "insufficient_security",
	AlertInternalError: "internal_error", AlertInappropriateFallback: "inappropriate_fallback",
	AlertUserCanceled: "user_canceled", AlertNoRenegotiation: "no_renegotiation",
	AlertMissingExtension: "missing_extension", AlertUnsupportedExtension: "unsupported_extension",
	AlertCertificateUnobtainable: "certificate_unobtainable", AlertUnrecognizedName: "unrecognized_name",
	AlertBadCertificateStatusResponse: "bad_certificate_status_response",
	AlertBadCertificateHashValue:      "bad_certificate_hash_value", AlertUnknownPSKIdentity: "unknown_psk_identity",
	AlertCertificateRequired: "certificate_required", AlertGeneralError: "general_error",
	AlertNoApplicationProtocol: "no_application_protocol", AlertECHRequired: "ech_required",
}

func (a AlertDescription) String() string {
	if n, ok := alertNames[a]; ok {
		return n
	}
	return fmt.Sprintf("unknown_%d", uint8(a))
}
