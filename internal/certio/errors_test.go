package certio

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

// TestErrorsKeepTheirType checks that a key that is not DER keeps the
// ASN.1 parser's error.
func TestErrorsKeepTheirType(t *testing.T) {
	_, err := ParsePKCS8([]byte{0x30, 0x03, 0x02, 0x01})
	var se asn1.SyntaxError
	var st asn1.StructuralError
	if err == nil || !(errors.As(err, &se) || errors.As(err, &st)) {
		t.Errorf("error %v (%T) does not keep the asn1 error", err, errors.Unwrap(err))
	}
}

// TestParseErrorsAreTyped checks that a cut DER file, a PEM block with
// bad base64 and a PEM block with no END line are told apart from input
// that is no certificate at all.
func TestParseErrorsAreTyped(t *testing.T) {
	der := seeds(t)[1]
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	good := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})

	t.Run("truncated DER", func(t *testing.T) {
		_, err := Parse(der[:100], "")
		var te *TruncatedError
		if !errors.As(err, &te) {
			t.Fatalf("error %v (%T), want *TruncatedError", err, err)
		}
		if te.Offset != 0 || te.Want != len(der) || te.Have != 100 {
			t.Errorf("got %+v, want offset 0, want %d, have 100", te, len(der))
		}
		if !strings.HasPrefix(err.Error(), "truncated DER: ") {
			t.Errorf("message %q", err)
		}
	})
	t.Run("truncated DER in PEM", func(t *testing.T) {
		cut := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der[:len(der)-10]})
		_, err := Parse(cut, "")
		var te *TruncatedError
		if !errors.As(err, &te) || te.Want != len(der) || te.Have != len(der)-10 {
			t.Fatalf("error %v, want *TruncatedError of %d/%d bytes", err, len(der)-10, len(der))
		}
	})
	t.Run("bad base64", func(t *testing.T) {
		bad := bytes.Replace(good, []byte("\n"), []byte("\n!"), 3) // after BEGIN, then in the body
		bad = append(append([]byte{}, good...), bad...)            // a good block first: not silently skipped
		_, err := Parse(bad, "")
		var be *Base64Error
		if !errors.As(err, &be) {
			t.Fatalf("error %v (%T), want *Base64Error", err, err)
		}
		lines := bytes.Count(good, []byte("\n"))
		if be.Type != "CERTIFICATE" || be.Line != lines+1 || be.Offset != 0 || be.BadLine != lines+2 {
			t.Errorf("got %+v, want CERTIFICATE at line %d, offset 0 on line %d", be, lines+1, lines+2)
		}
		if !strings.HasPrefix(err.Error(), "bad base64 ") {
			t.Errorf("message %q", err)
		}
	})
	t.Run("no END", func(t *testing.T) {
		_, err := Parse(good[:len(good)/2], "")
		var me *MissingEndError
		if !errors.As(err, &me) || me.Line != 1 {
			t.Fatalf("error %v (%T), want *MissingEndError at line 1", err, err)
		}
	})
	t.Run("not a certificate", func(t *testing.T) {
		_, err := Parse([]byte("hello, world\n"), "")
		if !errors.Is(err, ErrNotCertificate) {
			t.Fatalf("error %v, want ErrNotCertificate", err)
		}
	})
	t.Run("key only", func(t *testing.T) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		kder, _ := x509.MarshalPKCS8PrivateKey(k)
		b, err := Parse(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), "")
		if err != nil {
			t.Fatal(err)
		}
		err = b.NeedCerts("key.pem")
		if !errors.Is(err, ErrNoCertificate) || err.Error() != "key.pem holds a private key, no certificate" {
			t.Errorf("NeedCerts: %v", err)
		}
	})
}
