package io.capstan.mux.ogg;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Ogg Opus files judged by ffprobe, ffmpeg, opusinfo and oggz-validate, with real libopus packets. */
class OggConformanceTest {

    @TempDir
    Path dir;

    private OggOpusMuxer mux(String name, byte[] head, int channels, List<TestMedia.Frame> frames) throws Exception {
        Path out = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OggOpusMuxer m = (OggOpusMuxer) new OggOpusMuxerFactory(() -> 1234).create(ch);
            m.addTrack(TrackFormat.audio(Codec.OPUS, 48000, 48000, channels, head));
            Feed.write(m, 0, frames);
            m.close();
            m.close();
            Feed.keep(out);
            return m;
        }
    }

    @Test
    void stereo_twoSeconds_isCleanForEveryTool() throws Exception {
        TestMedia.Opus in = TestMedia.opusPackets(TestMedia.opusOgg(dir, 2, 2));
        OggOpusMuxer m = mux("clean.opus", in.head(), 2, in.packets());
        Path out = dir.resolve("clean.opus");

        Map<String, String> a = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(a.get("codec_name")).isEqualTo("opus");
        assertThat(a.get("sample_rate")).isEqualTo("48000");
        assertThat(a.get("channels")).isEqualTo("2");
        assertThat(Long.parseLong(a.get("nb_read_frames"))).isEqualTo(in.packets().size());
        double expected = (in.packets().size() * 960 - m.preSkip()) / 48000.0;
        assertThat(MediaTools.probeDuration(out)).isCloseTo(expected, within(0.02)).isCloseTo(2.0, within(0.05));
        assertThat(m.fillPackets()).isZero();
        Tools.assertOggToolsClean(out);
        Tools.assertMonotonicPackets(out, 1);
    }

    @Test
    void dtxGap_of20Packets_isFilled_soDurationStaysRealTime() throws Exception {
        TestMedia.Opus in = TestMedia.opusPackets(TestMedia.opusOgg(dir, 3, 1));
        List<TestMedia.Frame> withGap = new ArrayList<>(in.packets());
        withGap.subList(50, 70).clear(); // 400 ms not sent (DTX), later packets keep their timestamps
        OggOpusMuxer m = mux("dtx.opus", null, 1, withGap);
        Path out = dir.resolve("dtx.opus");

        assertThat(m.fillPackets()).isEqualTo(20);
        assertThat(m.fillSamples()).isEqualTo(20 * 960);
        Map<String, String> a = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(a.get("channels")).isEqualTo("1");
        double realTime = (in.packets().size() * 960 - 312) / 48000.0;
        assertThat(MediaTools.probeDuration(out)).isCloseTo(realTime, within(0.03));
        Tools.assertOggToolsClean(out);
        Tools.assertMonotonicPackets(out, 1);
    }

    @Test
    void unevenGap_isFilledWithin1_25ms() throws Exception {
        TestMedia.Opus in = TestMedia.opusPackets(TestMedia.opusOgg(dir, 2, 2));
        List<TestMedia.Frame> shifted = new ArrayList<>();
        for (int i = 0; i < in.packets().size(); i++) {
            TestMedia.Frame f = in.packets().get(i);
            // from packet 40 on, everything is 137.5 ms later than the packets before it would suggest
            shifted.add(i < 40 ? f : new TestMedia.Frame(f.data(), f.ptsMicros() + 137_500, f.key()));
        }
        OggOpusMuxer m = mux("uneven.opus", in.head(), 2, shifted);
        Path out = dir.resolve("uneven.opus");
        assertThat(m.fillSamples()).isEqualTo(137_500 * 48 / 1000);
        Tools.assertDecodesCleanly(out);
        double realTime = (in.packets().size() * 960 + 6600 - 312) / 48000.0;
        assertThat(MediaTools.probeDuration(out)).isCloseTo(realTime, within(0.01));
        Tools.assertOggToolsClean(out);
    }

    @Test
    void startOffset_leadingFillKeepsTheSegmentTimeline() throws Exception {
        TestMedia.Opus in = TestMedia.opusPackets(TestMedia.opusOgg(dir, 1, 2));
        List<TestMedia.Frame> late = in.packets().stream()
                .map(f -> new TestMedia.Frame(f.data(), f.ptsMicros() + 500_000, f.key())).toList();
        OggOpusMuxer m = mux("late.opus", in.head(), 2, late);
        Path out = dir.resolve("late.opus");
        assertThat(m.fillSamples()).isEqualTo(24_000);
        Tools.assertDecodesCleanly(out);
        double expected = (24_000 + in.packets().size() * 960 - m.preSkip()) / 48000.0;
        assertThat(MediaTools.probeDuration(out)).isCloseTo(expected, within(0.01));
        Tools.assertOggToolsClean(out);
    }

    @Test
    void flushedBeforeClose_emptyEosPage_isAcceptedByTheTools() throws Exception {
        TestMedia.Opus in = TestMedia.opusPackets(TestMedia.opusOgg(dir, 1, 2));
        Path out = dir.resolve("flushed.opus");
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OggOpusMuxer m = (OggOpusMuxer) new OggOpusMuxerFactory().create(ch);
            m.addTrack(TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, in.head()));
            Feed.write(m, 0, in.packets());
            m.flush();
            m.close();
        }
        Feed.keep(out);
        Tools.assertDecodesCleanly(out);
        Tools.assertOggToolsClean(out);
    }
}
