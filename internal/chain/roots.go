package chain

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"sync"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// rootIndex holds the system's trusted roots as crypto/x509 finds them
// (roots_linux.go), each parsed only when a verification can use it.
//
// crypto/x509 parses every certificate of the system's bundle and of its
// directory (on Debian the same 145 twice, and the bundle, which is in the
// directory, a third time) before the first verification: some 25 ms.
// A verification can only use the roots whose subject is the issuer of a
// certificate it is given (crypto/x509 looks a parent up by the issuer's
// name, CertPool.findPotentialParents) or that are one of them (a root
// sent as the leaf), so a pool of those gives the same verdict, error and
// chains as the whole one.
type rootIndex struct {
	ders      [][]byte         // in the order crypto/x509 adds them
	bySubject map[string][]int // raw subject to indexes of ders
	bySum     map[[sha256.Size224]byte]int

	mu     sync.Mutex
	parsed map[int]*x509.Certificate // nil value: does not parse
}

// systemRoots is the index of the system's roots, read once; nil where
// crypto/x509's own loading serves (other systems, whose verifiers are
// their platform's, or a failure crypto/x509 reports its own way).
var systemRoots = sync.OnceValue(func() *rootIndex {
	files, ok := systemRootFiles()
	if !ok {
		return nil
	}
	return indexPEM(files)
})

// LoadSystemRoots reads the system's trusted roots, which a verification
// otherwise reads when it first needs them. Run on its own goroutine before
// the first chain comes (a capture's), it spares that chain the wait.
func LoadSystemRoots() { systemRoots() }

// poolFor returns the pool of o's roots for verifying certs (the leaf and
// the intermediates given): nil, the system's as crypto/x509 loads them,
// where it has no index of its own.
func (o Options) poolFor(certs ...*x509.Certificate) *x509.CertPool {
	if o.Roots != nil {
		pool := x509.NewCertPool()
		for _, c := range o.Roots {
			pool.AddCert(c)
		}
		return pool
	}
	if o.RootPool != nil {
		return o.RootPool
	}
	ix := systemRoots()
	if ix == nil {
		return nil
	}
	return ix.poolFor(certs)
}

// indexPEM indexes the certificates of the PEM files, taken as
// x509.CertPool.AppendCertsFromPEM takes each (blocks of type CERTIFICATE
// without headers), in the same order, each once.
func indexPEM(files [][]byte) *rootIndex {
	ix := &rootIndex{bySubject: map[string][]int{}, bySum: map[[sha256.Size224]byte]int{}, parsed: map[int]*x509.Certificate{}}
	for _, data := range files {
		for len(data) > 0 {
			var block *pem.Block
			block, data = pem.Decode(data)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
				continue
			}
			// A certificate that parses is its DER bytes whole, so
			// they are what crypto/x509 tells copies apart by.
			sum := sha256.Sum224(block.Bytes)
			if _, dup := ix.bySum[sum]; dup {
				continue
			}
			subject, ok := rawSubject(block.Bytes)
			if !ok {
				continue // crypto/x509 could not parse it either
			}
			i := len(ix.ders)
			ix.ders = append(ix.ders, block.Bytes)
			ix.bySum[sum] = i
			ix.bySubject[string(subject)] = append(ix.bySubject[string(subject)], i)
		}
	}
	return ix
}

// rawSubject returns the subject of a certificate's DER bytes, as
// x509.Certificate.RawSubject holds it, without parsing the rest.
func rawSubject(der []byte) ([]byte, bool) {
	in := cryptobyte.String(der)
	var cert, tbs, subject cryptobyte.String
	if !in.ReadASN1(&cert, casn1.SEQUENCE) || !cert.ReadASN1(&tbs, casn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(casn1.Tag(0).Constructed().ContextSpecific()) || // version
		!tbs.SkipASN1(casn1.INTEGER) || // serial number
		!tbs.SkipASN1(casn1.SEQUENCE) || // signature algorithm
		!tbs.SkipASN1(casn1.SEQUENCE) || // issuer
		!tbs.SkipASN1(casn1.SEQUENCE) || // validity
		!tbs.ReadASN1Element(&subject, casn1.SEQUENCE) {
		return nil, false
	}
	return subject, true
}

// poolFor returns a pool of the roots a verification of certs can use:
// those named as the issuer of one of them, and those that are one of
// them, added in crypto/x509's order.
func (ix *rootIndex) poolFor(certs []*x509.Certificate) *x509.CertPool {
	var idx []int
	for _, c := range certs {
		idx = append(idx, ix.bySubject[string(c.RawIssuer)]...)
		if i, ok := ix.bySum[sha256.Sum224(c.Raw)]; ok {
			idx = append(idx, i)
		}
	}
	pool := x509.NewCertPool()
	for _, c := range ix.certs(idx) {
		pool.AddCert(c)
	}
	return pool
}

// certs returns the roots at the indexes, parsed (once), in index order,
// without those that do not parse (crypto/x509 leaves them out) or repeat.
func (ix *rootIndex) certs(idx []int) []*x509.Certificate {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	slices.Sort(idx)
	idx = slices.Compact(idx)
	var out []*x509.Certificate
	for _, i := range idx {
		c, done := ix.parsed[i]
		if !done {
			c, _ = x509.ParseCertificate(ix.ders[i])
			ix.parsed[i] = c
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// all returns every root, parsed.
func (ix *rootIndex) all() []*x509.Certificate {
	idx := make([]int, len(ix.ders))
	for i := range idx {
		idx[i] = i
	}
	return ix.certs(idx)
}
