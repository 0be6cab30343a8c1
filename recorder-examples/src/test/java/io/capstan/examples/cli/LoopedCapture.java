package io.capstan.examples.cli;

import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A project capture made longer by looping it with continuous RTP sequence numbers and timestamps. */
final class LoopedCapture {

    private LoopedCapture() {
    }

    record Sent(long atNanos, int port, byte[] bytes) {
    }

    /**
     * The fixture's datagrams looped to {@code seconds} with the captured timing, ports shifted by
     * {@code portOffset}: every pass continues each RTP stream's sequence numbers and timestamps where the
     * previous pass ended (one continuous stream to a receiver); RTCP goes out in the first pass only.
     */
    static List<Sent> plan(String fixture, int portOffset, double seconds) throws IOException {
        List<Sent> one = new ArrayList<>();
        try (CaptureReader r = CaptureReader.open(ConvertConformanceTest.FIXTURES.resolve(fixture + ".pcap"))) {
            UdpDatagram d;
            long first = -1;
            while ((d = r.next()) != null) {
                if (first < 0) {
                    first = d.timestampNanos();
                }
                one.add(new Sent(d.timestampNanos() - first, d.dstPort() + portOffset,
                        java.util.Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length())));
            }
        }
        // per RTP port (even): sequence number and timestamp span of one pass, and the timestamp step
        Map<Integer, long[]> span = new java.util.HashMap<>(); // port -> {firstSeq, lastSeq, firstTs, lastTs, step}
        for (Sent s : one) {
            if (s.port() % 2 != 0 || s.bytes().length < 12) {
                continue;
            }
            long seq = ((s.bytes()[2] & 0xFF) << 8) | (s.bytes()[3] & 0xFF);
            long ts = readU32(s.bytes(), 4);
            long[] v = span.get(s.port());
            if (v == null) {
                span.put(s.port(), new long[] {seq, seq, ts, ts, 0});
            } else {
                if (ts != v[3] && v[4] == 0) {
                    v[4] = (ts - v[3]) & 0xFFFFFFFFL;
                }
                v[1] = seq;
                v[3] = ts;
            }
        }
        long passNanos = one.get(one.size() - 1).atNanos() + 40_000_000L;
        List<Sent> out = new ArrayList<>();
        for (int pass = 0; pass * passNanos < seconds * 1e9; pass++) {
            for (Sent s : one) {
                long at = s.atNanos() + pass * passNanos;
                if (at >= seconds * 1e9) {
                    break;
                }
                long[] v = span.get(s.port());
                if (v == null) {
                    if (pass == 0) {
                        out.add(s); // RTCP: first pass only
                    }
                    continue;
                }
                byte[] b = s.bytes().clone();
                long seqPass = ((v[1] - v[0]) & 0xFFFF) + 1;
                long tsPass = ((v[3] - v[2]) & 0xFFFFFFFFL) + v[4];
                long seq = (((b[2] & 0xFF) << 8) | (b[3] & 0xFF)) + pass * seqPass;
                long ts = readU32(b, 4) + pass * tsPass;
                b[2] = (byte) (seq >> 8);
                b[3] = (byte) seq;
                for (int k = 0; k < 4; k++) {
                    b[4 + k] = (byte) (ts >>> (24 - 8 * k));
                }
                out.add(new Sent(at, s.port(), b));
            }
        }
        return out;
    }

    /**
     * Writes the looped fixture as a pcap file (LINKTYPE_RAW: IPv4 + UDP from 127.0.0.1 to 127.0.0.1, to the
     * SDP's ports), timestamps from 2026-11-21T10:00:00Z.
     */
    static Path writePcap(String fixture, double seconds, Path out) throws IOException {
        return write(plan(fixture, 0, seconds), out);
    }

    /** Writes datagrams (in list order) as a pcap file; see {@link #writePcap}. */
    static Path write(List<Sent> plan, Path out) throws IOException {
        long base = 1_795_255_200L * 1_000_000_000L;
        try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0xa1b23c4d).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(101);
            os.write(h.array());
            for (Sent s : plan) {
                int udpLen = 8 + s.bytes().length;
                int ipLen = 20 + udpLen;
                ByteBuffer p = ByteBuffer.allocate(16 + ipLen);
                long t = base + s.atNanos();
                p.order(ByteOrder.LITTLE_ENDIAN).putInt((int) (t / 1_000_000_000L)).putInt((int) (t % 1_000_000_000L))
                        .putInt(ipLen).putInt(ipLen);
                p.order(ByteOrder.BIG_ENDIAN);
                int ip = p.position();
                p.put((byte) 0x45).put((byte) 0).putShort((short) ipLen).putShort((short) 0).putShort((short) 0)
                        .put((byte) 64).put((byte) 17).putShort((short) 0).putInt(0x7f000001).putInt(0x7f000001);
                int sum = 0;
                for (int i = 0; i < 20; i += 2) {
                    sum += ((p.get(ip + i) & 0xFF) << 8) | (p.get(ip + i + 1) & 0xFF);
                }
                sum = (sum & 0xFFFF) + (sum >>> 16);
                p.putShort(ip + 10, (short) ~sum);
                p.putShort((short) 40000).putShort((short) s.port()).putShort((short) udpLen).putShort((short) 0);
                p.put(s.bytes());
                os.write(p.array());
            }
        }
        return out;
    }

    static long readU32(byte[] b, int at) {
        return ((long) (b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
