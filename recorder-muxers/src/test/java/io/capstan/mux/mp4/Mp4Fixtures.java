package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.Mp4Reader;
import io.capstan.mux.testing.TestMedia;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/** Shared helpers of the MP4 tests: deterministic options, muxing a feed into a file, real encoder inputs. */
final class Mp4Fixtures {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    static final Mp4Muxer.Options OPTIONS = Mp4Muxer.Options.DEFAULT.withClock(InstantSource.fixed(T0));

    private Mp4Fixtures() {
    }

    static int[] clocks(List<TrackFormat> formats) {
        return formats.stream().mapToInt(TrackFormat::clockRate).toArray();
    }

    /** Muxes into {@code out} and closes (twice: close is idempotent). */
    static Mp4Muxer mux(Path out, Mp4Muxer.Options options, List<TrackFormat> formats, List<Feed.Item> items)
            throws Exception {
        try (FileOutput o = new FileOutput(out)) {
            Mp4Muxer m = Mp4Muxer.progressive(o, options);
            for (TrackFormat f : formats) {
                m.addTrack(f);
            }
            Feed.write(m, items, clocks(formats));
            m.close();
            m.close();
            Feed.keep(out);
            return m;
        }
    }

    /** Writes without closing: the file a killed process leaves behind. */
    static Mp4Muxer muxUnclosed(Path out, Mp4Muxer.Options options, List<TrackFormat> formats,
                                List<Feed.Item> items) throws Exception {
        try (FileOutput o = new FileOutput(out)) {
            Mp4Muxer m = Mp4Muxer.progressive(o, options);
            for (TrackFormat f : formats) {
                m.addTrack(f);
            }
            Feed.write(m, items, clocks(formats));
            return m;
        }
    }

    record Video(TrackFormat format, List<TestMedia.Frame> frames) {
    }

    static Video h264(Path dir, double seconds, int fps, int gop) throws Exception {
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(dir, seconds, fps, gop), fps);
        return new Video(TrackFormat.video(Codec.H264, 320, 240, h.avcC()), h.frames());
    }

    /** H.265 by libx265 (no B-frames) in an MP4 made by ffmpeg; hvcC and samples read back byte-exact. */
    static Video h265(Path dir, double seconds, int fps, int gop) throws Exception {
        Path mp4 = TestMedia.ffmpeg(dir, "in_h265.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + fps,
                "-t", String.valueOf(seconds), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                "bframes=0:keyint=" + gop + ":min-keyint=" + gop + ":log-level=error", "-tag:v", "hvc1",
                "-pix_fmt", "yuv420p");
        return new Video(TrackFormat.video(Codec.H265, 320, 240, Mp4Reader.configBox(mp4, "hvcC")),
                Mp4Reader.frames(mp4, "vide"));
    }

    /** AV1 by SVT-AV1 in an MP4 made by ffmpeg; av1C and the samples (OBUs) read back byte-exact. */
    static Video av1(Path dir, double seconds, int fps, int gop) throws Exception {
        Path mp4 = TestMedia.ffmpeg(dir, "in_av1.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + fps,
                "-t", String.valueOf(seconds), "-c:v", "libsvtav1", "-preset", "12", "-g", String.valueOf(gop),
                "-svtav1-params", "lp=1", "-pix_fmt", "yuv420p");
        return new Video(TrackFormat.video(Codec.AV1, 320, 240, Mp4Reader.configBox(mp4, "av1C")),
                Mp4Reader.frames(mp4, "vide"));
    }

    /** VP8 by libvpx; the size is left unknown (0x0) so the muxer must take it from the first keyframe. */
    static Video vp8(Path dir, double seconds, int fps, int gop) throws Exception {
        return new Video(TrackFormat.video(Codec.VP8, 0, 0, null),
                TestMedia.ivfFrames(TestMedia.vp8(dir, seconds, fps, gop)));
    }

    static Video vp9(Path dir, double seconds, int fps, int gop) throws Exception {
        return new Video(TrackFormat.video(Codec.VP9, 0, 0, null),
                TestMedia.ivfFrames(TestMedia.vp9(dir, seconds, fps, gop)));
    }
}
