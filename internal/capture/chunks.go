package capture

import (
	"io"
	"sync"
)

// The reader reads the capture into chunks of chunkSize bytes (checked.go)
// and slices blocks and packets from them. Chunks are reused once nothing
// points into them any more, so that the same few buffers, already in
// memory and likely in the processor's cache, take the whole file: a
// mapped file or fresh buffers would each cost a page fault per 4 KiB
// read, which for a large capture costs more than decrypting it.

// buffer is one chunk of the file.
type buffer struct {
	buf []byte
	// hists lists the directions whose history (tcp.go) may point into
	// buf: before buf is reused, what they keep of it is copied.
	hists []*half
}

// Retainer lets a handler keep the bytes it is given past the call: those
// of Handler.Data and of the datagrams of UDPHandler.DNS stay valid,
// unchanged, until the handler releases them with a Mark taken after they
// were given (Options.Retain). It is safe for concurrent use.
type Retainer struct {
	mu sync.Mutex
	// held are the chunks the reader left, oldest first, with the number
	// of the first; free are those released.
	held  []*buffer
	first uint64
	free  []*buffer
	// next is the number of the reader's chunk.
	next uint64
}

// NewRetainer returns a Retainer for one Read.
func NewRetainer() *Retainer { return &Retainer{} }

// Mark is a point of the read: the bytes handed on before it are released
// together.
type Mark struct{ n uint64 }

// Mark returns the point the reader is at. It is called by the handler,
// during one of its calls.
func (r *Retainer) Mark() Mark {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Mark{r.next}
}

// Release says that the handler is done with every byte it was given
// before m was taken.
func (r *Retainer) Release(m Mark) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.held) > 0 && r.first < m.n {
		c := r.held[0]
		r.held[0] = nil
		r.held = r.held[1:]
		r.first++
		// A chunk larger than chunkSize (a block that did not fit) is
		// not reused.
		if len(c.buf) == chunkSize {
			r.free = append(r.free, c)
		}
	}
}

// leave takes back c, the chunk the reader leaves: it is held until
// released.
func (r *Retainer) leave(c *buffer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.held) == 0 {
		r.first = r.next
	}
	r.held = append(r.held, c)
	r.next++
}

// take returns a released chunk, or nil.
func (r *Retainer) take() *buffer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.free) == 0 {
		return nil
	}
	c := r.free[len(r.free)-1]
	r.free = r.free[:len(r.free)-1]
	return c
}

// source reads the capture into chunks.
type source struct {
	r io.Reader
	// ret is Options.Retain: nil when the handler keeps no bytes.
	ret *Retainer
	cur *buffer
	// cur.buf[pos:end] is read and not yet consumed.
	pos, end int
	eof      bool
	err      error
	// spare is the chunk reused next when the handler keeps nothing.
	spare *buffer
	// rescue copies what the directions of a chunk's hists keep of it,
	// before it is reused (reader.rescue).
	rescue func(c *buffer)
}

// fill makes n bytes available at cur.buf[pos:], reading more. It returns
// fewer when the input ends first.
func (s *source) fill(n int) []byte {
	if s.end-s.pos >= n {
		return s.cur.buf[s.pos : s.pos+n]
	}
	if s.cur == nil || s.pos+n > len(s.cur.buf) {
		s.next(n)
	}
	for s.end-s.pos < n && !s.eof {
		k, err := s.r.Read(s.cur.buf[s.end:])
		s.end += k
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
		}
	}
	return s.cur.buf[s.pos:min(s.end, s.pos+n)]
}

// next moves to a new chunk that holds at least n bytes, taking the bytes
// read and not consumed with it.
func (s *source) next(n int) {
	var c *buffer
	switch {
	case n > chunkSize:
		c = &buffer{buf: make([]byte, n)}
	case s.ret != nil:
		c = s.ret.take()
	default:
		c, s.spare = s.spare, nil
	}
	if c == nil {
		c = &buffer{buf: make([]byte, chunkSize)}
	}
	// Nothing the handler was given points into c any more; what the
	// directions' histories keep of it is copied before it is written.
	s.rescue(c)
	k := 0
	if s.cur != nil {
		k = copy(c.buf, s.cur.buf[s.pos:s.end])
		switch {
		case s.ret != nil:
			s.ret.leave(s.cur)
		case len(s.cur.buf) == chunkSize:
			s.spare = s.cur
		}
	}
	s.cur, s.pos, s.end = c, 0, k
}
