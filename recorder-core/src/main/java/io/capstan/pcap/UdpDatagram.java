package io.capstan.pcap;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * One UDP datagram found in a capture.
 *
 * <p>{@code buffer} is owned by the {@link CaptureReader} and is overwritten by the next call to
 * {@link CaptureReader#next()}; the payload is {@code buffer[offset, offset + length)}. Call {@link #copy()} (or
 * {@link #payload()}) to keep the bytes.
 *
 * @param timestampNanos capture timestamp, nanoseconds since the Unix epoch (0 for pcapng Simple Packet Blocks,
 *                       which carry no time)
 * @param frameNumber    1-based index of the record in the capture (as Wireshark numbers frames)
 */
public record UdpDatagram(
        long timestampNanos,
        InetAddress srcAddress,
        int srcPort,
        InetAddress dstAddress,
        int dstPort,
        byte[] buffer,
        int offset,
        int length,
        long frameNumber) {

    /** A copy of the payload bytes. */
    public byte[] payload() {
        return Arrays.copyOfRange(buffer, offset, offset + length);
    }

    /** The same datagram over its own copy of the payload (offset 0), safe to keep after the reader moves on. */
    public UdpDatagram copy() {
        return new UdpDatagram(timestampNanos, srcAddress, srcPort, dstAddress, dstPort, payload(), 0, length,
                frameNumber);
    }

    /** Source as {@code address:port} ({@code [v6]:port} for IPv6). */
    public String source() {
        return endpoint(srcAddress, srcPort);
    }

    /** Destination as {@code address:port} ({@code [v6]:port} for IPv6). */
    public String destination() {
        return endpoint(dstAddress, dstPort);
    }

    private static String endpoint(InetAddress a, int port) {
        String h = a.getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
    }

    @Override
    public String toString() {
        return "UdpDatagram[#" + frameNumber + " t=" + timestampNanos + " " + source() + " -> " + destination()
                + " len=" + length + "]";
    }
}
