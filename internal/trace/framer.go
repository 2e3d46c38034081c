// This file holds the record framer: it cuts the bytes one side sends, in
// whatever chunks they arrive, into TLS records (RFC 8446, Section 5.1; RFC
// 5246, Section 6.2.1) and SSL 2.0 compatible ClientHellos (RFC 5246,
// Appendix E.2), and past bytes that are not a record skips to the next
// plausible record header.

package trace

import (
	"errors"
	"math"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// framer is the framing state of one direction. There is one route for
// every chunking: whole records in the fed bytes are returned where they
// are, without a copy, and only what a record begun earlier needs, or the
// start of one that continues later, is copied into buf.
type framer struct {
	// buf holds the bytes kept between feeds: the start of a record not
	// yet whole, or bytes in which no record header was found yet. It is
	// reused; events never point into it (what they keep is copied).
	buf []byte
	// off is how much of buf was framed, during a feed.
	off int
	// in is what is left of the bytes being fed.
	in []byte
	// started is set once the first bytes were seen.
	started bool
	// scanned is how many offsets after the start of the unframed bytes
	// were found not to start a plausible record header, while those
	// bytes wait for more to show where the next record starts: later
	// bytes do not change that, so the search goes on from there.
	scanned int
}

// frameKind is what framer.next found.
type frameKind uint8

const (
	// frameMore: more bytes are needed; the feed is over.
	frameMore frameKind = iota
	// frameRecord: a whole record.
	frameRecord
	// frameSkip: bytes that are not a record were skipped.
	frameSkip
)

// feed starts framing b, which follows what is kept in buf.
func (f *framer) feed(b []byte) { f.in = b }

// next returns the next whole record of the stream, sslv2 saying whether an
// SSL 2.0 compatible ClientHello may come now. The record points into the
// fed bytes or into buf and is valid until the next call. Bytes that are not
// a record are skipped: next returns how many, and them as rec. err is the header error of
// bytes that are not a record, whether they are skipped now or kept until
// later bytes show where the next record starts, or of a record framed
// though its header claims more than TLS allows (HeaderOversized), whole
// or still coming. With frameMore, what is left of the fed bytes was kept
// and the feed is over.
func (f *framer) next(sslv2 bool) (kind frameKind, rec []byte, skipped int, err error) {
	for {
		buffered := f.off < len(f.buf)
		s := f.in
		if buffered {
			s = f.buf[f.off:]
		}
		n, skip, err := frameAt(s, sslv2, &f.scanned)
		switch {
		case skip > 0:
			f.consume(buffered, skip)
			return frameSkip, s[:skip], skip, err
		case n <= len(s):
			f.consume(buffered, n)
			return frameRecord, s[:n], 0, err
		case !buffered:
			// The fed bytes end inside a record: keep its start.
			f.buf = append(f.buf[:0], f.in...)
			f.end()
			return frameMore, nil, 0, err
		case len(f.in) == 0:
			f.end()
			return frameMore, nil, 0, err
		}
		// A record begun earlier goes on: add only the bytes it needs,
		// so that the records after it are framed where they are.
		k := min(n-len(s), len(f.in))
		f.buf = append(f.buf, f.in[:k]...)
		f.in = f.in[k:]
	}
}

// consume moves past n framed bytes of buf or of the fed bytes.
func (f *framer) consume(buffered bool, n int) {
	f.scanned = 0
	if !buffered {
		f.in = f.in[n:]
		return
	}
	f.off += n
	if f.off == len(f.buf) {
		f.buf, f.off = f.buf[:0], 0
	}
}

// end keeps what was not framed at the front of buf, and releases a buffer
// grown large by a big chunk.
func (f *framer) end() {
	f.buf = f.buf[:copy(f.buf, f.buf[f.off:])]
	f.off, f.in = 0, nil
	if cap(f.buf) > maxKeptBuffer && len(f.buf) < maxKeptBuffer/2 {
		f.buf = append([]byte(nil), f.buf...)
	}
}

// reset drops what is kept (bytes went missing).
func (f *framer) reset() {
	f.buf, f.off, f.in, f.scanned = nil, 0, nil, 0
}

// frameAt looks at the start of the stream s. When skip is 0, a record of n
// bytes starts s: it is whole when n <= len(s); otherwise n is how many
// bytes to have before looking again (5 when the header is cut, MaxInt when
// no record header has been found yet, and err says why the bytes at the
// start are not one). A record whose header claims more than TLS allows is
// framed by its header, err saying so (a *wire.RecordHeaderError,
// HeaderOversized). When skip > 0, s[:skip] is not a record, for the
// reason err, and a plausible record header follows (or, past maxResync
// bytes, the last 5 bytes are kept to look at with what comes next).
// *scanned is how many offsets after the start of s are known not to start
// a plausible header; frameAt advances it while it waits for more bytes.
func frameAt(s []byte, sslv2 bool, scanned *int) (n, skip int, err error) {
	if len(s) < wire.RecordHeaderLen {
		return wire.RecordHeaderLen, 0, nil
	}
	if sslv2 {
		if n, ok := wire.SSLv2HelloLen(s); ok {
			return n, 0, nil
		}
	}
	h, err := wire.ParseRecordHeader(s)
	if err == nil {
		return wire.RecordHeaderLen + h.Length, 0, nil
	}
	var he *wire.RecordHeaderError
	if errors.As(err, &he) && he.Problem == wire.HeaderOversized {
		// A record of TLS's, in step, longer than any version allows:
		// framed by its header all the same, as tshark frames it, so
		// that what it holds is decoded and its length flagged on it
		// (processRecord). err says it, for the evidence.
		return wire.RecordHeaderLen + h.Length, 0, err
	}
	skip = resync(s[1:], *scanned) + 1
	if skip == 0 {
		if len(s) <= maxResync {
			// Every offset with a whole header after it was looked at.
			*scanned = max(*scanned, len(s)-wire.RecordHeaderLen)
			return math.MaxInt, 0, err
		}
		skip = len(s) - wire.RecordHeaderLen
	}
	return 0, skip, err
}

// resync returns the offset of the first plausible record header in b from
// offset from on, or -1.
func resync(b []byte, from int) int {
	for i := from; i+wire.RecordHeaderLen <= len(b); i++ {
		if wire.PlausibleRecordHeader(b[i : i+wire.RecordHeaderLen]) {
			return i
		}
	}
	return -1
}

// joinAt finds where the records start in b, the first bytes of a side
// whose capture began inside a record: at the first plausible record header
// whose record is followed by another plausible header, or ends where b
// ends. A capture gives b as far as a packet's end, where records often
// end too (tshark looks for a record header at the start of each packet).
// decided is false while more bytes are needed to tell; k is -1 (decided)
// when no record starts within the reach of the largest record, or before
// the side's bytes end (end), so the stream is not TLS.
func joinAt(b []byte, end bool) (k int, decided bool) {
	const reach = wire.RecordHeaderLen + wire.MaxCiphertext
	for i := 1; i <= reach && i+wire.RecordHeaderLen <= len(b); i++ {
		if !wire.PlausibleRecordHeader(b[i : i+wire.RecordHeaderLen]) {
			continue
		}
		next := i + wire.RecordHeaderLen + (int(b[i+3])<<8 | int(b[i+4]))
		switch {
		case next == len(b):
			return i, true
		case next+3 <= len(b):
			if wire.PlausibleRecordHeader(b[next : next+3]) {
				return i, true
			}
		case !end:
			// What follows this record decides.
			return -1, false
		}
	}
	return -1, end || len(b) >= reach+wire.RecordHeaderLen
}

// looksLikeTLS reports whether b, of at least 3 bytes, can start a TLS
// stream: by its content type and version a record header, or an SSL 2.0
// compatible ClientHello.
func looksLikeTLS(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	if _, ok := wire.SSLv2HelloLen(b); ok {
		return true
	}
	return wire.PlausibleRecordHeader(b[:3])
}
