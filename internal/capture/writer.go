package capture

import (
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"time"

	"github.com/tlstrace/tlstrace/internal/certio"
)

// Chunk is bytes one side of a connection sent, as a live tap saw them.
type Chunk struct {
	FromClient bool
	Time       time.Time
	Data       []byte
}

// Conn is a connection recorded live, to be written as packets.
type Conn struct {
	Client, Server netip.AddrPort
	Start, End     time.Time
	Chunks         []Chunk
}

// maxSegment is the most payload written per synthesized TCP segment.
const maxSegment = 16 << 10

// WritePcapng writes conns as a pcapng file that Wireshark opens already
// decrypted: a section header, one raw-IP interface, a Decryption Secrets
// Block holding keyLog (NSS key log lines; RFC 9606 "TLSK"), then each
// connection as TCP packets: the three-way handshake, the data both ways,
// and FINs. The bytes and their times are those the tap saw; sequence
// numbers start at 1, addresses are the real ones.
func WritePcapng(w io.Writer, keyLog []byte, conns []*Conn) error {
	bo := binary.LittleEndian
	var b []byte
	// Section Header Block.
	b = appendBlock(b, 0x0A0D0D0A, func(body []byte) []byte {
		body = bo.AppendUint32(body, 0x1A2B3C4D)
		body = bo.AppendUint16(body, 1)
		body = bo.AppendUint16(body, 0)
		return bo.AppendUint64(body, ^uint64(0)) // section length unknown
	})
	// Interface Description Block: raw IP, nanosecond timestamps.
	b = appendBlock(b, 1, func(body []byte) []byte {
		body = bo.AppendUint16(body, linkRaw)
		body = bo.AppendUint16(body, 0)
		body = bo.AppendUint32(body, 0) // no snap length
		body = bo.AppendUint16(body, 9) // if_tsresol
		body = bo.AppendUint16(body, 1)
		body = append(body, 9, 0, 0, 0)
		return append(body, 0, 0, 0, 0) // opt_endofopt
	})
	if len(keyLog) > 0 {
		b = appendBlock(b, blockDSB, func(body []byte) []byte {
			body = bo.AppendUint32(body, secretsTLS)
			body = bo.AppendUint32(body, uint32(len(keyLog)))
			return pad4(append(body, keyLog...))
		})
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	for _, c := range conns {
		if err := writeConn(w, c); err != nil {
			return err
		}
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func appendBlock(b []byte, typ uint32, body func([]byte) []byte) []byte {
	bo := binary.LittleEndian
	start := len(b)
	b = bo.AppendUint32(b, typ)
	b = bo.AppendUint32(b, 0)
	b = pad4(body(b))
	n := uint32(len(b) - start + 4)
	bo.PutUint32(b[start+4:], n)
	return bo.AppendUint32(b, n)
}

// flagPSH is the TCP push flag (the others are in capture.go).
const flagPSH = 0x08

// pcapng block types and the secrets type of RFC 9606's DSB.
const (
	blockEPB   = 6
	blockDSB   = 0x0A
	secretsTLS = 0x544c534b // "TLSK"
)

func writeConn(w io.Writer, c *Conn) error {
	var buf []byte
	seq := [2]uint32{0, 0} // relative; 0 is the SYN
	at := c.Start
	emit := func(fromClient bool, t time.Time, flags uint8, data []byte) error {
		i, o := 0, 1
		src, dst := c.Client, c.Server
		if !fromClient {
			i, o = 1, 0
			src, dst = c.Server, c.Client
		}
		ack := seq[o]
		if flags&flagSYN != 0 && fromClient {
			ack = 0
		}
		pkt := IPPacket(src, dst, TCPSegment(src, dst, seq[i], ack, flags, data))
		seq[i] += uint32(len(data))
		if flags&(flagSYN|flagFIN) != 0 {
			seq[i]++
		}
		if t.Before(at) {
			t = at
		}
		at = t
		buf = appendEPB(buf[:0], t, pkt)
		_, err := w.Write(buf)
		return err
	}
	steps := []struct {
		client bool
		flags  uint8
	}{{true, flagSYN}, {false, flagSYN | flagACK}, {true, flagACK}}
	for _, s := range steps {
		if err := emit(s.client, c.Start, s.flags, nil); err != nil {
			return err
		}
	}
	for _, ch := range c.Chunks {
		for d := ch.Data; len(d) > 0; {
			n := min(len(d), maxSegment)
			if err := emit(ch.FromClient, ch.Time, flagACK|flagPSH, d[:n]); err != nil {
				return err
			}
			d = d[n:]
		}
	}
	end := c.End
	if end.IsZero() {
		end = at
	}
	for _, client := range []bool{true, false} {
		if err := emit(client, end, flagFIN|flagACK, nil); err != nil {
			return err
		}
	}
	return emit(true, end, flagACK, nil)
}

func appendEPB(b []byte, t time.Time, pkt []byte) []byte {
	return appendBlock(b, blockEPB, func(body []byte) []byte {
		bo := binary.LittleEndian
		ns := uint64(t.UnixNano())
		body = bo.AppendUint32(body, 0)
		body = bo.AppendUint32(body, uint32(ns>>32))
		body = bo.AppendUint32(body, uint32(ns))
		body = bo.AppendUint32(body, uint32(len(pkt)))
		body = bo.AppendUint32(body, uint32(len(pkt)))
		return pad4(append(body, pkt...))
	})
}

// TCPSegment builds a TCP header (no options, checksum filled in by
// IPPacket) followed by data.
func TCPSegment(src, dst netip.AddrPort, seq, ack uint32, flags uint8, data []byte) []byte {
	b := make([]byte, 20, 20+len(data))
	binary.BigEndian.PutUint16(b, src.Port())
	binary.BigEndian.PutUint16(b[2:], dst.Port())
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return append(b, data...)
}

// IPPacket wraps a TCP segment in an IPv4 or IPv6 header and fills in the
// checksums.
func IPPacket(src, dst netip.AddrPort, seg []byte) []byte {
	var pseudo []byte
	var h []byte
	if src.Addr().Is4() && dst.Addr().Is4() {
		h = make([]byte, 20, 20+len(seg))
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(seg)))
		h[6] = 0x40 // don't fragment
		h[8], h[9] = 64, 6
		a, b := src.Addr().As4(), dst.Addr().As4()
		copy(h[12:], a[:])
		copy(h[16:], b[:])
		binary.BigEndian.PutUint16(h[10:], checksum(0, h))
		pseudo = append(append(append([]byte{}, a[:]...), b[:]...), 0, 6, byte(len(seg)>>8), byte(len(seg)))
	} else {
		h = make([]byte, 40, 40+len(seg))
		h[0] = 0x60
		binary.BigEndian.PutUint16(h[4:], uint16(len(seg)))
		h[6], h[7] = 6, 64
		a, b := src.Addr().As16(), dst.Addr().As16()
		copy(h[8:], a[:])
		copy(h[24:], b[:])
		pseudo = append(append(append([]byte{}, a[:]...), b[:]...), 0, 0, byte(len(seg)>>8), byte(len(seg)), 0, 0, 0, 6)
	}
	if len(seg) >= 18 {
		seg[16], seg[17] = 0, 0
		binary.BigEndian.PutUint16(seg[16:], checksum(sum(0, pseudo), seg))
	}
	return append(h, seg...)
}

func sum(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func checksum(initial uint32, b []byte) uint16 {
	s := sum(initial, b)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// WritePcapngFile writes conns as WritePcapng does to the file name,
// readable by its owner only: it holds the session keys. A file that
// existed is replaced whole, and its mode made 0600 too.
func WritePcapngFile(name string, keyLog []byte, conns []*Conn) error {
	f, err := certio.Create(name, 0o600, true)
	if err != nil {
		return err
	}
	return errors.Join(WritePcapng(f, keyLog, conns), f.Close())
}
