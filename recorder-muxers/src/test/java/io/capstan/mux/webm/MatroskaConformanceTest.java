package io.capstan.mux.webm;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * WebM and Matroska files judged by ffprobe, a full ffmpeg decode and mkvinfo, fed with real encoder output
 * (libvpx, libopus, libx264, the native AAC encoder, G.711).
 */
class MatroskaConformanceTest {

    @TempDir
    Path dir;

    private MatroskaMuxer mux(Path out, MatroskaMuxerFactory factory, List<TrackFormat> formats,
                              List<Feed.Item> items) throws Exception {
        try (FileOutput o = new FileOutput(out)) {
            MatroskaMuxer m = (MatroskaMuxer) factory.create(o);
            for (TrackFormat f : formats) {
                m.addTrack(f);
            }
            Feed.write(m, items);
            m.close();
            m.close();
            Feed.keep(out);
            return m;
        }
    }

    @Test
    void vp8PlusOpus_webm_cleanWithCuesAndMatchingStartTimes() throws Exception {
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp8(dir, 3, 30, 30));
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 3, 2));
        Path out = dir.resolve("vp8_opus.webm");
        MatroskaMuxer m = mux(out, MatroskaMuxerFactory.webm(),
                List.of(TrackFormat.video(Codec.VP8, 320, 240, null),
                        TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head())),
                Feed.interleave(video, opus.packets()));

        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        Map<String, String> v = Tools.stream(streams, "video");
        Map<String, String> a = Tools.stream(streams, "audio");
        assertThat(v.get("codec_name")).isEqualTo("vp8");
        assertThat(v.get("width")).isEqualTo("320");
        assertThat(v.get("nb_read_frames")).isEqualTo("90");
        assertThat(a.get("codec_name")).isEqualTo("opus");
        assertThat(a.get("sample_rate")).isEqualTo("48000");
        assertThat(a.get("channels")).isEqualTo("2");
        assertThat(Long.parseLong(a.get("nb_read_frames"))).isEqualTo(opus.packets().size());
        // ffmpeg reports an Opus track's start minus CodecDelay (the pre-skip its decoder drops): the first
        // sample a player presents is at start_time + pre-skip, which must be the video's start
        double codecDelay = io.capstan.mux.common.OpusPackets.preSkip(opus.head()) / 48000.0;
        assertThat(Double.parseDouble(v.get("start_time"))).isEqualTo(0.0);
        assertThat(Double.parseDouble(a.get("start_time")) + codecDelay).isCloseTo(0.0, within(0.001));
        assertThat(MediaTools.probeDuration(out)).isCloseTo(3.0, within(0.05));
        assertThat(MediaTools.packets(out, 0).get(0)[3]).startsWith("K");
        Tools.assertMonotonicPackets(out, 2);
        String info = Tools.mkvinfo(out);
        assertThat(info).contains("Document type: webm").contains("Cues");
        assertThat(m.clustersWritten()).isEqualTo(3);
        assertThat(m.cuePoints()).isEqualTo(3);
    }

    @Test
    void vp9_webm_clean() throws Exception {
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp9(dir, 2, 30, 30));
        Path out = dir.resolve("vp9.webm");
        mux(out, MatroskaMuxerFactory.webm(), List.of(TrackFormat.video(Codec.VP9, 320, 240, null)),
                Feed.interleave(video));
        Map<String, String> v = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(v.get("codec_name")).isEqualTo("vp9");
        assertThat(v.get("nb_read_frames")).isEqualTo("60");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
        assertThat(Tools.mkvinfo(out)).contains("Cues");
    }

    @Test
    void h264PlusAac_matroska_clean() throws Exception {
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(dir, 2, 30, 30), 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 2));
        assertThat(h.frames()).hasSize(60);
        Path out = dir.resolve("h264_aac.mkv");
        mux(out, MatroskaMuxerFactory.matroska(),
                List.of(TrackFormat.video(Codec.H264, 320, 240, h.avcC()),
                        TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc())),
                Feed.interleave(h.frames(), aac.frames()));

        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        Map<String, String> v = Tools.stream(streams, "video");
        Map<String, String> a = Tools.stream(streams, "audio");
        assertThat(v.get("codec_name")).isEqualTo("h264");
        assertThat(v.get("width")).isEqualTo("320");
        assertThat(v.get("nb_read_frames")).isEqualTo("60");
        assertThat(a.get("codec_name")).isEqualTo("aac");
        assertThat(a.get("sample_rate")).isEqualTo("48000");
        assertThat(a.get("channels")).isEqualTo("2");
        assertThat(Long.parseLong(a.get("nb_read_frames"))).isEqualTo(aac.frames().size());
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
        Tools.assertMonotonicPackets(out, 2);
        assertThat(Tools.mkvinfo(out)).contains("Document type: matroska").contains("Cues");
    }

    @Test
    void pcmu_mka_decodesAsMulaw() throws Exception {
        List<TestMedia.Frame> frames = TestMedia.pcmFrames(TestMedia.mulaw(dir, 2), 160, 8000);
        assertThat(frames).hasSize(100);
        Path out = dir.resolve("pcmu.mka");
        mux(out, MatroskaMuxerFactory.matroska(), List.of(TrackFormat.audio(Codec.PCMU, 8000, 8000, 1, null)),
                Feed.interleave(frames));
        Map<String, String> a = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(a.get("codec_name")).isEqualTo("pcm_mulaw");
        assertThat(a.get("sample_rate")).isEqualTo("8000");
        assertThat(a.get("channels")).isEqualTo("1");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
        assertThat(Tools.mkvinfo(out)).contains("Cues");
        Tools.assertMonotonicPackets(out, 1);
    }

    @Test
    void pcma_mka_decodesAsAlaw() throws Exception {
        Path in = TestMedia.ffmpeg(dir, "in.alaw", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000",
                "-t", "1", "-c:a", "pcm_alaw", "-f", "alaw");
        List<TestMedia.Frame> frames = TestMedia.pcmFrames(in, 160, 8000);
        Path out = dir.resolve("pcma.mka");
        mux(out, MatroskaMuxerFactory.matroska(), List.of(TrackFormat.audio(Codec.PCMA, 8000, 8000, 1, null)),
                Feed.interleave(frames));
        Map<String, String> a = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(a.get("codec_name")).isEqualTo("pcm_alaw");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(1.0, within(0.05));
    }

    @Test
    void rareKeyframes_clusterLimitStartsClustersAnyway_andFilePlays() throws Exception {
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp8(dir, 3, 30, 300));
        Path out = dir.resolve("rare_keys.webm");
        MatroskaMuxer m = mux(out, new MatroskaMuxerFactory(DocType.WEBM, new MatroskaMuxer.Options(1000, 1 << 20)),
                List.of(TrackFormat.video(Codec.VP8, 320, 240, null)), Feed.interleave(video));
        assertThat(m.clustersWritten()).isEqualTo(3);
        assertThat(m.cuePoints()).isEqualTo(1);
        Map<String, String> v = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(v.get("nb_read_frames")).isEqualTo("90");
        Tools.mkvinfo(out);
    }

    @Test
    void fileCutOffInTheMiddleOfACluster_stillPlaysItsEarlierClusters() throws Exception {
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp8(dir, 4, 30, 30));
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 4, 2));
        Path full = dir.resolve("full.webm");
        Path cut = dir.resolve("cut.webm");
        // a recording that was killed: never closed, so Segment and the last cluster keep unknown sizes
        try (FileOutput o = new FileOutput(full)) {
            Muxer m = MatroskaMuxerFactory.webm().create(o);
            m.addTrack(TrackFormat.video(Codec.VP8, 320, 240, null));
            m.addTrack(TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head()));
            Feed.write(m, Feed.interleave(video, opus.packets()));
            m.flush();
        }
        byte[] bytes = Files.readAllBytes(full);
        // cut in the middle of the 3rd cluster: 2 complete seconds of video survive
        int c3 = indexOf(bytes, new byte[] {0x1F, 0x43, (byte) 0xB6, 0x75}, 3);
        int c4 = indexOf(bytes, new byte[] {0x1F, 0x43, (byte) 0xB6, 0x75}, 4);
        Files.write(cut, Arrays.copyOf(bytes, (c3 + c4) / 2));
        Feed.keep(cut);

        MediaTools.Run probe = MediaTools.run(List.of("ffprobe", "-v", "error", "-show_streams", cut.toString()));
        assertThat(probe.exit()).isZero();
        MediaTools.Run dec = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-i", cut.toString(),
                "-map", "0", "-f", "null", "-"));
        assertThat(dec.exit()).as(dec.stderr()).isZero();
        Map<String, String> v = Tools.stream(MediaTools.probeStreams(cut), "video");
        assertThat(Integer.parseInt(v.get("nb_read_frames"))).isBetween(60, 89);
        // the uncut but unfinished file plays completely
        Map<String, String> vf = Tools.stream(Tools.assertDecodesCleanly(full), "video");
        assertThat(vf.get("nb_read_frames")).isEqualTo("120");
    }

    static int indexOf(byte[] hay, byte[] needle, int nth) {
        int seen = 0;
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            if (++seen == nth) {
                return i;
            }
        }
        throw new AssertionError("cluster " + nth + " not found");
    }
}
