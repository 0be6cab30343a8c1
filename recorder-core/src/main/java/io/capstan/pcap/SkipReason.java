package io.capstan.pcap;

/** Why a captured frame did not yield a {@link UdpDatagram}; {@link CaptureReader#skipped(SkipReason)} counts them. */
public enum SkipReason {
    /** The link type of the interface is not one this reader decodes. */
    UNSUPPORTED_LINK_TYPE,
    /** The link-layer frame carries something other than IPv4/IPv6 (ARP, LLDP, 802.3 length frames...). */
    NOT_IP,
    /** An IP packet whose (final) protocol is not UDP (TCP, ICMP, ...). */
    NOT_UDP,
    /** An IPv4 fragment (first or later) or an IPv6 packet with a Fragment header: not reassembled. */
    FRAGMENT,
    /** The capture holds fewer bytes than the headers announce because of the snapshot length. */
    SNAPLEN_CUT,
    /** Header fields are inconsistent (bad IHL, total length past the frame, UDP length out of range...). */
    MALFORMED
}
