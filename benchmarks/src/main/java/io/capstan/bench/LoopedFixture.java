package io.capstan.bench;

import io.capstan.media.Codec;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.rtp.RtcpParser;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.RtpFormat;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import io.capstan.session.TrackSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A project fixture capture ({@code recorder-core/src/test/resources/fixtures/NAME.pcap} + {@code .sdp}) held in
 * memory, to be replayed in passes with continuous RTP sequence numbers and timestamps: pass {@code k} adds
 * {@code k} times the per-stream sequence/timestamp span of one pass (plus one frame step), so a receiver sees one
 * long stream. RTCP datagrams belong to the first pass only. (The looping of the CLI tests' {@code LoopedCapture},
 * reimplemented here: the benchmarks cannot depend on test classes.)
 */
final class LoopedFixture {

    /** The SDP's tracks in m= order, with the RTP port each one is received on. */
    final Map<Integer, TrackSpec> tracksByPort = new LinkedHashMap<>();
    /** One pass: datagram bytes (RTP headers patched in place by {@link #patch}), destination ports, capture times. */
    final byte[][] bytes;
    final int[] port;
    final long[] atNanos;
    final boolean[] rtp;
    private final int[] seq0;
    private final long[] ts0;
    private final int[] seqPass;
    private final long[] tsPass;
    /** Capture time span of one pass, plus a 40 ms gap before the next pass. */
    final long passNanos;
    final int rtpPackets;
    final long rtpBytes;

    private LoopedFixture(List<byte[]> b, List<Integer> p, List<Long> t, Map<Integer, TrackSpec> tracks) {
        tracksByPort.putAll(tracks);
        int n = b.size();
        bytes = b.toArray(new byte[0][]);
        port = new int[n];
        atNanos = new long[n];
        rtp = new boolean[n];
        seq0 = new int[n];
        ts0 = new long[n];
        seqPass = new int[n];
        tsPass = new long[n];
        Map<Integer, long[]> span = new HashMap<>(); // port -> firstSeq, lastSeq, firstTs, lastTs, step
        int packets = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            port[i] = p.get(i);
            atNanos[i] = t.get(i);
            byte[] d = bytes[i];
            rtp[i] = tracks.containsKey(port[i]) && d.length >= 12 && !RtcpParser.looksLikeRtcp(d, 0, d.length);
            if (!rtp[i]) {
                continue;
            }
            packets++;
            total += d.length;
            seq0[i] = ((d[2] & 0xFF) << 8) | (d[3] & 0xFF);
            ts0[i] = u32(d, 4);
            long[] v = span.get(port[i]);
            if (v == null) {
                span.put(port[i], new long[] {seq0[i], seq0[i], ts0[i], ts0[i], 0});
            } else {
                if (ts0[i] != v[3] && v[4] == 0) {
                    v[4] = (ts0[i] - v[3]) & 0xFFFF_FFFFL;
                }
                v[1] = seq0[i];
                v[3] = ts0[i];
            }
        }
        for (int i = 0; i < n; i++) {
            if (rtp[i]) {
                long[] v = span.get(port[i]);
                seqPass[i] = (int) (((v[1] - v[0]) & 0xFFFF) + 1);
                tsPass[i] = ((v[3] - v[2]) & 0xFFFF_FFFFL) + v[4];
            }
        }
        rtpPackets = packets;
        rtpBytes = total;
        passNanos = atNanos[n - 1] + 40_000_000L;
    }

    /** Loads {@code name}.pcap and {@code name}.sdp from {@link #fixtures()}. */
    static LoopedFixture load(String name) {
        Path dir = fixtures();
        try {
            SessionDescription sdp = SdpParser.parse(dir.resolve(name + ".sdp"));
            Map<Integer, TrackSpec> tracks = new LinkedHashMap<>();
            for (MediaDescription m : sdp.media()) {
                for (RtpFormat f : m.formats()) {
                    Optional<Codec> c = f.codec();
                    if (c.isPresent() && m.port() != 0) {
                        tracks.put(m.port(), new TrackSpec(m.media(), c.get(), f.payloadType(), f.clockRate(),
                                f.channels(), f.parameters(), 0));
                        break;
                    }
                }
            }
            List<byte[]> b = new ArrayList<>();
            List<Integer> p = new ArrayList<>();
            List<Long> t = new ArrayList<>();
            try (CaptureReader r = CaptureReader.open(dir.resolve(name + ".pcap"))) {
                UdpDatagram d;
                long first = -1;
                while ((d = r.next()) != null) {
                    if (first < 0) {
                        first = d.timestampNanos();
                    }
                    b.add(d.payload());
                    p.add(d.dstPort());
                    t.add(d.timestampNanos() - first);
                }
            }
            return new LoopedFixture(b, p, t, tracks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (io.capstan.sdp.SdpException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The fixtures directory: {@code -Dcapstan.fixtures=DIR}, else {@code recorder-core/src/test/resources/fixtures}
     * under the working directory or one of its parents (run from the repository root).
     */
    static Path fixtures() {
        String prop = System.getProperty("capstan.fixtures");
        if (prop != null) {
            return Path.of(prop);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("recorder-core/src/test/resources/fixtures");
            if (Files.isDirectory(f)) {
                return f;
            }
        }
        throw new IllegalStateException("fixtures not found: run from the repository root or set -Dcapstan.fixtures=DIR");
    }

    /** Rewrites datagram {@code i}'s sequence number and timestamp for pass {@code pass} (RTP datagrams only). */
    void patch(int i, long pass) {
        byte[] d = bytes[i];
        int seq = (int) ((seq0[i] + pass * seqPass[i]) & 0xFFFF);
        long ts = (ts0[i] + pass * tsPass[i]) & 0xFFFF_FFFFL;
        d[2] = (byte) (seq >> 8);
        d[3] = (byte) seq;
        d[4] = (byte) (ts >>> 24);
        d[5] = (byte) (ts >>> 16);
        d[6] = (byte) (ts >>> 8);
        d[7] = (byte) ts;
    }

    private static long u32(byte[] b, int at) {
        return ((long) (b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
