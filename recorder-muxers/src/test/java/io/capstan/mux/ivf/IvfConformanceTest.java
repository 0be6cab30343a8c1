package io.capstan.mux.ivf;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** IVF files judged by ffprobe / ffmpeg: real libvpx frames in, exact frame counts, fps and duration out. */
class IvfConformanceTest {

    @TempDir
    Path dir;

    private Path mux(Codec codec, int w, int h, List<TestMedia.Frame> frames) throws Exception {
        Path out = dir.resolve("out_" + codec.name().toLowerCase() + ".ivf");
        try (FileOutput o = new FileOutput(out)) {
            Muxer m = new IvfMuxerFactory().create(o);
            m.addTrack(TrackFormat.video(codec, w, h, null));
            Feed.write(m, 0, frames);
            m.close();
            m.close(); // idempotent
        }
        Feed.keep(out);
        return out;
    }

    @Test
    void vp8_twoSeconds_decodesWithExactFrameCountFpsAndDuration() throws Exception {
        List<TestMedia.Frame> frames = TestMedia.ivfFrames(TestMedia.vp8(dir, 2, 30, 30));
        assertThat(frames).hasSize(60);
        Path out = mux(Codec.VP8, 320, 240, frames);

        Map<String, String> v = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(v.get("codec_name")).isEqualTo("vp8");
        assertThat(v.get("width")).isEqualTo("320");
        assertThat(v.get("height")).isEqualTo("240");
        assertThat(v.get("nb_read_frames")).isEqualTo("60");
        assertThat(v.get("avg_frame_rate")).isEqualTo("30/1");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
        assertThat(MediaTools.packets(out, 0).get(0)[3]).startsWith("K");
        Tools.assertMonotonicPackets(out, 1);
    }

    @Test
    void vp9_twoSeconds_decodesWithExactFrameCountAndDuration() throws Exception {
        List<TestMedia.Frame> frames = TestMedia.ivfFrames(TestMedia.vp9(dir, 2, 30, 30));
        assertThat(frames).hasSize(60);
        Path out = mux(Codec.VP9, 320, 240, frames);

        Map<String, String> v = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(v.get("codec_name")).isEqualTo("vp9");
        assertThat(v.get("nb_read_frames")).isEqualTo("60");
        assertThat(v.get("width")).isEqualTo("320");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
    }

    @Test
    void vp8_unknownResolution_takenFromFirstKeyframe() throws Exception {
        List<TestMedia.Frame> frames = TestMedia.ivfFrames(TestMedia.vp8(dir, 0.5, 30, 30));
        Path out = mux(Codec.VP8, 0, 0, frames);
        byte[] f = java.nio.file.Files.readAllBytes(out);
        assertThat((f[12] & 0xFF) | (f[13] & 0xFF) << 8).isEqualTo(320);
        assertThat((f[14] & 0xFF) | (f[15] & 0xFF) << 8).isEqualTo(240);
        Map<String, String> v = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(v.get("width")).isEqualTo("320");
    }
}
