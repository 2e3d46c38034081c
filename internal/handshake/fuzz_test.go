package handshake

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// FuzzClient13Flight runs the engine's client against a scripted server
// whose ServerHello (when hello is not empty: the script stops after it),
// EncryptedExtensions and Certificate are the fuzzer's, with a
// CertificateVerify and Finished computed over them (or corrupted, by
// flags), and extra bytes before the Finished. The client must end in
// bounded time with nil only when nothing was corrupted, and otherwise an
// *AlertError or the end of the stream; it must not panic.
func FuzzClient13Flight(f *testing.F) {
	key, der := newScriptKey(f)
	ee, _ := (&wire.EncryptedExtensions{}).Marshal()
	alpn, _ := wire.ALPNExtension([]string{"h2"})
	eeALPN, _ := (&wire.EncryptedExtensions{Extensions: []wire.Extension{alpn}}).Marshal()
	ocsp, _ := wire.OCSPStatusExtension([]byte{0x30, 0})
	cert, _ := wire.MarshalCertificate13(nil, []wire.CertificateEntry{{Data: der, Extensions: []wire.Extension{ocsp}}, {Data: der}})
	plain, _ := wire.MarshalCertificate13(nil, []wire.CertificateEntry{{Data: der}})
	ku, _ := wire.MarshalKeyUpdate(false)
	ks, _ := wire.ServerKeyShareExtension(wire.KeyShare{Group: groupX25519, Data: make([]byte, 32)})
	hello, _ := (&wire.ServerHello{Version: VersionTLS12, Random: make([]byte, 32), SessionID: make([]byte, 32), CipherSuite: 0x1301,
		Extensions: []wire.Extension{wire.SelectedVersionExtension(VersionTLS13), ks}}).Marshal()
	hrr, _ := (&wire.ServerHello{Version: VersionTLS12, HelloRetry: true, SessionID: make([]byte, 32), CipherSuite: 0x1301,
		Extensions: []wire.Extension{wire.SelectedVersionExtension(VersionTLS13), wire.HelloRetryKeyShareExtension(groupP256)}}).Marshal()
	none := []byte(nil)
	f.Add(none, ee, plain, none, uint8(0))
	f.Add(none, eeALPN, cert, none, uint8(0))
	f.Add(none, ee, plain, ku, uint8(0))
	f.Add(none, ee, plain, none, uint8(1))
	f.Add(none, ee, plain, none, uint8(2))
	f.Add(none, wire.MarshalServerHelloDone(), plain, none, uint8(0))
	f.Add(hello, ee, plain, none, uint8(0))
	f.Add(hrr, ee, plain, none, uint8(0))
	f.Fuzz(func(t *testing.T, hello, ee, cert, extra []byte, flags uint8) {
		if len(hello)+len(ee)+len(cert)+len(extra) > 1<<16 {
			return
		}
		s := &script13{key: key, certDER: der, ee: ee, cert: cert, extra: extra,
			corruptCV: flags&1 != 0, corruptFinished: flags&2 != 0}
		if len(hello) > 0 {
			s.rawHello = hello
		}
		start := time.Now()
		err := runScript(t, s, &Config{ServerName: "localhost", ALPN: []string{"h2"}})
		if d := time.Since(start); d > 6*time.Second {
			t.Fatalf("the handshake took %v", d)
		}
		if err == nil {
			if flags&3 != 0 {
				t.Fatal("a corrupted CertificateVerify or Finished was accepted")
			}
			return
		}
		var ae *AlertError
		if !errors.As(err, &ae) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if ae != nil && ae.Sent && ae.Err == nil {
			t.Fatalf("an alert sent without its reason: %v", err)
		}
		if flags == 0 && extra == nil && hello == nil && bytes.Equal(cert, plain) && bytes.Equal(s.ee, wireEE()) {
			t.Fatalf("the unchanged flight failed: %v", err)
		}
	})
}

func wireEE() []byte {
	ee, _ := (&wire.EncryptedExtensions{}).Marshal()
	return ee
}
