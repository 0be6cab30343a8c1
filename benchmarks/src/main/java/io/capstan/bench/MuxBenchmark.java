package io.capstan.bench;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.ivf.IvfMuxerFactory;
import io.capstan.mux.mp4.FragmentedMp4MuxerFactory;
import io.capstan.mux.mp4.Mp4MuxerFactory;
import io.capstan.mux.mp4.SegmentedMp4MuxerFactory;
import io.capstan.storage.SegmentKey;
import io.capstan.mux.ogg.OggOpusMuxerFactory;
import io.capstan.mux.webm.MatroskaMuxerFactory;
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
import java.util.concurrent.TimeUnit;

/**
 * Muxers writing frames to a {@link DiscardingOutput} (no I/O). One op = one {@code Muxer.write} of one frame:
 * <ul>
 *   <li>{@code ivf}: VP8 at 30 fps, a 20 KB keyframe every 30 frames, 5 KB interframes;</li>
 *   <li>{@code ogg}: Opus, 20 ms packets (TOC 0x78: hybrid fullband 20 ms, code 0) of 120 bytes;</li>
 *   <li>{@code webm}: both tracks in one WebM file, interleaved by pts as the session does (video 30 fps, audio
 *       50 packets/s), so a cluster starts at every video keyframe;</li>
 *   <li>{@code mp4}: the same two tracks as H.264 (the same frame bytes; the muxer does not parse them) + Opus in
 *       a crash-safe progressive MP4 (a fragment per second, its moof retyped once its mdat is written). The
 *       iteration ends with {@code flush()}, not {@code close()}: finalizing reads the fragments back, which a
 *       discarding output cannot do; {@link Mp4FinalizeBenchmark} measures it on a real file;</li>
 *   <li>{@code fmp4}: the same as a plain fragmented MP4, closed normally (moofs made visible by the same 4-byte patch, no finalization).</li>
 *   <li>{@code dash}, {@code hls}: the same tracks as 2 s CMAF segments, each a separate object of a discarding
 *       {@link io.capstan.storage.ObjectGroup} (per track for DASH, muxed for HLS), with the manifest rewritten
 *       after every segment, as a live recording does.</li>
 * </ul>
 * The muxer stays open for a whole iteration (opened, headers written and one frame per track written in the
 * iteration's setup; closed in its teardown), so the measurement is steady-state writing, pts advancing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MuxBenchmark {

    static final long VIDEO_INTERVAL_US = 33_333;
    static final long AUDIO_INTERVAL_US = 20_000;
    static final int GOP = 30;

    @Param({"ivf", "ogg", "webm", "mp4", "fmp4", "dash", "hls"})
    public String container;

    private EncodedFrame keyframe;
    private EncodedFrame interframe;
    private EncodedFrame audio;

    private DiscardingOutput output;
    private DiscardingSink sink;
    private Muxer muxer;
    private int videoTrack = -1;
    private int audioTrack = -1;
    private long videoFrames;
    private long audioFrames;
    private long totalBytes;
    private long totalFrames;

    @Setup(Level.Trial)
    public void frames() {
        keyframe = EncodedFrame.of(0, vp8(20_000, true), 0, 0, true);
        interframe = EncodedFrame.of(0, vp8(5_000, false), 0, 0, false);
        byte[] opus = Rtp.noise(120, 7);
        opus[0] = 0x78; // RFC 6716 3.1: config 15 (hybrid FB 20 ms), mono, code 0
        audio = EncodedFrame.of(0, opus, 0, 0, true);
    }

    private static byte[] vp8(int size, boolean key) {
        byte[] b = Rtp.noise(size, size);
        int tag = ((size / 3) << 5) | (1 << 4) | (key ? 0 : 1); // RFC 6386 9.1 frame tag
        b[0] = (byte) tag;
        b[1] = (byte) (tag >>> 8);
        b[2] = (byte) (tag >>> 16);
        if (key) {
            b[3] = (byte) 0x9d;
            b[4] = 0x01;
            b[5] = 0x2a;
            b[6] = (byte) 640;
            b[7] = (byte) (640 >>> 8);
            b[8] = (byte) 480;
            b[9] = (byte) (480 >>> 8);
        }
        return b;
    }

    @Setup(Level.Iteration)
    public void open() throws IOException {
        output = new DiscardingOutput();
        sink = new DiscardingSink();
        TrackFormat video = TrackFormat.video(Codec.VP8, 640, 480, null);
        TrackFormat opus = TrackFormat.audio(Codec.OPUS, 48_000, 48_000, 2, null);
        videoFrames = 0;
        audioFrames = 0;
        videoTrack = -1;
        audioTrack = -1;
        switch (container) {
            case "ivf" -> {
                muxer = new IvfMuxerFactory().create(output);
                videoTrack = muxer.addTrack(video);
            }
            case "ogg" -> {
                muxer = new OggOpusMuxerFactory().create(output);
                audioTrack = muxer.addTrack(opus);
            }
            case "webm" -> {
                muxer = MatroskaMuxerFactory.webm().create(output);
                videoTrack = muxer.addTrack(video);
                audioTrack = muxer.addTrack(opus);
            }
            case "mp4", "fmp4" -> {
                TrackFormat h264 = TrackFormat.video(Codec.H264, 640, 480, Mp4FinalizeBenchmark.AVCC);
                muxer = container.equals("mp4") ? new Mp4MuxerFactory().create(output)
                        : new FragmentedMp4MuxerFactory().create(output);
                videoTrack = muxer.addTrack(h264);
                audioTrack = muxer.addTrack(opus);
            }
            case "dash", "hls" -> {
                TrackFormat h264 = TrackFormat.video(Codec.H264, 640, 480, Mp4FinalizeBenchmark.AVCC);
                SegmentedMp4MuxerFactory f = container.equals("dash") ? SegmentedMp4MuxerFactory.dash()
                        : SegmentedMp4MuxerFactory.hls();
                muxer = f.create(sink.openGroup(new SegmentKey("bench/rec." + container)), "rec." + container);
                videoTrack = muxer.addTrack(h264);
                audioTrack = muxer.addTrack(opus);
            }
            default -> throw new IllegalArgumentException(container);
        }
        // headers go out with the first frame of each track: keep that out of the measurement
        if (videoTrack >= 0) {
            writeVideo();
        }
        if (audioTrack >= 0) {
            writeAudio();
        }
    }

    @Benchmark
    public void writeFrame() throws IOException {
        if (audioTrack < 0) {
            writeVideo();
        } else if (videoTrack < 0) {
            writeAudio();
        } else if (videoFrames * VIDEO_INTERVAL_US <= audioFrames * AUDIO_INTERVAL_US) {
            writeVideo(); // interleave by pts, like the session lane
        } else {
            writeAudio();
        }
    }

    private void writeVideo() throws IOException {
        EncodedFrame f = videoFrames % GOP == 0 ? keyframe : interframe;
        f.ptsMicros(videoFrames * VIDEO_INTERVAL_US).rtpTimestamp(videoFrames * 3000);
        muxer.write(videoTrack, f);
        videoFrames++;
    }

    private void writeAudio() throws IOException {
        audio.ptsMicros(audioFrames * AUDIO_INTERVAL_US).rtpTimestamp(audioFrames * 960);
        muxer.write(audioTrack, audio);
        audioFrames++;
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        if (container.equals("mp4")) {
            muxer.flush(); // see the class comment: finalization is Mp4FinalizeBenchmark's
        } else {
            muxer.close();
        }
        if (muxer.framesWritten() != videoFrames + audioFrames) {
            throw new IllegalStateException(container + ": wrote " + muxer.framesWritten() + " of "
                    + (videoFrames + audioFrames) + " frames");
        }
        totalBytes += output.bytesWritten() + sink.committedBytes.get();
        totalFrames += muxer.framesWritten();
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.println();
        System.out.println("  [" + container + "] " + totalFrames + " frames, " + totalBytes + " bytes written ("
                + (totalFrames == 0 ? 0 : totalBytes / totalFrames) + " B/frame)");
    }
}
