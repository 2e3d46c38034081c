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
}

// newDHEParams reads the three values of ServerDHParams and checks them:
// the prime is odd and between minBits and MaxDHBits bits (minBits 0 means
// DefaultMinDHBits), and 1 < g < p-1 and 1 < Ys < p-1 (RFC 7919, Section
// 5.1). The primality of p is not tested: that costs more than the
// handshake, and a server that picks a bad group harms only its own
// connections, which it can read anyway.
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
		return nil, &DHParamError{"dh_p", "the prime is even"}
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

// namedGroup returns the RFC 7919 group the parameters are, or 0 for a
// group of the server's own.
func (d *dheParams) namedGroup() uint16 {
	if d.g.Cmp(big.NewInt(2)) != 0 {
		return 0
	}
	for g, s := range ffdheSizes {
		if s.bits == d.bits() && ffdhePrime(g).Cmp(d.p) == 0 {
			return g
		}
	}
	return 0
}
