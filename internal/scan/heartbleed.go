package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// The Heartbleed probe (CVE-2014-0160), as testssl.sh makes it: after the
// server's ServerHelloDone, still in clear text, the client sends a
// HeartbeatRequest whose payload_length claims 16 KB and that carries
// none. RFC 6520, Section 4, requires the server to discard it; OpenSSL
// 1.0.1 to 1.0.1f echoed 16 KB read from past the request instead, its
// own memory (keys, cookies, passwords). The probe then sends a
// well-formed request and a close_notify: TLS records are read in order,
// so whatever the server does about the first request comes before its
// answer to the others, and the probe need not wait for a time-out.
const (
	heartbeatRequest  = 1 // HeartbeatMessageType, RFC 6520, Section 3
	heartbeatResponse = 2
	// bleedLength is the payload_length the lying request claims.
	bleedLength = 0x4000
	// heartbeatPadding is the least padding of a HeartbeatMessage.
	heartbeatPadding = 16
)

// heartbeatPayload is the payload of the well-formed request, which a
// server that answers heartbeats echoes.
var heartbeatPayload = []byte("tlstrace probe..")

// heartbeatRecords returns the lying request, the well-formed one and a
// warning close_notify, as records of version v.
func heartbeatRecords(v uint16) ([]byte, error) {
	lying := []byte{heartbeatRequest, bleedLength >> 8, bleedLength & 0xff}
	good := append([]byte{heartbeatRequest, 0, byte(len(heartbeatPayload))}, heartbeatPayload...)
	pad := make([]byte, heartbeatPadding)
	if _, err := rand.Read(pad); err != nil {
		return nil, err
	}
	good = append(good, pad...)
	out, err := wire.AppendRecord(nil, wire.ContentHeartbeat, v, lying)
	if err != nil {
		return nil, err
	}
	if out, err = wire.AppendRecord(out, wire.ContentHeartbeat, v, good); err != nil {
		return nil, err
	}
	return wire.AppendRecord(out, wire.ContentAlert, v, []byte{1, byte(wire.AlertCloseNotify)})
}

// bleedAnswer is what the server did after the heartbeat requests.
type bleedAnswer struct {
	// leaked is the length of the answer to the lying request (0: none).
	leaked int
	// echoed: the well-formed request was answered with its payload.
	echoed bool
	// end says how the exchange ended: "closed", an alert, or an error.
	end string
	// timedOut: the server said nothing more within the probe's time.
	timedOut bool
}

// readHeartbeats reads the server's records after the requests until it
// closes the connection or sends an alert.
func readHeartbeats(conn io.Reader) bleedAnswer {
	var a bleedAnswer
	header := make([]byte, wire.RecordHeaderLen)
	for {
		if _, err := io.ReadFull(conn, header); err != nil {
			return a.ended(err)
		}
		typ := wire.ContentType(header[0])
		// Not wire.ParseRecordHeader: a vulnerable server's answer is a
		// record longer than TLS allows (3 + 16384 + 16 bytes).
		body := make([]byte, int(header[3])<<8|int(header[4]))
		if _, err := io.ReadFull(conn, body); err != nil {
			return a.ended(err)
		}
		switch typ {
		case wire.ContentHeartbeat:
			if len(body) < 3 || body[0] != heartbeatResponse {
				continue
			}
			n := int(body[1])<<8 | int(body[2])
			switch {
			case n == len(heartbeatPayload) && len(body) >= 3+n && bytes.Equal(body[3:3+n], heartbeatPayload):
				a.echoed = true
			case n > len(heartbeatPayload) && len(body) > 3+len(heartbeatPayload):
				// More payload than the client ever sent: the lying
				// request's, read from past it.
				a.leaked = max(a.leaked, len(body))
			}
		case wire.ContentAlert:
			if len(body) == 2 {
				a.end = "it then sent the alert " + wire.AlertDescription(body[1]).String()
			} else {
				a.end = fmt.Sprintf("it then sent an alert of %d bytes", len(body))
			}
			return a
		}
	}
}

func (a bleedAnswer) ended(err error) bleedAnswer {
	switch ce := connEnd(err); {
	case timedOut(err):
		a.timedOut = true
		a.end = "it said nothing more within the probe's time"
	case ce != nil && ce.reset:
		a.end = "it then reset the connection"
	case ce != nil:
		a.end = "it then closed the connection"
	default:
		a.end = "the connection then failed: " + failedWords(err)
	}
	return a
}

// scanHeartbleed probes the highest version before TLS 1.3 that the server
// accepts (TLS 1.3 has no heartbeat) for Heartbleed, offering the heartbeat
// extension, as a vulnerable OpenSSL answered whether or not it was
// negotiated. It returns nil when the server speaks none of TLS 1.0-1.2.
func scanHeartbleed(ctx context.Context, r *Result, p *prober) *Feature {
	var v uint16
	var suites []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version >= wire.VersionTLS10 && vr.Version <= wire.VersionTLS12 {
			v, suites = vr.Version, vr.Suites
		}
	}
	if v == 0 {
		return nil
	}
	f := &Feature{Name: "heartbleed", Version: v}
	h := &hello{version: v, suites: suites, groups: ecGroups, wantDone: true,
		extra: []wire.Extension{{Type: extHeartbeat, Data: []byte{1}}}}
	var b bleedAnswer
	negotiated := false
	a := p.with(ctx, func(conn net.Conn) answer {
		record, err := h.marshal(p.serverName)
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
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
		negotiated = slices.ContainsFunc(a.hello.Extensions, func(e wire.Extension) bool { return e.Type == extHeartbeat })
		hb, err := heartbeatRecords(v)
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
		if _, err := conn.Write(hb); err != nil {
			b = bleedAnswer{}.ended(err)
			return a
		}
		b = readHeartbeats(conn)
		return a
	})
	if a.outcome != Accepted {
		f.Detail = flightWords(v, a)
		return f
	}
	ext := "the server did not negotiate the heartbeat extension"
	if negotiated {
		ext = "the server negotiated the heartbeat extension"
	}
	switch {
	case b.leaked > 0:
		f.Known, f.Supported = true, true
		f.Detail = fmt.Sprintf("after its ServerHelloDone, the server answered a heartbeat request that claimed %d bytes and carried none with a %d-byte heartbeat response: bytes of its memory (%s)",
			bleedLength, b.leaked, ext)
	case b.echoed:
		f.Known = true
		f.Detail = fmt.Sprintf("the server answered a well-formed heartbeat request and discarded the one whose length lied, as RFC 6520 requires (%s)", ext)
	case b.timedOut:
		f.Detail = fmt.Sprintf("the server answered neither heartbeat request, and %s: whether it would leak is not known (%s)", b.end, ext)
	default:
		f.Known = true
		f.Detail = fmt.Sprintf("the server answered neither heartbeat request, and %s (%s)", b.end, ext)
	}
	return f
}
