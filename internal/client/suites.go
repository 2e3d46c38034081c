package client

import (
	"fmt"
	"strings"

	"github.com/tlstrace/tlstrace/internal/suites"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// goLacks says what of o crypto/tls cannot do, in words ("" when it can
// do all of it): a suite or group it does not implement, or a choice of
// TLS 1.3 suites (it always offers its three).
func (o *TLSOptions) goLacks() string {
	for _, id := range o.CipherSuites {
		if !suites.Go(id) {
			return fmt.Sprintf("the cipher suite %s, which crypto/tls does not implement", wire.CipherSuiteName(id))
		}
	}
	if o.TLS13Suites != nil {
		for _, id := range o.TLS13Suites {
			if id > 0x1303 {
				return fmt.Sprintf("the TLS 1.3 suite %s, which crypto/tls does not implement", wire.CipherSuiteName(id))
			}
		}
		if len(o.TLS13Suites) < 3 {
			var names []string
			for _, id := range o.TLS13Suites {
				names = append(names, wire.CipherSuiteName(id))
			}
			return fmt.Sprintf("only %s of the TLS 1.3 suites, while crypto/tls always offers all three", strings.Join(names, ", "))
		}
	}
	for _, g := range o.Curves {
		if suites.FFDHE(uint16(g)) {
			return fmt.Sprintf("the group %s, which crypto/tls does not implement", wire.GroupName(uint16(g)))
		}
	}
	return ""
}
