package source

import (
	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// udpTLS emits the notice of a DTLS or QUIC flow, on connection 0 as DNS,
// from the side that sent the datagram.
func (d *decoder) udpTLS(u *capture.UDPTLS) {
	from := trace.Server
	if u.FromClient {
		from = trace.Client
	}
	p := &trace.NotDecoded{Protocol: u.Protocol, Version: u.Version, First: u.First,
		Client: u.Client.String(), Server: u.Server.String(), ByPort: u.ByPort}
	ev := trace.NewEvent(0, from, p)
	ev.Time, ev.Frame = u.Time, u.Frame
	d.sink.sess.Emit(ev)
}
