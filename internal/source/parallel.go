package source

import (
	"bufio"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Append renders one event: it appends the bytes that show ev to b and
// returns the extended slice. Render makes one Append per rendering
// goroutine and calls it from that goroutine only; what it appends for an
// event must not depend on the events before it (the events of one
// connection may be rendered on different goroutines).
type Append func(b []byte, ev *trace.Event) []byte

// Render decodes every TLS connection of the capture r like Read, and writes
// what newAppend's functions make of the events to w. The work is spread
// over o.Workers goroutines, yet the output is the same bytes, in the same
// order, as one decoder would write. Each step of the capture (a TCP step,
// stream bytes, the end of a flow) is numbered and decoded by the worker
// that owns its connection; the events of a batch of steps are then
// rendered in parts on all workers (so that one busy connection still uses
// every core), and the parts are written in the order of the steps. The two
// things connections share are ordered too: the secrets of a Decryption
// Secrets Block are merged once every step before it has been written, and
// the master secret of a resumed TLS 1.2 session is looked up once every
// step before the lookup has been decoded. Memory is bounded by the batches
// in flight, not by the file size.
func Render(r io.Reader, w io.Writer, newAppend func() Append, o Options) error {
	if o.Keys == nil {
		o.Keys = keylog.New()
	}
	if o.Chains != nil && o.Chains.Roots == nil {
		// The system's roots load while the capture starts to be read,
		// not when its first chain waits for them.
		go chain.LoadSystemRoots()
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
	// The stream bytes stay valid until the batch that holds them is
	// written, so batches hold them without a copy.
	st, err := capture.ReadStats(r, h, capture.Options{Progress: o.Progress, Retain: p.ret, Done: end})
	if !ended {
		end()
	}
	if o.Stats != nil {
		*o.Stats = st
	}
	if err == nil {
		err = werr
	}
	return err
}

// Batch bounds: a batch is sent to the workers when it holds batchItems
// steps (checked.go) or batchBytes stream bytes.
const (
	batchBytes = 256 << 10
	// arenaSize is the first buffer a worker decrypts a batch's records
	// into: the bytes of a batch, the last step of at most a TCP
	// segment (64 KB) included, and the records that began in earlier
	// batches (16 KB and a few bytes each; here room for several). A
	// batch that needs more makes the buffer twice as large, and the
	// first is garbage: sized for the batch alone, every buffer of
	// bench/read.sh's capture grew once.
	arenaSize = batchBytes + 128<<10
)

// Kinds of step.
const (
	stepData = iota
	stepTCP
	stepClose
	stepDNS
	stepUDPTLS
)

// step is one step of the capture, as the decoders see it.
type step struct {
	kind       uint8
	fromClient bool
	worker     int32
	flow       int
	frame      int
	time       time.Time
	// data holds stream bytes, valid until the batch is written
	// (batch.mark).
	data []byte
	// tcp indexes batch.tcp (batch.dns for a DNS step, batch.udp for a
	// UDP TLS step).
	tcp int
	// events[start:end] of its worker are the step's events.
	start, end int
}

// batch is a run of consecutive steps, sent to every worker (each decodes
// those of its connections), then rendered in parts on all of them, then
// written.
type batch struct {
	first int64 // the number of the first step
	start time.Time
	steps []step
	tcp   []capture.TCPEvent
	dns   []capture.Datagram
	udp   []capture.UDPTLS
	bytes int // stream bytes
	// mark is where the capture was read to when the batch was sent:
	// once it is written, the bytes before are released.
	mark capture.Mark
	// events holds the events of each worker's steps, in order, and arena
	// the application data they hold.
	events [][]*trace.Event
	arena  [][]byte
	// out holds the rendering of each part of the steps.
	out [][]byte
	// decoded and rendered count down the workers that decode and the
	// parts that render.
	decoded, rendered sync.WaitGroup
}

// parallel runs the workers and the writer of Render.
type parallel struct {
	src     *fileSource
	workers []*worker
	free    chan *batch // batches not in flight
	decoded chan *batch // batches being decoded, in order
	written chan *batch // batches to write, in order
	parts   chan part   // parts of batches to render
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
	ret      *capture.Retainer
}

func newParallel(w io.Writer, newAppend func() Append, o Options, n int) *parallel {
	inflight := 2*n + 2
	p := &parallel{
		free:    make(chan *batch, inflight),
		decoded: make(chan *batch, inflight),
		written: make(chan *batch, inflight),
		parts:   make(chan part, inflight*n),
		owner:   map[int]int32{},
		load:    make([]int64, n),
		done:    make(chan struct{}),
		w:       w,
		bw:      bufio.NewWriterSize(w, 256<<10),
		ret:     capture.NewRetainer(),
	}
	p.masters = &masters{p: p, byKey: map[string][]versioned{}}
	for range inflight {
		p.free <- &batch{events: make([][]*trace.Event, n), arena: make([][]byte, n), out: make([][]byte, n)}
	}
	for i := range n {
		wk := &worker{p: p, id: int32(i), in: make(chan *batch, inflight)}
		wk.dec = newDecoder(o, wk.emit, resumer{wk})
		// Events are rendered after their step, on any goroutine.
		wk.dec.sink.sess.Out = wk.alloc
		p.workers = append(p.workers, wk)
		go wk.run()
		go p.render(newAppend())
	}
	go p.split()
	go p.write()
	p.cur = p.newBatch()
	return p
}

func (p *parallel) newBatch() *batch {
	b := <-p.free
	b.first = p.next
	clear(b.steps) // no stream bytes kept from the last use
	clear(b.dns)
	b.steps, b.tcp, b.dns, b.udp, b.bytes = b.steps[:0], b.tcp[:0], b.dns[:0], b.udp[:0], 0
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

// dnsFlow is the flow number of the DNS steps, which one worker decodes
// in order (TCP flows count from 1).
const dnsFlow = 0

func (p *parallel) dns(d capture.Datagram) {
	if p.failed.Load() {
		return
	}
	p.cur.dns = append(p.cur.dns, d)
	p.add(step{kind: stepDNS, flow: dnsFlow, tcp: len(p.cur.dns) - 1})
}

// udpTLS says a DTLS or QUIC flow, on the worker of the DNS steps.
func (p *parallel) udpTLS(u capture.UDPTLS) {
	if p.failed.Load() {
		return
	}
	p.cur.udp = append(p.cur.udp, u)
	p.add(step{kind: stepUDPTLS, flow: dnsFlow, tcp: len(p.cur.udp) - 1})
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
	b.mark = p.ret.Mark()
	b.decoded.Add(len(p.workers))
	p.inflight.Add(1)
	for _, wk := range p.workers {
		wk.in <- b
	}
	p.decoded <- b
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
	close(p.decoded)
	<-p.done
	if err := p.bw.Flush(); p.err == nil {
		p.err = err
	}
	return p.err
}

// part is a run of a batch's steps to render.
type part struct {
	b      *batch
	i      int // the index of the part, where its output goes
	lo, hi int // steps
}

// split cuts each decoded batch into as many parts as there are workers,
// for the render goroutines, and passes it on to the writer.
func (p *parallel) split() {
	defer close(p.parts)
	defer close(p.written)
	n := len(p.workers)
	for b := range p.decoded {
		b.decoded.Wait()
		b.rendered.Add(n)
		for i := range n {
			p.parts <- part{b: b, i: i, lo: len(b.steps) * i / n, hi: len(b.steps) * (i + 1) / n}
		}
		p.written <- b
	}
}

// render renders parts of batches with its own app.
func (p *parallel) render(app Append) {
	size := 0 // what a part's buffer is made with
	for pt := range p.parts {
		b := pt.b
		out := b.out[pt.i][:0]
		if cap(out) < size {
			// Grown once to the size of a part, not step by step.
			out = make([]byte, 0, size)
		}
		if !p.failed.Load() {
			for _, s := range b.steps[pt.lo:pt.hi] {
				for _, ev := range b.events[s.worker][s.start:s.end] {
					out = app(out, ev)
				}
			}
		}
		b.out[pt.i] = out
		size = max(size, len(out)+len(out)/4)
		b.rendered.Done()
	}
}

// write writes the parts of each batch in order.
func (p *parallel) write() {
	defer close(p.done)
	for b := range p.written {
		b.rendered.Wait()
		for i, out := range b.out {
			if len(out) > 0 && p.err == nil {
				p.out(out)
			}
			if cap(out) > 16<<20 {
				out = nil // do not keep a rare large buffer
			}
			b.out[i] = out[:0]
		}
		for i, evs := range b.events {
			clear(evs)
			b.events[i] = evs[:0]
		}
		p.ret.Release(b.mark)
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
	dec *decoder
	// events gathers the events of the batch being decoded, arena the
	// bytes they keep.
	events []*trace.Event
	arena  []byte
	// cur is the number of the step being decoded; decoded says that
	// every step of this worker numbered below it has been decoded.
	cur     int64
	decoded atomic.Int64
}

func (wk *worker) emit(ev *trace.Event) { wk.events = append(wk.events, ev) }

// alloc gives the decoder n bytes of the batch's storage to decrypt a
// record into, which its events keep until they are rendered.
func (wk *worker) alloc(n int) []byte {
	if cap(wk.arena)-len(wk.arena) < n {
		// The bytes given so far stay where they are; the next use of
		// the batch starts with this larger buffer. The first is as
		// large as a batch's bytes can be, so that it is made once.
		wk.arena = make([]byte, 0, max(2*cap(wk.arena), n, arenaSize))
	}
	k := len(wk.arena)
	wk.arena = wk.arena[:k+n]
	return wk.arena[k : k+n : k+n]
}

func (wk *worker) run() {
	for b := range wk.in {
		if wk.dec.sink.sess.Start.IsZero() {
			wk.dec.sink.sess.Start = b.start
		}
		wk.events, wk.arena = b.events[wk.id], b.arena[wk.id][:0]
		for i := range b.steps {
			s := &b.steps[i]
			if s.worker != wk.id {
				continue
			}
			wk.cur = b.first + int64(i)
			wk.decoded.Store(wk.cur)
			s.start = len(wk.events)
			switch s.kind {
			case stepData:
				wk.dec.data(s.flow, s.fromClient, trace.Stamp{Time: s.time, Frame: s.frame}, s.data)
			case stepTCP:
				wk.dec.tcp(s.flow, &b.tcp[s.tcp])
			case stepClose:
				wk.dec.close(s.flow)
			case stepDNS:
				wk.dec.dns(&b.dns[s.tcp])
			case stepUDPTLS:
				wk.dec.udpTLS(&b.udp[s.tcp])
			}
			s.end = len(wk.events)
		}
		b.events[wk.id], b.arena[wk.id] = wk.events, wk.arena
		wk.events, wk.arena = nil, nil
		wk.decoded.Store(b.first + int64(len(b.steps)))
		b.decoded.Done()
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
