package scan

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// The ROBOT probe (Return Of Bleichenbacher's Oracle Threat, 2017), as
// the paper's robot-detect and sslyze make it. A server that decrypts an
// RSA-encrypted premaster secret (RSA key exchange) and answers a block
// whose PKCS#1 v1.5 padding is wrong otherwise than a good one (another
// alert, the connection closed or reset, or silence) is a padding
// oracle: with enough connections, anyone can decrypt a recorded RSA
// key exchange with it, or sign with the server's key.
//
// Five handshakes, one per kind of block, go as far as the
// ClientKeyExchange with a suite of RSA key exchange the server accepts;
// each is followed by a ChangeCipherSpec and a Finished of random bytes,
// which no key opens, so that a server that does not tell the blocks
// apart fails them all at the Finished, the same way. The reactions are
// compared; when they differ, the five are made again, and a server that
// does not react twice alike is unknown, as sslyze says.

// robotPayload is a kind of encrypted premaster secret.
type robotPayload int

const (
	robotGood          robotPayload = iota // 0x0002, padding, 0x00, version, 46 bytes
	robotWrongStart                        // 0x4117 instead of 0x0002
	robotWrongPosition                     // 0x00 two bytes before the end, none before the secret
	robotNoSeparator                       // no 0x00 after the padding at all
	robotWrongVersion                      // the secret's version 0x0202
	robotPayloads
)

// robotPayloadText says what each block is, after "to a block".
var robotPayloadText = [robotPayloads]string{
	"that is well formed",
	"whose first two bytes are 0x4117, not 0x0002",
	"whose 0x00 is two bytes before its end, not before a 48-byte secret",
	"with no 0x00 after the padding",
	"whose secret's version is 0x0202, not the ClientHello's",
}

// robotBlock returns a PKCS#1 v1.5 block of k bytes (the modulus's
// length) of kind p, with clientVersion as the secret's version. Its
// random bytes (padding and secret) are never 0x00, so that the only
// 0x00 after the first byte is the one the kind puts.
func robotBlock(p robotPayload, k int, clientVersion uint16) ([]byte, error) {
	if k < 64 {
		return nil, fmt.Errorf("an RSA key of %d bytes is too short for a premaster secret", k)
	}
	b := make([]byte, k)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	for i := range b {
		for b[i] == 0 {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				return nil, err
			}
			b[i] = one[0]
		}
	}
	sep := k - 49 // the 0x00 before a 48-byte secret
	b[0], b[1], b[sep] = 0x00, 0x02, 0x00
	b[sep+1], b[sep+2] = byte(clientVersion>>8), byte(clientVersion)
	switch p {
	case robotWrongStart:
		b[0], b[1] = 0x41, 0x17
	case robotWrongPosition:
		b[sep], b[k-2] = 0x11, 0x00
	case robotNoSeparator:
		b[sep] = 0x11
	case robotWrongVersion:
		b[sep+1], b[sep+2] = 0x02, 0x02
	}
	return b, nil
}

// rsaEncryptRaw returns block^e mod n, as many bytes as the modulus.
func rsaEncryptRaw(pub *rsa.PublicKey, block []byte) []byte {
	c := new(big.Int).Exp(new(big.Int).SetBytes(block), big.NewInt(int64(pub.E)), pub.N)
	return c.FillBytes(make([]byte, (pub.N.BitLen()+7)/8))
}

// robotFinishedLen is the length of the encrypted Finished record of
// suite in version v: 12 bytes of verify_data and the handshake header,
// the MAC, and the cipher's nonce, tag or padding.
func robotFinishedLen(suite, v uint16) int {
	name := wire.CipherSuiteName(suite)
	const plain = 16
	switch {
	case strings.Contains(name, "_CCM_8"):
		return 8 + plain + 8
	case strings.Contains(name, "_GCM_") || strings.Contains(name, "_CCM"):
		return 8 + plain + 16
	}
	mac := 20
	switch {
	case strings.HasSuffix(name, "_SHA256"):
		mac = 32
	case strings.HasSuffix(name, "_SHA384"):
		mac = 48
	case strings.HasSuffix(name, "_MD5"):
		mac = 16
	}
	if strings.Contains(name, "_RC4_") || strings.Contains(name, "_NULL_") {
		return plain + mac
	}
	block := 16
	if strings.Contains(name, "DES") || strings.Contains(name, "IDEA") || strings.Contains(name, "RC2") {
		block = 8
	}
	n := (plain + mac + 1 + block - 1) / block * block
	if v >= wire.VersionTLS11 {
		n += block
	}
	return n
}

// robotSuite returns the highest version from TLS 1.0 to TLS 1.2 in
// which the server accepted a suite of RSA key exchange (not an export
// one, whose key is another), and the first such suite in its order.
func robotSuite(r *Result) (v, suite uint16) {
	for _, vr := range r.Versions {
		if vr.Outcome != Accepted || vr.Version < wire.VersionTLS10 || vr.Version > wire.VersionTLS12 {
			continue
		}
		for _, s := range vr.Suites {
			if wire.CipherSuiteKeyExchange(s) == wire.KexRSA && !strings.Contains(wire.CipherSuiteName(s), "EXPORT") {
				v, suite = vr.Version, s
				break
			}
		}
	}
	return v, suite
}

// robotReaction is what the server did after one block: a reply (an
// alert, the connection closed or reset, or silence until the probe's
// time), or the failure of the handshake before the block was sent.
type robotReaction struct {
	reply ccsReply
	// failed says why no block was sent.
	failed string
}

// key returns what is compared between reactions: the reply without
// the words of an error, which name the connection's ports.
func (r robotReaction) key() string {
	if r.failed != "" {
		return "failed"
	}
	rr := r.reply
	if rr.err != nil {
		rr.err = errors.New("error")
	}
	return rr.String()
}

// String says the reaction, after "the server ".
func (r robotReaction) String() string {
	if r.failed != "" {
		return "did not take the handshake to the key exchange (" + r.failed + ")"
	}
	return r.reply.String()
}

// robotRound makes the five handshakes, at once within the scan's
// bounds, and returns the reactions by kind of block.
func robotRound(ctx context.Context, p *prober, v, suite uint16) [robotPayloads]robotReaction {
	var out [robotPayloads]robotReaction
	var wg sync.WaitGroup
	for k := range robotPayloads {
		wg.Go(func() { out[k] = robotOne(ctx, p, v, suite, k) })
	}
	wg.Wait()
	return out
}

// robotOne makes one handshake to the ClientKeyExchange with a block of
// kind k and reads the server's reaction.
func robotOne(ctx context.Context, p *prober, v, suite uint16, k robotPayload) robotReaction {
	h := &hello{version: v, suites: []uint16{suite}, wantCert: true, wantDone: true}
	var out robotReaction
	a := p.with(ctx, func(conn net.Conn) answer {
		record, err := h.marshal(p.serverName)
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
		if _, err := conn.Write(record); err != nil {
			return readFailure(err)
		}
		a := readAnswer(conn, h)
		if a.outcome != Accepted {
			return a
		}
		switch {
		case !a.done && a.end != nil && a.hello.CipherSuite == suite:
			return flightCut(a)
		case a.hello.CipherSuite != suite:
			return answer{outcome: Refused, err: fmt.Errorf("the server chose %s", wire.SuiteNameOrGREASE(a.hello.CipherSuite))}
		case len(a.certs) == 0:
			return answer{outcome: Refused, err: errors.New("the server sent no certificate")}
		case !a.done:
			return flightCut(a)
		}
		leaf, err := x509.ParseCertificate(a.certs[0])
		if err != nil {
			return answer{outcome: Refused, err: fmt.Errorf("the server's certificate does not parse: %w", err)}
		}
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok {
			return answer{outcome: Refused, err: fmt.Errorf("the server's certificate has a %s key, not RSA", leaf.PublicKeyAlgorithm)}
		}
		block, err := robotBlock(k, (pub.N.BitLen()+7)/8, v)
		if err != nil {
			return answer{outcome: Refused, err: err}
		}
		enc := rsaEncryptRaw(pub, block)
		negotiated := a.version()
		cke, err := wire.MarshalClientKeyExchangeRSA(negotiated, enc)
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
		flight, err := wire.AppendRecord(nil, wire.ContentHandshake, negotiated, cke)
		if err != nil {
			return answer{outcome: Failed, err: err}
		}
		flight = append(flight, ccsRecord(negotiated)...)
		finished := make([]byte, robotFinishedLen(suite, negotiated))
		if _, err := rand.Read(finished); err != nil {
			return answer{outcome: Failed, err: err}
		}
		if flight, err = wire.AppendRecord(flight, wire.ContentHandshake, negotiated, finished); err != nil {
			return answer{outcome: Failed, err: err}
		}
		if _, err := conn.Write(flight); err != nil {
			out.reply.ended(err)
			return a
		}
		out.reply = readCCSReply(&recordReader{r: conn})
		return a
	})
	if a.outcome != Accepted {
		out.failed = reason(a)
	}
	return out
}

// robotVerdict judges the reactions of the first round and, when they
// differ, of the second (nil when not made): known and vulnerable, and
// the detail of the feature.
func robotVerdict(first [robotPayloads]robotReaction, second *[robotPayloads]robotReaction) (known, vulnerable bool, detail string) {
	const unsure = "whether the server is a padding oracle (ROBOT) is not known"
	for _, r := range first {
		if r.failed != "" {
			return false, false, "a handshake of the probe did not reach the key exchange (" + r.failed + "): " + unsure
		}
	}
	same := true
	for _, r := range first[1:] {
		same = same && r.key() == first[0].key()
	}
	if same {
		return true, false, "to each of five RSA-encrypted premaster secrets, one well formed and four with a broken PKCS#1 v1.5 padding or version, followed by a ChangeCipherSpec and a Finished no key opens, the server " + first[0].String() + ": it does not tell them apart, no padding oracle (ROBOT)"
	}
	said := robotSaid(first)
	if second == nil {
		return false, false, said + "; the probe could not make them again to confirm: " + unsure
	}
	var changed []string
	for k := range robotPayloads {
		if second[k].key() != first[k].key() {
			changed = append(changed, fmt.Sprintf("to a block %s it %s, then %s", robotPayloadText[k], first[k], second[k]))
		}
	}
	if len(changed) > 0 {
		return false, false, said + "; made again, the server reacted otherwise (" + strings.Join(changed, "; ") + "): the results are not consistent, " + unsure
	}
	w := first
	if w[robotWrongStart].key() == w[robotWrongPosition].key() && w[robotWrongPosition].key() == w[robotNoSeparator].key() {
		return true, true, said + "; twice alike: a padding oracle (ROBOT), a weak one: the server tells apart only blocks whose 0x00 is where a 48-byte secret begins, which makes the attack need many more connections than a strong oracle"
	}
	return true, true, said + "; twice alike: a padding oracle (ROBOT), a strong one: the server tells a block that starts 0x0002 apart from one that does not, the oracle of Bleichenbacher's attack"
}

// robotSaid says the reactions of a round, the kinds of block that got
// the same one together.
func robotSaid(r [robotPayloads]robotReaction) string {
	var keys []string
	blocks := map[string][]string{}
	words := map[string]string{}
	for k := range robotPayloads {
		key := r[k].key()
		if _, ok := blocks[key]; !ok {
			keys = append(keys, key)
			words[key] = r[k].String()
		}
		blocks[key] = append(blocks[key], "a block "+robotPayloadText[k])
	}
	parts := make([]string, len(keys))
	for i, key := range keys {
		parts[i] = "to " + strings.Join(blocks[key], " and to ") + " it " + words[key]
	}
	return "the server's reactions to RSA-encrypted premaster secrets, each followed by a ChangeCipherSpec and a Finished no key opens, differ: " + strings.Join(parts, "; ")
}

// scanROBOT probes the server for a padding oracle on its RSA key
// exchange (ROBOT) with the first suite of RSA key exchange it accepted
// in the highest version from TLS 1.0 to TLS 1.2. A server that accepted
// none is not affected and not probed. It returns nil when the server
// speaks no version.
func scanROBOT(ctx context.Context, r *Result, p *prober) *Feature {
	v, suite := robotSuite(r)
	if v == 0 {
		var highest uint16
		for _, vr := range r.Versions {
			if vr.Outcome == Accepted && vr.Version != VersionSSL20 {
				highest = max(highest, vr.Version)
			}
		}
		if highest == 0 {
			return nil
		}
		return &Feature{Name: "robot", Version: highest, Known: true,
			Detail: "the server accepts no suite of RSA key exchange in TLS 1.0 to TLS 1.2: ROBOT does not apply, not probed"}
	}
	f := &Feature{Name: "robot", Version: v}
	first := robotRound(ctx, p, v, suite)
	var second *[robotPayloads]robotReaction
	if known, _, _ := robotVerdict(first, nil); !known && ctx.Err() == nil && !robotFailed(first) {
		s := robotRound(ctx, p, v, suite)
		second = &s
		if robotFailed(s) {
			second = nil
		}
	}
	f.Known, f.Supported, f.Detail = robotVerdict(first, second)
	f.Detail = "with " + wire.SuiteNameOrGREASE(suite) + " in " + wire.VersionName(v) + ", " + f.Detail
	return f
}

// robotFailed reports whether a handshake of the round did not reach the
// key exchange.
func robotFailed(r [robotPayloads]robotReaction) bool {
	for _, x := range r {
		if x.failed != "" {
			return true
		}
	}
	return false
}
