package certio

import (
	"encoding/asn1"
	"errors"
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
