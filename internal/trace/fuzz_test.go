package trace

import (
	"testing"
	"time"
)

// FuzzConn feeds arbitrary bytes, split between the two sides at arbitrary
// points, to a Conn that holds the Illustrated TLS 1.3 secrets. It must never
// panic, and every event must name its side and type.
func FuzzConn(f *testing.F) {
	var client, server []byte
	for _, fl := range illustrated13 {
		b := testdata(f, "illustrated-tls13", "caps", fl.file)
		if fl.from == Client {
			client = append(client, b...)
		} else {
			server = append(server, b...)
		}
	}
	f.Add(client, server, uint16(7))
	f.Add(testdata(f, "illustrated-tls12", "caps", "clienthello"), testdata(f, "illustrated-tls12", "caps", "serverhello"), uint16(1))
	keys := loadKeys(f, "illustrated-tls13")
	f.Fuzz(func(t *testing.T, client, server []byte, chunk uint16) {
		n := int(chunk%512) + 1
		s := NewSession(time.Unix(0, 0), keys, func(ev *Event) {
			if ev.Type == "" || ev.Layer == "" {
				t.Fatalf("event without type or layer: %+v", ev)
			}
		})
		c := s.NewConn(1, false)
		for len(client) > 0 || len(server) > 0 {
			k := min(n, len(client))
			c.Feed(Client, Stamp{}, client[:k])
			client = client[k:]
			k = min(n, len(server))
			c.Feed(Server, Stamp{}, server[:k])
			server = server[k:]
		}
		c.Close()
	})
}
