package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.rtp.ReceiveBuffer;
import io.capstan.rtp.RtpPacket;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.RtpFormat;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** Access units of a capture: the depacketizer, the frames (AVCC-style 4-byte lengths), and the counters. */
    record Result(H265Depacketizer depacketizer, FrameAssembler assembler, List<byte[]> frames, int keyframes,
                  boolean firstIsKey) {
    }

    static Path fixtures() throws Exception {
        return Path.of(H265GstCaptureTest.class.getResource("/fixtures/README.md").toURI()).getParent();
    }

    static Result depacketize(String name) throws Exception {
        SessionDescription sdp = SdpParser.parse(fixtures().resolve(name + ".sdp"));
        MediaDescription video = sdp.media().stream().filter(m -> m.media().equals("video")).findFirst().orElseThrow();
        RtpFormat fmt = video.formats().get(0);
        assertThat(fmt.codec()).contains(Codec.H265);
        Depacketizer d = Depacketizers.create(Codec.H265, fmt.clockRate(), 0, fmt.parameters());
        List<byte[]> frames = new ArrayList<>();
        int[] keys = {0};
        boolean[] firstKey = {false};
        FrameAssembler assembler = new FrameAssembler(d, new FrameBuilder(), new FrameAssembler.Output() {
            @Override
            public void frame(byte[] data, int off, int len, long ts, boolean keyframe, long arrival, int dropped) {
                if (frames.isEmpty()) {
                    firstKey[0] = keyframe;
                }
                frames.add(java.util.Arrays.copyOfRange(data, off, off + len));
                keys[0] += keyframe ? 1 : 0;
            }

            @Override
            public void keyframeNeeded(String reason) {
                throw new AssertionError("keyframe requested on a clean capture: " + reason);
            }
        });
        ReceiveBuffer buffer = new ReceiveBuffer(512, 200_000_000L,
                (p, extSeq, extTs, arrival, loss) -> assertThat(assembler.packet(p, extTs, loss, arrival)).isTrue());
        try (CaptureReader r = CaptureReader.open(fixtures().resolve(name + ".pcap"))) {
            for (UdpDatagram dg = r.next(); dg != null; dg = r.next()) {
                if (dg.dstPort() != video.port()) {
                    continue;
                }
                RtpPacket p = new RtpPacket();
                byte[] copy = dg.payload();
                assertThat(p.wrap(copy, 0, copy.length)).isNull();
                buffer.push(p, dg.timestampNanos());
            }
        }
        buffer.releaseAll();
        assembler.flush();
        return new Result((H265Depacketizer) d, assembler, frames, keys[0], firstKey[0]);
    }

    /** Annex B (H.265 annex B byte stream): every NAL unit behind a 4-byte start code. */
    static byte[] annexB(List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : frames) {
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

        Result r = depacketize("h265_gst");
        assertThat(r.frames()).hasSize((int) frames);
        assertThat(frames).isEqualTo(num(truth, "streams_sent", "0", "frames_sent"));
        assertThat(r.keyframes()).isEqualTo((int) keyframes);
        assertThat(r.firstIsKey()).isTrue();
        assertThat(r.assembler().framesDropped()).isZero();
        assertThat(r.assembler().invalidPayloads()).isZero();
        H265Depacketizer d = r.depacketizer();
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
