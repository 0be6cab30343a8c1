package io.capstan.bench;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.ts.TsMuxer;
import io.capstan.mux.ts.TsMuxerFactory;
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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * {@link TsMuxer} writing to a {@link DiscardingOutput}. One op = one {@code Muxer.write} of one frame:
 * <ul>
 *   <li>{@code h264+aac}: H.264 at 30 fps (length-prefixed NAL units; a 20 KB IDR every 30 frames, which gets
 *       AUD + SPS + PPS from the avcC, PAT/PMT, RAI and PCR; 5 KB P frames) interleaved by pts with AAC-LC 48 kHz
 *       access units of 300 B (21.3 ms, ADTS headers), as the session interleaves them;</li>
 *   <li>{@code h265+opus}: the same with H.265 (VPS/SPS/PPS from the hvcC) and Opus 20 ms / 120 B packets
 *       (control headers, two packets per PES);</li>
 *   <li>{@code opus}: Opus alone (PCR on the audio PID).</li>
 * </ul>
 * The muxer stays open for a whole iteration, so this is steady-state writing with pts advancing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TsMuxBenchmark {

    static final long VIDEO_INTERVAL_US = 33_333;
    static final int GOP = 30;

    @Param({"h264+aac", "h265+opus", "opus"})
    public String tracks;

    private EncodedFrame keyframe;
    private EncodedFrame interframe;
    private EncodedFrame audio;
    private TrackFormat videoFormat;
    private TrackFormat audioFormat;
    private long audioIntervalUs;

    private DiscardingOutput output;
    private Muxer muxer;
    private int videoTrack = -1;
    private int audioTrack = -1;
    private long videoFrames;
    private long audioFrames;
    private long totalBytes;
    private long totalFrames;

    @Setup(Level.Trial)
    public void frames() {
        boolean hevc = tracks.startsWith("h265");
        // NAL headers: H.264 IDR 0x65 / non-IDR 0x41; H.265 IDR_W_RADL 0x26 0x01 / TRAIL_R 0x02 0x01
        keyframe = EncodedFrame.of(0, lengthPrefixed(20_000, hevc ? 0x26 : 0x65, hevc), 0, 0, true);
        interframe = EncodedFrame.of(0, lengthPrefixed(5_000, hevc ? 0x02 : 0x41, hevc), 0, 0, false);
        byte[] sps = {0x67, 0x42, (byte) 0xC0, 0x1E, (byte) 0xDA, 0x02, (byte) 0x80, (byte) 0xBF, 0x10};
        byte[] pps = {0x68, (byte) 0xCE, 0x3C, (byte) 0x80};
        videoFormat = hevc ? TrackFormat.video(Codec.H265, 640, 480, hvcC()) :
                TrackFormat.video(Codec.H264, 640, 480, avcC(sps, pps));
        if (tracks.endsWith("aac")) {
            audio = EncodedFrame.of(0, Rtp.noise(300, 3), 0, 0, true);
            audioFormat = TrackFormat.audio(Codec.AAC, 48_000, 48_000, 2, new byte[] {0x11, (byte) 0x90});
            audioIntervalUs = 21_333;
        } else {
            byte[] opus = Rtp.noise(120, 7);
            opus[0] = 0x78; // RFC 6716 3.1: config 15 (hybrid FB 20 ms), mono, code 0
            audio = EncodedFrame.of(0, opus, 0, 0, true);
            audioFormat = TrackFormat.audio(Codec.OPUS, 48_000, 48_000, 2, null);
            audioIntervalUs = 20_000;
        }
    }

    private static byte[] lengthPrefixed(int size, int header, boolean hevc) {
        byte[] nal = Rtp.noise(size, size);
        nal[0] = (byte) header;
        if (hevc) {
            nal[1] = 1;
        }
        return ByteBuffer.allocate(4 + size).putInt(size).put(nal).array();
    }

    private static byte[] avcC(byte[] sps, byte[] pps) {
        ByteBuffer b = ByteBuffer.allocate(11 + sps.length + pps.length);
        b.put(new byte[] {1, sps[1], sps[2], sps[3], (byte) 0xFF, (byte) 0xE1}).putShort((short) sps.length).put(sps);
        b.put((byte) 1).putShort((short) pps.length).put(pps);
        return b.array();
    }

    private static byte[] hvcC() {
        byte[][] sets = {{0x40, 0x01, 0x0C, 0x01, (byte) 0xFF}, {0x42, 0x01, 0x01, 0x01, 0x60}, {0x44, 0x01, (byte) 0xC1, 0x72}};
        ByteBuffer b = ByteBuffer.allocate(23 + 3 * 5 + 14);
        b.put((byte) 1).put(new byte[20]).put((byte) 0x0F).put((byte) 3);
        for (int i = 0; i < 3; i++) {
            b.put((byte) (0x80 | (32 + i))).putShort((short) 1).putShort((short) sets[i].length).put(sets[i]);
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    @Setup(Level.Iteration)
    public void open() throws IOException {
        output = new DiscardingOutput();
        muxer = new TsMuxerFactory().create(output);
        videoFrames = 0;
        audioFrames = 0;
        videoTrack = tracks.equals("opus") ? -1 : muxer.addTrack(videoFormat);
        audioTrack = muxer.addTrack(audioFormat);
        if (videoTrack >= 0) {
            writeVideo(); // the first keyframe opens the file (PAT, PMT): keep it out of the measurement
        }
        writeAudio();
    }

    @Benchmark
    public void writeFrame() throws IOException {
        if (videoTrack >= 0 && videoFrames * VIDEO_INTERVAL_US <= audioFrames * audioIntervalUs) {
            writeVideo(); // interleave by pts, like the session lane
        } else {
            writeAudio();
        }
    }

    private void writeVideo() throws IOException {
        EncodedFrame f = videoFrames % GOP == 0 ? keyframe : interframe;
        f.ptsMicros(videoFrames * VIDEO_INTERVAL_US);
        muxer.write(videoTrack, f);
        videoFrames++;
    }

    private void writeAudio() throws IOException {
        audio.ptsMicros(audioFrames * audioIntervalUs);
        muxer.write(audioTrack, audio);
        audioFrames++;
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        muxer.close();
        TsMuxer ts = (TsMuxer) muxer;
        if (muxer.framesWritten() != videoFrames + audioFrames || ts.framesRejected() != 0
                || ts.framesDropped() != 0) {
            throw new IllegalStateException(tracks + ": wrote " + muxer.framesWritten() + " of "
                    + (videoFrames + audioFrames) + " frames (" + ts.framesRejected() + " rejected, "
                    + ts.framesDropped() + " dropped)");
        }
        if (output.bytesWritten() % 188 != 0 || output.bytesWritten() != ts.packetsWritten() * 188) {
            throw new IllegalStateException(tracks + ": " + output.bytesWritten() + " bytes is not whole packets");
        }
        totalBytes += output.bytesWritten();
        totalFrames += muxer.framesWritten();
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.println();
        System.out.println("  [" + tracks + "] " + totalFrames + " frames, " + totalBytes + " bytes written ("
                + (totalFrames == 0 ? 0 : totalBytes / totalFrames) + " B/frame)");
    }
}
