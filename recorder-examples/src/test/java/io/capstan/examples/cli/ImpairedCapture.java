package io.capstan.examples.cli;

import io.capstan.codec.Av1TestPacketizer;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.testing.MiniJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Seeded, reproducible network impairments of the project's real-encoder captures, and what a correct receiver
 * must report for them (the reference model the impairment matrix checks Capstan against).
 *
 * <p>A fixture's RTP streams are taken apart into their packets (in sending order, with the frame each belongs to
 * and whether that frame is a keyframe, from the capture's truth file). A {@link Profile} then rewrites headers
 * (sequence-number wrap, timestamp wrap, an SSRC change like a publisher restart), drops packets (uniform or
 * Gilbert-Elliott bursts), delays some (reordering within 10 packets / 50 ms), sends some twice, adds arrival
 * jitter and interleaves malformed datagrams. Everything is drawn from one {@link Random} per stream seeded from
 * the cell's seed, so a seed names one exact capture.
 *
 * <p>The expectation ({@link Expect}) is computed from the final arrival order with the receive buffer's and frame
 * assembler's documented rules: a packet arriving after a higher-numbered one is reordered, a second copy is a
 * duplicate, a sequence gap between the first and last received packet of an SSRC is loss; a frame is written
 * only when all its packets arrived, and after an incomplete (or wholly lost) video frame every frame up to the
 * next complete keyframe is dropped.
 */
final class ImpairedCapture {

    private ImpairedCapture() {
    }

    // ------------------------------------------------------------------ fixtures

    /** One original RTP packet of a stream, in sending order. */
    /**
     * One original RTP packet of a stream, in sending order.
     *
     * @param start      the depacketizer sees a frame start in it ({@code Depacketizer.isFrameStart}: the RFC's
     *                   per-packet rule, e.g. VP8 S=1 and PID 0, H.264 single NAL / STAP-A / FU-A with S=1)
     * @param slice      H.264: it carries slice data (a VCL NAL unit or a fragment of one)
     * @param firstSlice H.264: it carries the start of a picture's first slice (first_mb_in_slice 0)
     */
    record Orig(int index, long at, byte[] bytes, int seq, long ts, int frame, int units, boolean key,
                boolean marker, boolean start, boolean slice, boolean firstSlice) {
    }

    /** One RTP stream of a fixture (one m= line). */
    record Stream(int port, String codec, int clock, boolean video, int payloadType, List<Orig> packets) {
    }

    /** A capture: its SDP, every datagram (times relative to the first), its RTP streams and its true duration. */
    record Fixture(String name, Path sdp, List<LoopedCapture.Sent> datagrams, Map<Integer, Stream> streams,
                   double truthSeconds, Map<Integer, double[]> spans) {
        List<String> codecs() {
            return streams.values().stream().map(Stream::codec).toList();
        }

        boolean hasVideo() {
            return streams.values().stream().anyMatch(Stream::video);
        }
    }

    /** Loads one of recorder-core's fixture captures with its truth file. */
    @SuppressWarnings("unchecked")
    static Fixture load(String name) throws IOException {
        Object truth = ConvertConformanceTest.truth(name);
        Path pcap = ConvertConformanceTest.FIXTURES.resolve(name + ".pcap");
        List<LoopedCapture.Sent> all = new ArrayList<>();
        try (CaptureReader r = CaptureReader.open(pcap)) {
            UdpDatagram d;
            long first = -1;
            while ((d = r.next()) != null) {
                if (first < 0) {
                    first = d.timestampNanos();
                }
                all.add(new LoopedCapture.Sent(d.timestampNanos() - first, d.dstPort(),
                        Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length())));
            }
        }
        return build(name, truth, all, true);
    }

    /**
     * A fixture looped to {@code seconds} with continuous sequence numbers and timestamps ({@link
     * LoopedCapture#plan}); its frames are not told apart as keyframes (the frame model does not apply), the
     * receive counters do.
     */
    static Fixture looped(String name, double seconds) throws IOException {
        return build(name, ConvertConformanceTest.truth(name), LoopedCapture.plan(name, 0, seconds), false);
    }

    @SuppressWarnings("unchecked")
    private static Fixture build(String name, Object truth, List<LoopedCapture.Sent> all, boolean keyframes) {
        Map<Integer, Stream> streams = new TreeMap<>();
        for (Object s : (List<Object>) MiniJson.at(truth, "observed", "streams")) {
            int port = ((Number) MiniJson.at(s, "rtp_port")).intValue();
            int pt = ((Number) MiniJson.at(s, "payload_type")).intValue();
            String enc = ((String) MiniJson.at(s, "encoding")).toUpperCase(java.util.Locale.ROOT);
            int clock = ((Number) MiniJson.at(s, "clock_rate")).intValue();
            String codec = switch (enc) {
                case "MPEG4-GENERIC" -> "AAC";
                default -> enc;
            };
            boolean video = List.of("VP8", "VP9", "H264", "H265", "AV1").contains(codec);
            Set<Long> keyTs = new HashSet<>();
            Object kts = MiniJson.at(s, "per_ssrc", "0", "codec", "keyframe_rtp_ts");
            if (kts != null && keyframes) {
                for (Object k : (List<Object>) kts) {
                    keyTs.add(((Number) k).longValue());
                }
            }
            List<byte[]> rtp = new ArrayList<>();
            List<Long> at = new ArrayList<>();
            for (LoopedCapture.Sent d : all) {
                if (d.port() == port && d.bytes().length >= 12 && (d.bytes()[1] & 0x7F) == pt
                        && (d.bytes()[0] & 0xC0) == 0x80) {
                    rtp.add(d.bytes());
                    at.add(d.atNanos());
                }
            }
            streams.put(port, stream(port, codec, clock, video, pt, rtp, at, keyTs::contains));
        }
        return new Fixture(name, ConvertConformanceTest.FIXTURES.resolve(name + ".sdp"), all, streams,
                ConvertConformanceTest.srAlignedDuration(truth), spans(truth));
    }

    /**
     * Each stream's [start, end) in seconds on the recording's timeline, as {@link
     * ConvertConformanceTest#srAlignedDuration} places them: by the first RTCP SR of each stream (NTP <-> RTP), the
     * end one frame after the last timestamp; without SRs every stream spans the nominal duration.
     */
    @SuppressWarnings("unchecked")
    static Map<Integer, double[]> spans(Object truth) {
        Map<Integer, double[]> spans = new TreeMap<>();
        List<Object> streams = (List<Object>) MiniJson.at(truth, "observed", "streams");
        boolean allSr = true;
        for (Object s : streams) {
            List<Object> srs = (List<Object>) MiniJson.at(s, "rtcp", "sender_reports");
            allSr &= srs != null && !srs.isEmpty();
        }
        double origin = Double.MAX_VALUE;
        for (Object s : streams) {
            int port = ((Number) MiniJson.at(s, "rtp_port")).intValue();
            if (!allSr) {
                spans.put(port, new double[] {0, ((Number) MiniJson.at(truth, "duration_s")).doubleValue()});
                continue;
            }
            List<Object> srs = (List<Object>) MiniJson.at(s, "rtcp", "sender_reports");
            double clock = ((Number) MiniJson.at(s, "clock_rate")).doubleValue();
            double ntp = ((Number) MiniJson.at(srs.get(0), "ntp")).doubleValue();
            double srTs = ((Number) MiniJson.at(srs.get(0), "rtp_ts")).doubleValue();
            Object per = MiniJson.at(s, "per_ssrc", "0");
            double first = ((Number) MiniJson.at(per, "first_ts")).doubleValue();
            double last = ((Number) MiniJson.at(per, "last_ts")).doubleValue();
            int frames = ((Number) MiniJson.at(per, "distinct_timestamps")).intValue();
            double frame = frames > 1 ? (last - first) / (frames - 1) / clock : 0;
            double start = ntp - (srTs - first) / clock;
            spans.put(port, new double[] {start, ntp - (srTs - last) / clock + frame});
            origin = Math.min(origin, start);
        }
        if (allSr) {
            for (double[] v : spans.values()) {
                v[0] -= origin;
                v[1] -= origin;
            }
        }
        return spans;
    }

    private static Stream stream(int port, String codec, int clock, boolean video, int pt, List<byte[]> rtp,
                                 List<Long> at, java.util.function.LongPredicate key) {
        List<Orig> packets = new ArrayList<>();
        io.capstan.codec.Depacketizer depacketizer = video
                ? io.capstan.codec.Depacketizers.create(io.capstan.media.Codec.valueOf(codec), clock, 0, Map.of())
                : null;
        long prevTs = -1;
        int frame = -1;
        for (int i = 0; i < rtp.size(); i++) {
            byte[] b = rtp.get(i);
            int seq = u16(b, 2);
            long ts = LoopedCapture.readU32(b, 4);
            if (i > 0 && seq != ((packets.get(i - 1).seq() + 1) & 0xFFFF)) {
                throw new IllegalStateException(port + ": the clean capture is not contiguous at seq " + seq);
            }
            if (ts != prevTs) {
                frame++;
                prevTs = ts;
            }
            int units = 1;
            if (codec.equals("AAC")) {
                int h = headerLength(b);
                units = Math.max(1, u16(b, h) / 16); // RFC 3640 3.2.1: AU-headers-length in bits, 13+3 per AU
            }
            boolean start = true;
            if (video) {
                io.capstan.rtp.RtpPacket view = new io.capstan.rtp.RtpPacket();
                view.wrap(b, 0, b.length);
                start = depacketizer.isFrameStart(view);
            }
            boolean[] h264 = codec.equals("H264") ? h264Slices(b) : new boolean[2];
            packets.add(new Orig(i, at.get(i), b, seq, ts, frame, units, video && key.test(ts),
                    (b[1] & 0x80) != 0, start, h264[0], h264[1]));
        }
        return new Stream(port, codec, clock, video, pt, List.copyOf(packets));
    }

    /**
     * AV1 (no RTP payloader for it exists in Debian 12): the committed libaom capture {@code av1.obu} (made by
     * scripts/make-fixtures.sh), packetized by recorder-core's spec-following {@link Av1TestPacketizer} (MTU 500,
     * so keyframes are fragmented and small OBUs aggregated) as if sent at 30 fps to port 25070, PT 96, no RTCP.
     */
    static Fixture av1(Path dir) throws IOException {
        byte[] obu = Files.readAllBytes(ConvertConformanceTest.FIXTURES.resolve("av1.obu"));
        List<List<Av1TestPacketizer.Obu>> tus = Av1TestPacketizer.temporalUnits(obu);
        Av1TestPacketizer packetizer = new Av1TestPacketizer(500);
        List<LoopedCapture.Sent> all = new ArrayList<>();
        List<byte[]> rtp = new ArrayList<>();
        List<Long> at = new ArrayList<>();
        Set<Long> keys = new HashSet<>();
        int seq = 64000;
        long ts0 = 3_000_000_000L;
        for (int f = 0; f < tus.size(); f++) {
            long ts = (ts0 + f * 3000L) & 0xFFFFFFFFL;
            if (tus.get(f).stream().anyMatch(o -> o.type() == 1)) {
                keys.add(ts); // libaom sends a sequence header with every key frame
            }
            List<byte[]> payloads = packetizer.packetize(tus.get(f));
            for (int k = 0; k < payloads.size(); k++) {
                byte[] p = payloads.get(k);
                byte[] b = new byte[12 + p.length];
                b[0] = (byte) 0x80;
                b[1] = (byte) ((k == payloads.size() - 1 ? 0x80 : 0) | 96);
                b[2] = (byte) (seq >>> 8);
                b[3] = (byte) seq;
                putU32(b, 4, ts);
                putU32(b, 8, 0x5EED0A01L);
                System.arraycopy(p, 0, b, 12, p.length);
                seq = (seq + 1) & 0xFFFF;
                long t = f * 1_000_000_000L / 30 + k * 200_000L;
                all.add(new LoopedCapture.Sent(t, 25070, b));
                rtp.add(b);
                at.add(t);
            }
        }
        Path sdp = dir.resolve("av1.sdp");
        Files.writeString(sdp, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=av1\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                + "m=video 25070 RTP/AVP 96\r\na=rtpmap:96 AV1/90000\r\n", StandardCharsets.US_ASCII);
        Map<Integer, Stream> streams = new TreeMap<>();
        streams.put(25070, stream(25070, "AV1", 90000, true, 96, rtp, at, keys::contains));
        return new Fixture("av1", sdp, all, streams, tus.size() / 30.0,
                Map.of(25070, new double[] {0, tus.size() / 30.0}));
    }

    // ------------------------------------------------------------------ profiles

    /**
     * One impairment profile.
     *
     * @param loss        uniform loss probability per packet
     * @param burstP      Gilbert-Elliott: probability good -> bad (0: no burst model); every packet in bad is lost
     * @param burstR      Gilbert-Elliott: probability bad -> good
     * @param reorder     probability a packet is held back 1-10 packets (at most 50 ms)
     * @param dup         probability a delivered packet is sent again 0-5 packets later
     * @param jitterMs    arrival jitter, uniform 0..jitterMs (re-sorted by arrival: reordering by jitter)
     * @param seqWrap     sequence numbers rewritten to wrap after a third of each stream
     * @param tsWrap      RTP timestamps (and SR RTP timestamps) rewritten to wrap at two thirds
     * @param ssrcChange  a new SSRC with new random sequence and timestamp bases from the middle keyframe on
     * @param garbage     malformed datagrams interleaved per RTP port (six kinds, cycled)
     */
    record Profile(String name, double loss, double burstP, double burstR, double reorder, double dup, int jitterMs,
                   boolean seqWrap, boolean tsWrap, boolean ssrcChange, int garbage) {
        static Profile clean(String name) {
            return new Profile(name, 0, 0, 0, 0, 0, 0, false, false, false, 0);
        }

        Profile loss(double v) {
            return new Profile(name, v, burstP, burstR, reorder, dup, jitterMs, seqWrap, tsWrap, ssrcChange, garbage);
        }

        Profile burst(double p, double r) {
            return new Profile(name, loss, p, r, reorder, dup, jitterMs, seqWrap, tsWrap, ssrcChange, garbage);
        }

        Profile reorder(double v) {
            return new Profile(name, loss, burstP, burstR, v, dup, jitterMs, seqWrap, tsWrap, ssrcChange, garbage);
        }

        Profile dup(double v) {
            return new Profile(name, loss, burstP, burstR, reorder, v, jitterMs, seqWrap, tsWrap, ssrcChange, garbage);
        }

        Profile jitter(int ms) {
            return new Profile(name, loss, burstP, burstR, reorder, dup, ms, seqWrap, tsWrap, ssrcChange, garbage);
        }

        Profile wrap(boolean seq, boolean ts) {
            return new Profile(name, loss, burstP, burstR, reorder, dup, jitterMs, seq, ts, ssrcChange, garbage);
        }

        Profile ssrc() {
            return new Profile(name, loss, burstP, burstR, reorder, dup, jitterMs, seqWrap, tsWrap, true, garbage);
        }

        Profile garbage(int n) {
            return new Profile(name, loss, burstP, burstR, reorder, dup, jitterMs, seqWrap, tsWrap, ssrcChange, n);
        }

        boolean lossy() {
            return loss > 0 || burstP > 0;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Profile> PROFILES = List.of(
            Profile.clean("clean"),
            Profile.clean("loss1").loss(0.01),
            Profile.clean("loss5").loss(0.05),
            Profile.clean("loss20").loss(0.20),
            Profile.clean("burst").burst(0.03, 0.3),
            Profile.clean("reorder").reorder(0.10),
            Profile.clean("dup5").dup(0.05),
            Profile.clean("jitter80").jitter(80),
            Profile.clean("seqwrap").wrap(true, false),
            Profile.clean("tswrap").wrap(false, true),
            Profile.clean("ssrc").ssrc(),
            Profile.clean("garbage").garbage(12),
            Profile.clean("loss+reorder+jitter").loss(0.05).reorder(0.10).jitter(40),
            Profile.clean("everything").burst(0.02, 0.3).reorder(0.10).dup(0.05).jitter(40).wrap(true, true)
                    .garbage(12));

    static Profile profile(String name) {
        return PROFILES.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ impairing

    enum Kind { RTP, RTCP, GARBAGE }

    /** A datagram of the impaired capture. */
    static final class Entry {
        long at;
        final int port;
        final byte[] bytes;
        final Kind kind;
        final int stream;   // RTP port of the stream it belongs to
        final int orig;     // original packet index (RTP)
        final int segment;  // SSRC segment (0, or 1 after an SSRC change)

        Entry(long at, int port, byte[] bytes, Kind kind, int stream, int orig, int segment) {
            this.at = at;
            this.port = port;
            this.bytes = bytes;
            this.kind = kind;
            this.stream = stream;
            this.orig = orig;
            this.segment = segment;
        }
    }

    /** What Capstan must report for one stream. */
    record Expect(int port, boolean video, long packets, long lost, long duplicates, long reordered, long invalid,
                  long framesOut, long framesDropped, int ssrcChanges, double headTrimSeconds,
                  double tailTrimSeconds, Map<String, Integer> garbageKinds, long injectedLoss,
                  double firstFrameArrivalSeconds) {
    }

    /** The impaired capture and the expectations, per RTP port. */
    record Impaired(List<Entry> entries, Map<Integer, Expect> expect) {
        List<LoopedCapture.Sent> sent() {
            return entries.stream().map(e -> new LoopedCapture.Sent(e.at, e.port, e.bytes)).toList();
        }

        long framesOut() {
            return expect.values().stream().mapToLong(Expect::framesOut).sum();
        }
    }

    static final String[] GARBAGE_KINDS = {"random", "truncated", "bad-version", "unknown-pt", "csrc-overrun",
            "padding-overflow"};

    static Impaired apply(Fixture f, Profile p, long seed) {
        List<Entry> entries = new ArrayList<>();
        long switchAt = Long.MAX_VALUE;
        Map<Long, Long> srTsOffset = new LinkedHashMap<>(); // SSRC -> RTP timestamp offset for SRs
        // the video stream's switch point decides the audio one's (a publisher restarts all its streams at once)
        long videoSwitchAt = -1;
        List<Stream> order = new ArrayList<>(f.streams().values());
        order.sort((a, b) -> Boolean.compare(b.video(), a.video()));
        Map<Integer, Map<String, Integer>> garbageKinds = new TreeMap<>();
        Map<Integer, Long> injectedLoss = new TreeMap<>();
        Map<Integer, Integer> switchAtIndex = new TreeMap<>();
        for (Stream s : order) {
            Random rnd = new Random(seed * 1_000_003L + s.port());
            List<Orig> pk = s.packets();
            int n = pk.size();
            byte[][] bytes = new byte[n][];
            for (int i = 0; i < n; i++) {
                bytes[i] = pk.get(i).bytes().clone();
            }
            int switchIdx = n;
            if (p.ssrcChange()) {
                if (s.video()) {
                    int best = -1;
                    for (Orig o : pk) {
                        if (o.key() && o.index() > 0 && (o.index() == 0 || pk.get(o.index() - 1).frame() != o.frame())
                                && (best < 0 || Math.abs(o.index() - n / 2) < Math.abs(best - n / 2))) {
                            best = o.index();
                        }
                    }
                    switchIdx = best > 0 ? best : n / 2;
                    videoSwitchAt = pk.get(switchIdx).at();
                } else if (videoSwitchAt >= 0) {
                    switchIdx = n;
                    for (Orig o : pk) {
                        if (o.at() >= videoSwitchAt) {
                            switchIdx = o.index();
                            break;
                        }
                    }
                } else {
                    switchIdx = n / 2;
                }
                if (switchIdx < n) {
                    switchAt = Math.min(switchAt, pk.get(switchIdx).at());
                    long ssrc = LoopedCapture.readU32(bytes[0], 8);
                    long newSsrc;
                    do {
                        newSsrc = rnd.nextLong() & 0xFFFFFFFFL;
                    } while (newSsrc == ssrc);
                    int seqBase = rnd.nextInt(65536);
                    long tsBase = rnd.nextLong() & 0xFFFFFFFFL;
                    for (int i = switchIdx; i < n; i++) {
                        putU32(bytes[i], 8, newSsrc);
                        putU16(bytes[i], 2, (pk.get(i).seq() - pk.get(switchIdx).seq() + seqBase) & 0xFFFF);
                        putU32(bytes[i], 4, (pk.get(i).ts() - pk.get(switchIdx).ts() + tsBase) & 0xFFFFFFFFL);
                    }
                }
            }
            if (p.seqWrap()) {
                int off = (65536 - pk.get(n / 3).seq()) & 0xFFFF; // the packet at a third gets seq 0
                for (int i = 0; i < n; i++) {
                    putU16(bytes[i], 2, (pk.get(i).seq() + off) & 0xFFFF);
                }
            }
            if (p.tsWrap()) {
                long off = (0x1_0000_0000L - pk.get(2 * n / 3).ts()) & 0xFFFFFFFFL; // ts 0 at two thirds
                for (int i = 0; i < n; i++) {
                    putU32(bytes[i], 4, (pk.get(i).ts() + off) & 0xFFFFFFFFL);
                }
                srTsOffset.put(LoopedCapture.readU32(pk.get(0).bytes(), 8), off);
            }
            // loss
            boolean[] delivered = new boolean[n];
            boolean bad = false;
            long lostCount = 0;
            for (int i = 0; i < n; i++) {
                boolean lose = false;
                if (p.burstP() > 0) {
                    bad = bad ? rnd.nextDouble() >= p.burstR() : rnd.nextDouble() < p.burstP();
                    lose = bad;
                }
                if (p.loss() > 0 && rnd.nextDouble() < p.loss()) {
                    lose = true;
                }
                delivered[i] = !lose;
                lostCount += lose ? 1 : 0;
            }
            injectedLoss.put(s.port(), lostCount);
            switchAtIndex.put(s.port(), switchIdx);
            int streamStart = entries.size();
            for (int i = 0; i < n; i++) {
                if (!delivered[i]) {
                    continue;
                }
                long at = pk.get(i).at();
                if (p.reorder() > 0 && rnd.nextDouble() < p.reorder()) {
                    int j = Math.min(i + 1 + rnd.nextInt(10), n - 1);
                    at = Math.max(at, Math.min(pk.get(j).at() + 1_000, at + 50_000_000L));
                }
                int seg = i >= switchIdx ? 1 : 0;
                entries.add(new Entry(at, s.port(), bytes[i], Kind.RTP, s.port(), i, seg));
                if (p.dup() > 0 && rnd.nextDouble() < p.dup()) {
                    int j = Math.min(i + rnd.nextInt(6), n - 1);
                    entries.add(new Entry(Math.max(at, pk.get(j).at()) + 2_000, s.port(), bytes[i].clone(), Kind.RTP,
                            s.port(), i, seg));
                }
            }
            if (p.jitterMs() > 0) {
                for (int k = streamStart; k < entries.size(); k++) {
                    entries.get(k).at += (long) (rnd.nextDouble() * p.jitterMs() * 1_000_000L);
                }
            }
            Map<String, Integer> kinds = new TreeMap<>();
            for (int g = 0; g < p.garbage(); g++) {
                String kind = GARBAGE_KINDS[g % GARBAGE_KINDS.length];
                kinds.merge(kind, 1, Integer::sum);
                long at = pk.get(0).at() + (long) (rnd.nextDouble() * (pk.get(n - 1).at() - pk.get(0).at()));
                byte[] junk = garbage(kind, rnd, pk.get(rnd.nextInt(n)).bytes(), f);
                checkRejected(kind, junk);
                entries.add(new Entry(at, s.port(), junk, Kind.GARBAGE, s.port(), -1, 0));
            }
            garbageKinds.put(s.port(), kinds);
        }
        // RTCP (and anything else in the capture that is not the streams' RTP): kept, SRs shifted with the
        // timestamps; after an SSRC change the old sender's reports stop (a restarted publisher's reports would
        // carry the new SSRC; the fixture vp8_opus_ssrc_change covers those)
        for (LoopedCapture.Sent d : f.datagrams()) {
            Stream s = f.streams().get(d.port());
            boolean rtp = s != null && d.bytes().length >= 12 && (d.bytes()[1] & 0x7F) == s.payloadType()
                    && (d.bytes()[0] & 0xC0) == 0x80;
            if (rtp) {
                continue;
            }
            if (d.atNanos() >= switchAt) {
                continue;
            }
            byte[] b = d.bytes().clone();
            if (!srTsOffset.isEmpty()) {
                shiftSenderReports(b, srTsOffset);
            }
            entries.add(new Entry(d.atNanos(), d.port(), b, Kind.RTCP, -1, -1, 0));
        }
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> Long.compare(a.at, b.at)); // stable: ties keep insertion order
        Map<Integer, Expect> expect = new TreeMap<>();
        for (Stream s : f.streams().values()) {
            expect.put(s.port(), expect(s, sorted, switchAtIndex.get(s.port()), garbageKinds.get(s.port()),
                    injectedLoss.get(s.port())));
        }
        return new Impaired(sorted, expect);
    }

    /** Rewrites the RTP timestamp of every SR (RFC 3550 6.4.1, PT 200) of the given SSRCs in a compound packet. */
    static void shiftSenderReports(byte[] b, Map<Long, Long> offsets) {
        int off = 0;
        while (off + 4 <= b.length) {
            int pt = b[off + 1] & 0xFF;
            int len = (u16(b, off + 2) + 1) * 4;
            if (off + len > b.length) {
                return;
            }
            if (pt == 200 && len >= 28) {
                Long o = offsets.get(LoopedCapture.readU32(b, off + 4));
                if (o != null) {
                    putU32(b, off + 16, (LoopedCapture.readU32(b, off + 16) + o) & 0xFFFFFFFFL);
                }
            }
            off += len;
        }
    }

    /** One malformed datagram of a kind (each is rejected by RtpPacket.wrap or the payload-type check). */
    static byte[] garbage(String kind, Random rnd, byte[] real, Fixture f) {
        switch (kind) {
            case "random" -> {
                byte[] b = new byte[1 + rnd.nextInt(200)];
                rnd.nextBytes(b);
                int[] versions = {0, 1, 3};
                b[0] = (byte) ((b[0] & 0x3F) | (versions[rnd.nextInt(3)] << 6)); // never V=2 (RFC 3550 5.1)
                return b;
            }
            case "truncated" -> {
                return Arrays.copyOf(real, 1 + rnd.nextInt(11)); // shorter than the fixed header
            }
            case "bad-version" -> {
                byte[] b = real.clone();
                b[0] = (byte) ((b[0] & 0x3F) | (rnd.nextBoolean() ? 0x40 : 0xC0));
                return b;
            }
            case "unknown-pt" -> {
                byte[] b = real.clone();
                Set<Integer> used = new HashSet<>();
                f.streams().values().forEach(s -> used.add(s.payloadType()));
                int pt;
                do {
                    pt = 35 + rnd.nextInt(29); // 35..63: never RTCP-like (RFC 5761 4)
                } while (used.contains(pt));
                b[1] = (byte) pt;
                return b;
            }
            case "csrc-overrun" -> {
                byte[] b = Arrays.copyOf(real, 12 + rnd.nextInt(48));
                b[0] = (byte) ((b[0] & 0xE0) | 0x0F); // CC=15: 60 bytes of CSRC that are not there
                return b;
            }
            case "padding-overflow" -> {
                byte[] b = Arrays.copyOf(real, 12 + 20);
                b[0] = (byte) ((b[0] & 0xC0) | 0x20); // P=1, X=0, CC=0
                for (int i = 12; i < b.length; i++) {
                    b[i] = (byte) rnd.nextInt(256);
                }
                b[b.length - 1] = (byte) (rnd.nextBoolean() ? 0 : 21 + rnd.nextInt(235)); // 0, or more than is left
                return b;
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    /**
     * The report counts garbage as one {@code invalid} total; here each kind is checked to be rejected for its own
     * reason ({@link io.capstan.rtp.RtpPacket#wrap}; an unknown payload type parses and is refused by the track).
     */
    static void checkRejected(String kind, byte[] g) {
        io.capstan.rtp.RtpRejectReason r = new io.capstan.rtp.RtpPacket().wrap(g, 0, g.length);
        java.util.Set<io.capstan.rtp.RtpRejectReason> want = switch (kind) {
            case "random" -> java.util.EnumSet.of(io.capstan.rtp.RtpRejectReason.TOO_SHORT,
                    io.capstan.rtp.RtpRejectReason.BAD_VERSION);
            case "truncated" -> java.util.EnumSet.of(io.capstan.rtp.RtpRejectReason.TOO_SHORT);
            case "bad-version" -> java.util.EnumSet.of(io.capstan.rtp.RtpRejectReason.BAD_VERSION);
            case "csrc-overrun" -> java.util.EnumSet.of(io.capstan.rtp.RtpRejectReason.CSRC_OVERRUN);
            case "padding-overflow" -> java.util.EnumSet.of(io.capstan.rtp.RtpRejectReason.BAD_PADDING);
            default -> java.util.EnumSet.noneOf(io.capstan.rtp.RtpRejectReason.class);
        };
        if (want.isEmpty() ? r != null : !want.contains(r)) {
            throw new AssertionError("garbage of kind " + kind + " was classified " + r + ", expected " + want);
        }
        if (io.capstan.rtp.RtcpParser.looksLikeRtcp(g, 0, g.length)) {
            throw new AssertionError("garbage of kind " + kind + " looks like RTCP");
        }
    }

    // ------------------------------------------------------------------ the reference model

    private static Expect expect(Stream s, List<Entry> sorted, int switchIdx, Map<String, Integer> garbageKinds,
                                 long injectedLoss) {
        long packets = 0;
        long garbage = 0;
        long dups = 0;
        long reordered = 0;
        long lost = 0;
        int n = s.packets().size();
        boolean[] seen = new boolean[n];
        long[] arrival = new long[n];
        int[] segMax = {-1, -1};
        int[] segMin = {Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] segCount = {0, 0};
        for (Entry e : sorted) {
            if (e.stream != s.port()) {
                continue;
            }
            if (e.kind == Kind.GARBAGE) {
                garbage++;
                continue;
            }
            packets++;
            if (seen[e.orig]) {
                dups++;
                continue;
            }
            seen[e.orig] = true;
            arrival[e.orig] = e.at;
            int g = e.segment;
            if (e.orig < segMax[g]) {
                reordered++;
            }
            segMax[g] = Math.max(segMax[g], e.orig);
            segMin[g] = Math.min(segMin[g], e.orig);
            segCount[g]++;
        }
        int segments = 0;
        for (int g = 0; g < 2; g++) {
            if (segCount[g] > 0) {
                lost += segMax[g] - segMin[g] + 1 - segCount[g];
                segments++;
            }
        }
        // frames: the frame assembler's documented rules (FrameAssembler) run over the packets in sequence order,
        // with the ground truth of what each frame is (its packets, keyframe or not, H.264 slices)
        long framesOut = 0;
        long framesDropped = 0;
        long firstOutTs = -1;
        long lastOutTs = -1;
        long firstOutArrival = -1;
        if (s.video()) {
            boolean waiting = true;
            boolean building = false;
            int bFrame = -1;
            int bFrom = -1;
            boolean bSlice = false;
            boolean bFirst = false;
            boolean dropKnown = false;
            int droppedFrame = -1;
            int prev = -1;
            for (int k = 0; k < n; k++) {
                if (!seen[k]) {
                    continue;
                }
                Orig o = s.packets().get(k);
                boolean newSegment = prev >= 0 && (prev < switchIdx) != (k < switchIdx);
                boolean lossBefore = prev >= 0 && !newSegment && k != prev + 1;
                prev = k;
                if (lossBefore || newSegment) {
                    // discontinuity (a gap the receive buffer gave up on, an SSRC change): the frame being built
                    // is dropped, video waits for a keyframe
                    if (building) {
                        building = false;
                        dropKnown = true;
                        droppedFrame = bFrame;
                        framesDropped++;
                    }
                    waiting = true;
                }
                if (building && o.frame() != bFrame) {
                    // the previous frame never saw its marker (not in these captures): a start closes it
                    building = false;
                    dropKnown = true;
                    droppedFrame = bFrame;
                    framesDropped++;
                    waiting = true;
                }
                if (!building) {
                    if (dropKnown && droppedFrame == o.frame()) {
                        waiting = true; // the rest of a dropped frame
                        continue;
                    }
                    if (!o.start()) {
                        dropKnown = true;
                        droppedFrame = o.frame();
                        framesDropped++;
                        waiting = true;
                        continue;
                    }
                    building = true;
                    bFrame = o.frame();
                    bFrom = k;
                    bSlice = false;
                    bFirst = false;
                    dropKnown = false;
                }
                bSlice |= o.slice();
                bFirst |= o.firstSlice();
                if (o.marker()) {
                    building = false;
                    boolean whole = !(bSlice && !bFirst); // H.264: slices without the picture's first one
                    boolean key = s.packets().get(bFrom).key();
                    if (!whole || (waiting && !key)) {
                        framesDropped++;
                    } else {
                        waiting = false;
                        framesOut++;
                        if (firstOutArrival < 0) {
                            for (int q = bFrom; q <= k; q++) {
                                firstOutArrival = Math.max(firstOutArrival, arrival[q]);
                            }
                        }
                        firstOutTs = firstOutTs < 0 ? o.ts() : firstOutTs;
                        lastOutTs = o.ts();
                    }
                }
            }
            if (building) {
                framesDropped++; // the end never came
            }
        } else {
            for (int k = 0; k < n; k++) {
                if (seen[k]) {
                    firstOutArrival = firstOutArrival < 0 ? arrival[k] : firstOutArrival;
                    framesOut += s.packets().get(k).units();
                    firstOutTs = firstOutTs < 0 ? s.packets().get(k).ts() : firstOutTs;
                    lastOutTs = s.packets().get(k).ts();
                }
            }
        }
        long t0 = s.packets().get(0).ts();
        long t1 = s.packets().get(n - 1).ts();
        double span = ((t1 - t0) & 0xFFFFFFFFL) / (double) s.clock();
        double head = firstOutTs < 0 ? span : ((firstOutTs - t0) & 0xFFFFFFFFL) / (double) s.clock();
        double tail = lastOutTs < 0 ? span : ((t1 - lastOutTs) & 0xFFFFFFFFL) / (double) s.clock();
        return new Expect(s.port(), s.video(), packets, lost, dups, reordered, garbage, framesOut, framesDropped,
                segments > 1 ? 1 : 0, head, tail, garbageKinds, injectedLoss,
                firstOutArrival < 0 ? Double.NaN : firstOutArrival / 1e9);
    }

    // ------------------------------------------------------------------ bytes

    /**
     * H.264 (RFC 6184): whether the packet carries slice data, and whether it carries the start of a picture's
     * first slice (coded slice types 1, 2, 5 whose header starts with first_mb_in_slice = 0, i.e. a 1 bit; H.264
     * 7.3.3), for single NAL unit packets, every unit of a STAP-A and the start fragment of an FU-A.
     */
    static boolean[] h264Slices(byte[] b) {
        int h = headerLength(b);
        int end = b.length;
        boolean[] r = new boolean[2];
        if (h >= end) {
            return r;
        }
        int type = b[h] & 0x1F;
        if (type >= 1 && type <= 23) {
            nal(type, b, h + 1, end, r);
        } else if (type == 24) {
            int pos = h + 1;
            while (pos + 2 < end) {
                int size = u16(b, pos);
                pos += 2;
                if (size == 0 || pos + size > end) {
                    break;
                }
                nal(b[pos] & 0x1F, b, pos + 1, pos + size, r);
                pos += size;
            }
        } else if (type == 28 && h + 2 < end) {
            int fu = b[h + 1] & 0xFF;
            int t = fu & 0x1F;
            r[0] |= t >= 1 && t <= 5;
            if ((fu & 0x80) != 0) {
                nal(t, b, h + 2, end, r);
            }
        }
        return r;
    }

    private static void nal(int type, byte[] b, int payload, int end, boolean[] r) {
        r[0] |= type >= 1 && type <= 5;
        r[1] |= (type == 1 || type == 2 || type == 5) && payload < end && (b[payload] & 0x80) != 0;
    }

    static int headerLength(byte[] b) {
        int h = 12 + 4 * (b[0] & 0x0F);
        if ((b[0] & 0x10) != 0) {
            h += 4 + 4 * u16(b, h + 2);
        }
        return h;
    }

    static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    static void putU16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void putU32(byte[] b, int at, long v) {
        for (int k = 0; k < 4; k++) {
            b[at + k] = (byte) (v >>> (24 - 8 * k));
        }
    }
}
