package capture

import "fmt"

// linkNames names the link types most often met, by their LINKTYPE_ names
// (https://www.tcpdump.org/linktypes.html).
var linkNames = map[uint32]string{
	0: "NULL", 1: "ETHERNET", 6: "IEEE802_5", 8: "SLIP", 9: "PPP", 10: "FDDI",
	50: "PPP_HDLC", 51: "PPP_ETHER", 100: "ATM_RFC1483", 101: "RAW", 104: "C_HDLC",
	105: "IEEE802_11", 107: "FRELAY", 108: "LOOP", 113: "LINUX_SLL", 114: "LTALK",
	119: "IEEE802_11_PRISM", 122: "IP_OVER_FC", 127: "IEEE802_11_RADIOTAP",
	143: "DOCSIS", 163: "IEEE802_11_AVS", 187: "BLUETOOTH_HCI_H4",
	189: "USB_LINUX", 192: "PPI", 195: "IEEE802_15_4_WITHFCS",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR", 220: "USB_LINUX_MMAPPED", 228: "IPV4",
	229: "IPV6", 249: "NETLINK", 251: "BLUETOOTH_LE_LL", 252: "WIRESHARK_UPPER_PDU",
	276: "LINUX_SLL2",
}

// linkSupported reports whether packet decodes frames of this link type.
func linkSupported(link uint32) bool {
	switch link {
	case linkNull, linkEthernet, linkRaw, linkRawOld, linkRawBSDOS, linkLoop, linkSLL, linkIPv4, linkIPv6, linkSLL2:
		return true
	}
	return false
}

// linkName names a link type: "147 (USER0)".
func linkName(link uint32) string {
	if link > 0xffff {
		// Reserved bits of a pcap header's link type field are set.
		return fmt.Sprintf("%s with reserved bits 0x%08x set", linkName(link&0xffff), link&^0xffff)
	}
	name, ok := linkNames[link]
	switch {
	case ok:
	case link >= 147 && link <= 162:
		name = fmt.Sprintf("USER%d", link-147)
	default:
		name = "unknown"
	}
	return fmt.Sprintf("%d (%s)", link, name)
}

// errLink is the error for a capture with no packet of a link type that
// can be read.
func errLink(link uint32) error {
	return fmt.Errorf("capture: link type %s is not supported (Ethernet, Linux cooked, loopback/NULL and raw IP are)", linkName(link))
}
