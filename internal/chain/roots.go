package chain

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"runtime"
	"sync"
)

// systemPool returns the system's trusted roots, loaded once: the pool
// crypto/x509 would use, found the same way (roots_linux.go), or nil where
// crypto/x509's own is used (other systems, whose verifiers are their
// platform's).
var systemPool = sync.OnceValue(func() *x509.CertPool {
	pool, _, ok := loadSystemPool()
	if !ok {
		return nil
	}
	return pool
})

// LoadSystemRoots loads the system's trusted roots, which a verification
// otherwise loads when it first needs them. Run on its own goroutine before
// the first chain comes (a capture's), it spares that chain the wait.
func LoadSystemRoots() { systemPool() }

// poolOf returns the pool of o's roots for x509.VerifyOptions: nil, the
// system's as crypto/x509 loads them, where it has no copy of its own.
func (o Options) poolOf() *x509.CertPool {
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
	return systemPool()
}

// appendPEM adds to pool the certificates of the PEM files, as
// x509.CertPool.AppendCertsFromPEM does each (blocks of type CERTIFICATE
// without headers; those that do not parse skipped), in the same order.
// A certificate met again is not parsed again: a system's bundle and its
// directory of certificates hold the same ones, and crypto/x509 parses
// each of them (several hundred) to drop the copies after. The parsing is
// spread over the processors. It returns the certificates added.
func appendPEM(pool *x509.CertPool, files [][]byte) []*x509.Certificate {
	var ders [][]byte
	seen := map[[sha256.Size224]byte]bool{}
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
			// A certificate that parses is its DER bytes whole.
			sum := sha256.Sum224(block.Bytes)
			if !seen[sum] {
				seen[sum] = true
				ders = append(ders, block.Bytes)
			}
		}
	}
	certs := make([]*x509.Certificate, len(ders))
	n := min(runtime.GOMAXPROCS(0), 4)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			for i := w; i < len(ders); i += n {
				certs[i], _ = x509.ParseCertificate(ders[i])
			}
		})
	}
	wg.Wait()
	added := certs[:0]
	for _, c := range certs {
		if c != nil {
			pool.AddCert(c)
			added = append(added, c)
		}
	}
	return added
}
