package io.capstan.records;

import io.capstan.mux.testing.Tools;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Cuts of Capstan recordings (WebM VP8 + Opus, MP4 H.264 + AAC, keyframe every second) start at the keyframe at or
 * before the start, end at the end, keep both tracks, and decode with ffmpeg without a single error.
 */
@Timeout(120)
class RecordCutterTest {

    @TempDir
    static Path dir;
    static Path webm;
    static Path mp4;

    @BeforeAll
    static void record() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        webm = Recordings.webm(dir.resolve("work-webm"), dir.resolve("cam_20261121T100000Z.webm"), 6);
        mp4 = Recordings.mp4(dir.resolve("work-mp4"), dir.resolve("cam_20261121T100000Z.mp4"), 6);
    }

    private static void assertCut(Path source, Path out, long start, long end, long expectedKeyframe)
            throws Exception {
        RecordCutter.Cut c = RecordCutter.cut(source, start, end, out);
        assertThat(c.sourceStartMicros()).isEqualTo(expectedKeyframe);
        assertThat(c.file()).isEqualTo(out);
        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        assertThat(Tools.stream(streams, "video")).isNotNull();
        assertThat(Tools.stream(streams, "audio")).isNotNull();
        double expected = (Math.min(end, 6_000_000) - expectedKeyframe) / 1e6;
        assertThat(MediaTools.probeDuration(out)).isCloseTo(expected, within(0.1));
        // no temporary file is left next to the cut
        try (var s = Files.list(out.getParent())) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void webm_fromTheKeyframeAtOrBeforeStart() throws Exception {
        assertCut(webm, dir.resolve("cut-a.webm"), 2_500_000, 4_500_000, 2_000_000);
        assertThat(RecordCutter.sniff(dir.resolve("cut-a.webm"))).isEqualTo(RecordCutter.Format.MATROSKA);
    }

    @Test
    void webm_startOnAKeyframe_andEndBeyondTheRecording() throws Exception {
        assertCut(webm, dir.resolve("cut-b.webm"), 3_000_000, 60_000_000, 3_000_000);
    }

    @Test
    void mp4_fromTheKeyframeAtOrBeforeStart() throws Exception {
        assertCut(mp4, dir.resolve("cut-a.mp4"), 1_300_000, 3_700_000, 1_000_000);
        assertThat(RecordCutter.sniff(dir.resolve("cut-a.mp4"))).isEqualTo(RecordCutter.Format.MP4);
        // moov first, as every Capstan MP4
        byte[] head = Files.readAllBytes(dir.resolve("cut-a.mp4"));
        assertThat(new String(head, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");
    }

    @Test
    void mp4_wholeRecording_keepsEveryFrame() throws Exception {
        Path out = dir.resolve("cut-all.mp4");
        RecordCutter.Cut c = RecordCutter.cut(mp4, 0, 3_600_000_000L, out);
        assertThat(c.sourceStartMicros()).isZero();
        List<Map<String, String>> src = MediaTools.probeStreams(mp4);
        List<Map<String, String>> cut = Tools.assertDecodesCleanly(out);
        assertThat(Tools.stream(cut, "video").get("nb_read_frames"))
                .isEqualTo(Tools.stream(src, "video").get("nb_read_frames"));
        assertThat(Tools.stream(cut, "audio").get("nb_read_frames"))
                .isEqualTo(Tools.stream(src, "audio").get("nb_read_frames"));
    }

    @Test
    void emptyOrInvertedRange_isRefused() {
        assertThatThrownBy(() -> RecordCutter.cut(webm, 5_000_000, 4_000_000, dir.resolve("x.webm")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RecordCutter.cut(webm, 30_000_000, 40_000_000, dir.resolve("y.webm")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("y.webm")).doesNotExist();
    }

    @Test
    void catalog_readsDurationStreamAndStart() throws Exception {
        RecordCatalog cat = new RecordCatalog(dir);
        RecordCatalog.Entry w = cat.describe(webm);
        assertThat(w.stream()).isEqualTo("cam");
        assertThat(w.startMs()).isEqualTo(Recordings.T0.toEpochMilli());
        assertThat(w.durationMs()).isBetween(5900L, 6100L);
        RecordCatalog.Entry m = cat.describe(mp4);
        assertThat(m.durationMs()).isBetween(5900L, 6100L);
        assertThat(m.size()).isEqualTo(Files.size(mp4));
    }
}
