package io.capstan.mux.ts;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.mux.testing.TsReader;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Transport streams made from real encoder output (libx264, libx265, the native AAC encoder, libopus), judged by
 * ffprobe and a full ffmpeg decode: whole files, files cut at random points, and two consecutive files played as
 * an HLS playlist.
 */
class TsConformanceTest {

    @TempDir
    Path dir;

    private TsMuxer mux(Path out, TsMuxer.Options options, List<TrackFormat> formats, List<Feed.Item> items,
                        boolean close) throws Exception {
        try (FileOutput o = new FileOutput(out)) {
            TsMuxer m = new TsMuxer(o, options);
            for (TrackFormat f : formats) {
                m.addTrack(f);
            }
            Feed.write(m, items);
            if (close) {
                m.close();
                m.close();
            } else {
                m.flush();
            }
            Feed.keep(out);
            return m;
        }
    }

    /** {@code ffmpeg -v error -i out.ts -f null -}: the exact command of the brief, which must print nothing. */
    private static void assertFfmpegSilent(Path file, String... inputFlags) {
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin"));
        cmd.addAll(Arrays.asList(inputFlags));
        cmd.addAll(List.of("-i", file.toString(), "-map", "0", "-f", "null", "-"));
        MediaTools.Run r = MediaTools.run(cmd);
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).as("ffmpeg errors on " + file).isBlank();
        assertThat(r.stdout()).isBlank();
    }

    @Test
    void h264PlusAac_ffprobeSeesBothStreams_allFrames_duration_startOffset() throws Exception {
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(dir, 3, 30, 30), 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 3));
        assertThat(h.frames()).hasSize(90);
        Path out = dir.resolve("h264_aac.ts");
        TsMuxer m = mux(out, TsMuxer.Options.DEFAULT,
                List.of(TrackFormat.video(Codec.H264, 320, 240, h.avcC()),
                        TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc())),
                Feed.interleave(h.frames(), aac.frames()), true);
        assertThat(m.framesRejected()).isZero();
        assertThat(m.framesDropped()).isZero();

        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        assertFfmpegSilent(out);
        Map<String, String> v = Tools.stream(streams, "video");
        Map<String, String> a = Tools.stream(streams, "audio");
        assertThat(v.get("codec_name")).isEqualTo("h264");
        assertThat(v.get("width")).isEqualTo("320");
        assertThat(v.get("height")).isEqualTo("240");
        assertThat(v.get("nb_read_frames")).isEqualTo("90");
        assertThat(a.get("codec_name")).isEqualTo("aac");
        assertThat(a.get("sample_rate")).isEqualTo("48000");
        assertThat(a.get("channels")).isEqualTo("2");
        assertThat(Long.parseLong(a.get("nb_read_frames"))).isEqualTo(aac.frames().size());
        assertThat(Double.parseDouble(v.get("start_time"))).isCloseTo(1.4, within(0.0001));
        assertThat(Double.parseDouble(a.get("start_time"))).isCloseTo(1.4, within(0.0001));
        assertThat(MediaTools.probeDuration(out)).isCloseTo(3.0, within(0.05));
        assertThat(MediaTools.packets(out, 0).get(0)[3]).startsWith("K");
        Tools.assertMonotonicPackets(out, 2);
        TsReader.read(Files.readAllBytes(out), false); // and our own reader agrees it is well formed
    }

    @Test
    void audioStartingLater_keepsItsOffsetToTheVideo() throws Exception {
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(dir, 2, 30, 30), 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 1.5));
        List<TestMedia.Frame> late = aac.frames().stream()
                .map(f -> new TestMedia.Frame(f.data(), f.ptsMicros() + 500_000, f.key())).toList();
        Path out = dir.resolve("late_audio.ts");
        mux(out, TsMuxer.Options.DEFAULT,
                List.of(TrackFormat.video(Codec.H264, 320, 240, h.avcC()),
                        TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc())),
                Feed.interleave(h.frames(), late), true);
        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        double vs = Double.parseDouble(Tools.stream(streams, "video").get("start_time"));
        double as = Double.parseDouble(Tools.stream(streams, "audio").get("start_time"));
        assertThat(as - vs).isCloseTo(0.5, within(0.0001));
    }

    @Test
    void h265PlusOpus_hevcAndOpusAsFfmpegMapsThem() throws Exception {
        HevcMedia.Hevc h = HevcMedia.split(HevcMedia.hevc(dir, 2, 30, 30), 30);
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 2, 2));
        assertThat(h.frames()).hasSize(60);
        assertThat(h.frames().stream().filter(TestMedia.Frame::key).count()).isEqualTo(2);
        Path out = dir.resolve("h265_opus.ts");
        TsMuxer m = mux(out, TsMuxer.Options.DEFAULT,
                List.of(TrackFormat.video(Codec.H265, 320, 240, h.hvcC()),
                        TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head())),
                Feed.interleave(h.frames(), opus.packets()), true);
        assertThat(m.framesRejected()).isZero();

        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        assertFfmpegSilent(out);
        Map<String, String> v = Tools.stream(streams, "video");
        Map<String, String> a = Tools.stream(streams, "audio");
        assertThat(v.get("codec_name")).isEqualTo("hevc");
        assertThat(v.get("width")).isEqualTo("320");
        assertThat(v.get("nb_read_frames")).isEqualTo("60");
        assertThat(a.get("codec_name")).isEqualTo("opus");
        assertThat(a.get("channels")).isEqualTo("2");
        assertThat(Long.parseLong(a.get("nb_read_frames"))).isEqualTo(opus.packets().size());
        // the Opus track is shifted back by its pre-skip (trimmed by start_trim): its first presented sample
        // is at the video's start
        double preSkip = io.capstan.mux.common.OpusPackets.preSkip(opus.head()) / 48000.0;
        assertThat(Double.parseDouble(v.get("start_time"))).isCloseTo(1.4, within(0.0001));
        assertThat(Double.parseDouble(a.get("start_time")) + preSkip).isCloseTo(1.4, within(0.0001));
        assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
        Tools.assertMonotonicPackets(out, 2);
    }

    @Test
    void fileCutAtRandomPoints_decodesWithoutErrorUpToTheCut() throws Exception {
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(dir, 4, 30, 30), 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 4));
        Path full = dir.resolve("full.ts");
        // never closed, only flushed: what a killed recorder leaves
        mux(full, TsMuxer.Options.DEFAULT,
                List.of(TrackFormat.video(Codec.H264, 320, 240, h.avcC()),
                        TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc())),
                Feed.interleave(h.frames(), aac.frames()), false);
        byte[] bytes = Files.readAllBytes(full);
        assertThat(bytes.length % 188).isZero();
        Random rnd = new Random(20240613);
        for (int i = 0; i < 8; i++) {
            int cut = 2000 + rnd.nextInt(bytes.length - 2000);
            Path part = dir.resolve("cut_" + i + ".ts");
            Files.write(part, Arrays.copyOf(bytes, cut));
            // a demuxer sees the last PES is shorter than its PES_packet_length and drops it
            assertFfmpegSilent(part, "-fflags", "+discardcorrupt");
            TsReader r = TsReader.read(Arrays.copyOf(bytes, cut), true);
            long completeVideo = r.pes(0x100).stream().filter(TsReader.Pes::complete).count();
            MediaTools.Run probe = MediaTools.run(List.of("ffprobe", "-v", "error", "-fflags", "+discardcorrupt",
                    "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of",
                    "csv=p=0", part.toString()));
            assertThat(probe.stderr()).as("cut at " + cut).isBlank();
            // (ffprobe lists the stream under its program and again on its own: the same line twice)
            assertThat(Long.parseLong(probe.stdout().trim().split("\\s+")[0])).as("frames decoded from a cut at " + cut)
                    .isEqualTo(completeVideo);
        }
    }

    @Test
    void twoConsecutiveSegments_playAsAnHlsPlaylist() throws Exception {
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(dir, 4, 30, 30), 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 4));
        // parameter sets only in the avcC, as WebRTC senders often send them: the muxer puts them before IDRs
        List<TestMedia.Frame> video = h.frames().stream()
                .map(f -> new TestMedia.Frame(withoutParameterSets(f.data()), f.ptsMicros(), f.key())).toList();
        List<TrackFormat> formats = List.of(TrackFormat.video(Codec.H264, 320, 240, h.avcC()),
                TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc()));
        long cut = 2_000_000; // rotation at the keyframe at 2 s; each file has its own timeline from 0
        int audioFrames = 0;
        for (int s = 0; s < 2; s++) {
            long from = s * cut;
            List<TestMedia.Frame> v = slice(video, from, from + cut);
            List<TestMedia.Frame> a = slice(aac.frames(), from, from + cut);
            audioFrames += a.size();
            // a session chaining HLS segments continues the timestamps through the start offset
            TsMuxer.Options o = new TsMuxer.Options(1_400_000 + from, 40_000, 2_000_000);
            Path seg = dir.resolve("seg" + s + ".ts");
            mux(seg, o, formats, Feed.interleave(v, a), true);
            TsReader r = TsReader.read(Files.readAllBytes(seg), false);
            assertThat(r.order.subList(0, 4)).containsExactly("PAT", "PMT", "PCR:256", "PES:256");
            assertThat(r.pes(0x100).get(0).randomAccess()).isTrue();
            Map<String, String> vs = Tools.stream(Tools.assertDecodesCleanly(seg), "video");
            assertThat(vs.get("nb_read_frames")).isEqualTo("60"); // each segment decodes on its own
        }
        Path m3u8 = dir.resolve("playlist.m3u8");
        Files.writeString(m3u8, """
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-TARGETDURATION:2
                #EXT-X-MEDIA-SEQUENCE:0
                #EXT-X-PLAYLIST-TYPE:VOD
                #EXTINF:2.000,
                seg0.ts
                #EXTINF:2.000,
                seg1.ts
                #EXT-X-ENDLIST
                """);
        Feed.keep(m3u8);
        MediaTools.require("ffprobe", "ffmpeg");
        MediaTools.Run probe = MediaTools.run(List.of("ffprobe", "-v", "error", "-count_frames", "-show_streams",
                "-show_entries", "format=duration", "-of", "compact=p=0", m3u8.toString()));
        assertThat(probe.exit()).isZero();
        assertThat(probe.stderr()).as("ffprobe over the playlist").isBlank();
        assertThat(probe.stdout()).contains("codec_name=h264").contains("codec_name=aac")
                .contains("nb_read_frames=120").contains("nb_read_frames=" + audioFrames);
        assertFfmpegSilent(m3u8);
        assertThat(MediaTools.probeDuration(m3u8)).isCloseTo(4.0, within(0.1));
    }

    private static List<TestMedia.Frame> slice(List<TestMedia.Frame> frames, long from, long to) {
        return frames.stream().filter(f -> f.ptsMicros() >= from && f.ptsMicros() < to)
                .map(f -> new TestMedia.Frame(f.data(), f.ptsMicros() - from, f.key())).toList();
    }

    /** Drops SPS (7) and PPS (8) NAL units from a length-prefixed access unit. */
    static byte[] withoutParameterSets(byte[] au) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int p = 0;
        while (p < au.length) {
            int n = ByteBuffer.wrap(au, p, 4).getInt();
            int type = au[p + 4] & 0x1F;
            if (type != 7 && type != 8) {
                o.write(au, p, 4 + n);
            }
            p += 4 + n;
        }
        return o.toByteArray();
    }
}
