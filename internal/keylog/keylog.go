// Package keylog reads and writes the NSS key log format: the file that
// SSLKEYLOGFILE makes browsers, curl and OpenSSL write, and that crypto/tls
// writes through Config.KeyLogWriter (writeKeyLog in crypto/tls common.go).
//
// Each line is "<label> <client random> <secret>", the last two in hex. The
// client random (32 bytes, from the ClientHello) names the connection; the
// label names the secret. The "RSA" label is the exception: its second field
// is the first 8 bytes of the RSA-encrypted premaster secret and its third
// the 48-byte premaster secret. The format is described at
// https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/index.html.
//
// A key log is input we do not control, so Parse never fails on content: a
// line it cannot use becomes a Warning and is skipped. Only a read error is
// returned as an error. Line length and the number of entries are bounded so
// that a hostile file cannot make the parser allocate without bound.
package keylog

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
)

// Labels of the NSS key log format.
const (
	// LabelRSA carries the premaster secret of an RSA key exchange, keyed
	// by the first 8 bytes of the encrypted premaster secret.
	LabelRSA = "RSA"
	// LabelClientRandom carries the 48-byte master secret of TLS 1.2 and
	// earlier (RFC 5246, Section 8.1).
	LabelClientRandom = "CLIENT_RANDOM"
	// The TLS 1.3 secrets of RFC 8446, Section 7.1.
	LabelClientEarlyTrafficSecret     = "CLIENT_EARLY_TRAFFIC_SECRET"
	LabelClientHandshakeTrafficSecret = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	LabelServerHandshakeTrafficSecret = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	LabelClientTrafficSecret0         = "CLIENT_TRAFFIC_SECRET_0"
	LabelServerTrafficSecret0         = "SERVER_TRAFFIC_SECRET_0"
	LabelEarlyExporterSecret          = "EARLY_EXPORTER_SECRET"
	LabelExporterSecret               = "EXPORTER_SECRET"
	// OpenSSL logs the application traffic secret of every KeyUpdate
	// (RFC 8446, Section 7.2) under these labels, one line per
	// generation, all under the same label.
	LabelClientTrafficSecretN = "CLIENT_TRAFFIC_SECRET_N"
	LabelServerTrafficSecretN = "SERVER_TRAFFIC_SECRET_N"
	// The Encrypted Client Hello secrets (draft-ietf-tls-esni): the HPKE
	// shared secret and the ECHConfig used.
	LabelECHSecret = "ECH_SECRET"
	LabelECHConfig = "ECH_CONFIG"
)

// Limits that bound what a key log may make us hold in memory.
const (
	// MaxLineLen is the longest line accepted, without its line ending.
	// The longest standard line (a 48-byte secret) has 193 characters;
	// ECH_CONFIG lines carry a whole ECHConfig and can be a few hundred
	// bytes. Longer lines are skipped with a warning.
	MaxLineLen = 4096
	// MaxEntries is the largest number of secrets one Log holds, about
	// 50,000 TLS 1.3 connections of five secrets each and some 50 MB.
	// Further lines are skipped with a warning.
	MaxEntries = 1 << 18
	// MaxWarnings is the largest number of warnings Parse returns; one
	// more says that the rest were dropped.
	MaxWarnings = 100

	// ClientRandomLen is the length of the client random (RFC 8446,
	// Section 4.1.2; RFC 5246, Section 7.4.1.2).
	ClientRandomLen = 32
	// MasterSecretLen is the length of a TLS 1.2 master secret and of a
	// premaster secret of an RSA key exchange (RFC 5246, Sections 8.1 and
	// 7.4.7.1).
	MasterSecretLen = 48
	// RSAPrefixLen is the length of the encrypted premaster prefix of an
	// RSA line.
	RSAPrefixLen = 8
)

// Warning says why one line of a key log was skipped.
type Warning struct {
	// Line is the 1-based line number.
	Line int
	// Text says what was wrong with the line.
	Text string
}

func (w Warning) String() string {
	return fmt.Sprintf("line %d: %s", w.Line, w.Text)
}

// entryKey names one secret: the connection's client random and the label.
type entryKey struct {
	clientRandom [ClientRandomLen]byte
	label        string
}

// Log holds secrets keyed by client random (32 bytes) and label, and RSA
// premaster secrets keyed by the first 8 bytes of the encrypted premaster
// secret. The zero value is not usable; call New. A Log is not safe for
// concurrent use.
type Log struct {
	secrets map[entryKey][]byte
	rsa     map[[RSAPrefixLen]byte][]byte
	psk     []byte
}

// SetPSK sets the pre-shared key of plain PSK cipher suites (RFC 4279,
// Section 2), which, with the randoms, gives their premaster secret.
func (l *Log) SetPSK(psk []byte) {
	l.psk = bytes.Clone(psk)
}

// MaxPSK is the longest pre-shared key: the premaster secret of a plain
// PSK suite carries it as psk<0..2^16-1> (RFC 4279, Section 2).
const MaxPSK = 0xFFFF

// ErrPSK is a pre-shared key that is not hexadecimal digits, or is longer
// than MaxPSK.
var ErrPSK = errors.New("keylog: not a pre-shared key in hexadecimal")

// ParsePSK reads a pre-shared key written in hexadecimal, as openssl
// s_client and s_server take it.
func ParsePSK(s string) ([]byte, error) {
	psk, err := hex.DecodeString(s)
	if err != nil || len(psk) > MaxPSK {
		return nil, ErrPSK
	}
	return psk, nil
}

// PSK returns the pre-shared key set by SetPSK, or nil.
func (l *Log) PSK() []byte {
	if l == nil {
		return nil
	}
	return bytes.Clone(l.psk)
}

// New returns an empty Log.
func New() *Log {
	return &Log{
		secrets: make(map[entryKey][]byte),
		rsa:     make(map[[RSAPrefixLen]byte][]byte),
	}
}

// Len returns the number of secrets held, RSA premaster secrets included.
func (l *Log) Len() int {
	return len(l.secrets) + len(l.rsa)
}

// Forget drops every secret of one connection (its client random): a
// long-running tracer calls it when the connection has closed.
func (l *Log) Forget(clientRandom []byte) {
	if len(clientRandom) != ClientRandomLen {
		return
	}
	for k := range l.secrets {
		if k.clientRandom == [ClientRandomLen]byte(clientRandom) {
			delete(l.secrets, k)
		}
	}
}

// Add stores a secret under label and client random, copying both slices.
// For LabelRSA, clientRandom is the encrypted premaster secret (only its
// first 8 bytes are used) and secret the premaster secret.
//
// The first secret stored under a name is kept: a later duplicate does not
// replace it, because the first line is what the peer logged when the
// connection was made. Add ignores entries whose client random is not 32
// bytes (at least 8 for LabelRSA), whose secret is empty, or that would grow
// the Log past MaxEntries; Parse reports those as warnings.
func (l *Log) Add(label string, clientRandom, secret []byte) {
	l.add(label, clientRandom, secret)
}

// add is Add, reporting whether the entry was new and kept.
func (l *Log) add(label string, clientRandom, secret []byte) bool {
	if len(secret) == 0 || l.Len() >= MaxEntries {
		return false
	}
	if label == LabelRSA {
		if len(clientRandom) < RSAPrefixLen {
			return false
		}
		k := [RSAPrefixLen]byte(clientRandom[:RSAPrefixLen])
		if _, ok := l.rsa[k]; ok {
			return false
		}
		l.rsa[k] = bytes.Clone(secret)
		return true
	}
	if len(clientRandom) != ClientRandomLen {
		return false
	}
	k := entryKey{[ClientRandomLen]byte(clientRandom), label}
	if _, ok := l.secrets[k]; ok {
		return false
	}
	l.secrets[k] = bytes.Clone(secret)
	return true
}

// Secret returns a copy of the secret logged under label for the connection
// with this client random, or nil if there is none. Labels the package does
// not know are looked up like the others.
func (l *Log) Secret(clientRandom []byte, label string) []byte {
	if l == nil || len(clientRandom) != ClientRandomLen {
		return nil
	}
	return bytes.Clone(l.secrets[entryKey{[ClientRandomLen]byte(clientRandom), label}])
}

// RSAPremaster returns a copy of the premaster secret logged on an RSA line
// whose prefix matches the first 8 bytes of encryptedPrefix (the encrypted
// premaster secret of a ClientKeyExchange, or its first 8 bytes), or nil.
func (l *Log) RSAPremaster(encryptedPrefix []byte) []byte {
	if l == nil || len(encryptedPrefix) < RSAPrefixLen {
		return nil
	}
	return bytes.Clone(l.rsa[[RSAPrefixLen]byte(encryptedPrefix[:RSAPrefixLen])])
}

// lookup returns the stored secret under label and id, not a copy.
func (l *Log) lookup(label string, id []byte) []byte {
	if label == LabelRSA {
		return l.rsa[[RSAPrefixLen]byte(id[:RSAPrefixLen])]
	}
	return l.secrets[entryKey{[ClientRandomLen]byte(id), label}]
}

// Merge adds the secrets of other to l. Where both hold a secret under the
// same name, the one in l is kept. A nil other adds nothing.
func (l *Log) Merge(other *Log) {
	if other == nil || other == l {
		return
	}
	for k, v := range other.secrets {
		l.add(k.label, k.clientRandom[:], v)
	}
	if other.psk != nil && l.psk == nil {
		l.psk = bytes.Clone(other.psk)
	}
	for k, v := range other.rsa {
		l.add(LabelRSA, k[:], v)
	}
}

// WriteLine writes one key log line, "<label> <client random> <secret>\n" in
// lowercase hex, as crypto/tls writeKeyLog does. For LabelRSA, clientRandom
// is the encrypted premaster secret and only its first 8 bytes are written.
func WriteLine(w io.Writer, label string, clientRandom, secret []byte) error {
	if label == "" || label[0] == '#' || strings.IndexFunc(label, unicode.IsSpace) >= 0 {
		return fmt.Errorf("keylog: invalid label %q", label)
	}
	if label == LabelRSA {
		if len(clientRandom) < RSAPrefixLen {
			return fmt.Errorf("keylog: RSA line needs %d bytes of encrypted premaster secret, got %d", RSAPrefixLen, len(clientRandom))
		}
		clientRandom = clientRandom[:RSAPrefixLen]
	}
	_, err := fmt.Fprintf(w, "%s %x %x\n", label, clientRandom, secret)
	return err
}

// Parse reads a key log. Blank lines and lines starting with '#' are
// ignored; CRLF line endings and hex in either case are accepted, and fields
// may be separated by any run of spaces or tabs. A line that cannot be used
// (wrong field count, bad hex, wrong length, too long, duplicate, over
// MaxEntries) is skipped and reported as a Warning; successive secrets under
// a label written once per KeyUpdate are no duplicates when each follows one
// logged before. The returned error is
// only that of r; the Log and warnings read until then are returned with it.
func Parse(r io.Reader) (*Log, []Warning, error) {
	l := New()
	p := parser{log: l}
	// The buffer holds one maximal line plus its CRLF, so that ReadSlice
	// returns bufio.ErrBufferFull exactly for lines that are too long.
	br := bufio.NewReaderSize(r, MaxLineLen+2)
	for {
		line, err := br.ReadSlice('\n')
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			tooLong = true
			_, err = br.ReadSlice('\n')
		}
		if len(line) > 0 || tooLong {
			p.line++
			if tooLong {
				p.warn("line longer than %d bytes", MaxLineLen)
			} else {
				p.parseLine(line)
			}
		}
		if err == io.EOF {
			return l, p.warnings, nil
		}
		if err != nil {
			return l, p.warnings, fmt.Errorf("keylog: reading line %d: %w", p.line+1, err)
		}
	}
}

// OpenAppend opens the key log file name to append lines to, creating it
// with mode 0600 (the secrets open every session logged).
func OpenAppend(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// Exposed returns the permissions of the key log file w and true when
// others than its owner may read or write it: a file that existed before
// OpenAppend keeps its mode (a browser's SSLKEYLOGFILE is often 0644),
// which is its owner's to change. It returns false for a writer that is
// not a file.
func Exposed(w io.Writer) (fs.FileMode, bool) {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return 0, false
	}
	st, err := f.Stat()
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return 0, false
	}
	return st.Mode().Perm(), true
}

// OpenEnv opens the key log file $SSLKEYLOGFILE names, to append the
// run's secrets to as curl, browsers and OpenSSL do; it returns nil when
// the variable is not set or empty (a nil interface, which a tracer's
// KeyLog takes as none). An error names the variable.
func OpenEnv() (io.WriteCloser, error) {
	name := os.Getenv("SSLKEYLOGFILE")
	if name == "" {
		return nil, nil
	}
	f, err := OpenAppend(name)
	if err != nil {
		return nil, fmt.Errorf("SSLKEYLOGFILE: %w", err)
	}
	return f, nil
}

// ReadFile parses the key log file name. An error opening the file is
// returned as it is, a read error with the file's name; the warnings are
// Parse's.
func ReadFile(name string) (*Log, []Warning, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if head, _ := br.Peek(512); bytes.IndexByte(head, 0) >= 0 {
		// A key log is text; a NUL byte says it is something else (a
		// capture given in its place), which would give a warning for
		// each of its "lines".
		return nil, nil, fmt.Errorf("%s: %w", name, ErrNotKeyLog)
	}
	l, warnings, err := Parse(br)
	if err != nil {
		return nil, nil, fmt.Errorf("reading key log %s: %w", name, err)
	}
	return l, warnings, nil
}

// ErrNotKeyLog is a file given as a key log that is binary: no key log
// (text lines "LABEL CLIENT_RANDOM SECRET") holds a NUL byte.
var ErrNotKeyLog = errors.New("not a key log: it holds binary data, where a key log holds lines of text (LABEL CLIENT_RANDOM SECRET)")

// parser holds the state of one Parse.
type parser struct {
	log      *Log
	line     int
	warnings []Warning
	full     bool // a MaxEntries warning was given
	// generations holds the distinct secrets read under each _N label
	// (one per KeyUpdate), in the order read.
	generations map[entryKey][][]byte
}

func (p *parser) warn(format string, args ...any) {
	switch {
	case len(p.warnings) < MaxWarnings:
		p.warnings = append(p.warnings, Warning{p.line, fmt.Sprintf(format, args...)})
	case len(p.warnings) == MaxWarnings:
		p.warnings = append(p.warnings, Warning{p.line, fmt.Sprintf("more than %d warnings; the rest are not reported", MaxWarnings)})
	}
}

func (p *parser) parseLine(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > MaxLineLen {
		p.warn("line longer than %d bytes", MaxLineLen)
		return
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] == '#' {
		return
	}
	fields := bytes.Fields(trimmed)
	if len(fields) != 3 {
		p.warn("want 3 fields (label, client random, secret), got %d", len(fields))
		return
	}
	label := string(fields[0])
	id, err := decodeHex(fields[1])
	if err != nil {
		p.warn("%s: second field: %v", label, err)
		return
	}
	secret, err := decodeHex(fields[2])
	if err != nil {
		p.warn("%s: secret: %v", label, err)
		return
	}
	if msg := checkLengths(label, id, secret); msg != "" {
		p.warn("%s: %s", label, msg)
		return
	}
	if p.log.Len() >= MaxEntries {
		if !p.full {
			p.full = true
			p.warn("more than %d secrets; this and later lines are skipped", MaxEntries)
		}
		return
	}
	if next, ok := generationLabels[label]; ok {
		p.generation(label, next, id, secret)
		return
	}
	if old := p.log.lookup(label, id); old != nil {
		// A repeated line is harmless; a different secret under the same
		// name means the log mixes up two connections.
		if !bytes.Equal(old, secret) {
			p.warn("%s: a different secret for %x was logged before; the first one is kept", label, id)
		}
		return
	}
	p.log.add(label, id, secret)
}

// generationLabels maps the labels OpenSSL writes once per KeyUpdate to the
// label of the generation they follow.
var generationLabels = map[string]string{
	LabelClientTrafficSecretN: LabelClientTrafficSecret0,
	LabelServerTrafficSecretN: LabelServerTrafficSecret0,
}

// maxSkippedGenerations bounds how many KeyUpdates a _N line may lie beyond
// a secret logged before it (a log that lost some lines).
const maxSkippedGenerations = 16

// generation handles a line under a label written once per KeyUpdate
// (CLIENT_TRAFFIC_SECRET_N, SERVER_TRAFFIC_SECRET_N). Successive lines carry
// successive secrets, each the KeyUpdate of the one before (RFC 8446,
// Section 7.2), so a different secret is no warning when it is one of the
// generations that follow a secret logged before (under label or under
// first, the secret of generation 0). Otherwise the log mixes up two
// connections. The Log keeps the first line, as for other labels.
func (p *parser) generation(label, first string, id, secret []byte) {
	k := entryKey{[ClientRandomLen]byte(id), label}
	known := p.generations[k]
	for _, g := range known {
		if bytes.Equal(g, secret) {
			return
		}
	}
	if len(known) > 0 || p.log.lookup(first, id) != nil {
		from := known
		if s := p.log.lookup(first, id); s != nil {
			from = append([][]byte{s}, known...)
		}
		if !followsAny(from, secret) {
			p.warn("%s: the secret for %x is not a KeyUpdate of one logged before (RFC 8446, Section 7.2); the first one is kept", label, id)
			return
		}
	}
	if p.generations == nil {
		p.generations = make(map[entryKey][][]byte)
	}
	p.generations[k] = append(known, secret)
	p.log.add(label, id, secret)
}

// followsAny reports whether secret is the traffic secret of up to
// maxSkippedGenerations KeyUpdates after one of from. The hash is the one
// of the secret's length: SHA-256 for 32 bytes, SHA-384 for 48.
func followsAny(from [][]byte, secret []byte) bool {
	var h crypto.Hash
	switch len(secret) {
	case 32:
		h = crypto.SHA256
	case 48:
		h = crypto.SHA384
	default:
		return false
	}
	for _, s := range from {
		if len(s) != len(secret) {
			continue
		}
		for range maxSkippedGenerations {
			s = tlscrypt.ExpandLabel(h, s, "traffic upd", nil, len(s))
			if bytes.Equal(s, secret) {
				return true
			}
		}
	}
	return false
}

// checkLengths returns why the field lengths of a line are wrong, or "".
func checkLengths(label string, id, secret []byte) string {
	if label == LabelRSA {
		if len(id) != RSAPrefixLen {
			return fmt.Sprintf("encrypted premaster prefix is %d bytes, want %d", len(id), RSAPrefixLen)
		}
		if len(secret) != MasterSecretLen {
			return fmt.Sprintf("premaster secret is %d bytes, want %d", len(secret), MasterSecretLen)
		}
		return ""
	}
	if len(id) != ClientRandomLen {
		return fmt.Sprintf("client random is %d bytes, want %d", len(id), ClientRandomLen)
	}
	if len(secret) == 0 {
		return "empty secret"
	}
	switch label {
	case LabelClientRandom:
		if len(secret) != MasterSecretLen {
			return fmt.Sprintf("master secret is %d bytes, want %d", len(secret), MasterSecretLen)
		}
	case LabelClientEarlyTrafficSecret, LabelClientHandshakeTrafficSecret,
		LabelServerHandshakeTrafficSecret, LabelClientTrafficSecret0,
		LabelServerTrafficSecret0, LabelEarlyExporterSecret, LabelExporterSecret,
		LabelClientTrafficSecretN, LabelServerTrafficSecretN:
		// A TLS 1.3 secret is as long as the suite's hash (RFC 8446,
		// Section 7.1): 32 bytes for SHA-256 (and SM3, RFC 8998), 48 for
		// SHA-384.
		if len(secret) != 32 && len(secret) != 48 {
			return fmt.Sprintf("secret is %d bytes, want 32 or 48 (the hash length of a TLS 1.3 cipher suite)", len(secret))
		}
	}
	return ""
}

// decodeHex decodes hex of either case.
func decodeHex(s []byte) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd number of hex digits (%d)", len(s))
	}
	b := make([]byte, len(s)/2)
	if _, err := hex.Decode(b, s); err != nil {
		var ie hex.InvalidByteError
		if errors.As(err, &ie) {
			return nil, fmt.Errorf("invalid hex character %q", rune(ie))
		}
		return nil, err
	}
	return b, nil
}
