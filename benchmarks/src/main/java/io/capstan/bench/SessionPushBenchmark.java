package io.capstan.bench;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.rtp.RtpRejectReason;
import io.capstan.session.RecorderExecutor;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.session.TrackInput;
import io.capstan.session.TrackSpec;
import io.capstan.session.TrackStats;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A whole {@link RecordingSession} with one VP8 track: {@link TrackInput#pushRtp} on the benchmark thread
 * (parse, receive buffer, depacketize, copy the frame into a pooled frame, queue it), muxing into WebM on the
 * session's lane (its own one-thread {@link RecorderExecutor}), bytes to a {@link DiscardingSink}. One op = one
 * VP8 frame of 5 packets (the {@link Vp8DepacketizeBenchmark} stream: 30-frame GOP, 640x480, 15-bit picture IDs).
 *
 * <p>{@code mode}: {@code live} never blocks the pushing thread (the default session: when the lane falls behind,
 * frames are dropped and counted, and the track waits for a keyframe); {@code backpressure} makes the push wait
 * for a free frame (offline conversion), so the score is the end-to-end rate of push + mux. The allocation figure
 * covers every thread (the lane's too), per pushed frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SessionPushBenchmark {

    static final int PACKETS = 5;

    @Param({"live", "backpressure"})
    public String mode;

    private RecorderExecutor executor;
    private DiscardingSink sink;
    private RecordingSession session;
    private TrackInput video;
    private byte[][][] gop;
    private int seq = 65_000;
    private long ts = 4_294_000_000L;
    private long arrival = 1_000_000_000L;
    private long frameNumber;
    private long rejected;

    @Setup(Level.Trial)
    public void setup() {
        gop = Vp8DepacketizeBenchmark.gop(PACKETS);
        executor = RecorderExecutor.create(1, "bench-mux");
        sink = new DiscardingSink();
        RecordingSession.Builder b = RecordingSession.builder()
                .id("bench")
                .sink(sink)
                .muxers(StandardMuxers.selector(Container.AUTO, false))
                .stream("bench")
                .track(TrackSpec.of("video", Codec.VP8, Vp8DepacketizeBenchmark.PT))
                .executor(executor)
                .clock(InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z")));
        if (mode.equals("backpressure")) {
            b.backpressure(Duration.ofSeconds(10));
        }
        session = b.build();
        video = session.track("video");
        session.start();
        // past the 3 s sync window and the open of the file: from here on frames go straight to the muxer
        for (int i = 0; i < 200; i++) {
            pushFrame();
        }
    }

    @Benchmark
    public void pushFrame() {
        byte[][] frame = gop[(int) (frameNumber % gop.length)];
        long t = ts & 0xFFFF_FFFFL;
        for (int i = 0; i < frame.length; i++) {
            byte[] p = frame[i];
            Rtp.putSeq(p, 0, seq);
            Rtp.putTs(p, 0, t);
            Vp8DepacketizeBenchmark.patchPictureId(p, frameNumber, i);
            seq = (seq + 1) & 0xFFFF;
            RtpRejectReason r = video.pushRtp(p, 0, p.length, arrival + i * 100_000L);
            if (r != null) {
                rejected++;
            }
        }
        ts += DepacketizeDriver.TICKS_PER_FRAME;
        arrival += DepacketizeDriver.FRAME_INTERVAL_NANOS;
        frameNumber++;
    }

    @TearDown(Level.Trial)
    public void stop() {
        List<SegmentInfo> files = session.stop();
        TrackStats s = video.stats();
        System.out.println();
        System.out.println("  [" + mode + "] pushed " + frameNumber + " frames; " + s + "; files " + files.size()
                + ", bytes " + sink.committedBytes.get() + ", rejected " + rejected + ", errors "
                + session.errors());
        executor.close();
        if (rejected != 0 || files.isEmpty()) {
            throw new IllegalStateException("session benchmark did not record: " + s + " " + session.errors());
        }
    }
}
