package scan

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// The CCS injection probe (CVE-2014-0224), as testssl.sh and nmap's
// ssl-ccs-injection make it. OpenSSL before 0.9.8za, 1.0.0m and 1.0.1h
// took a ChangeCipherSpec at any time after the ServerHello: one sent
// before the ClientKeyExchange switched the server's reading to keys made
// from an empty master secret, which a man in the middle who does the
// same to the client knows. RFC 5246, Section 7.1, allows it only after
// the key exchange; a patched server sends unexpected_message.
//
// After the server's ServerHelloDone the probe sends a ChangeCipherSpec
// and waits for an answer (three times the time the hello took, ccsLeastWait
// at least). A server that refuses it answers at once. A server that
// stays silent gets a second ChangeCipherSpec: one that took the first
// now reads records under its new keys, and a record of one byte cannot
// be decrypted, so it answers bad_record_mac or decryption_failed (as
// OpenSSL 1.0.1 did for a record shorter than a cipher block). Only that
// sequence is a vulnerable server; unexpected_message right after the
// first is a patched one; anything else is said as seen and not judged.
const ccsLeastWait = 250 * time.Millisecond

// ccsRecord returns a ChangeCipherSpec record of version v.
func ccsRecord(v uint16) []byte {
	rec, _ := wire.AppendRecord(nil, wire.ContentChangeCipherSpec, v, []byte{1})
	return rec
}

// ccsReply is what the server did after one of the probe's
// ChangeCipherSpec records, up to an alert, the end of the connection or
// the end of the wait.
type ccsReply struct {
	alert    wire.AlertDescription
	hasAlert bool
	// oddAlert: an alert record came that is not two bytes (an
	// encrypted one); alertLen is its length.
	oddAlert bool
	alertLen int
	// others are the types of the records before it that are not alerts.
	others []wire.ContentType
	// timedOut: nothing ended the reply within the wait; closed: the
	// server closed the connection; reset: it reset it; err is any other
	// failure.
	timedOut, closed, reset bool
	err                     error
}

// recordReader reads records, keeping the bytes of one cut by a deadline
// for the next read.
type recordReader struct {
	r   io.Reader
	buf []byte
}

// next returns the next whole record, or the error that stopped it.
func (rr *recordReader) next() (wire.ContentType, []byte, error) {
	var tmp [4096]byte
	for {
		if len(rr.buf) >= wire.RecordHeaderLen {
			n := wire.RecordHeaderLen + (int(rr.buf[3])<<8 | int(rr.buf[4]))
			if len(rr.buf) >= n {
				typ, body := wire.ContentType(rr.buf[0]), rr.buf[wire.RecordHeaderLen:n]
				rr.buf = rr.buf[n:]
				return typ, body, nil
			}
		}
		k, err := rr.r.Read(tmp[:])
		rr.buf = append(rr.buf, tmp[:k]...)
		if err != nil {
			if len(rr.buf) >= wire.RecordHeaderLen && len(rr.buf) >= wire.RecordHeaderLen+(int(rr.buf[3])<<8|int(rr.buf[4])) {
				continue
			}
			return 0, nil, err
		}
	}
}

// readCCSReply reads the server's records until an alert, the end of the
// connection or the reader's deadline.
func readCCSReply(rr *recordReader) ccsReply {
	var r ccsReply
	for {
		typ, body, err := rr.next()
		if err != nil {
			r.ended(err)
			return r
		}
		if typ == wire.ContentAlert {
			if len(body) == 2 {
				r.alert, r.hasAlert = wire.AlertDescription(body[1]), true
			} else {
				r.oddAlert, r.alertLen = true, len(body)
			}
			return r
		}
		if !slices.Contains(r.others, typ) {
			r.others = append(r.others, typ)
		}
	}
}

// ended records the error that ended the reply.
func (r *ccsReply) ended(err error) {
	switch ce := connEnd(err); {
	case timedOut(err):
		r.timedOut = true
	case ce != nil && ce.reset:
		r.reset = true
	case ce != nil:
		r.closed = true
	default:
		r.err = err
	}
}

// String says what the reply was, after "the server ".
func (r ccsReply) String() string {
	var s string
	switch {
	case r.hasAlert:
		s = "sent the alert " + r.alert.String()
	case r.oddAlert:
		s = fmt.Sprintf("sent an alert of %d bytes, not in the clear", r.alertLen)
	case r.closed:
		s = "closed the connection without an alert"
	case r.reset:
		s = "reset the connection without an alert"
	case r.timedOut:
		s = "said nothing"
	case r.err != nil:
		s = "gave no answer before the connection failed (" + failedWords(r.err) + ")"
	default:
		s = "said nothing"
	}
	if len(r.others) > 0 {
		names := make([]string, len(r.others))
		for i, t := range r.others {
			names[i] = t.String()
		}
		s = "sent " + strings.Join(names, " and ") + " records, then " + strings.TrimPrefix(s, "sent ")
	}
	return s
}

// decryptionFailure reports whether r is the alert of a record the server
// could not decrypt.
func (r ccsReply) decryptionFailure() bool {
	return r.hasAlert && (r.alert == wire.AlertBadRecordMAC || r.alert == wire.AlertDecryptionFailed)
}

// ccsVerdict judges the replies to the early ChangeCipherSpec (first,
// read for wait) and, when the server was silent, to the second
// (sentSecond): known and vulnerable, and the detail of the feature.
func ccsVerdict(first ccsReply, wait time.Duration, sentSecond bool, second ccsReply) (known, vulnerable bool, detail string) {
	const early = "to a ChangeCipherSpec sent after its ServerHelloDone and before any key exchange, the server"
	const unsure = "whether it is vulnerable to CCS injection (CVE-2014-0224) is not known"
	w := wait.Round(time.Millisecond)
	switch {
	case first.hasAlert && first.alert == wire.AlertUnexpectedMessage && len(first.others) == 0:
		return true, false, early + " answered with the alert unexpected_message, as RFC 5246 requires: not vulnerable to CCS injection (CVE-2014-0224)"
	case !first.timedOut || len(first.others) > 0:
		return false, false, fmt.Sprintf("%s %s, not unexpected_message: %s", early, first, unsure)
	case !sentSecond:
		return false, false, fmt.Sprintf("%s said nothing within the probe's time: %s", early, unsure)
	case second.decryptionFailure() && len(second.others) == 0:
		return true, true, fmt.Sprintf("%s sent no alert (nothing for %s), and to a second one it answered with the alert %s: it had switched to reading records under keys made without a key exchange, as OpenSSL before 1.0.1h did (CCS injection, CVE-2014-0224)",
			early, w, second.alert)
	case second.timedOut && len(second.others) == 0:
		return false, false, fmt.Sprintf("%s said nothing for %s, nor to a second one within the probe's time: %s", early, w, unsure)
	default:
		return false, false, fmt.Sprintf("%s said nothing for %s; to a second one it then %s, neither a refusal of the first (unexpected_message) nor the failure of a record it could not decrypt: %s",
			early, w, second, unsure)
	}
}

// scanCCSInjection probes the highest version from SSL 3.0 to TLS 1.2
// that the server accepts, with the suites it accepted there, for CCS
// injection. A server that speaks TLS 1.3 and none of those versions is
// not affected (a TLS 1.3 ChangeCipherSpec changes no keys, RFC 8446,
// Appendix D.4), and is not probed. It returns nil when the server
// speaks neither.
func scanCCSInjection(ctx context.Context, r *Result, p *prober) *Feature {
	var v uint16
	var suites []uint16
	tls13 := false
	for _, vr := range r.Versions {
		switch {
		case vr.Outcome != Accepted:
		case vr.Version == wire.VersionTLS13:
			tls13 = true
		case vr.Version >= wire.VersionSSL30 && vr.Version <= wire.VersionTLS12:
			v, suites = vr.Version, vr.Suites
		}
	}
	if v == 0 {
		if !tls13 {
			return nil
		}
		return &Feature{Name: "ccs_injection", Version: wire.VersionTLS13, Known: true,
			Detail: "the server speaks TLS 1.3 and no version from SSL 3.0 to TLS 1.2; in TLS 1.3 the keys come from the first flight and a ChangeCipherSpec changes none (RFC 8446, Appendix D.4): not vulnerable to CCS injection (CVE-2014-0224), not probed"}
	}
	f := &Feature{Name: "ccs_injection", Version: v}
	h := &hello{version: v, suites: suites, groups: ecGroups, wantDone: true}
	var first, second ccsReply
	var wait time.Duration
	sentSecond := false
	a := p.withDeadline(ctx, func(conn net.Conn, deadline time.Time) answer {
		record, err := h.marshal(p.serverName)
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
		start := time.Now()
		if _, err := conn.Write(record); err != nil {
			return readFailure(err)
		}
		a := readAnswer(conn, h)
		if a.outcome == Accepted && !a.done {
			return flightCut(a)
		}
		if a.outcome != Accepted {
			return a
		}
		wait = max(3*time.Since(start), ccsLeastWait)
		ccs := ccsRecord(a.version())
		rr := &recordReader{r: conn}
		if _, err := conn.Write(ccs); err != nil {
			first.ended(err)
			return a
		}
		end := time.Now().Add(wait)
		if end.After(deadline) {
			end = deadline
		}
		_ = conn.SetReadDeadline(end)
		first = readCCSReply(rr)
		if !first.timedOut || len(first.others) > 0 || !time.Now().Before(deadline) {
			return a
		}
		_ = conn.SetReadDeadline(deadline)
		sentSecond = true
		if _, err := conn.Write(ccs); err != nil {
			second.ended(err)
			return a
		}
		second = readCCSReply(rr)
		return a
	})
	if a.outcome != Accepted {
		f.Detail = flightWords(v, a)
		return f
	}
	f.Known, f.Supported, f.Detail = ccsVerdict(first, wait, sentSecond, second)
	return f
}
