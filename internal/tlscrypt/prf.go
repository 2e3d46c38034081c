// This file holds the key derivation of TLS 1.0, 1.1 and 1.2: the PRF of RFC
// 2246, Section 5 (TLS 1.0, also TLS 1.1 per RFC 4346, Section 5) and RFC
// 5246, Section 5 (TLS 1.2), the master secret (RFC 5246, Section 8.1; RFC
// 7627, Section 4 for the extended master secret) and the key block (RFC
// 5246, Section 6.3).

package tlscrypt

import (
	"crypto"
	"crypto/hmac"
	"hash"
)

// MasterSecretLen is the length of a TLS 1.0-1.2 master secret (RFC 5246,
// Section 8.1).
const MasterSecretLen = 48

// PRF returns n bytes of the TLS pseudorandom function PRF(secret, label,
// seed). For TLS 1.2 it is P_<hash>(secret, label + seed) with the suite's
// PRFHash (RFC 5246, Section 5); for TLS 1.0 and 1.1 it is P_MD5 over the
// first half of the secret XOR P_SHA-1 over the second half (RFC 2246,
// Section 5), and s may be nil. It returns nil for other versions (SSL 3.0
// has no PRF and TLS 1.3 uses HKDF).
func PRF(version uint16, s *Suite, secret []byte, label string, seed []byte, n int) []byte {
	labelSeed := make([]byte, 0, len(label)+len(seed))
	labelSeed = append(labelSeed, label...)
	labelSeed = append(labelSeed, seed...)
	switch version {
	case VersionTLS10, VersionTLS11:
		// S1 and S2 are the two halves of the secret; they share the
		// middle byte if its length is odd (RFC 2246, Section 5).
		half := (len(secret) + 1) / 2
		out := make([]byte, n)
		pHash(out, newHash(crypto.MD5), secret[:half], labelSeed)
		tmp := make([]byte, n)
		pHash(tmp, newHash(crypto.SHA1), secret[len(secret)-half:], labelSeed)
		for i := range out {
			out[i] ^= tmp[i]
		}
		return out
	case VersionTLS12:
		out := make([]byte, n)
		pHash(out, newHash(s.PRFHash), secret, labelSeed)
		return out
	}
	return nil
}

// pHash fills out with P_hash(secret, seed) (RFC 5246, Section 5):
//
//	A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
//	P_hash = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
func pHash(out []byte, h func() hash.Hash, secret, seed []byte) {
	mac := hmac.New(h, secret)
	mac.Write(seed)
	a := mac.Sum(nil)
	var block []byte
	for len(out) > 0 {
		mac.Reset()
		mac.Write(a)
		mac.Write(seed)
		block = mac.Sum(block[:0])
		out = out[copy(out, block):]
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
}

// MasterSecret derives the master secret from the premaster secret (RFC
// 5246, Section 8.1):
//
//	master_secret = PRF(pre_master_secret, "master secret",
//	                    ClientHello.random + ServerHello.random)[0..47]
//
// For SSL 3.0 it is the MD5 and SHA-1 construction of RFC 6101, Section
// 6.1.
func MasterSecret(version uint16, s *Suite, premaster, clientRandom, serverRandom []byte) []byte {
	if version == VersionSSL30 {
		return ssl3Expand(premaster, clientRandom, serverRandom, MasterSecretLen)
	}
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	return PRF(version, s, premaster, "master secret", seed, MasterSecretLen)
}

// ExtendedMasterSecret derives the master secret of a connection that
// negotiated the extended_master_secret extension (RFC 7627, Section 4):
//
//	master_secret = PRF(pre_master_secret, "extended master secret",
//	                    session_hash)[0..47]
//
// where session_hash is the hash of the handshake messages up to and
// including the ClientKeyExchange.
func ExtendedMasterSecret(version uint16, s *Suite, premaster, sessionHash []byte) []byte {
	return PRF(version, s, premaster, "extended master secret", sessionHash, MasterSecretLen)
}

// Keys are the record keys of one direction of a TLS 1.0-1.2 connection.
type Keys struct {
	// MACKey is the HMAC key; empty for AEAD suites.
	MACKey []byte
	// Key is the cipher key; empty for NULL suites.
	Key []byte
	// IV is the fixed part of the nonce of AEAD suites, and for CBC
	// suites in TLS 1.0 the IV of the first record. It is empty for CBC
	// suites in TLS 1.1 and 1.2, whose records carry their IV, and for RC4
	// and NULL.
	IV []byte
}

// KeyBlock splits the key block of a TLS 1.0-1.2 connection into the keys of
// each direction (RFC 5246, Section 6.3):
//
//	key_block = PRF(master_secret, "key expansion",
//	                server_random + client_random)
//
// read as client_write_MAC_key, server_write_MAC_key, client_write_key,
// server_write_key, client_write_IV, server_write_IV. For SSL 3.0 the key
// block is the MD5 and SHA-1 construction of RFC 6101, Section 6.2.2. It
// returns zero Keys for other versions without a PRF.
func KeyBlock(version uint16, s *Suite, master, clientRandom, serverRandom []byte) (client, server Keys) {
	macLen := 0
	if !s.Cipher.AEAD() {
		macLen = s.MAC.Size()
	}
	ivLen := s.FixedIVLen
	if s.Cipher.Block() && version >= VersionTLS11 {
		// TLS 1.1 replaced the implicit IV with an explicit one per
		// record (RFC 4346, Section 6.2.3.2), so the key block has none.
		ivLen = 0
	}
	keyLen := s.KeyLen
	if s.ExportKeyLen > 0 {
		// The IVs of export suites come from the randoms alone.
		keyLen, ivLen = s.ExportKeyLen, 0
	}
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, serverRandom...)
	seed = append(seed, clientRandom...)
	kb := PRF(version, s, master, "key expansion", seed, 2*(macLen+keyLen+ivLen))
	if version == VersionSSL30 {
		kb = ssl3Expand(master, serverRandom, clientRandom, 2*(macLen+keyLen+ivLen))
	}
	if kb == nil {
		return Keys{}, Keys{}
	}
	next := func(n int) []byte {
		b := kb[:n:n]
		kb = kb[n:]
		return b
	}
	client.MACKey, server.MACKey = next(macLen), next(macLen)
	client.Key, server.Key = next(keyLen), next(keyLen)
	client.IV, server.IV = next(ivLen), next(ivLen)
	if s.ExportKeyLen > 0 {
		exportKeys(version, s, &client, &server, clientRandom, serverRandom)
	}
	return client, server
}

// exportKeys derives the final keys and the IVs of an export suite from
// the 40-bit key material of the key block and the randoms. SSL 3.0 (RFC
// 6101, Section 6.2.2.1):
//
//	final_client_write_key = MD5(client_write_key + client_random + server_random)
//	final_server_write_key = MD5(server_write_key + server_random + client_random)
//	client_write_IV = MD5(client_random + server_random)
//	server_write_IV = MD5(server_random + client_random)
//
// TLS 1.0 (RFC 2246, Section 6.3):
//
//	final_client_write_key = PRF(client_write_key, "client write key", client_random + server_random)
//	final_server_write_key = PRF(server_write_key, "server write key", client_random + server_random)
//	client_write_IV + server_write_IV = PRF("", "IV block", client_random + server_random)
//
// each cut to the key and IV lengths of the cipher. TLS 1.1 and 1.2, in
// which old OpenSSL negotiated export suites though RFC 4346 forbids them,
// derive them as TLS 1.0 does with the PRF of the version (in TLS 1.2 that
// of the suite, SHA-256), as tshark does; their CBC records carry an
// explicit IV, so the IV block is derived but not used.
func exportKeys(version uint16, s *Suite, client, server *Keys, clientRandom, serverRandom []byte) {
	ivLen := s.FixedIVLen
	cs := append(append([]byte(nil), clientRandom...), serverRandom...)
	sc := append(append([]byte(nil), serverRandom...), clientRandom...)
	if version == VersionSSL30 {
		md5 := func(parts ...[]byte) []byte {
			h := newHash(crypto.MD5)()
			for _, p := range parts {
				h.Write(p)
			}
			return h.Sum(nil)
		}
		client.Key = md5(client.Key, cs)[:s.KeyLen]
		server.Key = md5(server.Key, sc)[:s.KeyLen]
		client.IV = md5(cs)[:ivLen]
		server.IV = md5(sc)[:ivLen]
		return
	}
	client.Key = PRF(version, s, client.Key, "client write key", cs, s.KeyLen)
	server.Key = PRF(version, s, server.Key, "server write key", cs, s.KeyLen)
	ivs := PRF(version, s, nil, "IV block", cs, 2*ivLen)
	if ivs == nil {
		return
	}
	client.IV, server.IV = ivs[:ivLen:ivLen], ivs[ivLen:]
}
