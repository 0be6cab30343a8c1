package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.OpusPackets;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.Mp4Reader;
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

/**
 * Progressive MP4 files judged by ffprobe and a full ffmpeg decode, fed with real encoder output (libx264,
 * libx265, SVT-AV1, libvpx-vp9, libopus, the native AAC encoder, G.711), plus isoparser's view of the box order.
 */
class Mp4ConformanceTest {

    @TempDir
    Path dir;

    static void assertMoovFirst(Path file) throws Exception {
        List<String> top = Mp4Reader.read(file).topLevel();
        assertThat(top.get(0)).isEqualTo("ftyp");
        assertThat(top.indexOf("moov")).as("moov before the media: " + top).isLessThan(top.indexOf("mdat"));
        assertThat(top).doesNotContain("moof");
        assertThat(top.stream().filter("moov"::equals).count()).isEqualTo(1);
    }

    @Test
    void h264PlusAac_progressive_moovFirst_clean() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 3, 30, 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 3));
        Path out = dir.resolve("h264_aac.mp4");
        Mp4Muxer m = Mp4Fixtures.mux(out, Mp4Fixtures.OPTIONS, List.of(v.format(),
                        TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc())),
                Feed.interleave(v.frames(), aac.frames()));
        assertThat(m.moovAtEnd()).isFalse();
        assertThat(m.fragmentsWritten()).isBetween(3, 4);

        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        Map<String, String> vs = Tools.stream(streams, "video");
        Map<String, String> as = Tools.stream(streams, "audio");
        assertThat(vs.get("codec_name")).isEqualTo("h264");
        assertThat(vs.get("codec_tag_string")).isEqualTo("avc1");
        assertThat(vs.get("width")).isEqualTo("320");
        assertThat(vs.get("nb_read_frames")).isEqualTo("90");
        assertThat(as.get("codec_name")).isEqualTo("aac");
        assertThat(as.get("sample_rate")).isEqualTo("48000");
        assertThat(as.get("channels")).isEqualTo("2");
        assertThat(Long.parseLong(as.get("nb_read_frames"))).isEqualTo(aac.frames().size());
        assertThat(MediaTools.probeDuration(out)).isCloseTo(3.0, within(0.05));
        Tools.assertMonotonicPackets(out, 2);
        assertMoovFirst(out);
    }

    @Test
    void h264PlusOpus_audioStartsLater_editListsKeepSync() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 3, 30, 30);
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 2, 2));
        // audio starts 500 ms after video
        List<TestMedia.Frame> late = opus.packets().stream()
                .map(f -> new TestMedia.Frame(f.data(), f.ptsMicros() + 500_000, true)).toList();
        Path out = dir.resolve("h264_opus.mp4");
        Mp4Fixtures.mux(out, Mp4Fixtures.OPTIONS, List.of(v.format(),
                        TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head())),
                Feed.interleave(v.frames(), late));

        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        Map<String, String> vs = Tools.stream(streams, "video");
        Map<String, String> as = Tools.stream(streams, "audio");
        assertThat(as.get("codec_name")).isEqualTo("opus");
        assertThat(vs.get("nb_read_frames")).isEqualTo("90");
        assertThat(Double.parseDouble(vs.get("start_time"))).isCloseTo(0.0, within(0.001));
        assertThat(Double.parseDouble(as.get("start_time"))).isCloseTo(0.5, within(0.002));
        Mp4Reader.Track audio = Mp4Reader.read(out).track("soun");
        assertThat(audio.entryType()).isEqualTo("Opus");
        assertThat(audio.edits()).containsExactly(new Mp4Reader.Edit(500, -1),
                new Mp4Reader.Edit(audio.trackDuration() - 500, OpusPackets.preSkip(opus.head())));
        assertMoovFirst(out);
    }
}
