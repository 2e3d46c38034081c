package source

import (
	"crypto/tls"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// StateFields records what a handshake settled (the fields of a
// handshake_complete event): version, suite, group, ALPN, resumption,
// HelloRetryRequest, and the server name when one was sent.
func StateFields(f *field.Node, cs tls.ConnectionState) {
	f.AddString("version", tls.VersionName(cs.Version))
	f.AddString("cipher_suite", tls.CipherSuiteName(cs.CipherSuite))
	if cs.CurveID != 0 {
		f.AddString("group", wire.GroupName(uint16(cs.CurveID)))
	}
	if cs.ServerName != "" {
		f.AddString("server_name", cs.ServerName)
	}
	if cs.NegotiatedProtocol != "" {
		f.AddString("alpn", cs.NegotiatedProtocol)
	}
	f.AddBool("resumed", cs.DidResume)
	f.AddBool("hello_retry_request", cs.HelloRetryRequest)
}
