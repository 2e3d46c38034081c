package handshake

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestKeyExchangeGroups runs both sides of every group: the client's and
// the server's secrets agree, and a share of the wrong length or value is
// refused.
func TestKeyExchangeGroups(t *testing.T) {
	for _, g := range []uint16{groupX25519, groupP256, groupP384, groupP521, groupFFDHE2048, groupFFDHE3072, groupFFDHE8192,
		groupX25519MLKEM768, groupSecP256r1MLKEM768, groupSecP384r1MLKEM1024} {
		t.Run(groupName(g), func(t *testing.T) {
			if !groupSupported(g) {
				t.Fatal("not supported")
			}
			client, err := newKeyExchanger(g, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			share := client.share()
			if want, _ := keyShareSizes(g); want != 0 && len(share) != want {
				t.Errorf("client share %d bytes, want %d", len(share), want)
			}
			serverShare, secret, err := serverKeyExchange(g, share, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			got, err := client.sharedSecret(serverShare)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, secret) || len(secret) < 32 {
				t.Fatalf("secrets differ or are short: %x / %x", got, secret)
			}
			if _, err := client.sharedSecret(serverShare[1:]); err == nil {
				t.Error("a short server share was accepted")
			}
			if _, _, err := serverKeyExchange(g, share[1:], rand.Reader); err == nil {
				t.Error("a short client share was accepted")
			}
			bad := bytes.Clone(serverShare)
			if g >= groupFFDHE2048 && g <= groupFFDHE8192 {
				// y = 1 and y = p-1 are refused (RFC 7919, Section 5.1).
				one := make([]byte, len(bad))
				one[len(one)-1] = 1
				if _, err := client.sharedSecret(one); err == nil {
					t.Error("y = 1 was accepted")
				}
				pm1 := new(big.Int).Sub(ffdhePrime(g), big.NewInt(1)).FillBytes(make([]byte, len(bad)))
				if _, err := client.sharedSecret(pm1); err == nil {
					t.Error("y = p-1 was accepted")
				}
			}
		})
	}
	if _, err := newKeyExchanger(0x0A0A, rand.Reader); err == nil || groupSupported(0x0A0A) {
		t.Error("a GREASE group was accepted")
	}
}

// keyShareSizes gives the client share size of the fixed-size groups.
func keyShareSizes(g uint16) (int, bool) {
	switch g {
	case groupX25519:
		return 32, true
	case groupP256:
		return 65, true
	case groupP384:
		return 97, true
	case groupP521:
		return 133, true
	case groupX25519MLKEM768:
		return 1216, true
	case groupSecP256r1MLKEM768:
		return 1249, true
	case groupSecP384r1MLKEM1024:
		return 1665, true
	case groupFFDHE2048:
		return 256, true
	case groupFFDHE3072:
		return 384, true
	}
	return 0, false
}

// The ffdhe2048 prime as RFC 7919, Appendix A.1 prints it.
const ffdhe2048Hex = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF"

// TestFFDHEPrimes checks the primes made from RFC 7919's formula: ffdhe2048
// against the RFC's text, all five against openssl's.
func TestFFDHEPrimes(t *testing.T) {
	if got := fmt.Sprintf("%X", ffdhePrime(groupFFDHE2048)); got != ffdhe2048Hex {
		t.Fatalf("ffdhe2048 prime\n%s\nwant\n%s", got, ffdhe2048Hex)
	}
	tlstest.RequirePeer(t, "openssl")
	for g, s := range ffdheSizes {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		gen := exec.CommandContext(ctx, "openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", fmt.Sprintf("group:ffdhe%d", s.bits))
		params, err := gen.Output()
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		parse := exec.CommandContext(ctx, "openssl", "asn1parse")
		parse.Stdin = bytes.NewReader(params)
		out, err := parse.Output()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// The second line is the prime: "... INTEGER :FFFF...".
		lines := strings.Split(string(out), "\n")
		want := lines[1][strings.LastIndex(lines[1], ":")+1:]
		if got := fmt.Sprintf("%X", ffdhePrime(g)); got != want {
			t.Errorf("ffdhe%d prime differs from openssl's", s.bits)
		}
		if ffdhePrime(g).BitLen() != s.bits || !ffdhePrime(g).ProbablyPrime(1) {
			t.Errorf("ffdhe%d is not a %d-bit prime", s.bits, s.bits)
		}
	}
}
