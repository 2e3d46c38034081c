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
// whose EncryptedExtensions and Certificate are the fuzzer's, with a
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
	f.Add(ee, plain, []byte(nil), uint8(0))
	f.Add(eeALPN, cert, []byte(nil), uint8(0))
	f.Add(ee, plain, ku, uint8(0))
	f.Add(ee, plain, []byte(nil), uint8(1))
	f.Add(ee, plain, []byte(nil), uint8(2))
	f.Add(wire.MarshalServerHelloDone(), plain, []byte(nil), uint8(0))
	f.Fuzz(func(t *testing.T, ee, cert, extra []byte, flags uint8) {
		if len(ee)+len(cert)+len(extra) > 1<<16 {
			return
		}
		s := &script13{key: key, certDER: der, ee: ee, cert: cert, extra: extra,
			corruptCV: flags&1 != 0, corruptFinished: flags&2 != 0}
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
		if flags == 0 && extra == nil && bytes.Equal(cert, plain) && bytes.Equal(s.ee, wireEE()) {
			t.Fatalf("the unchanged flight failed: %v", err)
		}
	})
}

func wireEE() []byte {
	ee, _ := (&wire.EncryptedExtensions{}).Marshal()
	return ee
}
