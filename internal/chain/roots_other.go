//go:build !linux

package chain

// systemRootFiles leaves the roots to crypto/x509 where they are not files
// it reads (macOS and Windows verify with the platform's verifier).
func systemRootFiles() ([][]byte, bool) { return nil, false }
