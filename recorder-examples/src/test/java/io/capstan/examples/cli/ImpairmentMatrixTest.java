package io.capstan.examples.cli;

import io.capstan.examples.cli.ImpairedCapture.Expect;
import io.capstan.examples.cli.ImpairedCapture.Fixture;
import io.capstan.examples.cli.ImpairedCapture.Impaired;
import io.capstan.examples.cli.ImpairedCapture.Profile;
import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.assertj.core.api.SoftAssertions;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The impairment matrix (issue 7): every codec of the project's real-encoder captures, under seeded loss (1, 5,
 * 20 %, Gilbert-Elliott bursts), reordering, duplication, arrival jitter, sequence-number and timestamp wrap, an
 * SSRC change and interleaved garbage (alone and combined), converted by the {@code capstan} CLI (in process) into
 * every container that can hold the codecs. Per cell:
 * <ol>
 *   <li>no exception escapes: exit code 0 (or 1 with "no media was recorded" when the reference model says not a
 *       single frame survives), no stack trace on stderr, no session error in the report;</li>
 *   <li>every output decodes with ffmpeg without one error, and its video starts with a keyframe;</li>
 *   <li>the report's receive counters equal what was injected (packets, duplicates, garbage, loss, reordering,
 *       SSRC changes), and frames written / dropped equal the reference model ({@link ImpairedCapture}): all
 *       packets of a frame arrived, and for video an unbroken chain back to a complete keyframe; the files hold
 *       exactly those frames (report and ffprobe);</li>
 *   <li>the duration is the capture's true duration, less what the model says was cut at the head and tail.</li>
 * </ol>
 * CI runs every codec x every profile into its default container, and every container with two profiles
 * ({@code everything}, {@code loss+reorder+jitter}). {@code -Dcapstan.impairments=full} runs every codec x
 * profile x container with three seeds each, plus a long looped impaired recording whose heap must stay flat.
 * {@code -Dcapstan.impairments.seed=N} changes the base seed, {@code -Dcapstan.impairments.cell=REGEX} runs
 * only matching cells (a failure message names its cell and seed).
 */
class ImpairmentMatrixTest {

    static final boolean FULL = "full".equalsIgnoreCase(System.getProperty("capstan.impairments", ""));
    static final long BASE_SEED = Long.getLong("capstan.impairments.seed", 7L);
    static final Pattern ONLY = Pattern.compile(System.getProperty("capstan.impairments.cell", ".*"));

    /** -Dcapstan.impairments.keep=DIR moves every cell's input, report and outputs there (for inspection). */
    static final String KEEP = System.getProperty("capstan.impairments.keep");

    static final List<String> FIXTURES = List.of("vp8_opus", "h264_aac", "h264_stapa", "h265_gst", "vp9_gst",
            "opus_dtx_gst", "pcmu", "av1");
    /** The profile every container runs in CI (all of them in the full mode). */
    static final List<String> CONTAINER_PROFILES = List.of("everything");
    /** RecordingSession's default sync window, and how close to it a late first frame may come (latency, jitter). */
    static final double SYNC_WINDOW = 3.0;
    static final double LATE_MARGIN = 0.6;
    static final List<Container> CONTAINERS = List.of(Container.WEBM, Container.MKV, Container.MP4, Container.FMP4,
            Container.DASH, Container.HLS, Container.TS, Container.IVF, Container.OGG);

    @TempDir
    static Path tmp;

    record Cell(Fixture fixture, Profile profile, String container, long seed) {
        String name() {
            return fixture.name() + "/" + profile.name() + "/" + container + "#" + seed;
        }
    }

    @TestFactory
    Stream<DynamicTest> matrix() throws IOException {
        MediaTools.require("ffmpeg", "ffprobe");
        List<Cell> cells = new ArrayList<>();
        int seeds = FULL ? 3 : 1;
        for (String name : FIXTURES) {
            Fixture f = name.equals("av1") ? ImpairedCapture.av1(tmp) : ImpairedCapture.load(name);
            List<Codec> codecs = f.codecs().stream().map(c -> Codec.valueOf(c)).toList();
            List<String> containers = new ArrayList<>();
            containers.add("auto");
            Container auto = StandardMuxers.selector(Container.AUTO, false).select(codecs).container();
            for (Container c : CONTAINERS) {
                // (in CI the container auto picks runs every profile already, as "auto")
                if (StandardMuxers.factory(c).rejectReason(codecs) == null && (FULL || c != auto)) {
                    containers.add(c.id());
                }
            }
            if (codecs.size() > 1) {
                containers.add("per-track");
            }
            for (String c : containers) {
                for (Profile p : ImpairedCapture.PROFILES) {
                    if (!c.equals("auto") && !FULL && !CONTAINER_PROFILES.contains(p.name())) {
                        continue;
                    }
                    for (int s = 0; s < seeds; s++) {
                        long seed = BASE_SEED + s * 1_000_000L + Math.floorMod((name + "/" + p.name()).hashCode(), 1000);
                        Cell cell = new Cell(f, p, c, seed);
                        if (ONLY.matcher(cell.name()).find()) {
                            cells.add(cell);
                        }
                    }
                }
            }
        }
        return cells.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c)));
    }

    // ------------------------------------------------------------------ one cell

    void run(Cell c) throws IOException {
        String ctx = "cell " + c.name() + " (seed " + c.seed() + "; rerun with -Dcapstan.impairments.cell='"
                + Pattern.quote(c.fixture().name() + "/" + c.profile().name() + "/" + c.container()) + "'"
                + (c.seed() >= 1_000_000L ? " -Dcapstan.impairments=full" : "") + ")";
        Path dir = Files.createTempDirectory(tmp, c.name().replaceAll("[^A-Za-z0-9_.+-]", "_") + "-");
        Impaired imp = ImpairedCapture.apply(c.fixture(), c.profile(), c.seed());
        Path pcap = LoopedCapture.write(imp.sent(), dir.resolve("in.pcap"));
        Path out = dir.resolve("out");
        Path report = dir.resolve("report.json");
        List<String> args = new ArrayList<>(List.of("convert", "--sdp", c.fixture().sdp().toString(), "--pcap",
                pcap.toString(), "--out", out.toString(), "--report", report.toString(), "--stream", "rec"));
        if (c.container().equals("per-track")) {
            args.add("--per-track");
        } else {
            args.addAll(List.of("--container", c.container()));
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(args.toArray(new String[0]));
        String stderr = e.toString(StandardCharsets.UTF_8);
        assertThat(stderr).as("%s: stderr", ctx).doesNotContain("\tat ", "Exception", "Error:");
        if (imp.framesOut() == 0) {
            // the model says nothing survives (e.g. 20 % loss hit every keyframe of a 2 s capture)
            assertThat(rc).as("%s: exit code when nothing can be recorded; stderr: %s", ctx, stderr).isEqualTo(1);
            assertThat(stderr).as(ctx).contains("no media was recorded");
            deleteTree(dir);
            return;
        }
        assertThat(rc).as("%s: exit code; stderr: %s", ctx, stderr).isZero();
        Object rep = MiniJson.parse(Files.readString(report));
        Map<String, Expect> byId = new LinkedHashMap<>();
        for (Object t : (List<?>) MiniJson.at(rep, "tracks")) {
            byId.put((String) MiniJson.at(t, "id"), imp.expect().get((int) num(t, "port")));
        }
        // The one message allowed on stderr (and in the report's errors): a combined file is opened when the
        // tracks are aligned (every track has media and an RTCP SR, or SYNC_WINDOW after the first frame); a
        // track whose first frame comes later is left out of that file (SessionLane). Allowed only for a track
        // the model says has no frame at all, or whose first frame completes within LATE_MARGIN of that window.
        java.util.Set<String> leftOut = new java.util.HashSet<>();
        List<String> messages = new ArrayList<>(stderr.strip().lines().filter(l -> !l.isBlank())
                .map(l -> l.replaceFirst("^capstan: warning: ", "")).toList());
        for (Object m : (List<?>) MiniJson.at(rep, "errors")) {
            messages.add((String) m);
        }
        Pattern noMedia = Pattern.compile("track\\(s\\) \\[([\\w, ]+)] had no media when .* was opened; they are not in that file"
                + "|track (\\w+): \\d+ frame\\(s\\) could not be written because the track started after its file was opened");
        for (String line : messages) {
            java.util.regex.Matcher m = noMedia.matcher(line);
            assertThat(m.matches()).as("%s: unexpected message (stderr / report errors): %s", ctx, line).isTrue();
            if (m.group(1) == null) {
                leftOut.add(m.group(2));
                continue;
            }
            for (String id : m.group(1).split(",\\s*")) {
                Expect x = byId.get(id);
                assertThat(x.framesOut() == 0 || x.firstFrameArrivalSeconds() >= SYNC_WINDOW - LATE_MARGIN)
                        .as("%s: %s (the model's first %s frame completes at %.3f s)", ctx, line, id,
                                x.firstFrameArrivalSeconds()).isTrue();
                leftOut.add(id);
            }
        }

        SoftAssertions soft = new SoftAssertions();
        // (c) receive counters per track
        Map<String, Long> framesByKind = new LinkedHashMap<>();
        Map<String, String> trackKind = new LinkedHashMap<>();
        for (Object t : (List<?>) MiniJson.at(rep, "tracks")) {
            String id = (String) MiniJson.at(t, "id");
            Expect x = byId.get(id);
            String tc = ctx + " track " + id + " (" + MiniJson.at(t, "codec") + ", injected loss "
                    + x.injectedLoss() + ", garbage " + x.garbageKinds() + ")";
            trackKind.put(id, x.video() ? "video" : "audio");
            soft.assertThat(num(t, "packets")).as("%s: packets", tc).isEqualTo(x.packets());
            soft.assertThat(num(t, "duplicates")).as("%s: duplicates", tc).isEqualTo(x.duplicates());
            soft.assertThat(num(t, "invalid")).as("%s: invalid (garbage)", tc).isEqualTo(x.invalid());
            soft.assertThat(num(t, "lost")).as("%s: lost", tc).isEqualTo(x.lost());
            soft.assertThat(num(t, "lost")).as("%s: lost <= injected", tc).isLessThanOrEqualTo(x.injectedLoss());
            soft.assertThat(num(t, "reordered")).as("%s: reordered", tc).isEqualTo(x.reordered());
            soft.assertThat(num(t, "late")).as("%s: late", tc).isZero();
            soft.assertThat(num(t, "ssrcChanges")).as("%s: SSRC changes", tc).isEqualTo(x.ssrcChanges());
            soft.assertThat(num(t, "framesOut")).as("%s: frames out", tc).isEqualTo(x.framesOut());
            soft.assertThat(num(t, "framesDropped")).as("%s: frames dropped (incomplete / awaiting keyframe)", tc)
                    .isEqualTo(x.framesDropped());
            soft.assertThat(num(t, "overflowDropped")).as("%s: overflow", tc).isZero();
            if (x.video() && x.framesDropped() > 0) {
                soft.assertThat(num(t, "keyframeRequests")).as("%s: keyframe requests", tc).isPositive();
            }
            if (!leftOut.contains(id)) {
                framesByKind.merge(x.video() ? "video" : "audio", x.framesOut(), Long::sum);
            }
        }
        // frames in the files (report)
        Map<String, Long> filed = new LinkedHashMap<>();
        for (Object f : (List<?>) MiniJson.at(rep, "files")) {
            for (Object t : (List<?>) MiniJson.at(f, "tracks")) {
                filed.merge(trackKind.get((String) MiniJson.at(t, "id")), num(t, "frames"), Long::sum);
            }
        }
        for (Map.Entry<String, Long> k : framesByKind.entrySet()) {
            soft.assertThat(filed.getOrDefault(k.getKey(), 0L)).as("%s: %s frames in the files (report)", ctx,
                    k.getKey()).isEqualTo(k.getValue());
        }
        // (b) decode every output; (d) duration
        List<Path> units = decodeUnits(out, dir);
        soft.assertThat(units).as("%s: outputs", ctx).isNotEmpty();
        Map<String, Long> probed = new LinkedHashMap<>();
        double duration = 0;
        double firstPts = Double.MAX_VALUE;
        double lastEnd = -Double.MAX_VALUE;
        boolean fragmented = List.of("fmp4", "dash", "hls").contains(c.container());
        for (Path u : units) {
            soft.assertThat(decodeErrors(u)).as("%s: ffmpeg errors decoding %s", ctx, u.getFileName())
                    .isEmpty();
            Probe p = probe(u);
            // fragmented MP4 has no duration in its header: ffprobe then reports the end of the track's media
            // time as its duration (counting the first tfdt twice); what a player plays is the packets' span
            firstPts = Math.min(firstPts, p.firstPts());
            lastEnd = Math.max(lastEnd, p.lastEnd());
            duration = fragmented ? lastEnd - firstPts : Math.max(duration, p.duration());
            for (Map.Entry<String, Long> k : p.packets().entrySet()) {
                probed.merge(k.getKey(), k.getValue(), Long::sum);
            }
            if (p.firstVideoFlags() != null) {
                soft.assertThat(p.firstVideoFlags()).as("%s: first video packet of %s is a keyframe", ctx,
                        u.getFileName()).contains("K");
            }
        }
        boolean ogg = units.stream().anyMatch(u -> u.toString().matches(".*\\.(ogg|opus)$"));
        for (Map.Entry<String, Long> k : framesByKind.entrySet()) {
            if (k.getValue() > 0 && ogg && k.getKey().equals("audio")) {
                // Ogg Opus fills gaps (DTX, loss) with TOC-only packets by design (OggOpusMuxer): at least the frames
                soft.assertThat(probed.getOrDefault(k.getKey(), 0L)).as("%s: %s packets ffprobe reads (Ogg)", ctx,
                        k.getKey()).isGreaterThanOrEqualTo(k.getValue());
            } else if (k.getValue() > 0) {
                soft.assertThat(probed.getOrDefault(k.getKey(), 0L)).as("%s: %s packets ffprobe reads", ctx,
                        k.getKey()).isEqualTo(k.getValue());
            }
        }
        // the recording spans from the earliest first written frame to the latest last one (per-track positions on
        // the SR-aligned timeline, less what the model says each track lost at its head and tail); per-track files
        // each span their own track
        double tol = 0.1 + c.profile().jitterMs() / 1000.0 + (c.profile().ssrcChange() ? 0.05 : 0);
        if (c.container().equals("per-track")) {
            for (Path u : units) {
                Probe p = probe(u);
                String kind = p.packets().keySet().stream().findFirst().orElse("?");
                for (Map.Entry<String, Expect> k : byId.entrySet()) {
                    Expect x = k.getValue();
                    if (x.framesOut() > 0 && (x.video() ? "video" : "audio").equals(kind)) {
                        double[] span = c.fixture().spans().get(x.port());
                        double want = span[1] - span[0] - x.headTrimSeconds() - x.tailTrimSeconds();
                        soft.assertThat(p.duration()).as("%s: duration of %s (model %.3f s)", ctx, u.getFileName(),
                                want).isCloseTo(want, Offset.offset(tol));
                    }
                }
            }
        } else {
            double start = Double.MAX_VALUE;
            double end = -Double.MAX_VALUE;
            for (Map.Entry<String, Expect> k : byId.entrySet()) {
                Expect x = k.getValue();
                if (x.framesOut() > 0 && !leftOut.contains(k.getKey())) {
                    double[] span = c.fixture().spans().get(x.port());
                    start = Math.min(start, span[0] + x.headTrimSeconds());
                    end = Math.max(end, span[1] - x.tailTrimSeconds());
                }
            }
            double want = end - start;
            soft.assertThat(duration).as("%s: duration (capture %.3f s; model: %.3f s)", ctx,
                    c.fixture().truthSeconds(), want).isCloseTo(want, Offset.offset(tol));
        }
        try {
            soft.assertAll();
        } finally {
            deleteTree(dir);
        }
    }

    // ------------------------------------------------------------------ memory bounds

    /**
     * The receive buffer's occupancy stays within what its rules allow under the combined impairments (bursty
     * loss, reordering, duplicates, 80 ms jitter) for two minutes of looped VP8 + Opus: a packet is held only while
     * an older gap is younger than the latency, so at any moment every buffered packet arrived within the last
     * latency + maximum extra delay (50 ms reorder + 80 ms jitter); and never more than its slots. Its counters
     * equal the model's, and every distinct packet leaves it exactly once or is counted lost.
     */
    @org.junit.jupiter.api.Test
    void receiveBuffer_occupancyBoundedUnderImpairment() throws IOException {
        Fixture f = ImpairedCapture.looped("vp8_opus", FULL ? 900 : 120);
        Profile p = Profile.clean("bounded").burst(0.02, 0.3).reorder(0.10).dup(0.05).jitter(80);
        long seed = BASE_SEED;
        Impaired imp = ImpairedCapture.apply(f, p, seed);
        long latency = 300_000_000L;
        long window = latency + 50_000_000L + 80_000_000L + 1_000_000L;
        for (int port : f.streams().keySet()) {
            List<ImpairedCapture.Entry> in = imp.entries().stream()
                    .filter(e -> e.port == port && e.kind == ImpairedCapture.Kind.RTP).toList();
            long[] released = new long[1];
            java.util.TreeMap<Integer, Long> held = new java.util.TreeMap<>(); // seq -> arrival, while buffered
            io.capstan.rtp.ReceiveBuffer buf = new io.capstan.rtp.ReceiveBuffer(1024, latency,
                    (pk, seq, ts, arrival, loss) -> {
                        released[0]++;
                        held.remove(pk.sequenceNumber());
                    });
            io.capstan.rtp.RtpPacket view = new io.capstan.rtp.RtpPacket();
            int max = 0;
            int allowed = 0;
            int lo = 0;
            for (int i = 0; i < in.size(); i++) {
                ImpairedCapture.Entry e = in.get(i);
                while (in.get(lo).at < e.at - window) {
                    lo++;
                }
                allowed = Math.max(allowed, i - lo + 1);
                assertThat(view.wrap(e.bytes, 0, e.bytes.length)).isNull();
                long dupsBefore = buf.duplicates() + buf.late();
                boolean fresh = held.putIfAbsent(view.sequenceNumber(), e.at) == null;
                int seq16 = view.sequenceNumber();
                buf.push(view, e.at);
                if (fresh && buf.duplicates() + buf.late() > dupsBefore) {
                    held.remove(seq16);
                }
                max = Math.max(max, buf.bufferedPackets());
                final int at = i;
                assertThat(buf.bufferedPackets()).as("port %d, packet %d of %d (seed %d): buffered packets; held "
                        + "(seq: ms before now) %s", port, i, in.size(), seed, new java.util.function.Supplier<String>() {
                            @Override
                            public String get() {
                                StringBuilder b = new StringBuilder();
                                held.forEach((q, t) -> b.append(q).append(':').append((in.get(at).at - t) / 1_000_000)
                                        .append(' '));
                                return b.toString();
                            }
                        }.get()).isLessThanOrEqualTo(Math.min(1024, i - lo + 1));
            }
            buf.releaseAll();
            Expect x = imp.expect().get(port);
            assertThat(buf.duplicates()).as("duplicates (seed %d)", seed).isEqualTo(x.duplicates());
            assertThat(buf.reordered()).as("reordered (seed %d)", seed).isEqualTo(x.reordered());
            assertThat(buf.lost()).as("lost (seed %d)", seed).isEqualTo(x.lost());
            assertThat(buf.late()).isZero();
            assertThat(released[0] + buf.lost()).as("every sequence number leaves once or is lost")
                    .isEqualTo(x.packets() - x.duplicates() + x.lost());
            System.out.printf(Locale.ROOT, "receive buffer, port %d: %d packets, at most %d buffered (bound %d)%n",
                    port, in.size(), max, allowed);
        }
    }

    /**
     * Full mode only: thirty minutes ({@code -Dcapstan.impairments.longSeconds}) of looped, impaired ({@code
     * everything}) VP8 + Opus into WebM and H.264 + AAC into MP4 through the CLI, with the heap sampled after a GC
     * every 20 ms: it never exceeds the heap before the run plus the session's documented bounds (frame pool,
     * receive buffers) and 8 MiB; the counters equal the model's, and the file decodes without an error.
     */
    @org.junit.jupiter.api.Test
    void longImpairedRun_heapBounded() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(FULL, "long run: -Dcapstan.impairments=full");
        MediaTools.require("ffmpeg", "ffprobe");
        double seconds = Double.parseDouble(System.getProperty("capstan.impairments.longSeconds", "1800"));
        for (String name : List.of("vp8_opus", "h264_aac")) {
            Fixture f = ImpairedCapture.looped(name, seconds);
            long seed = BASE_SEED;
            Impaired imp = ImpairedCapture.apply(f, ImpairedCapture.profile(
                    System.getProperty("capstan.impairments.longProfile", "everything")), seed);
            Path dir = Files.createTempDirectory(tmp, "long-" + name);
            Path pcap = LoopedCapture.write(imp.sent(), dir.resolve("in.pcap"));
            imp = new Impaired(List.of(), imp.expect()); // drop the datagrams: only the run's heap is measured
            Path out = dir.resolve("out");
            Path report = dir.resolve("report.json");
            List<long[]> samples = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                Runtime rt = Runtime.getRuntime();
                long t0 = System.nanoTime();
                while (running.get()) {
                    System.gc();
                    samples.add(new long[] {System.nanoTime() - t0, rt.totalMemory() - rt.freeMemory()});
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.gc();
            long baseline = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            // what the session may hold by design: the lane's frame pool (RecordingSession.Builder
            // maxFramesInFlight, default 4096 frames, each allocated with 16 KiB and grown to the largest frame it
            // carried) and per track a receive buffer of 1024 slots of 1500 bytes; plus 8 MiB for the rest
            long bound = 4096L * 20 * 1024 + f.streams().size() * 1024L * 1500 + 8L * 1024 * 1024;
            long t0 = System.nanoTime();
            sampler.start();
            int rc;
            try {
                rc = new CapstanCli(new PrintStream(OutputStream.nullOutputStream()), new PrintStream(err, true,
                        StandardCharsets.UTF_8)).run(new String[] {"convert", "--sdp", f.sdp().toString(), "--pcap",
                        pcap.toString(), "--out", out.toString(), "--report", report.toString(), "--stream", name});
            } finally {
                running.set(false);
                sampler.join();
            }
            double took = (System.nanoTime() - t0) / 1e9;
            assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
            Object rep = MiniJson.parse(Files.readString(report));
            for (Object t : (List<?>) MiniJson.at(rep, "tracks")) {
                Expect x = imp.expect().get((int) num(t, "port"));
                assertThat(num(t, "duplicates")).as("%s seed %d duplicates", name, seed).isEqualTo(x.duplicates());
                assertThat(num(t, "invalid")).as("%s seed %d invalid", name, seed).isEqualTo(x.invalid());
                assertThat(num(t, "lost")).as("%s seed %d lost", name, seed).isEqualTo(x.lost());
                assertThat(num(t, "reordered")).as("%s seed %d reordered", name, seed).isEqualTo(x.reordered());
                assertThat(num(t, "overflowDropped")).isZero();
            }
            for (Path u : decodeUnits(out, dir)) {
                assertThat(decodeErrors(u)).as("%s: %s", name, u).isEmpty();
            }
            List<long[]> s = new ArrayList<>(samples);
            assertThat(s.size()).as("heap samples").isGreaterThanOrEqualTo(6);
            long peak = s.stream().mapToLong(v -> v[1]).max().orElseThrow();
            StringBuilder curve = new StringBuilder();
            for (int i = 0; i < s.size(); i += Math.max(1, s.size() / 12)) {
                curve.append(String.format(Locale.ROOT, " %.1fs:%.1f", s.get(i)[0] / 1e9, s.get(i)[1] / 1048576.0));
            }
            System.out.printf(Locale.ROOT, "long run %s: %.0f s of media in %.1f s; heap after GC (MiB) before %.1f, "
                    + "peak %.1f, bound %.1f; over the run (s:MiB):%s%n", name, seconds, took, baseline / 1048576.0,
                    peak / 1048576.0, (baseline + bound) / 1048576.0, curve);
            assertThat(peak).as("%s: heap after GC during the run (bytes) vs before + documented bounds", name)
                    .isLessThanOrEqualTo(baseline + bound);
            deleteTree(dir);
        }
    }

    static long num(Object o, String key) {
        Object v = MiniJson.at(o, key);
        return v == null ? -1 : ((Number) v).longValue();
    }

    // ------------------------------------------------------------------ outputs

    /**
     * What ffmpeg should decode: every media file, and for DASH / HLS each representation's init + media segments
     * concatenated (as a player's Media Source buffer receives them).
     */
    static List<Path> decodeUnits(Path out, Path work) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(out)) {
            all = s.filter(Files::isRegularFile).sorted().toList();
        }
        List<Path> units = new ArrayList<>();
        Map<Path, List<Path>> segmentDirs = new LinkedHashMap<>();
        for (Path p : all) {
            String n = p.getFileName().toString();
            if (n.matches(".*\\.(webm|mkv|mka|ivf|ogg|opus|mp4|m4a|ts)$")) {
                units.add(p);
            } else if (n.endsWith(".m4s")) {
                segmentDirs.computeIfAbsent(p.getParent(), k -> new ArrayList<>()).add(p);
            }
        }
        int k = 0;
        for (Map.Entry<Path, List<Path>> d : segmentDirs.entrySet()) {
            // DASH: PREFIXinit.m4s + PREFIXseg_NNNN.m4s; HLS: seg_NNNN.m4s, the first carrying the init section
            Map<String, List<Path>> byPrefix = new LinkedHashMap<>();
            for (Path p : d.getValue()) {
                String n = p.getFileName().toString();
                String prefix = n.replaceAll("(init|seg_\\d+)\\.m4s$", "");
                byPrefix.computeIfAbsent(prefix, x -> new ArrayList<>()).add(p);
            }
            for (Map.Entry<String, List<Path>> g : byPrefix.entrySet()) {
                List<Path> parts = new ArrayList<>(g.getValue());
                parts.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().endsWith("init.m4s"))
                        .thenComparing(p -> p.getFileName().toString()));
                Path joined = work.resolve("joined" + (k++) + ".mp4");
                try (OutputStream os = Files.newOutputStream(joined)) {
                    for (Path p : parts) {
                        Files.copy(p, os);
                    }
                }
                units.add(joined);
            }
        }
        return units;
    }

    /**
     * {@link MediaTools#decodeErrors}, but the decoded frames keep the container's time base ({@code -enc_time_base
     * -1}): by default ffmpeg re-times them in 1/frame-rate units for the null muxer, and millisecond timestamps of
     * a 30 fps stream that starts off the frame grid (after a dropped GOP) then round to equal values, which
     * ffmpeg reports as "non monotonically increasing dts" although the file's timestamps strictly increase.
     */
    static List<String> decodeErrors(Path file) {
        MediaTools.Run r = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-i", file.toString(), "-map",
                "0", "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-"));
        List<String> lines = new ArrayList<>(r.stderr().lines().filter(l -> !l.isBlank()).toList());
        if (r.exit() != 0 && lines.isEmpty()) {
            lines.add("ffmpeg exited " + r.exit());
        }
        return lines;
    }

    record Probe(double duration, Map<String, Long> packets, String firstVideoFlags, double firstPts, double lastEnd) {
    }

    /** One ffprobe run: the packets per stream type, the first video packet's flags and the duration. */
    static Probe probe(Path file) {
        MediaTools.Run r = MediaTools.run(List.of("ffprobe", "-v", "error", "-show_entries",
                "format=duration:stream=index,codec_type:packet=stream_index,flags,pts_time,duration_time", "-of",
                "compact=p=1",
                file.toString()));
        if (r.exit() != 0) {
            throw new AssertionError("ffprobe failed on " + file + ": " + r.stderr());
        }
        Map<Integer, String> types = new LinkedHashMap<>();
        List<String[]> packets = new ArrayList<>();
        double duration = 0;
        double first = Double.MAX_VALUE;
        double last = -Double.MAX_VALUE;
        for (String line : r.stdout().split("\n")) {
            Map<String, String> kv = new LinkedHashMap<>();
            String[] parts = line.split("\\|");
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq > 0) {
                    kv.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
                }
            }
            switch (parts[0]) {
                case "packet" -> {
                    packets.add(new String[] {kv.get("stream_index"), kv.get("flags")});
                    double pts = parseDouble(kv.get("pts_time"));
                    first = Math.min(first, pts);
                    last = Math.max(last, pts + parseDouble(kv.get("duration_time")));
                }
                case "stream" -> types.put(Integer.parseInt(kv.get("index")), kv.get("codec_type"));
                case "format" -> duration = parseDouble(kv.get("duration"));
                default -> {
                }
            }
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        String firstVideo = null;
        for (String[] p : packets) {
            String type = types.get(Integer.parseInt(p[0]));
            counts.merge(type, 1L, Long::sum);
            if ("video".equals(type) && firstVideo == null) {
                firstVideo = p[1];
            }
        }
        return new Probe(duration, counts, firstVideo, packets.isEmpty() ? 0 : first, packets.isEmpty() ? 0 : last);
    }

    static double parseDouble(String s) {
        try {
            return s == null ? 0 : Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (KEEP != null) {
            Path to = Path.of(KEEP).resolve(dir.getFileName());
            Files.createDirectories(to.getParent());
            Files.move(dir, to);
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
