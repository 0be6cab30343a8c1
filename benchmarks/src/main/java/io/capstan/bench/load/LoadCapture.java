package io.capstan.bench.load;

import io.capstan.media.Codec;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.rtp.RtcpParser;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.RtpFormat;
import io.capstan.sdp.SdpException;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import io.capstan.session.TrackSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The load test's input held in memory: one capture (pcap + SDP, made by {@code benchmarks/load/make-capture.sh})
 * that every session replays in passes with continuous RTP sequence numbers and timestamps. Pass {@code k} adds
 * {@code k} times one pass's per-stream sequence/timestamp span (plus one frame step), so a receiver sees one long
 * stream; RTCP datagrams (sender reports) belong to the first pass only, as in the benchmarks' {@code LoopedFixture}.
 * The datagrams are never modified: {@link #copy} writes a patched copy into the caller's buffer, so any number of
 * sessions (and threads) share one capture.
 *
 * <p>Streams are numbered in SDP m= order; a datagram belongs to the stream whose RTP or RTCP port it was sent to.
 */
final class LoadCapture {

    final List<TrackSpec> tracks = new ArrayList<>();
    /** One pass: datagram bytes, stream index, RTCP or RTP, capture time relative to the first datagram. */
    final byte[][] bytes;
    final int[] stream;
    final boolean[] rtcp;
    final long[] atNanos;
    private final int[] seq0;
    private final long[] ts0;
    private final int[] seqPass;
    private final long[] tsPass;
    /** Capture time span of one pass, plus a frame-sized gap before the next pass. */
    final long passNanos;
    final int rtpPerPass;
    final long rtpBytesPerPass;
    final int maxLength;

    private LoadCapture(List<TrackSpec> specs, int[] rtpPorts, int[] rtcpPorts, List<UdpDatagram> all) {
        tracks.addAll(specs);
        List<UdpDatagram> kept = new ArrayList<>();
        List<Integer> streams = new ArrayList<>();
        for (UdpDatagram d : all) {
            for (int s = 0; s < rtpPorts.length; s++) {
                if (d.dstPort() == rtpPorts[s] || d.dstPort() == rtcpPorts[s]) {
                    kept.add(d);
                    streams.add(s);
                    break;
                }
            }
        }
        int n = kept.size();
        bytes = new byte[n][];
        stream = new int[n];
        rtcp = new boolean[n];
        atNanos = new long[n];
        seq0 = new int[n];
        ts0 = new long[n];
        seqPass = new int[n];
        tsPass = new long[n];
        int s = rtpPorts.length;
        long[] firstSeq = new long[s];
        long[] lastSeq = new long[s];
        long[] firstTs = new long[s];
        long[] lastTs = new long[s];
        long[] step = new long[s];
        boolean[] seen = new boolean[s];
        long t0 = kept.isEmpty() ? 0 : kept.get(0).timestampNanos();
        int packets = 0;
        long total = 0;
        int max = 0;
        for (int i = 0; i < n; i++) {
            byte[] d = kept.get(i).payload();
            bytes[i] = d;
            stream[i] = streams.get(i);
            atNanos[i] = kept.get(i).timestampNanos() - t0;
            max = Math.max(max, d.length);
            rtcp[i] = d.length < 12 || RtcpParser.looksLikeRtcp(d, 0, d.length);
            if (rtcp[i]) {
                continue;
            }
            packets++;
            total += d.length;
            int k = stream[i];
            seq0[i] = ((d[2] & 0xFF) << 8) | (d[3] & 0xFF);
            ts0[i] = u32(d, 4);
            if (!seen[k]) {
                seen[k] = true;
                firstSeq[k] = lastSeq[k] = seq0[i];
                firstTs[k] = lastTs[k] = ts0[i];
            } else {
                if (ts0[i] != lastTs[k] && step[k] == 0) {
                    step[k] = (ts0[i] - lastTs[k]) & 0xFFFF_FFFFL;
                }
                lastSeq[k] = seq0[i];
                lastTs[k] = ts0[i];
            }
        }
        for (int i = 0; i < n; i++) {
            if (!rtcp[i]) {
                int k = stream[i];
                seqPass[i] = (int) (((lastSeq[k] - firstSeq[k]) & 0xFFFF) + 1);
                tsPass[i] = ((lastTs[k] - firstTs[k]) & 0xFFFF_FFFFL) + step[k];
            }
        }
        rtpPerPass = packets;
        rtpBytesPerPass = total;
        maxLength = max;
        passNanos = n == 0 ? 1 : atNanos[n - 1] + 33_000_000L;
    }

    /** Loads {@code pcap} and {@code sdp}: every m= section with a known codec and a non-zero port is a track. */
    static LoadCapture load(Path pcap, Path sdpPath) throws IOException {
        SessionDescription sdp;
        try {
            sdp = SdpParser.parse(sdpPath);
        } catch (SdpException e) {
            throw new IOException(sdpPath + ": " + e.getMessage(), e);
        }
        List<TrackSpec> specs = new ArrayList<>();
        List<Integer> rtp = new ArrayList<>();
        List<Integer> rtcpPorts = new ArrayList<>();
        for (MediaDescription m : sdp.media()) {
            for (RtpFormat f : m.formats()) {
                Optional<Codec> c = f.codec();
                if (c.isPresent() && m.port() != 0) {
                    specs.add(new TrackSpec(m.media(), c.get(), f.payloadType(), f.clockRate(), f.channels(),
                            f.parameters(), 0));
                    rtp.add(m.port());
                    rtcpPorts.add(m.effectiveRtcpPort());
                    break;
                }
            }
        }
        if (specs.isEmpty()) {
            throw new IOException(sdpPath + ": no media with a known codec");
        }
        List<UdpDatagram> all = new ArrayList<>();
        try (CaptureReader r = CaptureReader.open(pcap)) {
            UdpDatagram d;
            while ((d = r.next()) != null) {
                all.add(d.copy());
            }
        }
        LoadCapture c = new LoadCapture(specs, rtp.stream().mapToInt(Integer::intValue).toArray(),
                rtcpPorts.stream().mapToInt(Integer::intValue).toArray(), all);
        if (c.rtpPerPass == 0) {
            throw new IOException(pcap + ": no RTP for the SDP's ports");
        }
        return c;
    }

    int size() {
        return bytes.length;
    }

    /**
     * Copies datagram {@code i} into {@code dst} as it is sent in pass {@code pass} (RTP: sequence number and
     * timestamp advanced), and returns its length.
     */
    int copy(int i, long pass, byte[] dst) {
        byte[] d = bytes[i];
        System.arraycopy(d, 0, dst, 0, d.length);
        if (!rtcp[i]) {
            int seq = (int) ((seq0[i] + pass * seqPass[i]) & 0xFFFF);
            long ts = (ts0[i] + pass * tsPass[i]) & 0xFFFF_FFFFL;
            dst[2] = (byte) (seq >> 8);
            dst[3] = (byte) seq;
            dst[4] = (byte) (ts >>> 24);
            dst[5] = (byte) (ts >>> 16);
            dst[6] = (byte) (ts >>> 8);
            dst[7] = (byte) ts;
        }
        return d.length;
    }

    /** Bits per second of RTP (headers included, UDP/IP not) in one pass. */
    double rtpBitsPerSecond() {
        return rtpBytesPerPass * 8.0 * 1e9 / passNanos;
    }

    double rtpPacketsPerSecond() {
        return rtpPerPass * 1e9 / passNanos;
    }

    private static long u32(byte[] b, int at) {
        return ((long) (b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
