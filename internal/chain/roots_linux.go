package chain

import (
	"crypto/x509"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The places crypto/x509 looks for the trusted roots on Linux
// (crypto/x509/root_linux.go and root_unix.go, Go 1.26), in its order.
var (
	certFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian/Ubuntu/Gentoo etc.
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora/RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS/RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine Linux
	}
	certDirectories = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
)

// loadSystemPool reads the roots where crypto/x509 does: the first bundle
// that can be read ($SSL_CERT_FILE instead of the list), then every file
// of the directories ($SSL_CERT_DIR, separated by ':', instead) that is
// not a symbolic link to a file of the same directory; certs are those
// added, in order. ok is false when crypto/x509 would report an error:
// then its own loading decides.
func loadSystemPool() (pool *x509.CertPool, certs []*x509.Certificate, ok bool) {
	var data [][]byte
	var failed bool
	files := certFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			data = append(data, b)
			break
		}
		failed = failed || !os.IsNotExist(err)
	}
	dirs := certDirectories
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			failed = failed || !os.IsNotExist(err)
			continue
		}
		for _, e := range entries {
			if sameDirLink(e, dir) {
				continue
			}
			if b, err := os.ReadFile(dir + "/" + e.Name()); err == nil {
				data = append(data, b)
			}
		}
	}
	pool = x509.NewCertPool()
	certs = appendPEM(pool, data)
	if len(certs) == 0 && failed {
		return nil, nil, false
	}
	return pool, certs, true
}

// sameDirLink reports a symbolic link to a file of the same directory (the
// hash-named links of c_rehash), which crypto/x509 skips.
func sameDirLink(e fs.DirEntry, dir string) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := os.Readlink(filepath.Join(dir, e.Name()))
	return err == nil && !strings.Contains(target, "/")
}
