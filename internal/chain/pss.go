package chain

import (
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// RSASSA-PSS in certificates (RFC 4055): crypto/x509 checks a PSS
// signature only with the parameters TLS uses (SHA-256/384/512, MGF1 with
// the same hash, a salt as long as the hash) and by a key whose
// SubjectPublicKeyInfo says rsaEncryption. openssl genpkey -algorithm
// RSA-PSS makes keys whose SubjectPublicKeyInfo says id-RSASSA-PSS, and
// openssl signs with them with the longest salt the key allows: crypto/x509
// parses neither, and refused such chains, which openssl verify accepts,
// as not signed by their issuer. This file checks those signatures.

var (
	oidRSAPSS = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	// The hashes of RFC 4055, Section 2.1.
	pssHashes = []struct {
		oid  asn1.ObjectIdentifier
		hash crypto.Hash
	}{
		{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, crypto.SHA224},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
	}
)

// pssParams is RSASSA-PSS-params (RFC 4055, Section 3.1); absent fields
// take its defaults (SHA-1, MGF1 with SHA-1, salt 20, trailer 1).
type pssParams struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength   int                      `asn1:"optional,explicit,tag:2,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// pss is a PSS signature's parameters, read.
type pss struct {
	hash, mgf crypto.Hash
	salt      int
}

// parsePSS reads RSASSA-PSS-params (empty: all defaults, as a key's
// SubjectPublicKeyInfo without restrictions has none).
func parsePSS(der []byte) (pss, error) {
	p := pssParams{SaltLength: 20, TrailerField: 1}
	if len(der) > 0 && !(len(der) == 2 && der[0] == 0x05) {
		if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) > 0 {
			return pss{}, errors.New("RSASSA-PSS parameters that do not parse")
		}
	}
	hash, ok := pssHash(p.Hash, crypto.SHA1)
	if !ok {
		return pss{}, fmt.Errorf("RSASSA-PSS with the unknown hash %v", p.Hash.Algorithm)
	}
	mgfHash := crypto.SHA1
	if len(p.MGF.Algorithm) > 0 {
		var inner pkix.AlgorithmIdentifier
		if !p.MGF.Algorithm.Equal(oidMGF1) {
			return pss{}, fmt.Errorf("RSASSA-PSS with the unknown mask generation function %v", p.MGF.Algorithm)
		}
		if _, err := asn1.Unmarshal(p.MGF.Parameters.FullBytes, &inner); err != nil {
			return pss{}, errors.New("RSASSA-PSS with MGF1 parameters that do not parse")
		}
		if mgfHash, ok = pssHash(inner, 0); !ok {
			return pss{}, fmt.Errorf("RSASSA-PSS with MGF1 over the unknown hash %v", inner.Algorithm)
		}
	}
	switch {
	case p.TrailerField != 1:
		return pss{}, fmt.Errorf("RSASSA-PSS with trailer field %d (RFC 4055, Section 3.1 allows 1 only)", p.TrailerField)
	case p.SaltLength < 0:
		return pss{}, errors.New("RSASSA-PSS with a negative salt length")
	}
	return pss{hash: hash, mgf: mgfHash, salt: p.SaltLength}, nil
}

// pssHash returns the hash an AlgorithmIdentifier names (def when it is
// absent).
func pssHash(id pkix.AlgorithmIdentifier, def crypto.Hash) (crypto.Hash, bool) {
	if len(id.Algorithm) == 0 {
		return def, def != 0
	}
	for _, h := range pssHashes {
		if h.oid.Equal(id.Algorithm) {
			return h.hash, true
		}
	}
	return 0, false
}

// signatureAlgorithm returns the OID and parameters of c's
// signatureAlgorithm.
func signatureAlgorithm(c *x509.Certificate) (asn1.ObjectIdentifier, []byte) {
	var cert struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
	}
	if _, err := asn1.Unmarshal(c.Raw, &cert); err != nil {
		return nil, nil
	}
	return cert.SigAlg.Algorithm, cert.SigAlg.Parameters.FullBytes
}

// spkiParams returns the algorithm parameters of a SubjectPublicKeyInfo.
func spkiParams(raw []byte) []byte {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(raw, &spki); err != nil {
		return nil
	}
	return spki.Algorithm.Parameters.FullBytes
}

// ownPSS reports whether c is signed with RSASSA-PSS that crypto/x509
// does not check: parameters it does not take, or an issuer whose key is
// an id-RSASSA-PSS one (issuer nil: not known).
func ownPSS(c, issuer *x509.Certificate) bool {
	oid, _ := signatureAlgorithm(c)
	if !oid.Equal(oidRSAPSS) {
		return false
	}
	return c.SignatureAlgorithm == x509.UnknownSignatureAlgorithm || issuer != nil && issuer.PublicKey == nil
}

// pssKey reports whether c's key is an id-RSASSA-PSS one.
func pssKey(c *x509.Certificate) bool {
	oid, _ := spkiAlgorithm(c.RawSubjectPublicKeyInfo)
	return oid.Equal(oidRSAPSS)
}

// rsaKey returns c's RSA key, id-RSASSA-PSS ones included.
func rsaKey(c *x509.Certificate) (*rsa.PublicKey, bool) {
	if k, ok := c.PublicKey.(*rsa.PublicKey); ok {
		return k, true
	}
	oid, bits := spkiAlgorithm(c.RawSubjectPublicKeyInfo)
	if !oid.Equal(oidRSAPSS) {
		return nil, false
	}
	k, err := x509.ParsePKCS1PublicKey(bits)
	return k, err == nil
}

// checkPSS checks c's RSASSA-PSS signature with issuer's RSA key, within
// the restrictions an id-RSASSA-PSS key's parameters set (RFC 4055,
// Section 3.3: the same hash and mask, a salt no shorter).
func checkPSS(c, issuer *x509.Certificate) error {
	_, params := signatureAlgorithm(c)
	p, err := checkPSSSignature(params, issuer, c.RawTBSCertificate, c.Signature)
	if err != nil {
		if errors.Is(err, errPSSNotRSA) {
			return errors.New("the certificate is signed with RSASSA-PSS but the issuer's key is not an RSA key")
		}
		if errors.Is(err, errPSSBad) {
			return errors.New("the RSASSA-PSS signature does not verify with the issuer's key")
		}
		return err
	}
	if p.hash == crypto.SHA1 {
		return errInsecurePSS
	}
	return nil
}

var (
	errPSSNotRSA = errors.New("the signer's key is not an RSA key")
	errPSSBad    = errors.New("the RSASSA-PSS signature does not verify with the signer's key")
)

// checkPSSSignature checks an RSASSA-PSS signature sig of msg, made with
// the parameters params, with signer's RSA key, within the restrictions an
// id-RSASSA-PSS key's parameters set (RFC 4055, Section 3.3: the same hash
// and mask, a salt no shorter). SHA-224 is refused, as crypto/x509 takes
// none; a signature over SHA-1 that verifies is the caller's to refuse.
// The error is errPSSNotRSA or errPSSBad when the key or the signature is
// wrong.
func checkPSSSignature(params []byte, signer *x509.Certificate, msg, sig []byte) (pss, error) {
	p, err := parsePSS(params)
	if err != nil {
		return p, err
	}
	pub, ok := rsaKey(signer)
	if !ok {
		return p, errPSSNotRSA
	}
	if pssKey(signer) {
		if kp := spkiParams(signer.RawSubjectPublicKeyInfo); len(kp) > 0 {
			limit, err := parsePSS(kp)
			if err != nil {
				return p, fmt.Errorf("the signer's RSA-PSS key: %w", err)
			}
			if limit.hash != p.hash || limit.mgf != p.mgf || p.salt < limit.salt {
				return p, fmt.Errorf("the signature (%v, MGF1 over %v, salt %d) breaks the signer's RSA-PSS key's restrictions (%v, MGF1 over %v, salt at least %d; RFC 4055, Section 3.3)",
					p.hash, p.mgf, p.salt, limit.hash, limit.mgf, limit.salt)
			}
		}
	}
	if !p.hash.Available() || !p.mgf.Available() {
		return p, fmt.Errorf("RSASSA-PSS with %v and MGF1 over %v, which this build cannot compute", p.hash, p.mgf)
	}
	if p.hash == crypto.SHA224 {
		// Not weaker than crypto/x509, which takes none (nor SHA-224
		// with PKCS #1 v1.5).
		return p, errors.New("RSASSA-PSS over SHA-224, which crypto/x509 does not take for certificates (it takes SHA-256, SHA-384 and SHA-512)")
	}
	if !verifyPSS(pub, p, msg, sig) {
		return p, errPSSBad
	}
	return p, nil
}

// errInsecurePSS is an RSASSA-PSS signature over SHA-1 that verifies:
// refused as crypto/x509 refuses SHA-1 signatures on certificates
// (x509.InsecureAlgorithmError), since collisions can be forged.
var errInsecurePSS = errors.New("the signature verifies, but over SHA-1, an insecure algorithm: crypto/x509 no longer accepts SHA-1 or MD5 signatures on certificates")

// verifyPSS implements RSASSA-PSS-VERIFY and EMSA-PSS-VERIFY (RFC 8017,
// Sections 8.1.2 and 9.1.2) with MGF1 (Appendix B.2.1) over p.mgf, which
// crypto/rsa ties to the message's hash (openssl's RSA-PSS keys made
// with rsa_pss_keygen_md sign with SHA-256 and MGF1 over SHA-1).
func verifyPSS(pub *rsa.PublicKey, p pss, msg, sig []byte) bool {
	k := (pub.N.BitLen() + 7) / 8
	s := new(big.Int).SetBytes(sig)
	if len(sig) != k || s.Cmp(pub.N) >= 0 {
		return false
	}
	m := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N)
	emBits := pub.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	if m.BitLen() > emBits {
		return false
	}
	em := m.FillBytes(make([]byte, emLen))
	h := p.hash.New()
	h.Write(msg)
	mHash := h.Sum(nil)
	hLen := len(mHash)
	if emLen < hLen+p.salt+2 || em[emLen-1] != 0xbc {
		return false
	}
	db, hh := em[:emLen-hLen-1], em[emLen-hLen-1:emLen-1]
	top := byte(0xff >> (8*emLen - emBits))
	if db[0]&^top != 0 {
		return false
	}
	// DB = maskedDB XOR MGF1(H).
	mask := p.mgf.New()
	for counter, done := uint32(0), 0; done < len(db); counter++ {
		mask.Reset()
		mask.Write(hh)
		mask.Write([]byte{byte(counter >> 24), byte(counter >> 16), byte(counter >> 8), byte(counter)})
		for _, b := range mask.Sum(nil) {
			if done == len(db) {
				break
			}
			db[done] ^= b
			done++
		}
	}
	db[0] &= top
	pad := emLen - hLen - p.salt - 2
	for _, b := range db[:pad] {
		if b != 0 {
			return false
		}
	}
	if db[pad] != 0x01 {
		return false
	}
	h.Reset()
	h.Write(make([]byte, 8))
	h.Write(mHash)
	h.Write(db[len(db)-p.salt:])
	return subtle.ConstantTimeCompare(h.Sum(nil), hh) == 1
}

// pssName names an RSASSA-PSS signature crypto/x509 does not name.
func pssName(c *x509.Certificate) string {
	_, params := signatureAlgorithm(c)
	p, err := parsePSS(params)
	if err != nil {
		return "RSASSA-PSS (parameters not supported)"
	}
	if p.mgf != p.hash {
		return fmt.Sprintf("%s-RSAPSS (MGF1 over %s, salt %d)", hashName(p.hash), hashName(p.mgf), p.salt)
	}
	return fmt.Sprintf("%s-RSAPSS (salt %d)", hashName(p.hash), p.salt)
}

func hashName(h crypto.Hash) string {
	switch h {
	case crypto.SHA1:
		return "SHA1"
	case crypto.SHA224:
		return "SHA224"
	case crypto.SHA256:
		return "SHA256"
	case crypto.SHA384:
		return "SHA384"
	case crypto.SHA512:
		return "SHA512"
	}
	return h.String()
}

// rsaBits is the size of c's RSA key (0: none).
func rsaBits(c *x509.Certificate) int {
	if k, ok := rsaKey(c); ok {
		return k.N.BitLen()
	}
	return 0
}
