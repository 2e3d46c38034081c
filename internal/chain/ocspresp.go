package chain

import (
	"bytes"
	"crypto"
	_ "crypto/sha1" // CertIDs and responder key hashes
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign/ed448"
	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// The ASN.1 of an OCSPResponse (RFC 6960, Section 4.2.1), read as
// x/crypto/ocsp reads it, for what it does not give: every
// SingleResponse with its CertID, the responder ID and every certificate
// the response carries.
type ocspResponseASN1 struct {
	Status   asn1.Enumerated
	Response ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type basicResponseASN1 struct {
	TBSResponseData    responseDataASN1
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type responseDataASN1 struct {
	Raw                asn1.RawContent
	Version            int `asn1:"optional,default:0,explicit,tag:0"`
	RawResponderID     asn1.RawValue
	ProducedAt         time.Time `asn1:"generalized"`
	Responses          []singleResponseASN1
	ResponseExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type singleResponseASN1 struct {
	CertID           certIDASN1
	Good             asn1.Flag        `asn1:"tag:0,optional"`
	Revoked          revokedInfoASN1  `asn1:"tag:1,optional"`
	Unknown          asn1.Flag        `asn1:"tag:2,optional"`
	ThisUpdate       time.Time        `asn1:"generalized"`
	NextUpdate       time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	SingleExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type certIDASN1 struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

type revokedInfoASN1 struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

var oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}

// certIDHashes are the hash algorithms of a CertID (RFC 6960, Section
// 4.1.1) that are read, those x/crypto/ocsp reads.
var certIDHashes = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
	name string
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1, "SHA-1"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256, "SHA-256"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384, "SHA-384"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512, "SHA-512"},
}

// basicResponse is a BasicOCSPResponse as ParseStaple reads it.
type basicResponse struct {
	raw           []byte // the OCSPResponse
	tbs           []byte // the signed tbsResponseData
	sigAlg        x509.SignatureAlgorithm
	sigOID        asn1.ObjectIdentifier // its signature algorithm
	sigParams     []byte                // and the algorithm's parameters (RSASSA-PSS)
	signature     []byte
	producedAt    time.Time
	responderName []byte // byName: the DER of a Name
	responderKey  []byte // byKey: the SHA-1 hash of a public key
	certs         []*x509.Certificate
	singles       []singleResponseASN1
}

// ocspSignatures are the signature algorithms of a response that
// crypto/x509 checks, by OID: x/crypto/ocsp's and Ed25519. RSASSA-PSS
// (with any parameters) and Ed448, which OpenSSL 3.0 verifies too, are
// checked by this package (checkSignature).
var ocspSignatures = []struct {
	oid  asn1.ObjectIdentifier
	algo x509.SignatureAlgorithm
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}, x509.MD5WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, x509.SHA1WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, x509.SHA256WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, x509.SHA384WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, x509.SHA512WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 3}, x509.DSAWithSHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 2}, x509.DSAWithSHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, x509.ECDSAWithSHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, x509.ECDSAWithSHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, x509.ECDSAWithSHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, x509.ECDSAWithSHA512},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, x509.PureEd25519},
}

// parseBasicResponse reads the OCSPResponse raw, which must be a
// successful one of the basic type.
func parseBasicResponse(raw []byte) (*basicResponse, error) {
	var r ocspResponseASN1
	if rest, err := asn1.Unmarshal(raw, &r); err != nil {
		return nil, err
	} else if len(rest) > 0 {
		return nil, errors.New("trailing data after the OCSP response")
	}
	if s := ocsp.ResponseStatus(r.Status); s != ocsp.Success {
		return nil, ocsp.ResponseError{Status: s}
	}
	if !r.Response.ResponseType.Equal(oidOCSPBasic) {
		return nil, fmt.Errorf("its response type is %s, not the basic one (id-pkix-ocsp-basic)", r.Response.ResponseType)
	}
	var basic basicResponseASN1
	if rest, err := asn1.Unmarshal(r.Response.Response, &basic); err != nil {
		return nil, err
	} else if len(rest) > 0 {
		return nil, errors.New("trailing data after the basic OCSP response")
	}
	b := &basicResponse{raw: raw, tbs: basic.TBSResponseData.Raw, signature: basic.Signature.RightAlign(),
		producedAt: basic.TBSResponseData.ProducedAt, singles: basic.TBSResponseData.Responses}
	b.sigOID, b.sigParams = basic.SignatureAlgorithm.Algorithm, basic.SignatureAlgorithm.Parameters.FullBytes
	for _, a := range ocspSignatures {
		if a.oid.Equal(b.sigOID) {
			b.sigAlg = a.algo
		}
	}
	if b.sigOID.Equal(oidRSAPSS) {
		// Named as crypto/x509 names PSS over the hash, whatever the
		// salt and mask (checkSignature reads them).
		if p, err := parsePSS(b.sigParams); err == nil {
			b.sigAlg = map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSAPSS, crypto.SHA384: x509.SHA384WithRSAPSS, crypto.SHA512: x509.SHA512WithRSAPSS}[p.hash]
		}
	}
	if len(b.singles) == 0 {
		return nil, errors.New("it holds no SingleResponse")
	}
	switch id := basic.TBSResponseData.RawResponderID; {
	case id.Class == asn1.ClassContextSpecific && id.Tag == 1 && id.IsCompound: // byName [1] EXPLICIT Name
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(id.Bytes, &rdn); err != nil || len(rest) > 0 {
			return nil, errors.New("its responder ID is not a name")
		}
		b.responderName = id.Bytes
	case id.Class == asn1.ClassContextSpecific && id.Tag == 2 && id.IsCompound: // byKey [2] EXPLICIT KeyHash
		if rest, err := asn1.Unmarshal(id.Bytes, &b.responderKey); err != nil || len(rest) > 0 {
			return nil, errors.New("its responder ID is not a key hash")
		}
	default:
		return nil, errors.New("its responder ID is neither a name nor a key hash")
	}
	for _, c := range basic.Certificates {
		cert, err := x509.ParseCertificate(c.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("a certificate it carries does not parse: %w", err)
		}
		b.certs = append(b.certs, cert)
	}
	return b, nil
}

// find returns the answer about leaf issued by issuer, as curl finds it
// (OCSP_resp_find_status with the CertID of OCSP_cert_to_id(EVP_sha1(),
// leaf, issuer)), and checks that every answer names issuer in its CertID,
// as OpenSSL's OCSP_basic_verify does (ocsp_check_issuer).
func (b *basicResponse) find(leaf, issuer *x509.Certificate) (*singleResponseASN1, error) {
	var found *singleResponseASN1
	for i := range b.singles {
		if id := b.singles[i].CertID; id.HashAlgorithm.Algorithm.Equal(certIDHashes[0].oid) && id.SerialNumber.Cmp(leaf.SerialNumber) == 0 && namesIssuer(id, issuer) {
			found = &b.singles[i]
			break
		}
	}
	if found == nil {
		return nil, stapleErrorf(StapleOtherCertificate, "it holds no answer about the certificate (serial %s, issued by %q): %s", serialHex(leaf.SerialNumber), dn.Subject(issuer), b.whyNot(leaf, issuer))
	}
	for _, s := range b.singles {
		if !namesIssuer(s.CertID, issuer) {
			return nil, stapleErrorf(StapleOtherCertificate, "besides its answer about the certificate, it answers about serial %s of another issuer (%s): OpenSSL (and so curl) refuses a response about certificates of more than one issuer",
				serialHex(s.CertID.SerialNumber), aboutCertID(s.CertID, issuer))
		}
	}
	return found, nil
}

// whyNot says why none of b's answers is the one curl looks for.
func (b *basicResponse) whyNot(leaf, issuer *x509.Certificate) string {
	var sameSerial []certIDASN1
	for _, s := range b.singles {
		if s.CertID.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			sameSerial = append(sameSerial, s.CertID)
		}
	}
	if len(sameSerial) == 0 {
		var serials []string
		for _, s := range b.singles {
			serials = append(serials, serialHex(s.CertID.SerialNumber))
		}
		return fmt.Sprintf("it answers about serial %s, another certificate", strings.Join(serials, ", "))
	}
	for _, id := range sameSerial {
		if namesIssuer(id, issuer) {
			// Hashed with another algorithm than SHA-1.
			return fmt.Sprintf("its answer names the certificate by a CertID hashed with %s, and curl (OpenSSL's OCSP_resp_find_status) looks the certificate up by its SHA-1 CertID only", certIDHashName(id.HashAlgorithm.Algorithm))
		}
	}
	return fmt.Sprintf("its answer about serial %s is about a certificate of another issuer with the same serial: %s", serialHex(leaf.SerialNumber), aboutCertID(sameSerial[0], issuer))
}

// aboutCertID says how id, which does not name issuer, differs from
// issuer.
func aboutCertID(id certIDASN1, issuer *x509.Certificate) string {
	h, ok := certIDHash(id.HashAlgorithm.Algorithm)
	if !ok {
		return fmt.Sprintf("its CertID is hashed with %s, which is not read", id.HashAlgorithm.Algorithm)
	}
	name, key := issuerHashes(issuer, h)
	switch {
	case !bytes.Equal(id.IssuerNameHash, name):
		return fmt.Sprintf("its CertID's issuerNameHash (%s, %s) is not that of the issuer's name %q (%s)", hex.EncodeToString(id.IssuerNameHash), certIDHashName(id.HashAlgorithm.Algorithm), dn.Subject(issuer), hex.EncodeToString(name))
	default:
		return fmt.Sprintf("its CertID's issuerKeyHash (%s, %s) is not that of the public key of the issuer %q (%s)", hex.EncodeToString(id.IssuerKeyHash), certIDHashName(id.HashAlgorithm.Algorithm), dn.Subject(issuer), hex.EncodeToString(key))
	}
}

// namesIssuer says whether id's issuerNameHash and issuerKeyHash are
// issuer's, with the hash algorithm id names (OpenSSL's
// ocsp_match_issuerid).
func namesIssuer(id certIDASN1, issuer *x509.Certificate) bool {
	h, ok := certIDHash(id.HashAlgorithm.Algorithm)
	if !ok {
		return false
	}
	name, key := issuerHashes(issuer, h)
	return key != nil && bytes.Equal(id.IssuerNameHash, name) && bytes.Equal(id.IssuerKeyHash, key)
}

// issuerHashes are the hashes of issuer's subject (its DER) and of its
// public key (the value of the subjectPublicKey BIT STRING), as a CertID
// holds them (RFC 6960, Section 4.1.1). key is nil when issuer's public
// key info does not parse.
func issuerHashes(issuer *x509.Certificate, h crypto.Hash) (name, key []byte) {
	d := h.New()
	d.Write(issuer.RawSubject)
	name = d.Sum(nil)
	if bits, ok := publicKeyBits(issuer); ok {
		d = h.New()
		d.Write(bits)
		key = d.Sum(nil)
	}
	return name, key
}

// publicKeyBits is the value of c's subjectPublicKey BIT STRING.
func publicKeyBits(c *x509.Certificate) ([]byte, bool) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if rest, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil || len(rest) > 0 {
		return nil, false
	}
	return spki.PublicKey.Bytes, true
}

func certIDHash(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, h := range certIDHashes {
		if h.oid.Equal(oid) {
			return h.hash, true
		}
	}
	return 0, false
}

func certIDHashName(oid asn1.ObjectIdentifier) string {
	for _, h := range certIDHashes {
		if h.oid.Equal(oid) {
			return h.name
		}
	}
	return oid.String()
}

// serialHex writes a serial number as the chain shows it (SerialText).
func serialHex(n *big.Int) string {
	if n == nil {
		return "(none)"
	}
	return SerialText(&x509.Certificate{SerialNumber: n})
}

// signer is the certificate b's responder ID names, looked for as
// OpenSSL's ocsp_find_signer does: among the certificates b carries, then
// issuer (curl passes the chain the server sent). A name is compared as
// X509_find_by_subject compares it (X509_NAME_cmp: canonical forms, so
// that a PrintableString and a UTF8String of the same letters in another
// case are the same name). The key of the certificate found must have
// signed the response: OpenSSL tries no other.
func (b *basicResponse) signer(issuer *x509.Certificate) (*x509.Certificate, error) {
	for _, c := range append(append([]*x509.Certificate(nil), b.certs...), issuer) {
		if b.responderName != nil && sameName(c.RawSubject, b.responderName) {
			return c, nil
		}
		if len(b.responderKey) == 20 {
			if bits, ok := publicKeyBits(c); ok {
				d := crypto.SHA1.New()
				d.Write(bits)
				if bytes.Equal(d.Sum(nil), b.responderKey) {
					return c, nil
				}
			}
		}
	}
	var named string
	if b.responderName != nil {
		named = fmt.Sprintf("names %q", dn.String(b.responderName))
	} else {
		named = fmt.Sprintf("is the key hash %s", hex.EncodeToString(b.responderKey))
	}
	carried := "it carries no certificate"
	if len(b.certs) > 0 {
		var subjects []string
		for _, c := range b.certs {
			subjects = append(subjects, fmt.Sprintf("%q", dn.Subject(c)))
		}
		carried = "nor any certificate it carries (" + strings.Join(subjects, ", ") + ")"
	}
	return nil, stapleErrorf(StapleSigner, "its responder ID %s, which is neither the issuer %q, %s: OpenSSL (and so curl) finds no certificate to check its signature with", named, dn.Subject(issuer), carried)
}

// response is b with its answer s, signed by signer, as x/crypto/ocsp
// gives a response.
func (b *basicResponse) response(s *singleResponseASN1, signer *x509.Certificate) *ocsp.Response {
	resp := &ocsp.Response{
		Raw: b.raw, TBSResponseData: b.tbs, Signature: b.signature, SignatureAlgorithm: b.sigAlg,
		ProducedAt: b.producedAt, RawResponderName: b.responderName, ResponderKeyHash: b.responderKey,
		SerialNumber: s.CertID.SerialNumber, ThisUpdate: s.ThisUpdate, NextUpdate: s.NextUpdate,
		Extensions: s.SingleExtensions,
	}
	if slices.ContainsFunc(b.certs, signer.Equal) {
		resp.Certificate = signer
	}
	resp.IssuerHash, _ = certIDHash(s.CertID.HashAlgorithm.Algorithm)
	switch {
	case bool(s.Good):
		resp.Status = ocsp.Good
	case bool(s.Unknown):
		resp.Status = ocsp.Unknown
	default:
		resp.Status = ocsp.Revoked
		resp.RevokedAt = s.Revoked.RevocationTime
		resp.RevocationReason = int(s.Revoked.Reason)
	}
	return resp
}

// checkSignature checks b's signature with signer's key, as OpenSSL 3.0's
// OCSP_basic_verify does (ASN1_item_verify): RSASSA-PSS with the
// parameters the signature names (openssl ocsp signs with the longest salt
// the key allows, which crypto/x509 does not read), within those of an
// id-RSASSA-PSS key, and Ed448, here; the others with crypto/x509.
func (b *basicResponse) checkSignature(resp *ocsp.Response, signer *x509.Certificate) error {
	switch {
	case b.sigOID.Equal(oidEd448):
		oid, key := spkiAlgorithm(signer.RawSubjectPublicKeyInfo)
		if !oid.Equal(oidEd448) || len(key) != ed448.PublicKeySize {
			return errors.New("it is signed with Ed448, but the signer's key is not an Ed448 key")
		}
		if !ed448.Verify(ed448.PublicKey(key), b.tbs, b.signature, "") {
			return errors.New("the Ed448 signature does not verify with the signer's key")
		}
		return nil
	case b.sigOID.Equal(oidRSAPSS):
		_, err := checkPSSSignature(b.sigParams, signer, b.tbs, b.signature)
		return err
	}
	return resp.CheckSignatureFrom(signer)
}

// sameName says whether the DER names a and b are one name as OpenSSL's
// X509_NAME_cmp compares them: their canonical forms (canonicalName), or
// their bytes when either does not parse.
func sameName(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ca, okA := canonicalName(a)
	cb, okB := canonicalName(b)
	if !okA || !okB || len(ca) != len(cb) {
		return false
	}
	for i := range ca {
		if !slices.Equal(ca[i], cb[i]) {
			return false
		}
	}
	return true
}

// IssuerSent is the certificate among certs, a chain as the server sent
// it (leaf first, the leaf included), that issued the leaf as curl finds
// the issuer for the OCSP CertID of its certificate status check: the
// first for which OpenSSL's X509_check_issued holds (its subject is the
// leaf's issuer name, X509_NAME_cmp; its subject key identifier, when
// both have one, the leaf's authority key identifier; its key usage, when
// it has one, allows certificate signing), the signature not checked.
// nil: none, and curl fails the check (it looks no further, not among
// the trusted roots).
func IssuerSent(certs []*x509.Certificate) *x509.Certificate {
	if len(certs) == 0 {
		return nil
	}
	leaf := certs[0]
	for _, c := range certs {
		if !sameName(c.RawSubject, leaf.RawIssuer) {
			continue
		}
		if len(leaf.AuthorityKeyId) > 0 && len(c.SubjectKeyId) > 0 && !bytes.Equal(leaf.AuthorityKeyId, c.SubjectKeyId) {
			continue
		}
		if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			continue
		}
		return c
	}
	return nil
}
