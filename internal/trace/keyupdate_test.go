package trace

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
)

// seal13 builds a TLS 1.3 record: content, inner type, protected with the
// traffic secret at sequence number seq (RFC 8446, Section 5.2).
func seal13(t testing.TB, suite *tlscrypt.Suite, secret []byte, seq uint64, ctype byte, content []byte) []byte {
	key, iv := tlscrypt.TrafficKeys13(suite, secret)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	nonce := slices.Clone(iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	inner := append(slices.Clone(content), ctype)
	hdr := []byte{23, 3, 3, 0, 0}
	binary.BigEndian.PutUint16(hdr[3:], uint16(len(inner)+aead.Overhead()))
	return aead.Seal(hdr, nonce, inner, hdr)
}

// TestKeyUpdate checks that after a KeyUpdate the sender's records are read
// with the next generation of its traffic secret (RFC 8446, Section 7.2),
// and the other side's keys stay as they were.
func TestKeyUpdate(t *testing.T) {
	dir := "illustrated-tls13"
	keys := loadKeys(t, dir)
	random := testdata(t, dir, "caps", "clienthello")[11 : 11+32]
	suite, _ := tlscrypt.SuiteByID(0x1302)
	secret := keys.Secret(random, keylog.LabelClientTrafficSecret0)
	next := tlscrypt.NextSecret13(suite, secret)

	var events []*Event
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	for _, f := range illustrated13 {
		c.Feed(f.from, Stamp{}, testdata(t, dir, "caps", f.file))
	}
	// The client has sent one application record (seq 0): KeyUpdate is
	// seq 1, then the next generation starts at 0.
	c.Feed(Client, Stamp{}, seal13(t, suite, secret, 1, 22, []byte{24, 0, 0, 1, 1}))
	c.Feed(Client, Stamp{}, seal13(t, suite, next, 0, 23, []byte("after update")))
	c.Feed(Client, Stamp{}, seal13(t, suite, next, 1, 23, []byte("and again")))
	c.Feed(Server, Stamp{}, seal13(t, suite, keys.Secret(random, keylog.LabelServerTrafficSecret0), 3, 23, []byte("server still gen 0")))
	c.Close()
	got := events[len(illustrated13):]
	want := []string{"key_update", "application_data", "application_data", "application_data"}
	var types []string
	for _, ev := range got {
		types = append(types, ev.Type)
		if ev.Error != "" {
			t.Errorf("%s: %s", ev.Type, ev.Error)
		}
	}
	if !slices.Equal(types, want) {
		t.Fatalf("types %v, want %v", types, want)
	}
	if r := got[0].Fields.Get("request_update"); r == nil || r.Str != "update_requested" {
		t.Errorf("request_update %+v", r)
	}
	for i, text := range []string{"after update", "and again", "server still gen 0"} {
		if d := string(got[i+1].Fields.Get("data").Bytes); d != text {
			t.Errorf("data %q, want %q", d, text)
		}
	}
	// The key schedule step of each record: the KeyUpdate itself is
	// still read with generation 0, the records after it with
	// generation 1, derived from it; the server's stay at generation 0.
	for i, want := range []struct {
		secret     string
		generation int
		value      []byte
	}{
		{keylog.LabelClientTrafficSecret0, 0, secret},
		{keylog.LabelClientTrafficSecret0, 1, next},
		{keylog.LabelClientTrafficSecret0, 1, next},
		{keylog.LabelServerTrafficSecret0, 0, keys.Secret(random, keylog.LabelServerTrafficSecret0)},
	} {
		k := got[i].Record.Key
		if k == nil || k.Secret != want.secret || k.Generation != want.generation || !bytes.Equal(k.Value, want.value) {
			t.Errorf("%s: key %+v, want %s generation %d", got[i].Type, k, want.secret, want.generation)
		}
	}
	if k := got[1].Record.Key; k == nil || got[2].Record.Key != k || !strings.Contains(k.From, "generation 0 of "+keylog.LabelClientTrafficSecret0+", by KeyUpdate") {
		t.Errorf("the next generation's key %+v is not one step said to come from generation 0", k)
	}
}
