package io.capstan.bench;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.FileChannelOutput;
import io.capstan.mux.mp4.Mp4Muxer;
import io.capstan.mux.mp4.Mp4Recovery;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Stop of a one-hour MP4 recording: 30 fps H.264-shaped video (a 1,500 B keyframe every 2 s, 400 B
 * interframes: the index does not depend on the media size) + Opus at 50 packets/s (60 B), 288,000 samples in
 * 3,600 fragments, written into a real temp file before each measurement (iteration setup, not measured). One op:
 * <ul>
 *   <li>{@code close}: {@code Mp4Muxer.close()}: the last fragment, the scan of the 3,600 moofs read back from the
 *       file, the final moov (~1.2 MB of tables) written into the reserve, the moofs retyped;</li>
 *   <li>{@code recover}: {@code Mp4Recovery.recover} of the same file never closed (what a killed process
 *       leaves): the same finalizer.</li>
 * </ul>
 * The setup also prints, for the one-hour write, the bytes allocated per frame (thread allocation counter) and the
 * heap retained after a GC at one minute and at one hour of recording, which must not grow.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 15)
public class Mp4FinalizeBenchmark {

    /** An avcC (baseline, level 3.0) with a made-up SPS/PPS: the muxer copies it, it does not decode it. */
    static final byte[] AVCC = {1, 66, (byte) 0xC0, 30, (byte) 0xFF, (byte) 0xE1, 0, 4, 0x67, 66, (byte) 0xC0, 30,
            1, 0, 2, 0x68, (byte) 0xCE};

    @Param({"close", "recover"})
    public String mode;

    private Path file;
    private FileChannelOutput out;
    private Mp4Muxer muxer;
    private long expectedSamples;
    private static boolean reported;

    @Setup(Level.Iteration)
    public void recordOneHour() throws IOException {
        file = Files.createTempFile("capstan-mp4-hour", ".mp4");
        out = FileChannelOutput.create(file);
        muxer = Mp4Muxer.progressive(out, Mp4Muxer.Options.DEFAULT);
        int v = muxer.addTrack(TrackFormat.video(Codec.H264, 1280, 720, AVCC));
        int a = muxer.addTrack(TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, null));
        EncodedFrame key = EncodedFrame.of(v, Rtp.noise(1500, 1), 0, 0, true);
        EncodedFrame inter = EncodedFrame.of(v, Rtp.noise(400, 2), 0, 0, false);
        byte[] opus = Rtp.noise(60, 3);
        opus[0] = 0x78;
        EncodedFrame audio = EncodedFrame.of(a, opus, 0, 0, true);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long vf = 0;
        long af = 0;
        long allocAt1min = 0;
        long heapAt1min = 0;
        long framesAt1min = 0;
        while (vf < 3600L * 30) {
            if (vf == 60L * 30 && allocAt1min == 0) {
                heapAt1min = retainedHeap();
                framesAt1min = vf + af;
                allocAt1min = mx.getCurrentThreadAllocatedBytes();
            }
            if (vf * 1_000_000 / 30 <= af * 20_000) {
                EncodedFrame f = vf % 60 == 0 ? key : inter;
                f.ptsMicros(vf * 1_000_000 / 30).rtpTimestamp(vf * 3000);
                muxer.write(v, f);
                vf++;
            } else {
                audio.ptsMicros(af * 20_000).rtpTimestamp(af * 960);
                muxer.write(a, audio);
                af++;
            }
        }
        long alloc = mx.getCurrentThreadAllocatedBytes() - allocAt1min;
        expectedSamples = vf + af;
        long heapAt1h = retainedHeap();
        muxer.flush();
        if (!reported) {
            reported = true;
            System.out.printf("%n  [1 h write] %d frames, %d fragments, %.3f B allocated/frame after the first minute,"
                            + " retained heap after GC: %d KiB at 1 min, %d KiB at 60 min, file %d MiB%n",
                    vf + af, muxer.fragmentsWritten(), (double) alloc / (vf + af - framesAt1min),
                    heapAt1min / 1024, heapAt1h / 1024, Files.size(file) >> 20);
        }
        if (mode.equals("recover")) {
            out.close();   // a killed process: never closed; the file stays as it is
        }
    }

    private static long retainedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Benchmark
    public long stop() throws IOException {
        if (mode.equals("close")) {
            muxer.close();
            return muxer.finalizeResult().samples();
        }
        try (FileChannelOutput f = FileChannelOutput.open(file)) {
            return Mp4Recovery.recover(f).samples();
        }
    }

    @TearDown(Level.Iteration)
    public void check() throws IOException {
        if (mode.equals("close")) {
            if (muxer.finalizeResult() == null || muxer.finalizeResult().samples() != expectedSamples
                    || muxer.moovAtEnd()) {
                throw new IllegalStateException("not finalized as expected: " + muxer.finalizeResult());
            }
            out.close();
        }
        Files.deleteIfExists(file);
    }
}
