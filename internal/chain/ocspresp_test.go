package chain

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/ed448"
	"golang.org/x/crypto/ocsp"
)

// answer is one SingleResponse of a response built by buildStaple: about
// serial of issuer, its CertID hashed with hash, saying status.
type answer struct {
	issuer *x509.Certificate
	serial int64
	hash   crypto.Hash
	status int
}

// byName and byKey are responder IDs naming c.
func byName(c *x509.Certificate) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: c.RawSubject}
}

// byNameText is a responder ID naming CN=cn, a UTF8String: X509_NAME_cmp
// takes it as the name of a certificate whose CN is the PrintableString
// of cn in lower case, its white space trimmed and collapsed.
func byNameText(t *testing.T, cn string) asn1.RawValue {
	b, err := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(cn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: b}
}

func byKey(t *testing.T, c *x509.Certificate) asn1.RawValue {
	bits, _ := publicKeyBits(c)
	h := crypto.SHA1.New()
	h.Write(bits)
	b, err := asn1.Marshal(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: b}
}

// buildStaple makes an OCSP response of answers under the responder ID
// id, carrying certs, signed with key (ECDSA with SHA-256): what
// x/crypto/ocsp's CreateResponse cannot make (several answers, a
// responder ID by key or naming another certificate than the one
// carried).
func buildStaple(t *testing.T, answers []answer, id asn1.RawValue, certs []*x509.Certificate, key crypto.Signer) []byte {
	t.Helper()
	return buildSigned(t, answers, id, certs, key, nil)
}

// buildSigned is buildStaple with the signature algorithm and signature
// of the tbsResponseData that sign gives (nil: ECDSA with SHA-256).
func buildSigned(t *testing.T, answers []answer, id asn1.RawValue, certs []*x509.Certificate, key crypto.Signer, sign func(tbs []byte) (pkix.AlgorithmIdentifier, []byte)) []byte {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	tbs := responseDataASN1{RawResponderID: id, ProducedAt: now}
	for _, a := range answers {
		var oid asn1.ObjectIdentifier
		for _, h := range certIDHashes {
			if h.hash == a.hash {
				oid = h.oid
			}
		}
		name, keyHash := issuerHashes(a.issuer, a.hash)
		s := singleResponseASN1{
			CertID: certIDASN1{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue},
				IssuerNameHash: name, IssuerKeyHash: keyHash, SerialNumber: big.NewInt(a.serial)},
			ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
		}
		switch a.status {
		case ocsp.Good:
			s.Good = true
		case ocsp.Unknown:
			s.Unknown = true
		default:
			s.Revoked = revokedInfoASN1{RevocationTime: now.Add(-time.Minute), Reason: ocsp.KeyCompromise}
		}
		tbs.Responses = append(tbs.Responses, s)
	}
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		t.Fatal(err)
	}
	alg, sig := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}, []byte(nil)
	if sign == nil {
		digest := sha256.Sum256(tbsDER)
		if sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			t.Fatal(err)
		}
	} else {
		alg, sig = sign(tbsDER)
	}
	basic := basicResponseASN1{
		TBSResponseData:    responseDataASN1{Raw: tbsDER},
		SignatureAlgorithm: alg,
		Signature:          asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	}
	for _, c := range certs {
		basic.Certificates = append(basic.Certificates, asn1.RawValue{FullBytes: c.Raw})
	}
	basicDER, err := asn1.Marshal(basic)
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(ocspResponseASN1{Response: ocspResponseBytes{ResponseType: oidOCSPBasic, Response: basicDER}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestStapleCertID checks the answer a stapled response is read for, as
// curl finds it (the first SingleResponse whose CertID is the SHA-1 one
// of the leaf's serial and its issuer's name and key), that every answer
// is about a certificate of the issuer (OpenSSL's ocsp_check_issuer), and
// that the responder ID names the certificate whose key signed it
// (ocsp_find_signer: among those the response carries, then the issuer).
func TestStapleCertID(t *testing.T) {
	now := time.Now()
	ca, caKey := newCert(t, "ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	other, otherKey := newCert(t, "other ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	// The issuer's name over another key.
	rekeyed, _ := newCert(t, "ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	leaf, _ := newCert(t, "leaf", true, now.Add(-time.Hour), now.Add(time.Hour), ca, caKey) // serial 1, as every newCert
	delegated, delegatedKey := newCert(t, "responder", true, now.Add(-time.Hour), now.Add(time.Hour), ca, caKey)
	{
		tmpl := *delegated
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, delegatedKey.Public(), caKey)
		if err != nil {
			t.Fatal(err)
		}
		if delegated, err = x509.ParseCertificate(der); err != nil {
			t.Fatal(err)
		}
	}
	good := answer{ca, 1, crypto.SHA1, ocsp.Good}
	for _, c := range []struct {
		name   string
		raw    []byte
		status int           // when it is usable
		want   StapleProblem // 0: usable
		err    string
	}{
		{"issuer", buildStaple(t, []answer{good}, byName(ca), nil, caKey), ocsp.Good, 0, ""},
		{"responder ID by the issuer's key", buildStaple(t, []answer{good}, byKey(t, ca), nil, caKey), ocsp.Good, 0, ""},
		{"responder ID by the key of the responder carried", buildStaple(t, []answer{good}, byKey(t, delegated), []*x509.Certificate{delegated}, delegatedKey), ocsp.Good, 0, ""},
		{"issuer's certificate carried", buildStaple(t, []answer{good}, byName(ca), []*x509.Certificate{ca}, caKey), ocsp.Good, 0, ""},
		{"SHA-1 answer after a SHA-256 one", buildStaple(t, []answer{{ca, 1, crypto.SHA256, ocsp.Good}, {ca, 1, crypto.SHA1, ocsp.Revoked}}, byName(ca), nil, caKey), ocsp.Revoked, 0, ""},
		{"answer after another serial's", buildStaple(t, []answer{{ca, 2, crypto.SHA1, ocsp.Revoked}, good}, byName(ca), nil, caKey), ocsp.Good, 0, ""},
		{"another issuer's certificate with the same serial", buildStaple(t, []answer{{other, 1, crypto.SHA1, ocsp.Good}}, byName(ca), nil, caKey), 0, StapleOtherCertificate,
			`is about a certificate of another issuer with the same serial: its CertID's issuerNameHash`},
		{"the issuer's name over another key", buildStaple(t, []answer{{rekeyed, 1, crypto.SHA1, ocsp.Good}}, byName(ca), nil, caKey), 0, StapleOtherCertificate,
			`its CertID's issuerKeyHash`},
		{"another serial", buildStaple(t, []answer{{ca, 2, crypto.SHA1, ocsp.Good}}, byName(ca), nil, caKey), 0, StapleOtherCertificate,
			`it answers about serial 02, another certificate`},
		{"SHA-256 CertID", buildStaple(t, []answer{{ca, 1, crypto.SHA256, ocsp.Good}}, byName(ca), nil, caKey), 0, StapleOtherCertificate,
			`a CertID hashed with SHA-256`},
		{"SHA-512 CertID", buildStaple(t, []answer{{ca, 1, crypto.SHA512, ocsp.Good}}, byName(ca), nil, caKey), 0, StapleOtherCertificate,
			`a CertID hashed with SHA-512`},
		{"beside an answer about another issuer's certificate", buildStaple(t, []answer{good, {other, 1, crypto.SHA1, ocsp.Good}}, byName(ca), nil, caKey), 0, StapleOtherCertificate,
			`refuses a response about certificates of more than one issuer`},
		{"responder ID by the key of no certificate", buildStaple(t, []answer{good}, byKey(t, other), nil, caKey), 0, StapleSigner,
			`its responder ID is the key hash`},
		{"responder ID names a certificate not carried", buildStaple(t, []answer{good}, byName(other), nil, otherKey), 0, StapleSigner,
			`its responder ID names "CN=other ca", which is neither the issuer "CN=ca", it carries no certificate`},
		{"responder ID names the issuer, a responder signed", buildStaple(t, []answer{good}, byName(ca), []*x509.Certificate{delegated}, delegatedKey), 0, StapleSigner,
			`it is not signed by the issuer "CN=ca", whom its responder ID names`},
		{"responder ID names the responder carried, the issuer signed", buildStaple(t, []answer{good}, byName(delegated), []*x509.Certificate{delegated}, caKey), 0, StapleSigner,
			`it is not signed by "CN=responder", the responder its responder ID names`},
		{"responder ID names the issuer in another encoding and case", buildStaple(t, []answer{good}, byNameText(t, "  CA "), nil, caKey), ocsp.Good, 0, ""},
		{"responder ID names another name in the issuer's encoding", buildStaple(t, []answer{good}, byNameText(t, "c a"), nil, caKey), 0, StapleSigner, `its responder ID names "CN=c a"`},
		{"responder ID names the second certificate carried", buildStaple(t, []answer{good}, byName(delegated), []*x509.Certificate{ca, delegated}, delegatedKey), ocsp.Good, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := ParseStaple(c.raw, leaf, ca, now)
			if c.want == 0 {
				if err != nil || resp.Status != c.status {
					t.Errorf("got %v, want a response with status %d", err, c.status)
				}
				return
			}
			var se *StapleError
			if !errors.As(err, &se) || se.Problem != c.want || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %v, want problem %d with %q", err, c.want, c.err)
			}
		})
	}
}

// TestStapleSignatures checks the signatures of a response that
// crypto/x509 does not read and OpenSSL 3.0 verifies: Ed448, and
// RSASSA-PSS with the parameters the signature names (the longest salt,
// as openssl ocsp signs with -rsigopt rsa_padding_mode:pss), which must
// verify with the signer's key.
func TestStapleSignatures(t *testing.T) {
	now := time.Now()
	edLeaf, edCA := cnChain(t, "ed448", "leaf", nil)
	edKey := ed448.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed448.SeedSize)) // cnChain's root key
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rsa ca"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, rsaKey.Public(), rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaCA, _ := x509.ParseCertificate(der)
	rsaLeaf, _ := newCert(t, "leaf", true, now.Add(-time.Hour), now.Add(time.Hour), rsaCA, rsaKey)
	ecCA, ecKey := newCert(t, "ec ca", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	ecLeaf, _ := newCert(t, "leaf", true, now.Add(-time.Hour), now.Add(time.Hour), ecCA, ecKey)

	ed448Sign := func(flip bool) func([]byte) (pkix.AlgorithmIdentifier, []byte) {
		return func(tbs []byte) (pkix.AlgorithmIdentifier, []byte) {
			sig := ed448.Sign(edKey, tbs, "")
			if flip {
				sig[0] ^= 1
			}
			return pkix.AlgorithmIdentifier{Algorithm: oidEd448}, sig
		}
	}
	// pssSign signs with the salt salt, naming claimed in the parameters.
	pssSign := func(salt, claimed int, flip bool) func([]byte) (pkix.AlgorithmIdentifier, []byte) {
		return func(tbs []byte) (pkix.AlgorithmIdentifier, []byte) {
			d := sha256.Sum256(tbs)
			sig, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
			if err != nil {
				t.Fatal(err)
			}
			if flip {
				sig[len(sig)-1] ^= 1
			}
			sha256ID := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, Parameters: asn1.NullRawValue}
			inner, _ := asn1.Marshal(sha256ID)
			params, err := asn1.Marshal(pssParams{Hash: sha256ID, MGF: pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: inner}}, SaltLength: claimed, TrailerField: 1})
			if err != nil {
				t.Fatal(err)
			}
			return pkix.AlgorithmIdentifier{Algorithm: oidRSAPSS, Parameters: asn1.RawValue{FullBytes: params}}, sig
		}
	}
	maxSalt := 256 - 32 - 2
	for _, c := range []struct {
		name         string
		leaf, issuer *x509.Certificate
		sign         func([]byte) (pkix.AlgorithmIdentifier, []byte)
		err          string
	}{
		{"Ed448", edLeaf, edCA, ed448Sign(false), ""},
		{"Ed448 that does not verify", edLeaf, edCA, ed448Sign(true), "the Ed448 signature does not verify with the signer's key"},
		{"Ed448 by an ECDSA key", ecLeaf, ecCA, ed448Sign(false), "the signer's key is not an Ed448 key"},
		{"RSASSA-PSS with the longest salt", rsaLeaf, rsaCA, pssSign(maxSalt, maxSalt, false), ""},
		{"RSASSA-PSS with a salt as long as the hash", rsaLeaf, rsaCA, pssSign(32, 32, false), ""},
		{"RSASSA-PSS that does not verify", rsaLeaf, rsaCA, pssSign(maxSalt, maxSalt, true), "the RSASSA-PSS signature does not verify"},
		{"RSASSA-PSS with another salt than it names", rsaLeaf, rsaCA, pssSign(maxSalt, 32, false), "the RSASSA-PSS signature does not verify"},
		{"RSASSA-PSS by an ECDSA key", ecLeaf, ecCA, pssSign(32, 32, false), "the signer's key is not an RSA key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := buildSigned(t, []answer{{c.issuer, c.leaf.SerialNumber.Int64(), crypto.SHA1, ocsp.Good}}, byName(c.issuer), nil, nil, c.sign)
			resp, err := ParseStaple(raw, c.leaf, c.issuer, now)
			if c.err == "" {
				if err != nil || resp.Status != ocsp.Good {
					t.Errorf("got %v, want a good response", err)
				}
				return
			}
			var se *StapleError
			if !errors.As(err, &se) || se.Problem != StapleSigner || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %v, want a signer problem with %q", err, c.err)
			}
		})
	}
}
