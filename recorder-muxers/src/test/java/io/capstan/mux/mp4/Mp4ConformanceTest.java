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
        // isoparser's avcC is the AVCDecoderConfigurationRecord byte for byte
        assertThat(Mp4Reader.configBox(out, "avcC")).isEqualTo(v.format().codecPrivate());
        // ISO/IEC 14496-12 8.3.2: tkhd version 0, flags 3 (enabled, in movie), track_ID 1; 8.2.2 mvhd timescale
        byte[] tkhd = Mp4Reader.configBox(out, "tkhd");
        assertThat(tkhd).startsWith(0, 0, 0, 3);
        assertThat(java.nio.ByteBuffer.wrap(tkhd, 12, 4).getInt()).isEqualTo(1);
        assertThat(java.nio.ByteBuffer.wrap(tkhd, 76, 8).getLong()).isEqualTo((320L << 48) | (240L << 16));
        Mp4Reader.Movie movie = Mp4Reader.read(out);
        assertThat(movie.timescale()).isEqualTo(1000);
        assertThat(movie.track("vide").timescale()).isEqualTo(90000);
        assertThat(movie.track("soun").timescale()).isEqualTo(48000);
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

    private Map<String, String> videoOnly(String name, Mp4Fixtures.Video v, int frames, double seconds)
            throws Exception {
        Path out = dir.resolve(name);
        Mp4Fixtures.mux(out, Mp4Fixtures.OPTIONS, List.of(v.format()), Feed.interleave(v.frames()));
        Map<String, String> vs = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(vs.get("nb_read_frames")).isEqualTo(String.valueOf(frames));
        assertThat(vs.get("width")).isEqualTo("320");
        assertThat(vs.get("height")).isEqualTo("240");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(seconds, within(0.05));
        Tools.assertMonotonicPackets(out, 1);
        assertMoovFirst(out);
        return vs;
    }

    @Test
    void h265_hvc1_clean() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h265(dir, 2, 30, 30);
        Map<String, String> vs = videoOnly("h265.mp4", v, 60, 2.0);
        assertThat(vs.get("codec_name")).isEqualTo("hevc");
        // isoparser re-serializes the HEVCDecoderConfigurationRecord it parsed: byte for byte the input
        assertThat(Mp4Reader.configBox(dir.resolve("h265.mp4"), "hvcC")).isEqualTo(v.format().codecPrivate());
        assertThat(vs.get("codec_tag_string")).isEqualTo("hvc1");
    }

    @Test
    void av1_av01_clean() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.av1(dir, 2, 30, 30);
        assertThat(v.frames()).hasSize(60);
        Map<String, String> vs = videoOnly("av1.mp4", v, 60, 2.0);
        assertThat(vs.get("codec_name")).isEqualTo("av1");
        assertThat(vs.get("codec_tag_string")).isEqualTo("av01");
        // av1C is carried byte for byte
        assertThat(Mp4Reader.configBox(dir.resolve("av1.mp4"), "av1C")).isEqualTo(v.format().codecPrivate());
    }

    @Test
    void vp9_vp09_vpcCFromTheKeyframeHeader_clean() throws Exception {
        Map<String, String> vs = videoOnly("vp9.mp4", Mp4Fixtures.vp9(dir, 2, 30, 30), 60, 2.0);
        assertThat(vs.get("codec_name")).isEqualTo("vp9");
        assertThat(vs.get("codec_tag_string")).isEqualTo("vp09");
        assertThat(vs.get("profile")).isEqualTo("Profile 0");
        assertThat(vs.get("pix_fmt")).isEqualTo("yuv420p");
        // VP codec binding: version 1, profile 0, level 20 (320x240 <= 122880 luma samples), 8 bit
        byte[] vpcC = Mp4Reader.configBox(dir.resolve("vp9.mp4"), "vpcC");
        assertThat(vpcC[0]).isEqualTo((byte) 1);
        assertThat(vpcC[4]).isEqualTo((byte) 0);
        assertThat(vpcC[5]).isEqualTo((byte) 20);
        assertThat((vpcC[6] & 0xFF) >> 4).isEqualTo(8);
    }

    @Test
    void vp8_vp08_sizeAndProfileFromTheKeyframe_clean() throws Exception {
        Map<String, String> vs = videoOnly("vp8.mp4", Mp4Fixtures.vp8(dir, 2, 30, 30), 60, 2.0);
        assertThat(vs.get("codec_name")).isEqualTo("vp8");
        assertThat(vs.get("codec_tag_string")).isEqualTo("vp08");
        assertThat(vs.get("width")).isEqualTo("320");
        assertThat(vs.get("height")).isEqualTo("240");
        byte[] vpcC = Mp4Reader.configBox(dir.resolve("vp8.mp4"), "vpcC");
        assertThat(vpcC[0]).isEqualTo((byte) 1);           // version 1
        assertThat(vpcC[4]).isEqualTo((byte) 0);           // profile = libvpx's VP8 version 0
        assertThat((vpcC[6] & 0xFF) >> 4).isEqualTo(8);    // bit depth
    }

    @Test
    void aacAlone_m4a_clean() throws Exception {
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 2));
        Path out = dir.resolve("aac.m4a");
        Mp4Fixtures.mux(out, Mp4Fixtures.OPTIONS,
                List.of(TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc())),
                Feed.interleave(aac.frames()));
        Map<String, String> as = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(as.get("codec_name")).isEqualTo("aac");
        assertThat(as.get("profile")).isEqualTo("LC");
        assertThat(Long.parseLong(as.get("nb_read_frames"))).isEqualTo(aac.frames().size());
        assertThat(MediaTools.probeDuration(out)).isCloseTo(aac.frames().size() * 1024 / 48000.0, within(0.01));
        // the esds carries the AudioSpecificConfig as DecoderSpecificInfo (tag 5), byte for byte
        byte[] esds = Mp4Reader.configBox(out, "esds");
        assertThat(indexOf(esds, new byte[] {5, 2, aac.asc()[0], aac.asc()[1]})).isPositive();
        assertMoovFirst(out);
    }

    @Test
    void opusAlone_dOpsAndPreSkipEdit_clean() throws Exception {
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 2, 1));
        Path out = dir.resolve("opus.m4a");
        Mp4Fixtures.mux(out, Mp4Fixtures.OPTIONS, List.of(TrackFormat.audio(Codec.OPUS, 48000, 48000, 1, opus.head())),
                Feed.interleave(opus.packets()));
        Map<String, String> as = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(as.get("codec_name")).isEqualTo("opus");
        assertThat(as.get("channels")).isEqualTo("1");
        assertThat(Long.parseLong(as.get("nb_read_frames"))).isEqualTo(opus.packets().size());
        // dOps: version 0, 1 channel, pre-skip and input rate big-endian (OpusHead has them little-endian)
        byte[] dOps = Mp4Reader.configBox(out, "dOps");
        int preSkip = OpusPackets.preSkip(opus.head());
        assertThat(dOps).startsWith(0, 1, (byte) (preSkip >> 8), (byte) preSkip);
        assertThat(Mp4Reader.read(out).track("soun").edits()).hasSize(1);
        assertThat(Mp4Reader.read(out).track("soun").edits().get(0).mediaTime()).isEqualTo(preSkip);
        assertMoovFirst(out);
    }

    @Test
    void g711_ulawAndAlaw_decode() throws Exception {
        List<TestMedia.Frame> mu = TestMedia.pcmFrames(TestMedia.mulaw(dir, 2), 160, 8000);
        Path out = dir.resolve("pcmu.m4a");
        Mp4Fixtures.mux(out, Mp4Fixtures.OPTIONS, List.of(TrackFormat.audio(Codec.PCMU, 8000, 8000, 1, null)),
                Feed.interleave(mu));
        Map<String, String> as = Tools.stream(Tools.assertDecodesCleanly(out), "audio");
        assertThat(as.get("codec_name")).isEqualTo("pcm_mulaw");
        assertThat(as.get("sample_rate")).isEqualTo("8000");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.02));

        Path in = TestMedia.ffmpeg(dir, "in.alaw", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000",
                "-t", "1", "-c:a", "pcm_alaw", "-f", "alaw");
        Path outA = dir.resolve("pcma.m4a");
        Mp4Fixtures.mux(outA, Mp4Fixtures.OPTIONS, List.of(TrackFormat.audio(Codec.PCMA, 8000, 8000, 1, null)),
                Feed.interleave(TestMedia.pcmFrames(in, 160, 8000)));
        assertThat(Tools.stream(Tools.assertDecodesCleanly(outA), "audio").get("codec_name")).isEqualTo("pcm_alaw");
        assertThat(MediaTools.probeDuration(outA)).isCloseTo(1.0, within(0.02));
    }

    @Test
    void fragmentedMp4_plainFmp4File_clean() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 3, 30, 30);
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 3, 2));
        List<TrackFormat> formats = List.of(v.format(), TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head()));
        Path out = dir.resolve("frag.mp4");
        try (io.capstan.mux.testing.FileOutput o = new io.capstan.mux.testing.FileOutput(out)) {
            io.capstan.mux.Muxer m = new FragmentedMp4MuxerFactory(Mp4Fixtures.OPTIONS).create(o);
            for (TrackFormat f : formats) {
                m.addTrack(f);
            }
            Feed.write(m, Feed.interleave(v.frames(), opus.packets()), Mp4Fixtures.clocks(formats));
            m.close();
        }
        Feed.keep(out);
        Mp4Reader.Movie movie = Mp4Reader.read(out);
        assertThat(movie.fragmented()).isTrue();
        assertThat(movie.topLevel()).startsWith("ftyp", "moov", "moof", "mdat").doesNotContain("free");
        assertThat(movie.track("vide").samples()).hasSize(90);
        Map<String, String> vs = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(vs.get("nb_read_frames")).isEqualTo("90");
        assertThat(MediaTools.probeDuration(out)).isCloseTo(3.0, within(0.05));
    }

    @Test
    void h264ResolutionChange_carriedInOneFile_decodesBothSizes() throws Exception {
        Mp4Fixtures.Video small = Mp4Fixtures.h264(dir, 2, 30, 30);
        Path bigIn = TestMedia.ffmpeg(dir, "in_big.h264", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
                "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p",
                "-x264-params", "aud=1", "-bsf:v", "h264_mp4toannexb", "-f", "h264");
        TestMedia.H264 big = TestMedia.annexBToAvcc(bigIn, 30);
        Path out = dir.resolve("resolution_change.mp4");
        try (io.capstan.mux.testing.FileOutput o = new io.capstan.mux.testing.FileOutput(out)) {
            Mp4Muxer m = Mp4Muxer.progressive(o, Mp4Fixtures.OPTIONS);
            m.addTrack(small.format());
            Feed.write(m, Feed.interleave(small.frames()), 90000);
            assertThat(m.formatChanged(0, TrackFormat.video(Codec.H264, 640, 360, big.avcC()))).isTrue();
            List<TestMedia.Frame> later = big.frames().stream()
                    .map(f -> new TestMedia.Frame(f.data(), f.ptsMicros() + 2_000_000, f.key())).toList();
            Feed.write(m, Feed.interleave(later), 90000);
            m.close();
        }
        Feed.keep(out);
        Map<String, String> vs = Tools.stream(Tools.assertDecodesCleanly(out), "video");
        assertThat(vs.get("nb_read_frames")).isEqualTo("120");
        assertThat(vs.get("codec_tag_string")).isEqualTo("avc3");
        MediaTools.Run frames = MediaTools.run(List.of("ffprobe", "-v", "error", "-select_streams", "v",
                "-show_entries", "frame=width,height", "-of", "csv=p=0", out.toString()));
        List<String> sizes = frames.stdout().lines().filter(l -> !l.isBlank()).map(l -> l.replaceAll(",+$", ""))
                .toList();
        assertThat(sizes).hasSize(120);
        assertThat(sizes.subList(0, 60)).containsOnly("320,240");
        assertThat(sizes.subList(60, 120)).containsOnly("640,360");
        assertThat(Mp4Reader.read(out).track("vide").width()).isEqualTo(640);
        assertMoovFirst(out);
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
