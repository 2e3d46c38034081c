// Package capture reads pcap and pcapng files in pure Go: it decodes the link,
// IP and TCP layers, reassembles each TCP direction, and hands the in-order
// stream bytes, the TCP steps worth showing and the pcapng Decryption
// Secrets Blocks to a Handler, in file order.
//
// IPv4 and IPv6 fragments are reassembled (frag.go), within bounds of
// time and memory.
package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net/netip"
	"strings"
	"time"
)

// Limits that keep hostile captures from growing memory.
const (
	// maxSnapLen is the largest packet accepted (pcapng and pcap both
	// allow 2^32; real link MTUs with offloads stay below 256 KiB).
	maxSnapLen = 256 << 10
	// maxBlockLen is the largest pcapng block accepted (a secrets block
	// holding a large key log can exceed one packet).
	maxBlockLen = 16 << 20
	// DefaultMaxBuffered is the default per-direction limit of
	// out-of-order bytes kept while waiting for a hole to fill.
	DefaultMaxBuffered = 4 << 20
	// DefaultMaxFlows is the default number of TCP connections tracked at
	// once; past it, the oldest is closed.
	DefaultMaxFlows = 65536
)

// Handler receives what a capture holds, in file order.
type Handler interface {
	// Secrets is called for each pcapng Decryption Secrets Block of type
	// TLS key log, with its key log text.
	Secrets(keylog []byte)
	// TCP reports a TCP step worth showing: SYN, SYN-ACK, the ACK that
	// completes the three-way handshake, FIN, RST, and gaps.
	TCP(ev TCPEvent)
	// Data delivers in-order stream bytes of one direction of a flow. b is
	// only valid during the call.
	Data(f *Flow, fromClient bool, frame int, ts time.Time, b []byte)
	// Close is called once when a flow ends (both FINs, ResetLinger after
	// its last packet once reset, a new SYN on its addresses, or the end
	// of the file).
	Close(f *Flow)
}

// UDPHandler is implemented by a Handler that takes the DNS datagrams of
// the capture (UDP, either port 53), whole and not cut by the snapshot
// length.
type UDPHandler interface {
	DNS(d Datagram)
}

// StartHandler is implemented by a Handler that takes the time of the
// capture's first packet (of any kind, TCP or not, the first with a
// timestamp), before anything else of it: the time tshark's
// frame.time_relative counts from.
type StartHandler interface {
	Start(ts time.Time)
}

// Datagram is one UDP datagram; Payload is only valid during the call.
type Datagram struct {
	Src, Dst netip.AddrPort
	Frame    int
	Time     time.Time
	Payload  []byte
}

// Flow is one TCP connection.
type Flow struct {
	// ID numbers flows from 1 in order of their first packet, like
	// Wireshark's tcp.stream (which counts from 0).
	ID             int
	Client, Server netip.AddrPort
	// RoleFromSYN is false when the capture started mid-connection and
	// the client was inferred: RoleBy says how.
	RoleFromSYN bool
	// RoleBy is "client_hello" (the first packet's payload is a
	// ClientHello from the client), "server_message" (it is a message
	// only a server sends, from the server), "port" (the client has the higher
	// port) or "first_packet" (equal ports: the first packet's sender);
	// "" with RoleFromSYN.
	RoleBy string
	// Retransmitted counts bytes seen again.
	Retransmitted int
	// retransSegs counts the segments that carried bytes seen before,
	// retransDiffer those whose bytes differed from the first copy.
	retransSegs, retransDiffer int
	// lastFrame and lastTime are those of the flow's last packet.
	lastFrame int
	lastTime  time.Time
	// Truncated is set once a packet of the flow was cut short by the
	// capture's snapshot length.
	Truncated bool
	// start is the time of the flow's first packet.
	start time.Time

	dirs [2]*half // 0: from client, 1: from server
	// queue holds the segments taken while a direction has a hole, not
	// yet processed (tcp.go), queued the bytes of their payloads.
	queue  []segment
	queued int
	closed bool
	// evicted says the flow was closed while still open because more
	// than Options.MaxFlows were (tcp.go, evict).
	evicted bool
	fins    int
	// reset says an RST in the window was seen; the flow stays open
	// (ResetLinger) for the data in flight. saidLate says that a
	// segment with data after it was closed was reported, and isn
	// keeps the initial sequence numbers of a closed flow, for that;
	// end the sequence number of each direction's FIN (where its bytes
	// ended), to tell bytes sent again from bytes after it, sent whether
	// the direction had begun (a flow evicted may not have), and shift
	// the Window Scale count of each (0 when scaling was not in effect).
	reset    bool
	saidLate bool
	isn      [2]uint32
	end      [2]uint32
	sent     [2]bool
	shift    [2]uint8
	seenAck  bool
}

// TCPEvent is one TCP step.
type TCPEvent struct {
	Flow       *Flow
	Frame      int
	Time       time.Time
	FromClient bool
	// Kind is "roles_inferred" (the flow's first step when the capture
	// holds no SYN of it; Flow.RoleBy says how), "syn", "syn_ack",
	// "ack", "fin", "rst", "gap", "keep_alive" (a segment of at most one
	// byte at the sequence number just before the next of its side,
	// which is not data: RFC 9293, Section 3.8.4; tshark's "TCP
	// Keep-Alive"), "after_reset" (the first segment
	// with data of a connection closed after a reset, ResetLinger after
	// its last packet: its bytes, and those of the later ones, which
	// Stats.AfterReset counts, are not decoded), "after_close" (the
	// first segment with bytes past the FIN of its side, in a connection
	// closed by a FIN from both sides: they are not decoded, nor those
	// of the later ones, which Stats.AfterClose counts; bytes sent again
	// from before the FIN are a "retransmission"), "after_eviction" (the
	// first segment with data of a connection closed while still open
	// because more than Options.MaxFlows were: its bytes, and those of
	// the later ones, which Stats.AfterEviction counts, are not decoded;
	// bytes sent again from before it closed are a "retransmission"), or
	// "truncated": the first packet of the flow cut short by the
	// snapshot length (once per flow; Missing is what it lost, and its
	// bytes after the cut come as a gap).
	Kind string
	// Seq and Ack are as on the wire; RelSeq and RelAck relative to each
	// side's initial sequence number, as Wireshark shows them.
	Seq, Ack       uint32
	RelSeq, RelAck uint32
	// Window is the receive window the segment advertises, scaled as
	// Flow.window says; RawWindow its Window field as on the wire.
	Window    uint32
	RawWindow uint16
	Len       int
	Flags     uint8
	// Missing is the number of bytes never seen, for a gap or truncated.
	Missing int
	// Unreassembled, for a gap, is what of it IP fragments that could
	// not be reassembled account for: the capture holds those bytes, or
	// some of them, in pieces.
	Unreassembled Unreassembled
	// A "retransmission" is a segment whose bytes, or some of them, were
	// seen before: Again counts those, Differ how many of them differ
	// from the first copy (which was kept), DifferAt the relative
	// sequence number of the first that does, Unchecked how many could
	// not be compared (the first copy no longer kept, or missing from
	// the capture). A "retransmission_summary" comes when a flow that
	// had retransmissions ends: Segments counts them, Again their bytes
	// seen before, Differ the segments that differed.
	Again, Differ, Unchecked int
	DifferAt                 uint32
	Segments                 int
	// OutOfWindow marks an "rst" whose sequence number is outside the
	// receiver's window: endpoints ignore it (RFC 5961, Section 3.2), a
	// forged or stale reset, and the connection goes on.
	OutOfWindow bool
	// Client, Server and RoleBy are the flow's, for roles_inferred.
	Client, Server netip.AddrPort
	RoleBy         string
}

// Unreassembled is what of a gap IP fragments that could not be
// reassembled account for. Datagrams is 0 when none do: the bytes were
// not captured.
type Unreassembled struct {
	// Datagrams counts the IP datagrams never whole that carried bytes
	// of the gap, Fragments the fragments of them the capture holds, and
	// Causes says why they were not reassembled.
	Datagrams, Fragments int
	Causes               FragmentCauses
	// Whole says that they held all the gap's bytes, as their TCP
	// headers say; otherwise some of the bytes may not have been
	// captured at all.
	Whole bool
	// ByAddresses says that some of them are taken for the
	// connection's by their addresses only: their first fragment, which
	// holds the TCP header, was not captured.
	ByAddresses bool
}

// FragmentCauses says why IP datagrams were not reassembled, one bit a
// cause.
type FragmentCauses uint8

const (
	// FragmentMissing: a fragment of the datagram was not captured (not
	// within 60 seconds of its first, or not before the capture ended,
	// or not before the gap was given up).
	FragmentMissing FragmentCauses = 1 << iota
	// FragmentsOverlap: fragments overlapped, or disagreed on where the
	// datagram ends, and it was dropped (RFC 5722).
	FragmentsOverlap
	// FragmentLimit: it was given up at the limits of reassembly (1024
	// datagrams, 16 MiB at once).
	FragmentLimit
	// FragmentCut: a fragment was cut by the snapshot length.
	FragmentCut
)

// Options bound the reader's memory.
type Options struct {
	// MaxBuffered is the per-direction limit of out-of-order bytes
	// (DefaultMaxBuffered if 0).
	MaxBuffered int
	// MaxFlows is the number of flows tracked at once (DefaultMaxFlows if 0).
	MaxFlows int
	// Progress, when set, is called with the number of bytes read so far,
	// every progressStep bytes.
	Progress func(offset int64)
	// Retain, when set, keeps the bytes given to Handler.Data and
	// UDPHandler.DNS valid, unchanged, until the handler releases them
	// (Retainer): a handler that decodes on other goroutines need not
	// copy. Without it they are only valid during the call.
	Retain *Retainer
	// Done, when set, is called once after the last call of the handler,
	// before Read returns.
	Done func()
}

// progressStep is how often Options.Progress is called.
const progressStep = 4 << 20

// Stats counts what the reader skipped.
type Stats struct {
	Packets, NonTCP, Malformed int
	// Fragments counts the IP fragments not reassembled: their datagram
	// never became whole (within the limits of frag.go), or was dropped
	// because fragments overlapped, or they were cut by the snapshot
	// length. FragmentOverlaps counts the datagrams dropped so.
	Fragments, FragmentOverlaps int
	// Flows counts the TCP connections, DNS the DNS datagrams handed on,
	// UDPTLS the DTLS and QUIC flows said: what the capture held to show.
	Flows, DNS, UDPTLS int
	// AfterReset counts the segments with data of connections closed
	// after a reset, not decoded (TCPEvent kind "after_reset");
	// AfterClose the segments with bytes past the FINs of connections
	// closed by both sides, not decoded (kind "after_close");
	// AfterEviction the segments with data of connections closed while
	// still open because more than Options.MaxFlows were, not decoded
	// (kind "after_eviction"); Evicted counts those connections.
	AfterReset, AfterClose, AfterEviction, Evicted int
}

// Nothing says why a capture showed nothing: it held no TCP connection,
// DNS datagram, DTLS or QUIC flow, and what its packets were instead. It
// is empty when the capture held something to show.
func (s Stats) Nothing() string {
	if s.Flows+s.DNS+s.UDPTLS > 0 {
		return ""
	}
	if s.Packets == 0 {
		return "the capture holds no packets"
	}
	var what []string
	for _, c := range []struct {
		n    int
		text string
	}{
		{s.NonTCP, "of other protocols: UDP other than DNS, DTLS and QUIC, ICMP, or not IP"},
		{s.Fragments, "IP fragments that could not be reassembled"},
		{s.Malformed, "malformed"},
	} {
		if c.n > 0 {
			what = append(what, fmt.Sprintf("%d %s", c.n, c.text))
		}
	}
	text := fmt.Sprintf("the capture holds %d packet%s and no TCP connection, DNS message, DTLS or QUIC flow: nothing to decode",
		s.Packets, map[bool]string{true: "s"}[s.Packets != 1])
	if len(what) > 0 {
		text += " (" + strings.Join(what, "; ") + ")"
	}
	return text
}

// Unreassembled says the IP fragments of a capture that showed something
// that could not be reassembled, whose bytes its connections lack (gaps
// stand for them); "" when there were none, or when the capture showed
// nothing (Nothing says it then).
func (s Stats) Unreassembled() string {
	if s.Fragments == 0 || s.Nothing() != "" {
		return ""
	}
	text := fmt.Sprintf("%d IP fragment%s could not be reassembled", s.Fragments, map[bool]string{true: "s"}[s.Fragments != 1])
	if s.FragmentOverlaps > 0 {
		text += fmt.Sprintf(" (%d datagram%s dropped for overlapping fragments)", s.FragmentOverlaps, map[bool]string{true: "s"}[s.FragmentOverlaps != 1])
	}
	return text + ": the bytes of connections they held are shown as gaps"
}

// Undecoded says how many segments with data the reader took but did not
// decode because their connection had ended (Stats.AfterReset,
// AfterClose, AfterEviction; each connection's first is a step), "" when
// there were none.
func (s Stats) Undecoded() string {
	plural := func(n int, one, more string) string {
		if n == 1 {
			return one
		}
		return more
	}
	var parts []string
	if s.AfterReset > 0 {
		parts = append(parts, fmt.Sprintf("%d of connections closed after a reset (after_reset)", s.AfterReset))
	}
	if s.AfterClose > 0 {
		parts = append(parts, fmt.Sprintf("%d with bytes past their side's FIN, once both sides had closed the connection (after_close)", s.AfterClose))
	}
	if s.AfterEviction > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d %s no longer followed because too many were open at once (after_eviction)",
			s.AfterEviction, s.Evicted, plural(s.Evicted, "connection", "connections")))
	}
	if len(parts) == 0 {
		return ""
	}
	n := s.AfterReset + s.AfterClose + s.AfterEviction
	return fmt.Sprintf("%d TCP %s with data %s not decoded: %s", n, plural(n, "segment", "segments"), plural(n, "was", "were"), strings.Join(parts, "; "))
}

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

// Read reads a pcap or pcapng stream (told apart by its magic number) and
// calls h. It returns an error for input that is not a capture, or that is
// cut short or damaged, after delivering everything before the damage.
func Read(r io.Reader, h Handler, opts Options) error {
	_, err := ReadStats(r, h, opts)
	return err
}

// NotCaptureError is an input that is neither a pcap nor a pcapng file:
// too short to say (Size, its length), or with other first bytes
// (Magic; Size is then -1).
type NotCaptureError struct {
	Size  int
	Magic [4]byte
}

func (e *NotCaptureError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("capture: not a pcap or pcapng file: %d bytes", e.Size)
	}
	msg := fmt.Sprintf("capture: not a pcap or pcapng file (it begins with 0x%x", e.Magic[:])
	if what := e.Looks(); what != "" {
		msg += ", " + what
	}
	return msg + ")"
}

// Looks says what the first bytes look like when they say something: a
// key log, other text, a compressed file. "" otherwise.
func (e *NotCaptureError) Looks() string {
	m := e.Magic[:]
	switch {
	case e.Size >= 0:
		return ""
	case string(m) == "CLIE" || string(m) == "SERV" || string(m) == "EXPO" || string(m) == "EARL" || string(m) == "RSA ":
		return "like a key log"
	case m[0] == 0x1f && m[1] == 0x8b:
		return "gzip-compressed"
	case m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd:
		return "zstd-compressed"
	case string(m) == "----":
		return "like PEM text"
	}
	for _, c := range m {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c > 0x7e {
			return ""
		}
	}
	return "text"
}

// ReadStats is Read that also returns what was skipped.
func ReadStats(r io.Reader, h Handler, opts Options) (Stats, error) {
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = DefaultMaxBuffered
	}
	if opts.MaxFlows <= 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	rd := &reader{h: h, opts: opts, flows: map[flowKey]*Flow{}}
	rd.src = source{r: r, ret: opts.Retain, rescue: rd.rescue}
	magic, err := rd.peek(4)
	if errors.Is(err, errShort) {
		return rd.stats, &NotCaptureError{Size: len(magic)}
	}
	if err != nil {
		// The input could not be read (a directory, a device error):
		// that is the cause, not its length.
		return rd.stats, fmt.Errorf("capture: %w", err)
	}
	switch binary.LittleEndian.Uint32(magic) {
	case 0x0A0D0D0A:
		err = rd.pcapng()
	case 0xA1B2C3D4, 0xD4C3B2A1, 0xA1B23C4D, 0x4D3CB2A1:
		err = rd.pcap()
	default:
		err = &NotCaptureError{Size: -1, Magic: [4]byte(magic)}
	}
	rd.endFragments()
	rd.closeAll()
	if opts.Done != nil {
		opts.Done()
	}
	return rd.stats, err
}

type flowKey struct {
	a, b netip.AddrPort // a < b
}

func keyOf(src, dst netip.AddrPort) flowKey {
	if src.Compare(dst) < 0 {
		return flowKey{src, dst}
	}
	return flowKey{dst, src}
}

type reader struct {
	h    Handler
	opts Options
	src  source
	// off is the offset in the file of what read returns next.
	off int64
	// progress is the offset of the next call of opts.Progress.
	progress int64
	frame    int
	flows    map[flowKey]*Flow
	order    []*Flow // flows in order of creation, for eviction and the end
	live     int     // flows not closed
	closed   []*Flow // closed flows still in the map, oldest first
	resets   []*Flow // flows reset and not yet closed, oldest first
	next     int
	stats    Stats
	// udpSeen holds the UDP flows already said to be DTLS or QUIC.
	udpSeen map[flowKey]bool
	// histBytes is what the directions' histories (tcp.go) hold.
	histBytes int
	// started says StartHandler.Start was called.
	started bool
	// frags holds the IP datagrams in reassembly (frag.go).
	frags fragments
}

var errShort = errors.New("unexpected end of file")

// peek returns the next n bytes without consuming them.
func (rd *reader) peek(n int) ([]byte, error) {
	b := rd.src.fill(n)
	if len(b) < n {
		if rd.src.err != nil {
			return b, rd.src.err
		}
		return b, errShort
	}
	return b, nil
}

// read returns the next n bytes, valid as long as bytes given to the
// handler are (Options.Retain).
func (rd *reader) read(n int) ([]byte, error) {
	if rd.off >= rd.progress && rd.opts.Progress != nil {
		rd.opts.Progress(rd.off)
		rd.progress = rd.off + progressStep
	}
	b := rd.src.fill(n)
	rd.src.pos += len(b)
	rd.off += int64(len(b))
	switch {
	case len(b) == n:
		return b[:n:n], nil
	case rd.src.err != nil:
		return nil, rd.src.err
	case len(b) == 0:
		return nil, io.EOF
	}
	return nil, errShort
}

// pcap reads the classic format (one header, then records).
func (rd *reader) pcap() error {
	hdr, err := rd.read(24)
	if err != nil {
		return fmt.Errorf("capture: pcap header: %w", err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	magic := binary.LittleEndian.Uint32(hdr)
	if magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1 {
		bo = binary.BigEndian
	}
	nano := magic == 0xA1B23C4D || magic == 0x4D3CB2A1
	// The link type field also holds, in its top bits, whether each
	// frame ends with its FCS and how long it is (in 16-bit words); the
	// link type is the rest, as libpcap's LT_LINKTYPE takes it (its low
	// 16 bits; the bits between are reserved).
	lt := bo.Uint32(hdr[20:])
	link := lt & 0x03ffffff
	fcs := 0
	if lt&0x04000000 != 0 {
		fcs = int(lt>>28) * 2
	}
	if !linkSupported(link) {
		return errLink(link)
	}
	for {
		start := rd.off
		rec, err := rd.read(16)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("capture: packet record at offset %d: %w", start, err)
		}
		sec, frac := bo.Uint32(rec), bo.Uint32(rec[4:])
		incl, orig := bo.Uint32(rec[8:]), bo.Uint32(rec[12:])
		if incl > maxSnapLen {
			return fmt.Errorf("capture: packet record at offset %d: length %d exceeds %d", start, incl, maxSnapLen)
		}
		var ts time.Time
		if nano {
			ts = time.Unix(int64(sec), int64(frac))
		} else {
			ts = time.Unix(int64(sec), int64(frac)*1000)
		}
		data, err := rd.read(int(incl))
		if err != nil {
			return fmt.Errorf("capture: packet at offset %d: %w", start, err)
		}
		if fcs > 0 {
			// The FCS is not part of the frame's contents; when the
			// snapshot length cut the frame, it went first.
			data = data[:max(0, min(int(incl), int(orig)-fcs))]
		}
		rd.packet(link, ts, data)
	}
}

type iface struct {
	link uint32
	// tsresol is the resolution of its timestamps (if_tsresol: 6, for
	// microseconds, when absent).
	tsresol byte
	// tsoffset is the number of seconds added to each of its timestamps
	// (if_tsoffset).
	tsoffset int64
}

// pcapng reads the next-generation format, block by block.
func (rd *reader) pcapng() error {
	var bo binary.ByteOrder = binary.LittleEndian
	var ifaces []iface
	// A file whose packets are all on interfaces of link types that
	// cannot be read is refused, naming the first such link type.
	var readable, unreadable int
	var badLink uint32
	count := func(link uint32) {
		if linkSupported(link) {
			readable++
		} else if unreadable++; unreadable == 1 {
			badLink = link
		}
	}
	for {
		start := rd.off
		head, err := rd.read(8)
		if err == io.EOF {
			if readable == 0 && unreadable > 0 {
				return errLink(badLink)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("capture: pcapng block at offset %d: %w", start, err)
		}
		typ := bo.Uint32(head)
		if typ == 0x0A0D0D0A {
			// Section Header Block: its byte-order magic decides how to
			// read it and the section after it.
			bom, err := rd.peek(4)
			if err != nil {
				return fmt.Errorf("capture: section header at offset %d: %w", start, errShort)
			}
			switch binary.LittleEndian.Uint32(bom) {
			case 0x1A2B3C4D:
				bo = binary.LittleEndian
			case 0x4D3C2B1A:
				bo = binary.BigEndian
			default:
				return fmt.Errorf("capture: section header at offset %d: bad byte-order magic %x", start, bom)
			}
			ifaces = ifaces[:0]
		}
		total := bo.Uint32(head[4:])
		if total < 12 || total%4 != 0 || total > maxBlockLen {
			return fmt.Errorf("capture: pcapng block at offset %d: bad length %d", start, total)
		}
		body, err := rd.read(int(total) - 8)
		if err != nil {
			return fmt.Errorf("capture: pcapng block at offset %d: %w", start, err)
		}
		if bo.Uint32(body[len(body)-4:]) != total {
			return fmt.Errorf("capture: pcapng block at offset %d: trailing length disagrees", start)
		}
		body = body[:len(body)-4]
		switch typ {
		case 1: // Interface Description Block
			if len(body) < 8 {
				return fmt.Errorf("capture: interface block at offset %d too short", start)
			}
			ifc := iface{link: uint32(bo.Uint16(body)), tsresol: 6}
			opts := body[8:]
			for len(opts) >= 4 {
				code, n := bo.Uint16(opts), int(bo.Uint16(opts[2:]))
				if 4+n > len(opts) {
					break
				}
				if code == 9 && n >= 1 { // if_tsresol
					ifc.tsresol = opts[4]
				}
				if code == 14 && n >= 8 { // if_tsoffset
					ifc.tsoffset = int64(bo.Uint64(opts[4:]))
				}
				if code == 0 {
					break
				}
				opts = opts[4+(n+3)&^3:]
			}
			ifaces = append(ifaces, ifc)
		case 6: // Enhanced Packet Block
			if len(body) < 20 {
				return fmt.Errorf("capture: packet block at offset %d too short", start)
			}
			id := bo.Uint32(body)
			ticks := uint64(bo.Uint32(body[4:]))<<32 | uint64(bo.Uint32(body[8:]))
			capLen := bo.Uint32(body[12:])
			if int(id) >= len(ifaces) || uint64(capLen) > uint64(len(body)-20) {
				rd.frame++
				rd.stats.Malformed++
				continue
			}
			ifc := ifaces[id]
			count(ifc.link)
			rd.packet(ifc.link, tsFrom(ticks, ifc.tsresol).Add(time.Duration(ifc.tsoffset)*time.Second), body[20:20+capLen])
		case 3: // Simple Packet Block: no timestamp, interface 0
			if len(body) < 4 || len(ifaces) == 0 {
				rd.frame++
				rd.stats.Malformed++
				continue
			}
			n := min(int(bo.Uint32(body)), len(body)-4)
			count(ifaces[0].link)
			rd.packet(ifaces[0].link, time.Time{}, body[4:4+n])
		case 2: // obsolete Packet Block
			if len(body) < 20 {
				rd.frame++
				rd.stats.Malformed++
				continue
			}
			id := int(bo.Uint16(body))
			ticks := uint64(bo.Uint32(body[4:]))<<32 | uint64(bo.Uint32(body[8:]))
			capLen := bo.Uint32(body[12:])
			if id >= len(ifaces) || uint64(capLen) > uint64(len(body)-20) {
				rd.frame++
				rd.stats.Malformed++
				continue
			}
			count(ifaces[id].link)
			rd.packet(ifaces[id].link, tsFrom(ticks, ifaces[id].tsresol).Add(time.Duration(ifaces[id].tsoffset)*time.Second), body[20:20+capLen])
		case 0x00000BAD, 0x40000BAD, 0x00000009, 0x00000204, 0x00000216, 0x00000221:
			// Custom Blocks, systemd Journal Export Blocks and Sysdig
			// event blocks hold no packet, but Wireshark shows each as
			// a frame (tshark 4.0 does): counted, so that frame numbers
			// match its own. Decryption Secrets, Name Resolution and
			// Interface Statistics Blocks are no frames there.
			rd.frame++
		case blockDSB:
			if len(body) < 8 {
				continue
			}
			kind, n := bo.Uint32(body), bo.Uint32(body[4:])
			if uint64(n) > uint64(len(body)-8) {
				return fmt.Errorf("capture: secrets block at offset %d: length %d exceeds the block", start, n)
			}
			if kind == secretsTLS {
				rd.h.Secrets(append([]byte(nil), body[8:8+n]...))
			}
		}
	}
}

// tsFrom turns a timestamp in ticks of the resolution tsresol (the
// option's byte: a negative power of 10, or of 2 with the high bit set)
// into a time, exactly, the nanoseconds truncated as Wireshark does, at any
// resolution.
func tsFrom(ticks uint64, tsresol byte) time.Time {
	base, exp := uint64(10), int(tsresol)
	if tsresol&0x80 != 0 {
		base, exp = 2, int(tsresol&0x7f)
	}
	per := uint64(1)
	for range exp {
		if per > math.MaxUint64/base {
			// A second holds more ticks than 64 bits count: the
			// timestamp is less than a second, ticks*1e9/base^exp
			// nanoseconds.
			hi, lo := bits.Mul64(ticks, 1e9)
			if base == 2 {
				if exp >= 64 {
					return time.Unix(0, int64(hi>>(exp-64)))
				}
				return time.Unix(0, int64(hi<<(64-exp)|lo>>exp))
			}
			var ns uint64
			if exp-9 <= 19 {
				ns = ticks
				for range exp - 9 {
					ns /= 10
				}
			}
			return time.Unix(0, int64(ns))
		}
		per *= base
	}
	sec, rem := ticks/per, ticks%per
	// rem < per, so rem*1e9/per < 1e9: the high word of the product is
	// below per, as Div64 needs.
	hi, lo := bits.Mul64(rem, 1e9)
	ns, _ := bits.Div64(hi, lo, per)
	return time.Unix(int64(sec), int64(ns))
}
