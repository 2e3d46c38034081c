package chain

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// fuzzEpoch is the middle of the validity window of the chains fuzzChain
// makes.
var fuzzEpoch = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// fuzzChain makes a small chain (root, intermediate, leaf) with keys from
// fixed seeds, so that the seeds are the same bytes on every run (Ed25519
// and Ed448 signatures are deterministic). The constrained variant has an
// intermediate limited to example.com and 192.0.2.0/24 and a leaf that
// stays inside.
func fuzzChain(t testing.TB, keyType string, constrained bool) [][]byte {
	t.Helper()
	keys := make([]crypto.Signer, 3)
	for i := range keys {
		switch keyType {
		case "ed25519":
			keys[i] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, ed25519.SeedSize))
		case "ed448":
			keys[i] = ed448.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, ed448.SeedSize))
		}
	}
	tmpl := func(serial int64, cn string, ca bool) *x509.Certificate {
		c := &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{CommonName: cn},
			NotBefore:             fuzzEpoch.AddDate(0, -1, 0),
			NotAfter:              fuzzEpoch.AddDate(0, 1, 0),
			BasicConstraintsValid: true,
			IsCA:                  ca,
		}
		if ca {
			c.KeyUsage = x509.KeyUsageCertSign
		} else {
			c.DNSNames = []string{"example.com"}
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		return c
	}
	mk := func(tpl, parent *x509.Certificate, key, signer crypto.Signer) []byte {
		der, err := certgen.CreateCertificate(tpl, parent, key.Public(), signer)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	rt, it, lt := tmpl(1, "R", true), tmpl(2, "I", true), tmpl(3, "L", false)
	rt.MaxPathLen = 1
	if constrained {
		it.PermittedDNSDomains = []string{"example.com"}
		it.PermittedIPRanges = []*net.IPNet{{IP: net.IPv4(192, 0, 2, 0).To4(), Mask: net.CIDRMask(24, 32)}}
		it.MaxPathLenZero = true
		lt.DNSNames = []string{"example.com", "www.example.com"}
		lt.IPAddresses = []net.IP{net.IPv4(192, 0, 2, 1).To4()}
	}
	root := mk(rt, rt, keys[0], keys[0])
	inter := mk(it, rt, keys[1], keys[0])
	leaf := mk(lt, it, keys[2], keys[1])
	return [][]byte{leaf, inter, root}
}

// fuzzCase is a chain FuzzVerify starts from: leaf first, root last, valid
// for name at the time at.
type fuzzCase struct {
	certs [][]byte
	name  string
	at    time.Time
}

func fuzzCases(t testing.TB) []fuzzCase {
	cases := []fuzzCase{
		{fuzzChain(t, "ed25519", false), "example.com", fuzzEpoch},
		{fuzzChain(t, "ed25519", true), "www.example.com", fuzzEpoch},
		{fuzzChain(t, "ed448", false), "example.com", fuzzEpoch},
	}
	for _, c := range loadLimbo(t) {
		// Two real chains: ECDSA all the way, and an ECDSA leaf under
		// an RSA root.
		if c.ID != "online::cloudflare.com" && c.ID != "online::stackoverflow.com" {
			continue
		}
		at, err := time.Parse(time.RFC3339, c.ValidationTime)
		if err != nil {
			t.Fatal(err)
		}
		fc := fuzzCase{name: c.ExpectedPeerName.Value, at: at}
		for _, s := range append(append([]string{c.Peer}, c.Intermediates...), c.Trusted...) {
			fc.certs = append(fc.certs, pemCert(t, s).Raw)
		}
		cases = append(cases, fc)
	}
	return cases
}

// FuzzVerify edits one certificate of a real chain (overwriting, inserting
// or deleting bytes of its DER) and verifies the result with an arbitrary
// name and time. The chains are small valid ones: certgen's Ed25519 (one
// with name constraints), an Ed448 chain (which this package judges
// itself, crypto/x509 cannot) and two x509-limbo chains.
//
// The input is the edit, not the chain: each execution verifies
// signatures (about 1 ms with coverage instrumentation), and the fuzzer
// minimizes every new input in time quadratic in its size, so whole
// certificates as input made it spend its time minimizing (13 executions
// in 3 minutes).
//
// Checked: the verdict is crypto/x509's; a chain with Ed448 links is valid
// only when every Ed448 signature verifies and the chain ends at a given
// root inside its validity windows; a valid chain shows its links joined
// issuer to subject, a passed validity and host name check; an invalid one
// has a cause; the events are valid JSON that agrees with the result, and
// so is the leaf's description.
func FuzzVerify(f *testing.F) {
	cases := fuzzCases(f)
	for i, c := range cases {
		// As is, then a few edits: a byte of the leaf's signature, the
		// intermediate cut short, a byte inserted in the root.
		f.Add(uint8(i), uint8(0), uint16(0), []byte{}, c.name, c.at.Unix())
		f.Add(uint8(i), uint8(0), uint16(len(c.certs[0])-3), []byte{0x55}, c.name, c.at.Unix())
		f.Add(uint8(i), uint8(2*3+1), uint16(len(c.certs[1])/2), make([]byte, 40), c.name, c.at.Unix())
		f.Add(uint8(i), uint8(3+2), uint16(30), []byte{0}, "", c.at.Unix())
	}
	f.Fuzz(func(t *testing.T, which, edit uint8, off uint16, patch []byte, name string, at int64) {
		if len(patch) > 32 || len(name) > 64 {
			// Longer edits and names find nothing shorter ones do not,
			// and take the fuzzer long to minimize.
			return
		}
		c := cases[int(which)%len(cases)]
		der := make([][]byte, len(c.certs))
		copy(der, c.certs)
		k := int(edit) % len(der)
		der[k] = tlstest.Edit(der[k], edit/8%3, int(off), patch)
		leaf, err := x509.ParseCertificate(der[0])
		if err != nil {
			return
		}
		// Roots is never nil: the system's trust store stays out of it.
		o := Options{Name: name, At: time.Unix(at, 0), Roots: []*x509.Certificate{}}
		for i, b := range der[1:] {
			cert, err := x509.ParseCertificate(b)
			switch {
			case err != nil:
			case i+2 == len(der):
				o.Roots = append(o.Roots, cert)
			default:
				o.Intermediates = append(o.Intermediates, cert)
			}
		}
		checkResult(t, leaf, o, Verify(leaf, o))
		if d := Describe(leaf).AppendJSON(nil); !json.Valid(d) {
			t.Fatalf("Describe: invalid JSON %s", d)
		}
	})
}

// checkResult checks what FuzzVerify promises of r = Verify(leaf, o).
func checkResult(t *testing.T, leaf *x509.Certificate, o Options, r *Result) {
	t.Helper()
	ed448Chain := false
	for _, l := range r.Links {
		if isEd448Signed(l.Cert) {
			ed448Chain = true
		}
	}
	if !ed448Chain {
		roots, inters := x509.NewCertPool(), x509.NewCertPool()
		for _, c := range o.Roots {
			roots.AddCert(c)
		}
		for _, c := range o.Intermediates {
			inters.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: o.Name, Roots: roots, Intermediates: inters, CurrentTime: o.At,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if r.Valid != (err == nil) {
			t.Fatalf("valid=%v, crypto/x509 says %v", r.Valid, err)
		}
	}
	if !r.Valid && r.Cause == "" {
		t.Fatalf("invalid without a cause: %v", r.Err)
	}
	// A chain refused is refused on a link: one of its checks failed.
	if !r.Valid && !slices.ContainsFunc(r.Links, func(l Link) bool { return slices.ContainsFunc(l.Checks, func(c Check) bool { return !c.OK }) }) {
		t.Fatalf("invalid (%v), but every check of every link passed", r.Err)
	}
	if len(r.Links) == 0 || r.Links[0].Cert != leaf {
		t.Fatalf("%d links, the first is not the leaf", len(r.Links))
	}
	if r.Valid {
		last := r.Links[len(r.Links)-1]
		trusted := false
		for _, c := range o.Roots {
			trusted = trusted || c.Equal(last.Cert)
		}
		if !last.Trusted || !trusted {
			t.Fatalf("valid, but the chain ends at %q, not a given root", last.Cert.Subject)
		}
		for i, l := range r.Links {
			if i+1 < len(r.Links) && l.Issuer != r.Links[i+1].Cert {
				t.Fatalf("link %d: issuer is not the next link", i)
			}
			if o.At.Before(l.Cert.NotBefore) || o.At.After(l.Cert.NotAfter) {
				t.Fatalf("valid, but %q is outside its validity window at %v", l.Cert.Subject, o.At)
			}
			for _, c := range l.Checks {
				if !c.OK {
					t.Fatalf("valid, but the %s check of %q failed: %s", c.Name, l.Cert.Subject, c.Detail)
				}
			}
			// Ed448 signatures: checked here independently of signatureOK.
			if ed448Chain && l.Issuer != nil && l.Issuer != l.Cert {
				oid, key := spkiAlgorithm(l.Issuer.RawSubjectPublicKeyInfo)
				if !isEd448Signed(l.Cert) || !oid.Equal(oidEd448) || len(key) != ed448.PublicKeySize ||
					!ed448.Verify(ed448.PublicKey(key), l.Cert.RawTBSCertificate, l.Cert.Signature, "") {
					t.Fatalf("valid, but the signature of %q does not verify with Ed448", l.Cert.Subject)
				}
			}
		}
		if o.Name != "" && leaf.VerifyHostname(o.Name) != nil {
			t.Fatalf("valid for %q, which the leaf does not list", o.Name)
		}
	}
	evs := r.Events(1)
	if len(evs) != len(r.Links)+1 {
		t.Fatalf("%d events for %d links", len(evs), len(r.Links))
	}
	for _, ev := range evs {
		if !json.Valid(ev.Fields.AppendJSON(nil)) {
			t.Fatalf("%s event: invalid JSON %s", ev.Type, ev.Fields.AppendJSON(nil))
		}
	}
	var verdict struct {
		Valid *bool `json:"valid"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].Fields.AppendJSON(nil), &verdict); err != nil || verdict.Valid == nil || *verdict.Valid != r.Valid {
		t.Fatalf("verdict event %s disagrees with valid=%v", evs[len(evs)-1].Fields.AppendJSON(nil), r.Valid)
	}
}

// TestFuzzCasesValid checks that the chains FuzzVerify starts from are
// valid as they are, so that the fuzzer starts on both sides of the
// verdict, and that certgen's are small.
func TestFuzzCasesValid(t *testing.T) {
	for i, c := range fuzzCases(t) {
		var certs []*x509.Certificate
		n := 0
		for _, der := range c.certs {
			n += len(der)
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			certs = append(certs, cert)
		}
		if i < 3 && n > 1500 {
			t.Errorf("case %d: the chain takes %d bytes", i, n)
		}
		o := Options{Name: c.name, At: c.at, Intermediates: certs[1 : len(certs)-1], Roots: certs[len(certs)-1:]}
		r := Verify(certs[0], o)
		if !r.Valid || len(r.Links) != len(certs) {
			t.Errorf("case %d: valid=%v with %d links: %v", i, r.Valid, len(r.Links), r.Err)
		}
		checkResult(t, certs[0], o, r)
	}
}

func TestApplyEdit(t *testing.T) {
	for _, tc := range []struct {
		mode  uint8
		off   int
		patch string
		want  string
	}{
		{0, 1, "XY", "aXYd"}, {0, 3, "XY", "abcXY"}, {0, 9, "X", "abcdX"}, // 9 % 5 = 4: at the end
		{1, 2, "XY", "abXYcd"}, {1, 4, "X", "abcdX"},
		{2, 1, "..", "ad"}, {2, 3, "...", "abc"},
	} {
		if got := string(tlstest.Edit([]byte("abcd"), tc.mode, tc.off, []byte(tc.patch))); got != tc.want {
			t.Errorf("mode %d at %d with %q: %q, want %q", tc.mode, tc.off, tc.patch, got, tc.want)
		}
	}
}
