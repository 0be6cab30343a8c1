package io.capstan.bench;

import io.capstan.codec.Depacketizer;
import io.capstan.codec.Depacketizers;
import io.capstan.codec.FrameAssembler;
import io.capstan.codec.FrameBuilder;
import io.capstan.rtp.ReceiveBuffer;
import io.capstan.rtp.RtpPacket;
import io.capstan.rtp.SeqMath;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 7's "parse + depacketize ≤ 100 ns/packet": one op = one <b>captured</b> RTP packet of one track of a
 * fixture capture (its bytes looped in memory with continuous sequence numbers and timestamps, as in
 * {@link EndToEndBenchmark}), on the host thread, without a session around it; ns/op = ns per packet.
 *
 * <p>{@code codec}: {@code vp8} and {@code opus} are the two tracks of {@code vp8_opus} (libvpx VP8 / libopus, RFC
 * 7741 / RFC 7587), {@code h264} the video of {@code h264_stapa} (x264, STAP-A + FU-A, RFC 6184), {@code h265}
 * {@code h265_gst} (RFC 7798), {@code vp9} {@code vp9_gst}.
 *
 * <p>{@code path}: {@code parse} = {@link RtpPacket#wrap} -> {@link FrameAssembler} -> the codec's
 * {@link Depacketizer} (timestamps unwrapped with {@link SeqMath}): parse + depacketize, the budget;
 * {@code receive} = {@link RtpPacket#wrap} -> {@link ReceiveBuffer} (reorder/dedupe/loss window, 300 ms) ->
 * {@link FrameAssembler} -> {@link Depacketizer}: everything a session's {@code TrackInput.pushRtp} does before
 * the frame is copied to the muxing lane. Frames go to a {@link Blackhole}. The teardown fails the run when a
 * packet was rejected, lost, or a frame dropped or a keyframe asked for after the warm-up pass.
 *
 * <p>Each iteration also prints the benchmark thread's <b>CPU time</b> per packet ({@code ThreadMXBean}), and the
 * trial its best iteration: on a shared, loaded machine the wall-clock score also counts the time the thread
 * waited for a core, the CPU time does not.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ParseDepacketizeBenchmark implements ReceiveBuffer.Output, FrameAssembler.Output {

    @Param({"vp8", "h264", "opus"})
    public String codec;

    @Param({"parse", "receive"})
    public String path;

    private LoopedFixture f;
    private int[] order;        // the track's datagrams of one pass
    private long arrivalBase;
    private final RtpPacket view = new RtpPacket();
    private ReceiveBuffer buffer;
    private FrameAssembler assembler;
    private boolean direct;
    private boolean tsStarted;
    private long lastExtTs;
    private int k;
    private long pass;
    private Blackhole bh;

    // what came out
    private long packets;
    private long frames;
    private long bytes;
    private long rejected;
    private long keyframeRequests;
    private String lastRequest;
    private long droppedAfterWarmUp;
    private long requestsAfterWarmUp;

    @Setup(Level.Trial)
    public void setup() {
        String fixture;
        String media;
        switch (codec) {
            case "vp8" -> { fixture = "vp8_opus"; media = "video"; }
            case "opus" -> { fixture = "vp8_opus"; media = "audio"; }
            case "h264" -> { fixture = "h264_stapa"; media = "video"; }
            case "h265" -> { fixture = "h265_gst"; media = "video"; }
            case "vp9" -> { fixture = "vp9_gst"; media = "video"; }
            default -> throw new IllegalArgumentException("codec " + codec);
        }
        direct = switch (path) {
            case "parse" -> true;
            case "receive" -> false;
            default -> throw new IllegalArgumentException("path " + path);
        };
        f = LoopedFixture.load(fixture);
        int port = -1;
        TrackSpec spec = null;
        for (Map.Entry<Integer, TrackSpec> e : f.tracksByPort.entrySet()) {
            if (e.getValue().id().equals(media)) {
                port = e.getKey();
                spec = e.getValue();
            }
        }
        if (spec == null) {
            throw new IllegalStateException(fixture + " has no " + media + " track: " + f.tracksByPort);
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < f.bytes.length; i++) {
            if (f.rtp[i] && f.port[i] == port) {
                idx.add(i);
            }
        }
        order = idx.stream().mapToInt(Integer::intValue).toArray();
        Depacketizer d = Depacketizers.create(spec.codec(), spec.clockRate(), spec.channels(), spec.fmtp());
        assembler = new FrameAssembler(d, new FrameBuilder(), this);
        buffer = new ReceiveBuffer(1024, 300_000_000L, this);
        arrivalBase = 1_795_255_200L * 1_000_000_000L;
        // pass 0 as captured: the stream starts (a video track waits for its first keyframe)
        for (int n = 0; n < order.length; n++) {
            push();
        }
        droppedAfterWarmUp = assembler.framesDropped();
        requestsAfterWarmUp = keyframeRequests;
    }

    @Benchmark
    public void pushPacket(Blackhole bh) {
        this.bh = bh;
        push();
    }

    private void push() {
        int i = order[k];
        f.patch(i, pass);
        byte[] d = f.bytes[i];
        long arrival = arrivalBase + pass * f.passNanos + f.atNanos[i];
        if (view.wrap(d, 0, d.length) != null) {
            rejected++;
        } else if (direct) {
            long ts = view.timestamp();
            lastExtTs = tsStarted ? SeqMath.unwrapTs(lastExtTs, ts) : ts;
            tsStarted = true;
            packet(view, 0, lastExtTs, arrival, false);
        } else {
            buffer.push(view, arrival);
        }
        packets++;
        if (++k == order.length) {
            k = 0;
            pass++;
        }
    }

    // ---- ReceiveBuffer.Output: in-order packets
    @Override
    public void packet(RtpPacket p, long extSeq, long extTimestamp, long arrivalNanos, boolean lossBefore) {
        if (!assembler.packet(p, extTimestamp, lossBefore, arrivalNanos)) {
            rejected++;
        }
    }

    // ---- FrameAssembler.Output: complete frames
    @Override
    public void frame(byte[] data, int off, int len, long rtpTimestamp, boolean keyframe, long arrivalNanos,
                      int droppedBefore) {
        frames++;
        bytes += len;
        Blackhole b = bh;
        if (b != null) {
            b.consume(data);
            b.consume(len);
            b.consume(rtpTimestamp);
        }
    }

    @Override
    public void keyframeNeeded(String reason) {
        keyframeRequests++;
        lastRequest = reason;
    }

    // per iteration: CPU time of this (the benchmark) thread per packet, which, unlike the wall-clock score, does not
    // count the time the thread waited for a core on a loaded machine
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private long iterCpu;
    private long iterPackets;
    private long minCpuPs = Long.MAX_VALUE;

    @Setup(Level.Iteration)
    public void iterationStart() {
        iterPackets = packets;
        iterCpu = THREADS.getCurrentThreadCpuTime();
    }

    @TearDown(Level.Iteration)
    public void iterationEnd() {
        long n = packets - iterPackets;
        if (n > 0 && iterCpu >= 0) {
            long ps = (THREADS.getCurrentThreadCpuTime() - iterCpu) * 1000 / n;
            minCpuPs = Math.min(minCpuPs, ps);
            System.out.printf(Locale.ROOT, "  [%s/%s] %.1f CPU ns/packet%n", codec, path, ps / 1000.0);
        }
    }

    @TearDown(Level.Trial)
    public void check() {
        if (minCpuPs != Long.MAX_VALUE) {
            System.out.printf(Locale.ROOT, "%n  [%s/%s] best iteration: %.1f CPU ns/packet", codec, path,
                    minCpuPs / 1000.0);
        }
        System.out.printf(Locale.ROOT, "%n  [%s/%s] %d packets (%d passes of %d), %d frames, %.0f B/frame; lost %d, "
                        + "dropped %d (%d in the warm-up pass), keyframe requests %d%n", codec, path, packets, pass,
                order.length, frames, frames == 0 ? 0.0 : (double) bytes / frames, buffer.lost(),
                assembler.framesDropped(), droppedAfterWarmUp, keyframeRequests);
        if (rejected != 0 || frames == 0 || buffer.lost() != 0 || assembler.framesDropped() != droppedAfterWarmUp
                || keyframeRequests != requestsAfterWarmUp) {
            throw new IllegalStateException(codec + "/" + path + ": rejected " + rejected + ", frames " + frames
                    + ", lost " + buffer.lost() + ", dropped " + assembler.framesDropped() + " (warm-up "
                    + droppedAfterWarmUp + "), keyframe requests " + keyframeRequests + " (last: " + lastRequest
                    + ")");
        }
    }
}
