package tlstest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// RepeatConnection returns a classic pcap (BSD loopback link type, IPv4)
// of the connection in src repeated n times, each copy on its own client
// port and every gap later, its TCP checksums recomputed.
func RepeatConnection(src []byte, n int, gap time.Duration) ([]byte, error) {
	le := binary.LittleEndian
	if len(src) < 24 || le.Uint32(src) != 0xa1b2c3d4 || le.Uint32(src[20:]) != 0 {
		return nil, errors.New("want a little-endian microsecond pcap of link type 0 (loopback)")
	}
	type packet struct {
		sec, usec uint32
		data      []byte
	}
	var packets []packet
	var serverPort uint16
	for b := src[24:]; len(b) > 0; {
		if len(b) < 16 || int(le.Uint32(b[8:])) > len(b)-16 || le.Uint32(b[8:]) != le.Uint32(b[12:]) {
			return nil, errors.New("a truncated packet")
		}
		l := int(le.Uint32(b[8:]))
		p := packet{le.Uint32(b), le.Uint32(b[4:]), b[16 : 16+l]}
		if len(p.data) < 4+20 || le.Uint32(p.data) != 2 || p.data[4]>>4 != 4 || p.data[4+9] != 6 {
			return nil, errors.New("a packet that is not IPv4/TCP")
		}
		if serverPort == 0 { // the SYN goes to the server
			ihl := int(p.data[4]&15) * 4
			serverPort = binary.BigEndian.Uint16(p.data[4+ihl+2:])
		}
		packets = append(packets, p)
		b = b[16+l:]
	}
	out := bytes.NewBuffer(slices.Clone(src[:24]))
	for k := range n {
		for _, p := range packets {
			d := slices.Clone(p.data)
			ip := d[4:]
			ihl := int(ip[0]&15) * 4
			tcp := ip[ihl:binary.BigEndian.Uint16(ip[2:])]
			port := uint16(20000 + k)
			if binary.BigEndian.Uint16(tcp) == serverPort {
				binary.BigEndian.PutUint16(tcp[2:], port)
			} else {
				binary.BigEndian.PutUint16(tcp, port)
			}
			binary.BigEndian.PutUint16(tcp[16:], 0)
			binary.BigEndian.PutUint16(tcp[16:], tcpChecksum(ip[12:16], ip[16:20], tcp))
			at := time.Duration(p.sec)*time.Second + time.Duration(p.usec)*time.Microsecond + time.Duration(k)*gap
			var h [16]byte
			le.PutUint32(h[0:], uint32(at/time.Second))
			le.PutUint32(h[4:], uint32(at%time.Second/time.Microsecond))
			le.PutUint32(h[8:], uint32(len(d)))
			le.PutUint32(h[12:], uint32(len(d)))
			out.Write(h[:])
			out.Write(d)
		}
	}
	return out.Bytes(), nil
}

// tcpChecksum is the checksum of a TCP segment over IPv4 (RFC 793, Section
// 3.1, with the pseudo-header), its checksum field zero.
func tcpChecksum(src, dst, seg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src)
	add(dst)
	sum += 6 + uint32(len(seg))
	add(seg)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
