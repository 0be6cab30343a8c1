package io.capstan.bench;

import io.capstan.rtp.RtpPacket;
import io.capstan.rtp.RtpRejectReason;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * {@link RtpPacket#wrap} (validation) plus the header reads a receiver does on every packet (sequence number,
 * timestamp, SSRC, payload type, marker, payload bounds, and for the extension packet an RFC 8285 element look-up).
 *
 * <p>Four packets, each ~1,200 bytes like a video packet: plain; with 2 CSRCs (an SFU mixing); with an RFC 8285
 * one-byte header extension block (0xBEDE: audio level id 1, transport-wide sequence number id 3, abs-send-time id
 * 2); and padded (P bit, 20 padding octets). {@code kind} picks one of them, or {@code mixed} parses the four
 * in turn. One op = one packet.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RtpParseBenchmark {

    @Param({"plain", "csrc", "extension", "padded", "mixed"})
    public String kind;

    private final RtpPacket view = new RtpPacket();
    private byte[][] packets;
    private byte[] selected;
    private int next;

    @Setup
    public void setup() {
        byte[] payload = Rtp.noise(1180, 1);
        byte[] plain = Rtp.packet(96, false, 1000, 90_000, 0x1234_5678L, null, null, payload, 0);
        byte[] csrc = Rtp.packet(96, true, 1001, 90_000, 0x1234_5678L, new long[] {0xCAFE_0001L, 0xCAFE_0002L},
                null, payload, 0);
        byte[] ext = {
            (byte) 0xBE, (byte) 0xDE, 0x00, 0x03,           // RFC 8285 4.2: one-byte profile, 3 words follow
            0x10, (byte) 0x9A,                              // id 1 (ssrc-audio-level), L=0: 1 byte, V=1 level 26
            0x31, 0x04, (byte) 0xD2,                        // id 3 (transport-wide cc), L=1: 2 bytes seq 1234
            0x22, 0x12, 0x34, 0x56,                         // id 2 (abs-send-time), L=2: 3 bytes
            0x00, 0x00, 0x00                                // padding to the 32-bit boundary (4.2)
        };
        byte[] extension = Rtp.packet(96, false, 1002, 93_000, 0x1234_5678L, null, ext, payload, 0);
        byte[] padded = Rtp.packet(96, true, 1003, 93_000, 0x1234_5678L, null, null, payload, 20);
        packets = new byte[][] {plain, csrc, extension, padded};
        for (byte[] p : packets) {
            RtpRejectReason r = view.wrap(p, 0, p.length);
            if (r != null) {
                throw new IllegalStateException("fixture rejected: " + r);
            }
        }
        selected = switch (kind) {
            case "plain" -> plain;
            case "csrc" -> csrc;
            case "extension" -> extension;
            case "padded" -> padded;
            case "mixed" -> null;
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @Benchmark
    public long wrapAndRead() {
        byte[] p = selected;
        if (p == null) {
            p = packets[next++ & 3];
        }
        return parse(p);
    }

    private long parse(byte[] p) {
        if (view.wrap(p, 0, p.length) != null) {
            return -1;
        }
        long acc = view.sequenceNumber() ^ view.timestamp() ^ view.ssrc() ^ view.payloadType();
        acc += view.marker() ? 1 : 0;
        acc += view.payloadOffset() + view.payloadLength();
        for (int i = 0, n = view.csrcCount(); i < n; i++) {
            acc ^= view.csrc(i);
        }
        if (view.hasExtension()) {
            long found = view.findExtension(3); // transport-wide sequence number, read by every congestion controller
            if (found >= 0) {
                acc += RtpPacket.elementOffset(found) + RtpPacket.elementLength(found);
            }
        }
        return acc;
    }
}
