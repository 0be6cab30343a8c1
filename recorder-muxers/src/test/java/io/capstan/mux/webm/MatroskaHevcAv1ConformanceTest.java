package io.capstan.mux.webm;

import io.capstan.codec.Av1Depacketizer;
import io.capstan.codec.Av1TestPacketizer;
import io.capstan.codec.CaptureFrames;
import io.capstan.codec.Depacketizer;
import io.capstan.codec.FrameAssembler;
import io.capstan.codec.FrameBuilder;
import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.testing.EbmlReader;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.capstan.mux.testing.EbmlReader.CODEC_ID;
import static io.capstan.mux.testing.EbmlReader.CODEC_PRIVATE;
import static io.capstan.mux.testing.EbmlReader.TRACKS;
import static io.capstan.mux.testing.EbmlReader.TRACK_ENTRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * H.265 ({@code V_MPEGH/ISO/HEVC} + hvcC, Matroska only) and AV1 ({@code V_AV1} + av1C, WebM and Matroska) end to
 * end: RTP -> depacketizer -> MatroskaMuxer, judged by ffprobe, a full ffmpeg decode and mkvinfo. H.265 comes from
 * the project's GStreamer capture ({@code h265_gst}), AV1 from libaom packetized by the test-scope
 * {@link Av1TestPacketizer} (no AV1 RTP payloader exists in Debian 12).
 */
class MatroskaHevcAv1ConformanceTest {

    static final Path FIXTURES = Path.of("../recorder-core/src/test/resources/fixtures");

    @TempDir
    Path dir;

    /** Frames with pts from the first frame's RTP timestamp (90 kHz). */
    static List<TestMedia.Frame> frames(List<CaptureFrames.Frame> in) {
        List<TestMedia.Frame> out = new ArrayList<>();
        long first = in.get(0).rtpTimestamp();
        for (CaptureFrames.Frame f : in) {
            out.add(new TestMedia.Frame(f.data(), (f.rtpTimestamp() - first) * 1000 / 90, f.keyframe()));
        }
        return out;
    }

    static void mux(Path out, MatroskaMuxerFactory factory, TrackFormat format, List<TestMedia.Frame> frames)
            throws Exception {
        try (FileOutput o = new FileOutput(out)) {
            MatroskaMuxer m = (MatroskaMuxer) factory.create(o);
            m.addTrack(format);
            Feed.write(m, 0, frames);
            m.close();
            assertThat(m.droppedBeforeKeyframe()).isZero();
            Feed.keep(out);
        }
    }

    static byte[] trackCodecPrivate(Path file, String codecId) throws Exception {
        List<EbmlReader.Element> top = EbmlReader.parse(Files.readAllBytes(file));
        EbmlReader.Element entry = top.get(1).child(TRACKS).child(TRACK_ENTRY);
        assertThat(entry.child(CODEC_ID).string()).isEqualTo(codecId);
        return entry.child(CODEC_PRIVATE).data();
    }

    static long keyPackets(Path file) {
        // ffprobe prints the requested packet fields in its own order: pts_time, dts_time, size, flags
        return MediaTools.packets(file, 0).stream().filter(r -> r[r.length - 1].startsWith("K")).count();
    }

    @Test
    void hevc_gstCapture_matroska_decodesCleanlyAtTruthSize() throws Exception {
        Object truth = MiniJson.parse(Files.readString(FIXTURES.resolve("h265_gst.truth.json")));
        long frames = ((Number) MiniJson.at(truth, "observed", "streams", "0", "per_ssrc", "0", "codec", "frames"))
                .longValue();
        long keyframes = ((Number) MiniJson.at(truth, "observed", "streams", "0", "per_ssrc", "0", "codec",
                "keyframes")).longValue();
        CaptureFrames.Result r = CaptureFrames.read(FIXTURES, "h265_gst", "video");
        TrackFormat format = r.depacketizer().format();
        assertThat(format.codec()).isEqualTo(Codec.H265);
        assertThat(r.frames()).hasSize((int) frames);

        Path out = dir.resolve("h265_gst.mkv");
        mux(out, MatroskaMuxerFactory.matroska(), format, frames(r.frames()));
        List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
        Map<String, String> v = Tools.stream(streams, "video");
        assertThat(v.get("codec_name")).isEqualTo("hevc");
        assertThat(v.get("profile")).isEqualTo("Main");
        assertThat(v.get("width")).isEqualTo(String.valueOf(MiniJson.at(truth, "streams_sent", "0", "width")));
        assertThat(v.get("height")).isEqualTo(String.valueOf(MiniJson.at(truth, "streams_sent", "0", "height")));
        assertThat(v.get("nb_read_frames")).isEqualTo(String.valueOf(frames));
        assertThat(keyPackets(out)).isEqualTo(keyframes);
        assertThat(MediaTools.probeDuration(out)).isCloseTo(frames / 30.0, within(0.05));
        assertThat(trackCodecPrivate(out, "V_MPEGH/ISO/HEVC")).isEqualTo(format.codecPrivate());
        assertThat(Tools.mkvinfo(out)).contains("V_MPEGH/ISO/HEVC").contains("Cues");
        Tools.assertMonotonicPackets(out, 1);
    }

    @Test
    void hevc_notInWebm() {
        assertThat(DocType.WEBM.allows(Codec.H265)).isFalse();
        assertThat(DocType.MATROSKA.allows(Codec.H265)).isTrue();
        MatroskaMuxer webm = new MatroskaMuxer(new io.capstan.mux.testing.MemoryOutput(), DocType.WEBM,
                MatroskaMuxer.Options.DEFAULT);
        assertThatThrownBy(() -> webm.addTrack(TrackFormat.video(Codec.H265, 320, 240, new byte[] {1})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("webm cannot hold H265");
        assertThat(MatroskaCodecs.codecId(Codec.H265)).isEqualTo("V_MPEGH/ISO/HEVC");
        assertThat(MatroskaCodecs.codecId(Codec.AV1)).isEqualTo("V_AV1");
    }

    /** libaom temporal units -> RTP (MTU 500: aggregation and fragmentation) -> Av1Depacketizer. */
    List<CaptureFrames.Frame> av1OverRtp(Depacketizer d) {
        MediaTools.require("ffmpeg");
        Path obu = TestMedia.ffmpeg(dir, "av1.obu", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-t", "2",
                "-c:v", "libaom-av1", "-cpu-used", "8", "-usage", "realtime", "-lag-in-frames", "0", "-g", "30",
                "-b:v", "300k", "-pix_fmt", "yuv420p", "-f", "obu");
        List<List<Av1TestPacketizer.Obu>> tus;
        try {
            tus = Av1TestPacketizer.temporalUnits(Files.readAllBytes(obu));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        List<CaptureFrames.Frame> out = new ArrayList<>();
        FrameAssembler a = new FrameAssembler(d, new FrameBuilder(), new FrameAssembler.Output() {
            @Override
            public void frame(byte[] data, int off, int len, long ts, boolean key, long arrival, int dropped) {
                out.add(new CaptureFrames.Frame(java.util.Arrays.copyOfRange(data, off, off + len), ts, key));
            }

            @Override
            public void keyframeNeeded(String reason) {
                throw new AssertionError(reason);
            }
        });
        Av1TestPacketizer packetizer = new Av1TestPacketizer(500);
        int seq = 0;
        for (int i = 0; i < tus.size(); i++) {
            List<byte[]> packets = packetizer.packetize(tus.get(i));
            for (int k = 0; k < packets.size(); k++) {
                a.packet(Av1TestPacketizer.rtp(seq++, 3000L * i, k == packets.size() - 1, packets.get(k)),
                        3000L * i, false, 0);
            }
        }
        assertThat(a.invalidPayloads()).isZero();
        return out;
    }

    @Test
    void av1_libaomOverRtp_webmAndMatroska_decodeCleanly() throws Exception {
        Depacketizer d = new Av1Depacketizer();
        List<CaptureFrames.Frame> frames = av1OverRtp(d);
        assertThat(frames).hasSize(60);
        TrackFormat format = d.format();
        assertThat(format.codecPrivate()[0]).isEqualTo((byte) 0x81);
        for (MatroskaMuxerFactory factory : List.of(MatroskaMuxerFactory.webm(), MatroskaMuxerFactory.matroska())) {
            Path out = dir.resolve("av1." + factory.extension(List.of(Codec.AV1)));
            mux(out, factory, format, frames(frames));
            List<Map<String, String>> streams = Tools.assertDecodesCleanly(out);
            Map<String, String> v = Tools.stream(streams, "video");
            assertThat(v.get("codec_name")).isEqualTo("av1");
            assertThat(v.get("width")).isEqualTo("320");
            assertThat(v.get("height")).isEqualTo("180");
            assertThat(v.get("nb_read_frames")).isEqualTo("60");
            assertThat(keyPackets(out)).isEqualTo(2);
            assertThat(MediaTools.probeDuration(out)).isCloseTo(2.0, within(0.05));
            assertThat(trackCodecPrivate(out, "V_AV1")).isEqualTo(format.codecPrivate());
            assertThat(Tools.mkvinfo(out)).contains("V_AV1").contains("Cues");
            Tools.assertMonotonicPackets(out, 1);
        }
    }
}
