package chain

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type limboCase struct {
	ID               string   `json:"id"`
	Trusted          []string `json:"trusted_certs"`
	Intermediates    []string `json:"untrusted_intermediates"`
	Peer             string   `json:"peer_certificate"`
	ValidationTime   string   `json:"validation_time"`
	ExpectedResult   string   `json:"expected_result"`
	ExpectedPeerName struct {
		Kind, Value string
	} `json:"expected_peer_name"`
}

func pemCert(t testing.TB, s string) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		t.Fatalf("no PEM in %q", s[:min(40, len(s))])
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadLimbo(t testing.TB) []limboCase {
	files, _ := filepath.Glob("../../testdata/x509-limbo-online/*.limbo.json")
	if len(files) == 0 {
		t.Fatal("no limbo cases in testdata/x509-limbo-online")
	}
	var out []limboCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c limboCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, c)
	}
	return out
}

func (c limboCase) options(t testing.TB) (*x509.Certificate, Options) {
	at, err := time.Parse(time.RFC3339, c.ValidationTime)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Name: c.ExpectedPeerName.Value, At: at, Thorough: true}
	for _, s := range c.Trusted {
		o.Roots = append(o.Roots, pemCert(t, s))
	}
	for _, s := range c.Intermediates {
		o.Intermediates = append(o.Intermediates, pemCert(t, s))
	}
	return pemCert(t, c.Peer), o
}

// TestLimbo verifies every x509-limbo online case at its validation time
// and name, and tampered copies of it, each failing with the right cause.
func TestLimbo(t *testing.T) {
	for _, c := range loadLimbo(t) {
		t.Run(c.ID, func(t *testing.T) {
			leaf, o := c.options(t)
			r := Verify(leaf, o)
			if r.Valid != (c.ExpectedResult == "SUCCESS") {
				t.Fatalf("valid=%v, want %s: %v", r.Valid, c.ExpectedResult, r.Err)
			}
			for _, l := range r.Links {
				for _, ch := range l.Checks {
					if !ch.OK {
						t.Errorf("%s: check %s failed on a valid chain: %s", l.Cert.Subject, ch.Name, ch.Detail)
					}
				}
				if l.Recovered != nil && string(l.Recovered) != string(l.TBSHash) {
					t.Errorf("%s: the digest recovered from the signature differs from the TBS hash", l.Cert.Subject)
				}
			}
			if n := len(r.Links); n < 2 || !r.Links[n-1].Trusted {
				t.Errorf("the chain does not end at a trusted root")
			}

			// A byte flipped in the leaf's signature.
			bad := *leaf
			bad.Signature = append([]byte{}, leaf.Signature...)
			bad.Signature[len(bad.Signature)/2] ^= 1
			bad.Raw = flipInRaw(t, leaf.Raw, leaf.Signature, len(leaf.Signature)/2)
			tampered, err := x509.ParseCertificate(bad.Raw)
			if err != nil {
				t.Fatal(err)
			}
			wantFail(t, "flipped signature", Verify(tampered, o), "signature", "")
			// Another name.
			o2 := o
			o2.Name = "not-" + strings.TrimPrefix(o.Name, "*.") + ".invalid"
			wantFail(t, "other name", Verify(leaf, o2), "host_name", "is not valid for "+o2.Name)
			// After expiry.
			o3 := o
			o3.At = leaf.NotAfter.Add(time.Hour)
			wantFail(t, "expired", Verify(leaf, o3), "validity", "expired on")
			// Intermediate removed.
			o4 := o
			o4.Intermediates = nil
			wantFail(t, "no intermediate", Verify(leaf, o4), "signature", "which was not sent")
		})
	}
}

// flipInRaw flips one bit of the signature inside the certificate's DER.
func flipInRaw(t *testing.T, raw, sig []byte, i int) []byte {
	idx := strings.LastIndex(string(raw), string(sig))
	if idx < 0 {
		t.Fatal("signature not found in the DER")
	}
	out := append([]byte{}, raw...)
	out[idx+i] ^= 1
	return out
}

func wantFail(t *testing.T, what string, r *Result, check, cause string) {
	t.Helper()
	if r.Valid {
		t.Errorf("%s: verified", what)
		return
	}
	failed := false
	for _, l := range r.Links {
		for _, c := range l.Checks {
			if c.Name == check && !c.OK {
				failed = true
			}
		}
	}
	if !failed {
		t.Errorf("%s: no failed %s check; cause %q", what, check, r.Cause)
	}
	if cause != "" && !strings.Contains(r.Cause, cause) {
		t.Errorf("%s: cause %q lacks %q", what, r.Cause, cause)
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second:                  "1 second",
		90 * time.Second:             "90 seconds",
		5 * time.Minute:              "5 minutes",
		3*time.Hour + 59*time.Minute: "3 hours",
		47 * time.Hour:               "47 hours",
		48 * time.Hour:               "2 days",
		21815 * time.Hour:            "908 days",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}
