package io.capstan.bench;

import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.rtp.RtpRejectReason;
import io.capstan.session.Layout;
import io.capstan.session.RecorderExecutor;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.session.TrackInput;
import io.capstan.session.TrackSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * End to end, as {@code capstan convert} does it: one op = one captured RTP datagram (bytes of a real fixture
 * capture, looped in memory with continuous sequence numbers and timestamps) pushed through
 * {@link TrackInput#pushRtp} of a backpressure {@link RecordingSession} (RTP parse, receive buffer, frame
 * assembly, depacketizer, copy into a pooled frame, hand-off to the muxing lane), muxed by {@link StandardMuxers}
 * on the session's own one-thread executor into a {@link DiscardingSink}. The score is packets/s; the
 * per-iteration teardown prints the same rate as MB/s of RTP datagrams and the trial teardown the output bytes.
 * {@code -prof gc} gives B/op = bytes allocated per packet (all threads: the muxing lane too).
 *
 * <p>{@code kase}: {@code webm} = vp8_opus (VP8 + Opus) into one WebM; {@code mp4} = h264_stapa (H.264 with
 * STAP-A + Opus) into one crash-safe MP4; {@code ivf+ogg} = vp8_opus per track (Container AUTO), an IVF and an
 * Ogg Opus file. Not included: reading the pcap records (the datagrams are in memory) and file-system writes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EndToEndBenchmark {

    @Param({"webm", "mp4", "ivf+ogg"})
    public String kase;

    private LoopedFixture f;
    private RecorderExecutor executor;
    private DiscardingSink sink;
    private RecordingSession session;
    private int[] order;           // indices of the RTP datagrams of one pass
    private TrackInput[] inputs;   // by datagram index
    private int k;
    private long pass;
    private long pushed;
    private long pushedBytes;
    private long rejected;
    private final long base = 1_795_255_200L * 1_000_000_000L;
    private long iterStart;
    private long iterPackets;
    private long iterBytes;

    @Setup(Level.Trial)
    public void setup() {
        String fixture;
        Container container;
        boolean perTrack = false;
        switch (kase) {
            case "webm" -> { fixture = "vp8_opus"; container = Container.WEBM; }
            case "mp4" -> { fixture = "h264_stapa"; container = Container.MP4; }
            case "ivf+ogg" -> { fixture = "vp8_opus"; container = Container.AUTO; perTrack = true; }
            default -> throw new IllegalArgumentException("kase " + kase);
        }
        f = LoopedFixture.load(fixture);
        executor = RecorderExecutor.create(1, "bench-mux");
        sink = new DiscardingSink();
        RecordingSession.Builder b = RecordingSession.builder()
                .id("bench")
                .stream("bench")
                .sink(sink)
                .layout(perTrack ? Layout.PER_TRACK : Layout.COMBINED)
                .muxers(StandardMuxers.selector(container, perTrack))
                .backpressure(Duration.ofSeconds(60)) // as capstan convert
                .executor(executor)
                .clock(InstantSource.fixed(Instant.ofEpochSecond(0, base)));
        for (TrackSpec t : f.tracksByPort.values()) {
            b.track(t);
        }
        session = b.build();
        inputs = new TrackInput[f.bytes.length];
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < f.bytes.length; i++) {
            if (f.rtp[i]) {
                inputs[i] = session.track(f.tracksByPort.get(f.port[i]).id());
                idx.add(i);
            }
        }
        order = idx.stream().mapToInt(Integer::intValue).toArray();
        session.start();
        // pass 0 as captured (with its RTCP): past the sync window and the opening of the file(s)
        for (int i = 0; i < f.bytes.length; i++) {
            byte[] d = f.bytes[i];
            if (f.rtp[i]) {
                if (inputs[i].pushRtp(d, 0, d.length, base + f.atNanos[i]) != null) {
                    rejected++;
                }
            } else {
                session.pushRtcp(d, 0, d.length, base + f.atNanos[i]);
            }
        }
        pass = 1;
    }

    @Benchmark
    public void pushPacket() {
        int i = order[k];
        f.patch(i, pass);
        byte[] d = f.bytes[i];
        RtpRejectReason r = inputs[i].pushRtp(d, 0, d.length, base + pass * f.passNanos + f.atNanos[i]);
        if (r != null) {
            rejected++;
        }
        pushed++;
        pushedBytes += d.length;
        if (++k == order.length) {
            k = 0;
            pass++;
        }
    }

    // CPU time per packet of the pushing thread (this one) and of the muxing lane's thread: unlike packets/s, it
    // does not count the time a thread waited for a core on a loaded machine
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private long iterPushCpu;
    private long iterLaneCpu;
    private long laneThreadId = -1;

    private long laneCpu() {
        if (laneThreadId < 0) {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("bench-mux-1")) {
                    laneThreadId = t.getId();
                }
            }
        }
        return laneThreadId < 0 ? 0 : Math.max(0, THREADS.getThreadCpuTime(laneThreadId));
    }

    @Setup(Level.Iteration)
    public void iterationStart() {
        iterPackets = pushed;
        iterBytes = pushedBytes;
        iterPushCpu = THREADS.getCurrentThreadCpuTime();
        iterLaneCpu = laneCpu();
        iterStart = System.nanoTime();
    }

    @TearDown(Level.Iteration)
    public void iterationEnd() {
        double s = (System.nanoTime() - iterStart) / 1e9;
        long p = pushed - iterPackets;
        long by = pushedBytes - iterBytes;
        double push = p == 0 ? 0 : (THREADS.getCurrentThreadCpuTime() - iterPushCpu) / (double) p;
        double lane = p == 0 ? 0 : (laneCpu() - iterLaneCpu) / (double) p;
        System.out.printf(Locale.ROOT, "  [%s] %.0f packets/s, %.1f MB/s of RTP (%.0f B/packet); CPU ns/packet: "
                        + "push %.1f + lane %.1f = %.1f%n",
                kase, p / s, by / s / 1e6, p == 0 ? 0.0 : (double) by / p, push, lane, push + lane);
    }

    @TearDown(Level.Trial)
    public void stop() {
        List<SegmentInfo> files = session.stop();
        executor.close();
        long frames = 0;
        for (SegmentInfo s : files) {
            frames += s.totalFrames();
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "  [%s] pushed %d RTP packets (%d passes of %d, %.1f MB, %.0f B/packet avg); "
                        + "files %d, %d frames, %d bytes out (%.0f B/packet); rejected %d; errors %s%n",
                kase, pushed, pass, order.length, pushedBytes / 1e6, (double) f.rtpBytes / f.rtpPackets,
                files.size(), frames, sink.committedBytes.get(),
                pushed == 0 ? 0.0 : (double) sink.committedBytes.get() / pushed, rejected, session.errors());
        for (Map.Entry<Integer, TrackSpec> t : f.tracksByPort.entrySet()) {
            System.out.println("    " + t.getValue().id() + ": " + session.track(t.getValue().id()).stats());
        }
        // MP4 finalization reads the fragment headers back from the file, and a discarding output reads zeros:
        // that one error is expected (the finalization is Mp4FinalizeBenchmark's subject, not per-packet work)
        boolean unexpectedErrors = session.errors().stream().anyMatch(
                e -> !(kase.equals("mp4") && e.startsWith("finalizing ") && e.contains("no ftyp box")));
        if (rejected != 0 || unexpectedErrors || files.size() != (kase.equals("ivf+ogg") ? 2 : 1)) {
            throw new IllegalStateException("end-to-end benchmark did not record: files " + files + " rejected "
                    + rejected + " " + session.errors());
        }
    }
}
