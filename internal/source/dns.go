package source

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// dnsMaxRecords bounds the questions and answers shown of one message.
const dnsMaxRecords = 64

// dns shows a DNS datagram of the capture as a dns query or answer event,
// outside any connection (conn 0); one that does not parse is shown with
// the parser's error.
func (d *decoder) dns(g *capture.Datagram) {
	p, err := dnsParse(g.Payload)
	client, server := g.Src, g.Dst
	if p.Response {
		client, server = g.Dst, g.Src
	}
	p.Client, p.Server = client.String(), server.String()
	from := trace.Client
	if p.Response {
		from = trace.Server
	}
	ev := trace.NewEvent(0, from, p)
	ev.Time, ev.Frame = g.Time, g.Frame
	if err != nil {
		ev.Error = fmt.Sprintf("DNS message of %d bytes: %v", len(g.Payload), err)
	}
	d.sink.sess.Emit(ev)
}

// dnsParse reads what it can of a DNS message: p holds the records read
// before an error.
func dnsParse(b []byte) (*trace.DNSMessage, error) {
	p := &trace.DNSMessage{Questions: []string{}, Answers: []string{}}
	var m dnsmessage.Parser
	h, err := m.Start(b)
	if err != nil {
		if len(b) >= 3 {
			p.ID, p.Response = uint16(b[0])<<8|uint16(b[1]), b[2]&0x80 != 0
		}
		return p, err
	}
	p.ID, p.Response = h.ID, h.Response
	p.RCode = rcodeName(h.RCode)
	for len(p.Questions) < dnsMaxRecords {
		q, err := m.Question()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return p, err
		}
		p.Questions = append(p.Questions, q.Name.String()+" "+typeName(q.Type))
	}
	if !p.Response {
		return p, nil
	}
	if err := m.SkipAllQuestions(); err != nil {
		return p, err
	}
	for len(p.Answers) < dnsMaxRecords {
		rh, err := m.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return p, err
		}
		var data string
		switch rh.Type {
		case dnsmessage.TypeA:
			r, err := m.AResource()
			if err != nil {
				return p, err
			}
			data = netip.AddrFrom4(r.A).String()
		case dnsmessage.TypeAAAA:
			r, err := m.AAAAResource()
			if err != nil {
				return p, err
			}
			data = netip.AddrFrom16(r.AAAA).String()
		case dnsmessage.TypeCNAME:
			r, err := m.CNAMEResource()
			if err != nil {
				return p, err
			}
			data = r.CNAME.String()
		default:
			r, err := m.UnknownResource()
			if err != nil {
				return p, err
			}
			data = fmt.Sprintf("(%d bytes)", len(r.Data))
		}
		p.Answers = append(p.Answers, fmt.Sprintf("%s %s %d %s", rh.Name.String(), typeName(rh.Type), rh.TTL, data))
	}
	return p, nil
}

// typeName is a record type's name without the package's prefix.
func typeName(t dnsmessage.Type) string {
	return strings.TrimPrefix(t.String(), "Type")
}

var rcodes = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}

// rcodeName is a response code's name as dig shows it.
func rcodeName(c dnsmessage.RCode) string {
	if int(c) < len(rcodes) {
		return rcodes[c]
	}
	return fmt.Sprintf("RCODE%d", c)
}
