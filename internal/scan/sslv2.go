package scan

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// sslv2Kinds are the seven SSL 2.0 cipher kinds, all offered.
var sslv2Kinds = []uint32{0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700C0}

// sslv2Hello returns an SSL 2.0 CLIENT-HELLO record offering every
// cipher kind, with a 16-byte challenge and no session ID.
func sslv2Hello() ([]byte, error) {
	challenge := make([]byte, 16)
	if _, err := rand.Read(challenge); err != nil {
		return nil, err
	}
	specs := make([]byte, 0, 3*len(sslv2Kinds))
	for _, k := range sslv2Kinds {
		specs = append(specs, byte(k>>16), byte(k>>8), byte(k))
	}
	msg := []byte{1, 0x00, 0x02, byte(len(specs) >> 8), byte(len(specs)), 0, 0, 0, byte(len(challenge))}
	msg = append(append(msg, specs...), challenge...)
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...), nil
}

// readSSLv2 reads an SSL 2.0 SERVER-HELLO: accepted with the cipher kinds
// it lists, refused when the answer is anything else (a TLS alert, an SSL
// 2.0 error, the connection closed) or lists no cipher kind.
func readSSLv2(conn io.Reader) answer {
	head := make([]byte, 2)
	if _, err := io.ReadFull(conn, head); err != nil {
		return readFailure(err)
	}
	if head[0]&0x80 == 0 {
		if head[0] == byte(wire.ContentAlert) {
			return answer{outcome: Refused, err: errors.New("the server answered with a TLS alert")}
		}
		return answer{outcome: Refused, err: fmt.Errorf("the answer is no SSL 2.0 record (it starts %x)", head)}
	}
	body := make([]byte, int(head[0]&0x7f)<<8|int(head[1]))
	if _, err := io.ReadFull(conn, body); err != nil {
		return readFailure(err)
	}
	if !wire.IsSSLv2ServerHello(append(head, body...)) || len(body) < 11 {
		return answer{outcome: Refused, err: errors.New("the answer is no SSL 2.0 SERVER-HELLO")}
	}
	certLen := int(body[5])<<8 | int(body[6])
	specLen := int(body[7])<<8 | int(body[8])
	if 11+certLen+specLen > len(body) || specLen%3 != 0 {
		return answer{outcome: Refused, err: errors.New("the SSL 2.0 SERVER-HELLO is malformed")}
	}
	specs := body[11+certLen : 11+certLen+specLen]
	var kinds []uint32
	for i := 0; i < len(specs); i += 3 {
		kinds = append(kinds, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
	}
	if len(kinds) == 0 {
		return answer{outcome: Refused, err: errors.New("the SSL 2.0 SERVER-HELLO lists no cipher")}
	}
	return answer{outcome: Accepted, sslv2: kinds}
}
