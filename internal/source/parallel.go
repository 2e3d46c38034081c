package source

import (
	"bufio"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Append renders one event: it appends the bytes that show ev to b and
// returns the extended slice. Render calls one Append per worker, each
// from one goroutine; what it appends for an event must not depend on the
// events before it.
type Append func(b []byte, ev *trace.Event) []byte

// Render decodes every TLS connection of the capture r like Read, and writes
// what newAppend's functions make of the events to w. Connections are
// decoded on several goroutines at once (o.Workers), yet the output is the
// same bytes, in the same order, as one decoder would write: each step of
// the capture (a TCP step, stream bytes, the end of a flow) is decoded by the
// worker that owns its connection, and the bytes of its events are written
// in the order of the steps. The two things connections share are ordered
// too: the secrets of a Decryption Secrets Block are merged once every
// step before it has been decoded, and the master secret of a resumed TLS
// 1.2 session is looked up once every step before the lookup has been
// decoded. Memory is bounded by the steps in flight, not the file size.
func Render(r io.Reader, w io.Writer, newAppend func() Append, o Options) error {
	if o.Keys == nil {
		o.Keys = keylog.New()
	}
	n := o.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := newParallel(w, newAppend, o, n)
	h := &fileSource{opts: o, open: map[*capture.Flow]bool{}, par: p}
	p.src = h
	var werr error
	ended := false
	end := func() {
		h.finish()
		werr, ended = p.end(), true
	}
	// The stream bytes stay valid until the workers are done with them
	// (end), so batches hold them without a copy.
	err := capture.Read(r, h, capture.Options{Progress: o.Progress, Stable: true, Done: end})
	if !ended {
		end()
	}
	if err == nil {
		err = werr
	}
	return err
}

// Batch bounds: a batch is sent to the workers when it holds this many
// steps or stream bytes.
const (
	batchItems = 1024
	batchBytes = 256 << 10
)

// Kinds of step.
const (
	stepData = iota
	stepTCP
	stepClose
)

// step is one step of the capture, as the decoders see it.
type step struct {
	kind       uint8
	fromClient bool
	worker     int32
	flow       int
	frame      int
	time       time.Time
	// data holds stream bytes, valid until the capture is read
	// (capture.Options.Stable).
	data []byte
	// tcp indexes batch.tcp.
	tcp int
	// end is where the output of the step ends in its worker's buffer.
	end int
}

// batch is a run of consecutive steps, sent to every worker (each decodes
// those of its connections) and then to the writer.
type batch struct {
	first int64 // the number of the first step
	start time.Time
	steps []step
	tcp   []capture.TCPEvent
	bytes int      // stream bytes
	out   [][]byte // by worker
	wg    sync.WaitGroup
}

// parallel runs the workers and the writer of Render.
type parallel struct {
	src     *fileSource
	workers []*worker
	free    chan *batch // batches not in flight
	written chan *batch // batches to write, in order
	cur     *batch
	next    int64 // the number of the next step
	// owner maps a flow to its worker; load counts the bytes given to
	// each worker, so that a new flow goes to the least loaded.
	owner map[int]int32
	load  []int64
	// inflight counts the batches not yet written.
	inflight sync.WaitGroup
	done     chan struct{}
	w        io.Writer
	bw       *bufio.Writer
	err      error // the first write error; set by the writer goroutine
	failed   atomic.Bool
	masters  *masters
}

func newParallel(w io.Writer, newAppend func() Append, o Options, n int) *parallel {
	p := &parallel{
		free:    make(chan *batch, n+2),
		written: make(chan *batch, n+2),
		owner:   map[int]int32{},
		load:    make([]int64, n),
		done:    make(chan struct{}),
		w:       w,
		bw:      bufio.NewWriterSize(w, 256<<10),
	}
	p.masters = &masters{p: p, byKey: map[string][]versioned{}}
	for range cap(p.free) {
		p.free <- &batch{out: make([][]byte, n)}
	}
	for i := range n {
		wk := &worker{p: p, id: int32(i), in: make(chan *batch, cap(p.free)), app: newAppend()}
		wk.dec = newDecoder(o, wk.emit, resumer{wk})
		p.workers = append(p.workers, wk)
		go wk.run()
	}
	go p.write()
	p.cur = p.newBatch()
	return p
}

func (p *parallel) newBatch() *batch {
	b := <-p.free
	b.first = p.next
	clear(b.steps) // no stream bytes kept from the last use
	b.steps, b.tcp, b.bytes = b.steps[:0], b.tcp[:0], 0
	return b
}

// add appends a step to the current batch, for the worker of its flow.
func (p *parallel) add(s step) {
	wid, ok := p.owner[s.flow]
	if !ok {
		for i, l := range p.load {
			if l < p.load[wid] {
				wid = int32(i)
			}
		}
		p.owner[s.flow] = wid
	}
	p.load[wid] += int64(len(s.data)) + 64
	s.worker = wid
	p.cur.steps = append(p.cur.steps, s)
	p.cur.bytes += len(s.data)
	p.next++
	if len(p.cur.steps) >= batchItems || p.cur.bytes >= batchBytes {
		p.flush()
	}
}

func (p *parallel) data(id int, fromClient bool, frame int, ts time.Time, b []byte) {
	if p.failed.Load() {
		return
	}
	p.add(step{kind: stepData, fromClient: fromClient, flow: id, frame: frame, time: ts, data: b})
}

func (p *parallel) tcp(id int, ev capture.TCPEvent) {
	if p.failed.Load() {
		return
	}
	p.cur.tcp = append(p.cur.tcp, ev)
	p.add(step{kind: stepTCP, flow: id, tcp: len(p.cur.tcp) - 1})
}

func (p *parallel) close(id int) {
	if p.failed.Load() {
		return
	}
	p.add(step{kind: stepClose, flow: id})
	delete(p.owner, id)
}

// flush sends the current batch on, if it holds steps.
func (p *parallel) flush() {
	b := p.cur
	if len(b.steps) == 0 {
		return
	}
	b.start = p.src.start
	b.wg.Add(len(p.workers))
	p.inflight.Add(1)
	for _, wk := range p.workers {
		wk.in <- b
	}
	p.written <- b
	p.cur = p.newBatch()
}

// barrier returns once every step so far has been decoded and written.
func (p *parallel) barrier() {
	p.flush()
	p.inflight.Wait()
}

// end sends the last batch, stops the workers and the writer, and returns
// the first write error.
func (p *parallel) end() error {
	p.flush()
	for _, wk := range p.workers {
		close(wk.in)
	}
	close(p.written)
	<-p.done
	if err := p.bw.Flush(); p.err == nil {
		p.err = err
	}
	return p.err
}

// write writes the output of each batch in the order of its steps.
func (p *parallel) write() {
	defer close(p.done)
	pos := make([]int, len(p.workers))
	for b := range p.written {
		b.wg.Wait()
		clear(pos)
		for i := range b.steps {
			s := &b.steps[i]
			if s.end > pos[s.worker] && p.err == nil {
				p.out(b.out[s.worker][pos[s.worker]:s.end])
			}
			pos[s.worker] = s.end
		}
		for i := range b.out {
			if cap(b.out[i]) > 16<<20 {
				b.out[i] = nil // do not keep a rare large buffer
			}
			b.out[i] = b.out[i][:0]
		}
		p.inflight.Done()
		p.free <- b
	}
}

// out writes the output of one step: large outputs (the hex of
// application data) straight through, without a copy.
func (p *parallel) out(b []byte) {
	if len(b) >= 64<<10 {
		if p.err = p.bw.Flush(); p.err == nil {
			_, p.err = p.w.Write(b)
		}
	} else {
		_, p.err = p.bw.Write(b)
	}
	if p.err != nil {
		p.failed.Store(true)
	}
}

// worker decodes the connections given to it.
type worker struct {
	p   *parallel
	id  int32
	in  chan *batch
	app Append
	dec *decoder
	out []byte // the output of the batch being decoded
	// size is what a batch's output buffer is made with.
	size int
	// cur is the number of the step being decoded; decoded says that
	// every step of this worker numbered below it has been decoded.
	cur     int64
	decoded atomic.Int64
}

func (wk *worker) emit(ev *trace.Event) { wk.out = wk.app(wk.out, ev) }

func (wk *worker) run() {
	for b := range wk.in {
		if wk.dec.sink.sess.Start.IsZero() {
			wk.dec.sink.sess.Start = b.start
		}
		wk.out = b.out[wk.id]
		if cap(wk.out) < wk.size {
			// Grown once to the size of a batch's output, not step by
			// step for each batch.
			wk.out = make([]byte, 0, wk.size)
		}
		for i := range b.steps {
			s := &b.steps[i]
			if s.worker != wk.id {
				continue
			}
			wk.cur = b.first + int64(i)
			wk.decoded.Store(wk.cur)
			switch s.kind {
			case stepData:
				wk.dec.data(s.flow, s.fromClient, trace.Stamp{Time: s.time, Frame: s.frame}, s.data)
			case stepTCP:
				wk.dec.tcp(s.flow, &b.tcp[s.tcp])
			case stepClose:
				wk.dec.close(s.flow)
			}
			s.end = len(wk.out)
		}
		b.out[wk.id] = wk.out
		wk.size = max(wk.size, len(wk.out)+len(wk.out)/4)
		wk.out = nil
		wk.decoded.Store(b.first + int64(len(b.steps)))
		b.wg.Done()
	}
}

// masters holds the master secrets of TLS 1.2 sessions for all workers,
// each filed with the number of the step that filed it, so that a lookup
// sees what one decoder would have seen at that step.
type masters struct {
	p     *parallel
	mu    sync.Mutex
	byKey map[string][]versioned
}

// maxMasters bounds the session IDs and tickets remembered, like the
// bound of a trace.Session (here counted across all workers).
const maxMasters = 1 << 16

type versioned struct {
	step   int64
	master []byte
}

// resumer is one worker's view of the shared masters.
type resumer struct{ wk *worker }

// Master returns the master secret filed under key by the latest step up to
// the current one, once every earlier step has been decoded.
func (r resumer) Master(key string) []byte {
	m, at := r.wk.p.masters, r.wk.cur
	for _, o := range m.p.workers {
		for o != r.wk && o.decoded.Load() < at {
			time.Sleep(20 * time.Microsecond)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var found *versioned
	for i, v := range m.byKey[key] {
		// Steps of other workers come in any order; those of this one
		// in order.
		if v.step <= at && (found == nil || v.step >= found.step) {
			found = &m.byKey[key][i]
		}
	}
	if found == nil {
		return nil
	}
	return found.master
}

// Remember files a master secret under key at the current step.
func (r resumer) Remember(key string, master []byte) {
	m := r.wk.p.masters
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.byKey) >= maxMasters {
		return
	}
	m.byKey[key] = append(m.byKey[key], versioned{r.wk.cur, master})
}
