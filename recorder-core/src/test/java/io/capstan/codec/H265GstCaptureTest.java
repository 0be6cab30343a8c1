package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's own H.265 capture ({@code fixtures/h265_gst}: GStreamer x265enc + rtph265pay, AP with VPS/SPS/PPS
 * at every IRAP picture, FU, sprop-vps/sps/pps in the SDP; made by scripts/make-fixtures.sh) through the real
 * receive path (ReceiveBuffer -> FrameAssembler -> H265Depacketizer), checked against its truth JSON, then decoded
 * by ffmpeg from an Annex B file built from the access units.
 */
class H265GstCaptureTest {

    @TempDir
    Path tmp;

    static Path fixtures() throws Exception {
        return Path.of(H265GstCaptureTest.class.getResource("/fixtures/README.md").toURI()).getParent();
    }

    /** Annex B (H.265 annex B byte stream): every NAL unit behind a 4-byte start code. */
    static byte[] annexB(List<CaptureFrames.Frame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CaptureFrames.Frame frame : frames) {
            byte[] f = frame.data();
            ByteBuffer b = ByteBuffer.wrap(f);
            while (b.hasRemaining()) {
                int n = b.getInt();
                out.write(new byte[] {0, 0, 0, 1}, 0, 4);
                out.write(f, b.position(), n);
                b.position(b.position() + n);
            }
        }
        return out.toByteArray();
    }

    static long num(Object truth, String... path) {
        return ((Number) MiniJson.at(truth, path)).longValue();
    }

    @Test
    void h265Gst_everyAccessUnitDepacketized_decodesCleanlyAtTruthSize() throws Exception {
        Object truth = MiniJson.parse(Files.readString(fixtures().resolve("h265_gst.truth.json"), StandardCharsets.UTF_8));
        long frames = num(truth, "observed", "streams", "0", "per_ssrc", "0", "codec", "frames");
        long keyframes = num(truth, "observed", "streams", "0", "per_ssrc", "0", "codec", "keyframes");
        long width = num(truth, "streams_sent", "0", "width");
        long height = num(truth, "streams_sent", "0", "height");
        // the capture exercises every packet kind this test is about
        assertThat(num(truth, "observed", "streams", "0", "per_ssrc", "0", "codec", "ap")).isPositive();
        assertThat(num(truth, "observed", "streams", "0", "per_ssrc", "0", "codec", "fu")).isPositive();
        assertThat(num(truth, "observed", "streams", "0", "per_ssrc", "0", "codec", "single_nal")).isPositive();

        CaptureFrames.Result r = CaptureFrames.read(fixtures(), "h265_gst", "video");
        assertThat(r.depacketizer()).isInstanceOf(H265Depacketizer.class);
        assertThat(r.frames()).hasSize((int) frames);
        assertThat(frames).isEqualTo(num(truth, "streams_sent", "0", "frames_sent"));
        assertThat(r.keyframes()).isEqualTo(keyframes);
        assertThat(r.frames().get(0).keyframe()).isTrue();
        assertThat(r.assembler().framesDropped()).isZero();
        assertThat(r.assembler().invalidPayloads()).isZero();
        assertThat(r.keyframeRequests()).isEmpty();
        Depacketizer d = r.depacketizer();
        assertThat(d.format().width()).isEqualTo(width);
        assertThat(d.format().height()).isEqualTo(height);
        byte[] hvcc = d.format().codecPrivate();
        assertThat(hvcc[0]).isEqualTo((byte) 1);                // configurationVersion
        assertThat(hvcc[1] & 0x1F).isEqualTo(1);                // Main profile
        assertThat(hvcc[21] & 0x03).isEqualTo(3);               // lengthSizeMinusOne
        assertThat(hvcc[22]).isEqualTo((byte) 3);               // VPS, SPS, PPS arrays
        // the in-band parameter sets are those of the SDP: the format never changed
        assertThat(d.formatVersion()).isZero();

        MediaTools.require("ffprobe", "ffmpeg");
        Path file = tmp.resolve("h265_gst.hevc");
        Files.write(file, annexB(r.frames()));
        MediaTools.Run probe = MediaTools.run(List.of("ffprobe", "-v", "error", "-f", "hevc", "-count_frames",
                "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,width,height,profile", "-of",
                "csv=p=0", file.toString()));
        assertThat(probe.stderr()).as("decoder errors").isEmpty();
        assertThat(probe.stdout().trim()).isEqualTo("Main," + width + "," + height + "," + frames);
        MediaTools.Run decode = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-f", "hevc", "-i",
                file.toString(), "-f", "null", "-"));
        assertThat(decode.exit()).isZero();
        assertThat(decode.stderr()).as("decoder errors").isEmpty();
    }
}
