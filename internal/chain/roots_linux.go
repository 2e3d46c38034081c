package chain

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
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

// systemRootFiles reads the files crypto/x509 reads the roots from: the
// first bundle that can be read ($SSL_CERT_FILE instead of the list), then
// every file of the directories ($SSL_CERT_DIR, separated by ':', instead)
// that is not a symbolic link to a file of the same directory. ok is false
// when crypto/x509 would report an error (nothing read, and a file or
// directory that exists could not be read): then its own loading decides.
func systemRootFiles() (data [][]byte, ok bool) {
	var failed bool
	files := certFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, file := range files {
		b, err := readFile(file)
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
			b, err := readFile(dir + "/" + e.Name())
			// A file the same as one read (the bundle is in
			// /etc/ssl/certs on Debian) adds only copies.
			if err == nil && !slices.ContainsFunc(data, func(d []byte) bool { return bytes.Equal(d, b) }) {
				data = append(data, b)
			}
		}
	}
	if failed && len(indexPEM(data).all()) == 0 {
		return nil, false
	}
	return data, true
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

// readFile is os.ReadFile in four system calls (open, read until the
// end, close) instead of nine: os.ReadFile tries to put a file in the
// poller, which fails for a regular file and sets its flags back, and
// asks its size. A directory of roots has hundreds of files.
func readFile(name string) ([]byte, error) {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 8<<10)
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, cap(b))
		}
		n, err := ignoringEINTR(func() (int, error) { return unix.Read(fd, b[len(b):cap(b)]) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func ignoringEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}
