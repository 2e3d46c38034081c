package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// AlertError is an alert seen on the wire that ended a handshake or a
// connection: From sent it.
type AlertError struct {
	From  trace.Side
	Alert *trace.Alert
}

func (e *AlertError) Error() string {
	return fmt.Sprintf("the %s sent a %s %s alert", e.From, e.Alert.Level.Name, e.Alert.Description.Name)
}

// Description is the alert's description, to compare with wire's constants.
func (e *AlertError) Description() wire.AlertDescription {
	return wire.AlertDescription(e.Alert.Description.Value)
}

// cause is a failure explained in plain words. It keeps what it explains:
// the evidence seen on the wire (an *AlertError, a *wire.RecordHeaderError,
// a *trace.TruncatedError) and the TLS stack's error, for errors.As.
type cause struct {
	msg  string
	errs []error
}

func (c *cause) Error() string   { return c.msg }
func (c *cause) Unwrap() []error { return c.errs }

func explained(msg string, errs ...error) error {
	var kept []error
	for _, e := range errs {
		if e != nil {
			kept = append(kept, e)
		}
	}
	return &cause{msg: msg, errs: kept}
}

// errorAlert returns the alert side sent that is an error (RFC 8446,
// Section 6.2: every alert but close_notify and user_canceled), or nil.
func errorAlert(ev *trace.Evidence, side trace.Side) *AlertError {
	a := ev.Alert[side]
	if a == nil || a.Level == nil || a.Description == nil {
		return nil
	}
	switch wire.AlertDescription(a.Description.Value) {
	case wire.AlertCloseNotify, wire.AlertUserCanceled:
		return nil
	}
	return &AlertError{From: side, Alert: a}
}

// explainHandshake explains a failed TLS client handshake, or a connection
// that failed just after it. The cause is what the decoder saw on the wire
// (ev): the alert the server sent, bytes of it that were not TLS records,
// where its bytes ended, the alert the client sent; then crypto/tls's typed
// errors.
func explainHandshake(err error, ev trace.Evidence, o *TLSOptions) *Error {
	if a := errorAlert(&ev, trace.Server); a != nil {
		return serverAlert(err, a, &ev, o)
	}
	var he *wire.RecordHeaderError
	if errors.As(ev.Framing[trace.Server], &he) {
		return notTLS(err, he, &ev)
	}
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	reset := errors.Is(err, syscall.ECONNRESET)
	if tr := ev.Truncated[trace.Server]; tr != nil && (closed || reset) {
		what := "a record"
		if tr.Handshake {
			what = "a handshake message"
		}
		msg := fmt.Sprintf("the server closed the connection in the middle of %s (%d bytes of it sent)", what, tr.Seen)
		if tr.Length > 0 {
			msg = fmt.Sprintf("the server closed the connection in the middle of %s (%d of its %d bytes sent)", what, tr.Seen, tr.Length)
		}
		return stepErr(StepTLS, explained(msg, tr, err),
			"the server's TLS stack, or something between (a proxy, a firewall), cut the connection; the server's log may say why")
	}
	if a := errorAlert(&ev, trace.Client); a != nil && !timedOut {
		return clientAlert(err, a)
	}
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	var cv *tls.CertificateVerificationError
	switch {
	case timedOut:
		return advise(StepTLS, explained("the TLS handshake timed out", err), AdviseHandshakeTime)
	case reset:
		return stepErr(StepTLS, explained("the server reset the connection during the handshake", err),
			"the server may not speak TLS on this port, or found nothing in common with the ClientHello")
	case closed:
		return stepErr(StepTLS, explained("the server closed the connection during the handshake", err),
			"the server may not speak TLS on this port, or found nothing in common with the ClientHello")
	case errors.As(err, &rh):
		// Bytes crypto/tls refused that the decoder did not see.
		return notTLS(err, wire.NewRecordHeaderError(rh.RecordHeader[:], wire.HeaderImplausible), &ev)
	case errors.As(err, &alert):
		return stepErr(StepTLS, explained(fmt.Sprintf("the handshake ended with a %s alert", wire.AlertDescription(alert)), err), "")
	case errors.As(err, &cv):
		return stepErr(StepVerify, fmt.Errorf("the server's certificate was refused: %w", err), "")
	}
	return stepErr(StepTLS, fmt.Errorf("TLS handshake failed: %w", err), "")
}

// serverAlert explains a handshake the server ended with an alert.
func serverAlert(err error, a *AlertError, ev *trace.Evidence, o *TLSOptions) *Error {
	name := a.Alert.Description.Name
	// Whether the client sent a certificate: as its Certificate message
	// said, or as configured when that message was not seen.
	clientCerts := len(o.Certificates)
	if ev.Sent(trace.Client, wire.TypeCertificate) {
		clientCerts = ev.Certificates[trace.Client]
	}
	required := func(how string) *Error {
		if clientCerts == 0 && len(o.Certificates) > 0 {
			// crypto/tls sends a certificate only if it fits the CAs and
			// signature algorithms of the CertificateRequest.
			return stepErr(StepTLS, explained(fmt.Sprintf("the server requires a client certificate, and the one given was not sent: it does not fit the CAs or signature algorithms the server asked for (%s)", how), a, err),
				"use a client certificate issued by a CA the server trusts")
		}
		return advise(StepTLS, explained(fmt.Sprintf("the server requires a client certificate (%s)", how), a, err), AdviseClientCert)
	}
	switch a.Description() {
	case wire.AlertProtocolVersion:
		return advise(StepTLS, explained("no TLS version in common with the server (it sent a protocol_version alert)", a, err), AdviseNewerVersions)
	case wire.AlertHandshakeFailure:
		if ev.Sent(trace.Server, wire.TypeCertificateRequest) && clientCerts == 0 {
			// TLS 1.2 servers that require a certificate answer an
			// empty one so.
			return required("it asked for one, then sent a handshake_failure alert")
		}
		return advise(StepTLS, explained("the server found no cipher suite, group or signature algorithm in common (handshake_failure alert)", a, err), AdviseSuites)
	case wire.AlertCertificateRequired:
		return required("certificate_required alert")
	case wire.AlertBadCertificate, wire.AlertUnknownCA, wire.AlertUnsupportedCertificate, wire.AlertCertificateRevoked,
		wire.AlertCertificateExpired, wire.AlertCertificateUnknown:
		if clientCerts > 0 {
			return stepErr(StepTLS, explained(fmt.Sprintf("the server did not accept the client certificate (%s alert)", name), a, err),
				"use a client certificate issued by a CA the server trusts")
		}
	}
	return stepErr(StepTLS, explained(fmt.Sprintf("the server refused the handshake with a %s %s alert", a.Alert.Level.Name, name), a, err),
		"the alert above says why")
}

// notTLS explains bytes from the server that are not a TLS record.
func notTLS(err error, he *wire.RecordHeaderError, ev *trace.Evidence) *Error {
	switch {
	case isHTTP(he.Header):
		return stepErr(StepTLS, explained("the server answered in plain HTTP, not TLS", he, err), "use http:// for this port, or the server's TLS port")
	case he.Problem == wire.HeaderOversized:
		return stepErr(StepTLS, explained(fmt.Sprintf("the server sent a record of %d bytes, more than TLS allows (at most %d, RFC 5246, Section 6.2.3)", he.Length(), wire.MaxCiphertext), he, err),
			"the server's TLS stack, or something between (a proxy, a load balancer), breaks the record layer")
	case ev.Sent(trace.Server, wire.TypeServerHello):
		return stepErr(StepTLS, explained(fmt.Sprintf("the server sent bytes that are not a TLS record during the handshake (header %q)", he.Header), he, err),
			"something between (a proxy, a load balancer) may be corrupting the connection")
	}
	return stepErr(StepTLS, explained(fmt.Sprintf("the server did not answer with TLS (first bytes %q)", he.Header), he, err), "check the port: this one does not speak TLS")
}

// clientAlert explains a handshake the client (crypto/tls) ended with an
// alert: it refused something the server sent. crypto/tls's error says
// what.
func clientAlert(err error, a *AlertError) *Error {
	switch a.Description() {
	case wire.AlertProtocolVersion:
		return advise(StepTLS, explained(fmt.Sprintf("no TLS version in common with the server (the client sent a protocol_version alert: %v)", err), a, err),
			AdviseOtherVersions)
	case wire.AlertRecordOverflow:
		return stepErr(StepTLS, explained(fmt.Sprintf("the server sent a record larger than TLS allows (the client sent a record_overflow alert: %v)", err), a, err),
			"the server's TLS stack, or something between (a proxy, a load balancer), breaks the record layer")
	}
	return stepErr(StepTLS, explained(fmt.Sprintf("the client refused the server's handshake with a %s alert: %v", a.Alert.Description.Name, err), a, err), "")
}

func isHTTP(b []byte) bool {
	for _, p := range []string{"HTTP", "<", "GET", "POS", "HEA"} {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}
