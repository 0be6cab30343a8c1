/**
 * Reading RTP captures: {@link io.capstan.pcap.CaptureReader} streams the UDP datagrams out of classic pcap and
 * pcapng files (Ethernet with VLAN tags, raw IP, Linux cooked SLL/SLL2, BSD loopback; IPv4 and IPv6), skipping and
 * counting everything else. A capture plus its SDP ({@link io.capstan.sdp}) is a complete offline input.
 */
package io.capstan.pcap;
