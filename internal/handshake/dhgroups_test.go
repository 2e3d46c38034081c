package handshake

import (
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os/exec"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestKnownDHGroup checks the published groups made from their
// definitions against OpenSSL's built-in copies (openssl genpkey
// -genparam -pkeyopt group:NAME), the Oakley groups OpenSSL does not name
// for being safe primes, and a group made for the test for being unknown.
func TestKnownDHGroup(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	params := func(args ...string) (p, g []byte) {
		t.Helper()
		out, err := exec.Command("openssl", append([]string{"genpkey", "-genparam", "-algorithm", "DH"}, args...)...).Output()
		if err != nil {
			t.Fatalf("openssl %v: %v", args, err)
		}
		// PKCS #3 DHParameter: SEQUENCE { prime, base }.
		block, _ := pem.Decode(out)
		if block == nil || block.Type != "DH PARAMETERS" {
			t.Fatalf("openssl %v: %s", args, out)
		}
		var dh struct{ P, G *big.Int }
		if _, err := asn1.Unmarshal(block.Bytes, &dh); err != nil {
			t.Fatal(err)
		}
		return dh.P.Bytes(), dh.G.Bytes()
	}
	for openssl, want := range map[string]string{
		"modp_1536": "RFC 3526 group 5 (MODP 1536 bits)", "modp_2048": "RFC 3526 group 14 (MODP 2048 bits)",
		"modp_3072": "RFC 3526 group 15 (MODP 3072 bits)", "modp_4096": "RFC 3526 group 16 (MODP 4096 bits)",
		"modp_6144": "RFC 3526 group 17 (MODP 6144 bits)", "modp_8192": "RFC 3526 group 18 (MODP 8192 bits)",
		"ffdhe2048": "ffdhe2048", "ffdhe3072": "ffdhe3072", "ffdhe4096": "ffdhe4096", "ffdhe6144": "ffdhe6144", "ffdhe8192": "ffdhe8192",
	} {
		p, g := params("-pkeyopt", "group:"+openssl)
		name, named, ok := KnownDHGroup(p, g)
		if !ok || name != want || (named != 0) != strings.HasPrefix(want, "ffdhe") {
			t.Errorf("%s: %q %#x %v, want %q", openssl, name, named, ok, want)
		}
	}
	// RFC 2409's groups 1 and 2: safe primes of the right size.
	for _, bits := range []int{768, 1024} {
		p := modpPrime(bits)
		q := new(big.Int).Rsh(p, 1)
		if p.BitLen() != bits || !p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
			t.Errorf("the MODP group of %d bits is not a safe prime of that size", bits)
		}
		if name, _, ok := KnownDHGroup(p.Bytes(), []byte{2}); !ok || !strings.HasPrefix(name, "RFC 2409") {
			t.Errorf("%d bits: %q", bits, name)
		}
	}
	p, g := params("-pkeyopt", "dh_paramgen_prime_len:512")
	if name, _, ok := KnownDHGroup(p, g); ok {
		t.Errorf("a group made for the test is said to be %q", name)
	}
	// ffdhe2048's prime with another generator is not the group.
	p, _ = params("-pkeyopt", "group:ffdhe2048")
	if _, _, ok := KnownDHGroup(p, []byte{5}); ok {
		t.Error("ffdhe2048's prime with generator 5 is said to be a known group")
	}
}
