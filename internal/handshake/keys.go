// This file holds the key exchanges of named groups (RFC 8446, Section
// 4.2.7): ECDHE over X25519 and the NIST curves (RFC 8446, Section 7.4.2;
// RFC 8422), the ML-KEM hybrids (draft-ietf-tls-ecdhe-mlkem), and FFDHE over
// the groups of RFC 7919 (RFC 8446, Section 7.4.1).

package handshake

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Named groups (IANA "TLS Supported Groups").
const (
	groupP256               uint16 = 23
	groupP384               uint16 = 24
	groupP521               uint16 = 25
	groupX25519             uint16 = 29
	groupFFDHE2048          uint16 = 0x0100
	groupFFDHE3072          uint16 = 0x0101
	groupFFDHE4096          uint16 = 0x0102
	groupFFDHE6144          uint16 = 0x0103
	groupFFDHE8192          uint16 = 0x0104
	groupSecP256r1MLKEM768  uint16 = 0x11EB
	groupX25519MLKEM768     uint16 = 0x11EC
	groupSecP384r1MLKEM1024 uint16 = 0x11ED
)

// keyExchanger is one side's key pair in a named group.
type keyExchanger interface {
	// share is the KeyShareEntry.key_exchange this side sends (a client's
	// share; for a server, see serverShare).
	share() []byte
	// sharedSecret returns the shared secret from the peer's share (a
	// client reading the server's share).
	sharedSecret(peer []byte) ([]byte, error)
}

// groupSupported reports whether the engine has a key exchange for g.
func groupSupported(g uint16) bool {
	switch g {
	case groupP256, groupP384, groupP521, groupX25519,
		groupFFDHE2048, groupFFDHE3072, groupFFDHE4096, groupFFDHE6144, groupFFDHE8192,
		groupSecP256r1MLKEM768, groupX25519MLKEM768, groupSecP384r1MLKEM1024:
		return true
	}
	return false
}

// ecdhCurve returns the crypto/ecdh curve of an ECDHE group.
func ecdhCurve(g uint16) ecdh.Curve {
	switch g {
	case groupP256:
		return ecdh.P256()
	case groupP384:
		return ecdh.P384()
	case groupP521:
		return ecdh.P521()
	case groupX25519:
		return ecdh.X25519()
	}
	return nil
}

// newKeyExchanger makes a client's key pair for group g.
func newKeyExchanger(g uint16, rnd io.Reader) (keyExchanger, error) {
	switch g {
	case groupP256, groupP384, groupP521, groupX25519:
		k, err := ecdhCurve(g).GenerateKey(rnd)
		if err != nil {
			return nil, fmt.Errorf("tls: making a %s key: %w", groupName(g), err)
		}
		return &ecdhKey{k}, nil
	case groupFFDHE2048, groupFFDHE3072, groupFFDHE4096, groupFFDHE6144, groupFFDHE8192:
		return newFFDHEKey(g, rnd)
	case groupX25519MLKEM768, groupSecP256r1MLKEM768, groupSecP384r1MLKEM1024:
		return newHybridKey(g, rnd)
	}
	return nil, fmt.Errorf("tls: the engine has no key exchange for group %s", groupName(g))
}

// ecdhKey is an ECDHE key pair.
type ecdhKey struct{ k *ecdh.PrivateKey }

func (e *ecdhKey) share() []byte { return e.k.PublicKey().Bytes() }

func (e *ecdhKey) sharedSecret(peer []byte) ([]byte, error) {
	pub, err := e.k.Curve().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("the peer's key share is not a valid point: %w", err)
	}
	s, err := e.k.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("the peer's key share gives no shared secret: %w", err)
	}
	return s, nil
}

// serverKeyExchange performs a server's side of group g with the client's
// share: it returns the server's share and the shared secret.
func serverKeyExchange(g uint16, clientShare []byte, rnd io.Reader) (serverShare, secret []byte, err error) {
	switch g {
	case groupP256, groupP384, groupP521, groupX25519:
		k, err := ecdhCurve(g).GenerateKey(rnd)
		if err != nil {
			return nil, nil, err
		}
		e := &ecdhKey{k}
		s, err := e.sharedSecret(clientShare)
		if err != nil {
			return nil, nil, err
		}
		return e.share(), s, nil
	case groupFFDHE2048, groupFFDHE3072, groupFFDHE4096, groupFFDHE6144, groupFFDHE8192:
		k, err := newFFDHEKey(g, rnd)
		if err != nil {
			return nil, nil, err
		}
		s, err := k.sharedSecret(clientShare)
		if err != nil {
			return nil, nil, err
		}
		return k.share(), s, nil
	case groupX25519MLKEM768, groupSecP256r1MLKEM768, groupSecP384r1MLKEM1024:
		return hybridServer(g, clientShare, rnd)
	}
	return nil, nil, fmt.Errorf("tls: the engine has no key exchange for group %s", groupName(g))
}

// Hybrid groups (draft-ietf-tls-ecdhe-mlkem, Section 4): the client's share
// is the ML-KEM encapsulation key and the ECDH share, the server's the
// ML-KEM ciphertext and its ECDH share, and the shared secret the two
// secrets concatenated; X25519MLKEM768 puts ML-KEM first, the NIST-curve
// hybrids put the curve first.
type hybridKey struct {
	group   uint16
	ec      *ecdh.PrivateKey
	dk768   *mlkem.DecapsulationKey768
	dk1024  *mlkem.DecapsulationKey1024
	mlFirst bool
}

func hybridParts(g uint16) (curve ecdh.Curve, mlFirst bool) {
	switch g {
	case groupX25519MLKEM768:
		return ecdh.X25519(), true
	case groupSecP256r1MLKEM768:
		return ecdh.P256(), false
	default:
		return ecdh.P384(), false
	}
}

func newHybridKey(g uint16, rnd io.Reader) (*hybridKey, error) {
	curve, mlFirst := hybridParts(g)
	ec, err := curve.GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("tls: making a %s key: %w", groupName(g), err)
	}
	h := &hybridKey{group: g, ec: ec, mlFirst: mlFirst}
	// crypto/mlkem draws its own randomness.
	if g == groupSecP384r1MLKEM1024 {
		h.dk1024, err = mlkem.GenerateKey1024()
	} else {
		h.dk768, err = mlkem.GenerateKey768()
	}
	if err != nil {
		return nil, fmt.Errorf("tls: making a %s key: %w", groupName(g), err)
	}
	return h, nil
}

func (h *hybridKey) share() []byte {
	var ek []byte
	if h.dk1024 != nil {
		ek = h.dk1024.EncapsulationKey().Bytes()
	} else {
		ek = h.dk768.EncapsulationKey().Bytes()
	}
	ecShare := h.ec.PublicKey().Bytes()
	if h.mlFirst {
		return append(ek, ecShare...)
	}
	return append(ecShare, ek...)
}

func (h *hybridKey) sharedSecret(peer []byte) ([]byte, error) {
	ctLen := mlkem.CiphertextSize768
	if h.dk1024 != nil {
		ctLen = mlkem.CiphertextSize1024
	}
	ecLen := len(h.ec.PublicKey().Bytes())
	if len(peer) != ctLen+ecLen {
		return nil, fmt.Errorf("the peer's %s key share is %d bytes, want %d", groupName(h.group), len(peer), ctLen+ecLen)
	}
	ct, ecPeer := peer[:ctLen], peer[ctLen:]
	if !h.mlFirst {
		ecPeer, ct = peer[:ecLen], peer[ecLen:]
	}
	var mlSecret []byte
	var err error
	if h.dk1024 != nil {
		mlSecret, err = h.dk1024.Decapsulate(ct)
	} else {
		mlSecret, err = h.dk768.Decapsulate(ct)
	}
	if err != nil {
		return nil, fmt.Errorf("the peer's ML-KEM ciphertext: %w", err)
	}
	ecSecret, err := (&ecdhKey{h.ec}).sharedSecret(ecPeer)
	if err != nil {
		return nil, err
	}
	if h.mlFirst {
		return append(mlSecret, ecSecret...), nil
	}
	return append(ecSecret, mlSecret...), nil
}

// hybridServer is the server's side of a hybrid group.
func hybridServer(g uint16, clientShare []byte, rnd io.Reader) (serverShare, secret []byte, err error) {
	curve, mlFirst := hybridParts(g)
	ekLen := mlkem.EncapsulationKeySize768
	if g == groupSecP384r1MLKEM1024 {
		ekLen = mlkem.EncapsulationKeySize1024
	}
	ec, err := curve.GenerateKey(rnd)
	if err != nil {
		return nil, nil, err
	}
	ecLen := len(ec.PublicKey().Bytes())
	if len(clientShare) != ekLen+ecLen {
		return nil, nil, fmt.Errorf("the client's %s key share is %d bytes, want %d", groupName(g), len(clientShare), ekLen+ecLen)
	}
	ek, ecPeer := clientShare[:ekLen], clientShare[ekLen:]
	if !mlFirst {
		ecPeer, ek = clientShare[:ecLen], clientShare[ecLen:]
	}
	var mlSecret, ct []byte
	if g == groupSecP384r1MLKEM1024 {
		k, err := mlkem.NewEncapsulationKey1024(ek)
		if err != nil {
			return nil, nil, fmt.Errorf("the client's ML-KEM key: %w", err)
		}
		mlSecret, ct = k.Encapsulate()
	} else {
		k, err := mlkem.NewEncapsulationKey768(ek)
		if err != nil {
			return nil, nil, fmt.Errorf("the client's ML-KEM key: %w", err)
		}
		mlSecret, ct = k.Encapsulate()
	}
	ecSecret, err := (&ecdhKey{ec}).sharedSecret(ecPeer)
	if err != nil {
		return nil, nil, err
	}
	if mlFirst {
		return append(ct, ec.PublicKey().Bytes()...), append(mlSecret, ecSecret...), nil
	}
	return append(ec.PublicKey().Bytes(), ct...), append(ecSecret, mlSecret...), nil
}

// ffdheKey is a key pair in an RFC 7919 group. In TLS 1.3 the share and the
// shared secret are both as long as the prime, left-padded with zeros (RFC
// 8446, Sections 4.2.8.1 and 7.4.1).
type ffdheKey struct {
	group uint16
	p, x  *big.Int
	y     []byte
}

// ffdheSizes gives the prime size of each group and the X of its formula
// (RFC 7919, Appendix A).
var ffdheSizes = map[uint16]struct{ bits, x int }{
	groupFFDHE2048: {2048, 560316},
	groupFFDHE3072: {3072, 2625351},
	groupFFDHE4096: {4096, 5736041},
	groupFFDHE6144: {6144, 15705020},
	groupFFDHE8192: {8192, 10965728},
}

// ffdhePrime returns the prime of an RFC 7919 group (generator 2), made
// from its definition in Appendix A:
//
//	p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1
//
// and kept once made.
func ffdhePrime(g uint16) *big.Int {
	ffdheOnce.Do(func() {
		ffdhePrimes = map[uint16]*big.Int{}
		e := eulerNumber(8192 + 128)
		for g, s := range ffdheSizes {
			t := new(big.Float).SetPrec(e.Prec()).SetMantExp(e, s.bits-130)
			ti, _ := t.Int(nil) // the floor, e being positive
			ti.Add(ti, big.NewInt(int64(s.x)))
			ti.Lsh(ti, 64)
			p := new(big.Int).Lsh(big.NewInt(1), uint(s.bits))
			p.Sub(p, new(big.Int).Lsh(big.NewInt(1), uint(s.bits-64)))
			p.Add(p, ti)
			p.Sub(p, big.NewInt(1))
			ffdhePrimes[g] = p
		}
	})
	return ffdhePrimes[g]
}

var (
	ffdheOnce   sync.Once
	ffdhePrimes map[uint16]*big.Int
)

// eulerNumber returns e to prec bits: the sum of 1/k! until the terms no
// longer count.
func eulerNumber(prec uint) *big.Float {
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); ; k++ {
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		if term.Sign() == 0 || term.MantExp(nil) < -int(prec)-8 {
			break
		}
		sum.Add(sum, term)
	}
	return sum
}

// ffdheExponentBits is the size of the private exponents drawn for the RFC
// 7919 groups: at least twice the security strength of every group (RFC
// 7919, Section 5.2, asks 225 bits for ffdhe2048 up to 400 for
// ffdhe8192), and far cheaper than a full-size exponent (ffdhe8192 with
// an 8192-bit exponent costs seconds).
const ffdheExponentBits = 512

func newFFDHEKey(g uint16, rnd io.Reader) (*ffdheKey, error) {
	p := ffdhePrime(g)
	buf := make([]byte, ffdheExponentBits/8)
	if _, err := io.ReadFull(rnd, buf); err != nil {
		return nil, fmt.Errorf("tls: making an %s key: %w", groupName(g), err)
	}
	// x in [2, 2^512 + 1], well below p-1 for every group.
	x := new(big.Int).SetBytes(buf)
	x.Add(x, big.NewInt(2))
	y := new(big.Int).Exp(big.NewInt(2), x, p)
	return &ffdheKey{group: g, p: p, x: x, y: y.FillBytes(make([]byte, (p.BitLen()+7)/8))}, nil
}

func (f *ffdheKey) share() []byte { return bytes.Clone(f.y) }

func (f *ffdheKey) sharedSecret(peer []byte) ([]byte, error) {
	n := (f.p.BitLen() + 7) / 8
	if len(peer) != n {
		return nil, fmt.Errorf("the peer's %s key share is %d bytes, want %d", groupName(f.group), len(peer), n)
	}
	y := new(big.Int).SetBytes(peer)
	pMinus1 := new(big.Int).Sub(f.p, big.NewInt(1))
	// 1 < y < p-1 (RFC 7919, Section 5.1).
	if !inOpenRange(y, pMinus1) {
		return nil, fmt.Errorf("the peer's %s public value is not between 1 and p-1", groupName(f.group))
	}
	z := new(big.Int).Exp(y, f.x, f.p)
	if !inOpenRange(z, pMinus1) {
		return nil, fmt.Errorf("the peer's %s public value has a small order", groupName(f.group))
	}
	return z.FillBytes(make([]byte, n)), nil
}

func groupName(g uint16) string {
	if n := wire.GroupName(g); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", g)
}
