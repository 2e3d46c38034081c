// This file holds the finite-field Diffie-Hellman key exchange of TLS 1.0-1.2
// with parameters the server chooses (RFC 5246, Sections 7.4.3, 7.4.7.2 and
// 8.1.2) and the checks the client makes on them before using them (RFC
// 7919, Section 3 and Section 5.1).

package handshake

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
)

// DefaultMinDHBits is the smallest DHE group a client accepts when
// Config.MinDHBits is 0: 2048 bits, the size of the smallest RFC 7919
// group. Groups of 1024 bits are within reach of a nation-state
// precomputation (Logjam, "Imperfect Forward Secrecy", CCS 2015) and
// crypto/tls, curl with OpenSSL 3 at its default security level and
// browsers no longer accept them.
const DefaultMinDHBits = 2048

// MaxDHBits is the largest DHE group a client accepts. The exponentiations
// grow with the cube of the size, so a hostile server could make a client
// spend seconds on one handshake with a huge modulus; 10000 bits is
// OpenSSL's own limit (OPENSSL_DH_MAX_MODULUS_BITS) and holds ffdhe8192.
const MaxDHBits = 10000

// DHGroupSizeError is a server's DHE group outside the sizes the client
// accepts: smaller than Config.MinDHBits, or larger than MaxDHBits.
type DHGroupSizeError struct {
	// Bits is the size of the server's prime.
	Bits int
	// Min and Max are the bounds it was held to.
	Min, Max int
}

func (e *DHGroupSizeError) Error() string {
	if e.Bits < e.Min {
		return fmt.Sprintf("the server's DHE group has %d bits, below the %d bits accepted (MinDHBits)", e.Bits, e.Min)
	}
	return fmt.Sprintf("the server's DHE group has %d bits, above the %d bits accepted", e.Bits, e.Max)
}

// DHPrimeError is a server's DHE modulus (dh_p) that is not prime. Over a
// composite modulus the discrete logarithm splits into one for each
// factor (by the Chinese remainder theorem), so a server that knows the
// factors, or an attacker who chose them, can read every key exchange.
type DHPrimeError struct {
	// Bits is the size of the modulus.
	Bits int
	// Even reports whether it is even, which the client sees without a
	// primality test.
	Even bool
}

func (e *DHPrimeError) Error() string {
	if e.Even {
		return fmt.Sprintf("the server's DHE prime dh_p (%d bits) is not prime: it is even", e.Bits)
	}
	return fmt.Sprintf("the server's DHE prime dh_p (%d bits) is not prime", e.Bits)
}

// DHParamError is a server's DHE parameter or public value that fails a
// check of RFC 7919, Section 5.1 (or a shared secret that is degenerate).
type DHParamError struct {
	// Param names the value: "dh_p", "dh_g", "dh_Ys" or "shared secret".
	Param string
	// Reason says what is wrong with it.
	Reason string
}

func (e *DHParamError) Error() string {
	return fmt.Sprintf("the server's DHE %s is unusable: %s", e.Param, e.Reason)
}

// dheParams are the ServerDHParams of a DHE ServerKeyExchange (RFC 5246,
// Section 7.4.3), as big integers.
type dheParams struct {
	p, g, ys *big.Int
	// known names the published group p and g are, "" for a group of
	// the server's own; named is its RFC 7919 code point, 0 for another
	// (KnownDHGroup).
	known string
	named uint16
}

// newDHEParams reads the three values of ServerDHParams and checks them:
// the prime is between minBits and MaxDHBits bits (minBits 0 means
// DefaultMinDHBits) and is prime, and 1 < g < p-1 and 1 < Ys < p-1 (RFC
// 7919, Section 5.1). A published group (KnownDHGroup: RFC 7919, RFC 2409,
// RFC 3526) is known to be prime; any other modulus is tested, since a
// composite one of known factors makes the discrete logarithm easy.
func newDHEParams(p, g, ys []byte, minBits int) (*dheParams, error) {
	if minBits <= 0 {
		minBits = DefaultMinDHBits
	}
	d := &dheParams{p: new(big.Int).SetBytes(p), g: new(big.Int).SetBytes(g), ys: new(big.Int).SetBytes(ys)}
	bits := d.p.BitLen()
	if bits < minBits || bits > MaxDHBits {
		return nil, &DHGroupSizeError{Bits: bits, Min: minBits, Max: MaxDHBits}
	}
	if d.p.Bit(0) == 0 {
		return nil, &DHPrimeError{Bits: bits, Even: true}
	}
	d.known, d.named, _ = KnownDHGroup(p, g)
	// ProbablyPrime(0) is the Baillie-PSW test (a Miller-Rabin round to
	// base 2 and a strong Lucas test), which no composite is known to
	// pass, crafted or not ("Prime and Prejudice", Albrecht et al., CCS
	// 2018, Section 2). More rounds would add nothing against a hostile
	// server: math/big draws their bases from a generator seeded by the
	// number itself. It costs about 10 ms for 2048 bits and less to
	// refuse a composite; the published groups skip it.
	if d.known == "" && !d.p.ProbablyPrime(0) {
		return nil, &DHPrimeError{Bits: bits}
	}
	pMinus1 := new(big.Int).Sub(d.p, big.NewInt(1))
	if !inOpenRange(d.g, pMinus1) {
		return nil, &DHParamError{"dh_g", "the generator is not between 1 and p-1"}
	}
	if !inOpenRange(d.ys, pMinus1) {
		return nil, &DHParamError{"dh_Ys", "the public value is not between 1 and p-1"}
	}
	return d, nil
}

// inOpenRange reports whether 1 < x < hi.
func inOpenRange(x, hi *big.Int) bool {
	return x.Cmp(big.NewInt(1)) > 0 && x.Cmp(hi) < 0
}

// bits returns the size of the prime.
func (d *dheParams) bits() int { return d.p.BitLen() }

// exchange makes the client's key pair and returns its public value dh_Yc
// (RFC 5246, Section 7.4.7.2) and the premaster secret: the shared secret
// with its leading zero bytes stripped (RFC 5246, Section 8.1.2). The
// private exponent is drawn uniformly from [2, min(p-1, 2^dhExponentBits)):
// 512 bits, at least twice the security strength of the group (RFC 7919,
// Section 5.2; 192 bits for ffdhe8192), as the engine's server draws its
// own. A full-size exponent would let a hostile server's 10000-bit group
// cost the client seconds; the key is used once, and the group is the
// server's choice, which can weaken only connections to that server.
func (d *dheParams) exchange(rnd io.Reader) (yc, premaster []byte, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	// x = 2 + uniform [0, limit-2).
	limit := new(big.Int).Sub(d.p, big.NewInt(1))
	if limit.BitLen() > dhExponentBits {
		limit = new(big.Int).Lsh(big.NewInt(1), dhExponentBits)
	}
	x, err := rand.Int(rnd, limit.Sub(limit, big.NewInt(2)))
	if err != nil {
		return nil, nil, fmt.Errorf("making a DHE private key: %w", err)
	}
	x.Add(x, big.NewInt(2))
	pub := new(big.Int).Exp(d.g, x, d.p)
	z := new(big.Int).Exp(d.ys, x, d.p)
	pMinus1 := new(big.Int).Sub(d.p, big.NewInt(1))
	if !inOpenRange(z, pMinus1) {
		// Only a public value of small order gives this; the range
		// check on Ys leaves p-1 and 1 out, not every small order.
		return nil, nil, &DHParamError{"shared secret", "it is 1 or p-1: the server's public value has a small order"}
	}
	// dh_Yc is sent at the length of p, as OpenSSL and the RFC 7919
	// groups do (RFC 7919, Section 3 requires it for named groups).
	yc = pub.FillBytes(make([]byte, (d.bits()+7)/8))
	return yc, z.Bytes(), nil
}
