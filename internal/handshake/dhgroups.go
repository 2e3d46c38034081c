package handshake

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// KnownDHGroup names the finite-field group of a DHE ServerKeyExchange
// (its dh_p and dh_g) when it is a published one: an RFC 7919 group
// (named is then its supported_groups code point, and name "ffdhe2048"
// …), or one of the Oakley MODP groups of RFC 2409 and RFC 3526 that
// servers long used as defaults. ok is false for a group of the
// server's own (a dhparam file made for it).
func KnownDHGroup(p, g []byte) (name string, named uint16, ok bool) {
	if new(big.Int).SetBytes(g).Cmp(big.NewInt(2)) != 0 {
		return "", 0, false
	}
	pi := new(big.Int).SetBytes(p)
	for grp, s := range ffdheSizes {
		if s.bits == pi.BitLen() && ffdhePrime(grp).Cmp(pi) == 0 {
			return wire.GroupName(grp), grp, true
		}
	}
	for _, m := range modpGroups {
		if m.bits == pi.BitLen() && modpPrime(m.bits).Cmp(pi) == 0 {
			return fmt.Sprintf("%s group %d (MODP %d bits)", m.rfc, m.id, m.bits), 0, true
		}
	}
	return "", 0, false
}

// modpGroups are the Oakley MODP groups (generator 2) of RFC 2409,
// Section 6, and RFC 3526, Sections 2 to 7, with the k of their
// definition:
//
//	p = 2^n - 2^{n-64} - 1 + 2^64 * ([2^{n-130} pi] + k)
var modpGroups = []struct {
	rfc      string
	id, bits int
	k        int64
}{
	{"RFC 2409", 1, 768, 149686},
	{"RFC 2409", 2, 1024, 129093},
	{"RFC 3526", 5, 1536, 741804},
	{"RFC 3526", 14, 2048, 124476},
	{"RFC 3526", 15, 3072, 1690314},
	{"RFC 3526", 16, 4096, 240904},
	{"RFC 3526", 17, 6144, 929484},
	{"RFC 3526", 18, 8192, 4743158},
}

// modpPrime returns the prime of the MODP group of n bits, made from its
// definition and kept once made.
func modpPrime(n int) *big.Int {
	modpOnce.Do(func() {
		modpPrimes = map[int]*big.Int{}
		pi := piNumber(8192 + 128)
		for _, m := range modpGroups {
			t := new(big.Float).SetPrec(pi.Prec()).SetMantExp(pi, m.bits-130)
			ti, _ := t.Int(nil) // the floor, pi being positive
			ti.Add(ti, big.NewInt(m.k))
			ti.Lsh(ti, 64)
			p := new(big.Int).Lsh(big.NewInt(1), uint(m.bits))
			p.Sub(p, new(big.Int).Lsh(big.NewInt(1), uint(m.bits-64)))
			p.Sub(p, big.NewInt(1))
			p.Add(p, ti)
			modpPrimes[m.bits] = p
		}
	})
	return modpPrimes[n]
}

var (
	modpOnce   sync.Once
	modpPrimes map[int]*big.Int
)

// piNumber returns pi to prec bits by Machin's formula,
// pi = 16 arctan(1/5) - 4 arctan(1/239).
func piNumber(prec uint) *big.Float {
	prec += 32 // guard bits for the sums' rounding
	a := arctanInv(5, prec)
	a.Mul(a, new(big.Float).SetPrec(prec).SetInt64(16))
	b := arctanInv(239, prec)
	b.Mul(b, new(big.Float).SetPrec(prec).SetInt64(4))
	return a.Sub(a, b)
}

// arctanInv returns arctan(1/x) = sum of (-1)^k / ((2k+1) x^(2k+1)) to
// prec bits.
func arctanInv(x int64, prec uint) *big.Float {
	sum := new(big.Float).SetPrec(prec)
	pow := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1), new(big.Float).SetPrec(prec).SetInt64(x))
	x2 := new(big.Float).SetPrec(prec).SetInt64(x * x)
	for k := int64(0); ; k++ {
		term := new(big.Float).SetPrec(prec).Quo(pow, new(big.Float).SetPrec(prec).SetInt64(2*k+1))
		if term.Sign() == 0 || term.MantExp(nil) < -int(prec)-8 {
			break
		}
		if k%2 == 0 {
			sum.Add(sum, term)
		} else {
			sum.Sub(sum, term)
		}
		pow.Quo(pow, x2)
	}
	return sum
}
