package trace

import (
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
)

// BenchmarkFeedStream measures the record framer on a bulk download: after
// the Illustrated TLS 1.3 handshake the server sends 64 records of 16 KB,
// fed in chunks the size of TCP segments and of large reads.
func BenchmarkFeedStream(b *testing.B) {
	dir := "illustrated-tls13"
	keys := loadKeys(b, dir)
	random := testdata(b, dir, "caps", "clienthello")[11 : 11+32]
	suite, _ := tlscrypt.SuiteByID(0x1302)
	secret := keys.Secret(random, keylog.LabelServerTrafficSecret0)
	var handshake [][]byte
	for _, f := range illustrated13 {
		handshake = append(handshake, testdata(b, dir, "caps", f.file))
	}
	var stream []byte
	payload := make([]byte, 16<<10)
	for i := range 64 {
		// The Illustrated server has used sequence numbers 0-2.
		stream = append(stream, seal13(b, suite, secret, uint64(3+i), 23, payload)...)
	}
	for _, bc := range []struct {
		name  string
		chunk int
	}{{"segments", 1448}, {"reads", 64 << 10}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				data := 0
				s := NewSession(time.Unix(0, 0), keys, func(ev *Event) {
					if ev.Type == TypeApplicationData && ev.Error == "" {
						data++
					}
				})
				c := s.NewConn(1, false)
				for i, f := range illustrated13 {
					c.Feed(f.from, Stamp{}, handshake[i])
				}
				for rest := stream; len(rest) > 0; {
					n := min(bc.chunk, len(rest))
					c.Feed(Server, Stamp{}, rest[:n])
					rest = rest[n:]
				}
				c.Close()
				if data != 64+2 {
					b.Fatalf("%d application data records decoded, want %d", data, 64+2)
				}
			}
		})
	}
}
