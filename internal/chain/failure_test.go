package chain

import (
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
)

// TestFailureKeepsType checks that a refused chain's error says the cause
// and keeps crypto/x509's error.
func TestFailureKeepsType(t *testing.T) {
	c := loadLimbo(t)[0]
	leaf, o := c.options(t)
	o.Roots = nil
	o.RootPool = x509.NewCertPool()
	r := Verify(leaf, o)
	err := r.Failure()
	if r.Valid || err == nil || err.Error() != r.Cause {
		t.Fatalf("valid %v, failure %v, cause %q", r.Valid, err, r.Cause)
	}
	var ce *Error
	var ua x509.UnknownAuthorityError
	if wrapped := fmt.Errorf("verify: %w", err); !errors.As(wrapped, &ce) || !errors.As(wrapped, &ua) {
		t.Errorf("%#v does not keep crypto/x509's error", err)
	}
	leaf, o = c.options(t)
	if r := Verify(leaf, o); r.Valid && r.Failure() != nil {
		t.Errorf("a valid chain has a failure: %v", r.Failure())
	}
}
