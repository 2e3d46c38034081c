package scan

import (
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// scanRenegotiation asks, in the highest version from TLS 1.0 to 1.2 the
// server speaks, whether it accepts a renegotiation the client starts
// (testssl.sh's "Secure Client-Initiated Renegotiation", CVE-2011-1473):
// a full handshake on the engine (with the suites it accepted there that
// the engine completes), then a ClientHello under the session's keys
// with renegotiation_info (RFC 5746, Section 3.5). A ServerHello is an
// acceptance; an alert (OpenSSL 3 answers no_renegotiation unless
// -client_renegotiation) or the connection closed a refusal. An accepted
// renegotiation is completed and asked again, up to renegotiationsAsked
// in a row (r.Renegotiations). nil when the server speaks none of those
// versions.
func scanRenegotiation(ctx context.Context, r *Result, p *prober, o *Options) *Feature {
	var v uint16
	var suites []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10 && vr.Version <= wire.VersionTLS12 {
			v = vr.Version
			suites = slices.DeleteFunc(slices.Clone(vr.Suites), func(s uint16) bool { return !engineSuite12(s) })
		}
	}
	if v == 0 {
		return nil
	}
	f := &Feature{Name: "client_renegotiation", Version: v}
	if len(suites) == 0 {
		f.Detail = "no suite the server accepted in " + wire.VersionName(v) + " is one tlstrace's engine completes"
		return f
	}
	cfg := &handshake.Config{ServerName: o.ServerName, MinVersion: v, MaxVersion: v, CipherSuites: suites, MinDHBits: minScanDHBits, NoSessionTickets: true}
	var rn *handshake.Renegotiation
	var rerr error
	// testssl.sh asks an HTTP server for four renegotiations on one
	// connection (its run_renego: node.js allows three, then refuses).
	done := 0
	var last *handshake.Renegotiation
	var lastErr error
	a := p.with(ctx, func(conn net.Conn) answer {
		rec := &recorder{Conn: conn}
		hc := handshake.Client(rec, cfg)
		defer hc.Close()
		hctx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		if err := hc.HandshakeContext(hctx); err != nil {
			rec.mu.Lock()
			n := len(rec.received)
			rec.mu.Unlock()
			a, _ := engineFailure(err, n)
			return a
		}
		rn, rerr = hc.Renegotiate(hctx)
		for last, lastErr = rn, rerr; lastErr == nil && last.Completed && done < renegotiationsAsked; {
			done++
			if done < renegotiationsAsked {
				last, lastErr = hc.Renegotiate(hctx)
			}
		}
		return answer{outcome: Accepted}
	})
	switch {
	case a.outcome != Accepted:
		f.Detail = "the handshake before the renegotiation did not complete: " + reason(a)
	case rerr != nil:
		f.Detail = "the renegotiation's answer could not be read: " + endWords(rerr)
	case rn.Accepted:
		f.Known, f.Supported = true, true
		r.Renegotiations = done
		r.InsecureRenegotiation = !rn.Secure && done > 0
		f.Detail = "the server answered a ClientHello sent inside the " + wire.VersionName(v) + " session with a ServerHello: it renegotiates when the client asks"
		if !rn.Secure {
			f.Detail += ", and its renegotiation_info does not carry the verify_data of the session's Finished messages (RFC 5746, Section 3.5): an insecure renegotiation (CVE-2009-3555)"
		}
		switch {
		case done == renegotiationsAsked:
			f.Detail += fmt.Sprintf("; it completed %d renegotiations in a row on one connection", done)
		case lastErr != nil:
			f.Detail += fmt.Sprintf("; it completed %d of %d renegotiations asked on one connection, then: %s", done, renegotiationsAsked, endWords(lastErr))
		default:
			f.Detail += fmt.Sprintf("; it completed %d of %d renegotiations asked on one connection, then refused (%s)", done, renegotiationsAsked, renegotiationRefusal(last))
		}
	case rn.HasAlert:
		f.Known = true
		level := "a warning"
		if rn.Fatal {
			level = "a fatal"
		}
		f.Detail = fmt.Sprintf("the server answered a ClientHello sent inside the %s session with %s %s alert", wire.VersionName(v), level, rn.Alert)
	case rn.Closed:
		f.Known = true
		how := "closed"
		if rn.Reset {
			how = "reset"
		}
		f.Detail = "the server " + how + " the connection when a ClientHello was sent inside the " + wire.VersionName(v) + " session"
	default:
		// testssl.sh reads a time-out as "likely not vulnerable"; it
		// is said as not known here.
		f.Detail = "the server did not answer a ClientHello sent inside the " + wire.VersionName(v) + " session within the probe's time"
	}
	return f
}

// renegotiationsAsked is how many renegotiations in a row are asked on
// one connection, as testssl.sh asks an HTTP server.
const renegotiationsAsked = 4

// renegotiationRefusal says how a server refused a renegotiation.
func renegotiationRefusal(rn *handshake.Renegotiation) string {
	switch {
	case rn.HasAlert && rn.Fatal:
		return "a fatal " + rn.Alert.String() + " alert"
	case rn.HasAlert:
		return "a warning " + rn.Alert.String() + " alert"
	case rn.Reset:
		return "the connection reset"
	case rn.Closed:
		return "the connection closed"
	case rn.TimedOut:
		return "no answer in time"
	}
	return "no ServerHello"
}

// renegotiationFinding is testssl.sh's rule for a client-initiated
// renegotiation the server accepts (its run_renego), a denial of service
// (each renegotiation costs the server a handshake's private-key
// operation, CVE-2011-1473): medium for a server that does not speak
// HTTP; an HTTP server is asked four renegotiations on one connection,
// high when it completes all four, no finding when it refuses one after
// the first (mitigated, as node.js does after three). When the HTTP
// request could not be made, whether the server speaks HTTP is unknown,
// and the unknown does not lower the severity: the worse of the two
// rules, high when it completes all four, medium otherwise.
func renegotiationFinding(r *Result) []Finding {
	f := r.Feature("client_renegotiation")
	if f == nil || !f.Supported {
		return nil
	}
	// GnuTLS hands a client's renegotiation to the application
	// (gnutls_record_recv returns GNUTLS_E_REHANDSHAKE), which performs
	// it only by calling gnutls_handshake (GnuTLS manual, "Re-authentication",
	// server side); its %DISABLE_SAFE_RENEGOTIATION priority turns RFC
	// 5746 off and leaves renegotiation on.
	const fix = "refuse client-initiated renegotiation (OpenSSL 3 does by default: drop -client_renegotiation / SSL_OP_ALLOW_CLIENT_RENEGOTIATION; GnuTLS: the application should ignore GNUTLS_E_REHANDSHAKE from gnutls_record_recv or close, not call gnutls_handshake, which gnutls-serv does; nginx refuses it)"
	cause := f.Detail + "; a client can make it redo the handshake's private-key operation at will, a cheap denial of service (CVE-2011-1473)"
	// (No HSTS request is made with STARTTLS: not HTTP.)
	notHTTP := r.Feature("hsts") == nil || r.HTTP == HTTPNone
	switch {
	case !notHTTP && r.Renegotiations >= renegotiationsAsked:
		return []Finding{finding(High, "client-renegotiation", "the server accepts client-initiated renegotiation again and again", cause, fix)}
	case notHTTP || r.HTTP == HTTPUnchecked:
		return []Finding{finding(Medium, "client-renegotiation", "the server accepts client-initiated renegotiation", cause, fix)}
	}
	return nil
}
