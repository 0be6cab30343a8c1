package io.capstan.codec;

import io.capstan.rtp.RtpPacket;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real AV1 from libaom (ffmpeg 5.1, 2 s of 320x180 at 30 fps, a key frame every second), packetized by the
 * spec-following {@link Av1TestPacketizer} (no AV1 RTP payloader exists in Debian 12) with small MTUs so that OBUs
 * are both aggregated and fragmented, then depacketized: every temporal unit comes back as the encoder wrote it
 * (minus the temporal delimiter), the av1C equals the one ffmpeg's own Matroska muxer derives, and ffmpeg decodes
 * the result (IVF) without an error.
 */
class Av1RealEncoderTest {

    @TempDir
    Path tmp;

    static byte[] encode(Path dir, String encoder) {
        MediaTools.require("ffmpeg");
        Path obu = dir.resolve(encoder + ".obu");
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=320x180:rate=30", "-t", "2", "-c:v", encoder, "-g", "30", "-keyint_min", "30",
                "-b:v", "300k", "-pix_fmt", "yuv420p"));
        if (encoder.equals("libaom-av1")) {
            cmd.addAll(List.of("-cpu-used", "8", "-usage", "realtime", "-lag-in-frames", "0"));
        }
        cmd.addAll(List.of("-f", "obu", obu.toString()));
        MediaTools.Run r = MediaTools.run(cmd);
        assertThat(r.exit()).as(r.stderr()).isZero();
        try {
            return Files.readAllBytes(obu);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A temporal unit as the depacketizer should give it back: every OBU but the temporal delimiter, verbatim. */
    static byte[] expected(List<Av1TestPacketizer.Obu> tu) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Av1TestPacketizer.Obu o : tu) {
            if (o.type() != Av1Depacketizer.OBU_TEMPORAL_DELIMITER) {
                out.write(o.data(), o.headerStart(), o.payloadStart() + o.payloadLength() - o.headerStart());
            }
        }
        return out.toByteArray();
    }

    record Run(List<byte[]> frames, List<Boolean> keys, Depacketizer depacketizer, List<byte[]> payloads,
               FrameAssembler assembler) {
    }

    /** Packetizes every temporal unit (3000 ticks apart) and runs the packets through FrameAssembler. */
    static Run roundTrip(List<List<Av1TestPacketizer.Obu>> tus, Av1TestPacketizer packetizer) {
        List<byte[]> frames = new ArrayList<>();
        List<Boolean> keys = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        Depacketizer d = new Av1Depacketizer();
        FrameAssembler a = new FrameAssembler(d, new FrameBuilder(), new FrameAssembler.Output() {
            @Override
            public void frame(byte[] data, int off, int len, long ts, boolean key, long arrival, int dropped) {
                frames.add(java.util.Arrays.copyOfRange(data, off, off + len));
                keys.add(key);
            }

            @Override
            public void keyframeNeeded(String reason) {
                throw new AssertionError("keyframe requested: " + reason);
            }
        });
        int seq = 0;
        for (int i = 0; i < tus.size(); i++) {
            List<byte[]> packets = packetizer.packetize(tus.get(i));
            payloads.addAll(packets);
            for (int k = 0; k < packets.size(); k++) {
                RtpPacket p = Av1TestPacketizer.rtp(seq++ & 0xFFFF, 3000L * i, k == packets.size() - 1, packets.get(k));
                assertThat(a.packet(p, 3000L * i, false, 0)).isTrue();
            }
        }
        return new Run(frames, keys, d, payloads, a);
    }

    @Test
    void libaom_packetizedWithAggregationAndFragmentation_roundTripsAndDecodes() throws Exception {
        byte[] stream = encode(tmp, "libaom-av1");
        List<List<Av1TestPacketizer.Obu>> tus = Av1TestPacketizer.temporalUnits(stream);
        assertThat(tus).hasSize(60);

        for (Av1TestPacketizer packetizer : List.of(new Av1TestPacketizer(400), new Av1TestPacketizer(1200).alwaysW0(),
                new Av1TestPacketizer(250).keepSizeFields())) {
            Run run = roundTrip(tus, packetizer);
            assertThat(run.assembler().framesDropped()).isZero();
            assertThat(run.assembler().invalidPayloads()).isZero();
            assertThat(run.frames()).hasSize(60);
            for (int i = 0; i < 60; i++) {
                assertThat(run.frames().get(i)).as("temporal unit %d", i).isEqualTo(expected(tus.get(i)));
            }
            // key frames every 30 frames (-g 30), each with a sequence header
            List<Integer> keyIndexes = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                if (run.keys().get(i)) {
                    keyIndexes.add(i);
                }
            }
            assertThat(keyIndexes).containsExactly(0, 30);
            assertThat(run.depacketizer().format().width()).isEqualTo(320);
            assertThat(run.depacketizer().format().height()).isEqualTo(180);
            assertThat(run.depacketizer().formatVersion()).isEqualTo(1);
        }

        // the packetization really aggregated (W >= 2 or several W=0 elements) and fragmented (Z, Y) OBUs,
        // and a key frame spans at least three packets
        List<byte[]> payloads = roundTrip(tus, new Av1TestPacketizer(400)).payloads();
        assertThat(payloads).anyMatch(p -> ((p[0] >> 4) & 3) >= 2);
        assertThat(payloads).anyMatch(p -> (p[0] & 0x80) != 0 && (p[0] & 0x40) != 0); // a middle fragment
        assertThat(payloads).anyMatch(p -> (p[0] & 0x08) != 0);                      // N on a new sequence
        assertThat(payloads.stream().filter(p -> (p[0] & 0x80) != 0).count()).isGreaterThan(60);

        // av1C: the same record ffmpeg's Matroska muxer derives from the same stream
        Run run = roundTrip(tus, new Av1TestPacketizer(400));
        MediaTools.require("ffmpeg", "ffprobe");
        Path mkv = tmp.resolve("ffmpeg.mkv");
        Files.write(tmp.resolve("in.obu"), stream);
        MediaTools.Run remux = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-y", "-i",
                tmp.resolve("in.obu").toString(), "-c", "copy", mkv.toString()));
        assertThat(remux.exit()).as(remux.stderr()).isZero();
        assertThat(HexFormat.of().formatHex(run.depacketizer().format().codecPrivate()))
                .isEqualTo(HexFormat.of().formatHex(codecPrivate(Files.readAllBytes(mkv))));

        // and ffmpeg decodes the temporal units (IVF, one per frame) at 320x180 without an error
        Path ivf = tmp.resolve("out.ivf");
        Files.write(ivf, ivf(run.frames(), 320, 180));
        MediaTools.Run probe = MediaTools.run(List.of("ffprobe", "-v", "error", "-count_frames", "-select_streams",
                "v:0", "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0",
                ivf.toString()));
        assertThat(probe.stderr()).as("decoder errors").isEmpty();
        assertThat(probe.stdout().trim()).isEqualTo("av1,320,180,60");
        assertThat(MediaTools.decodeErrors(ivf)).isEmpty();
    }

    @Test
    void libsvtav1_hiddenFramesAndShowExisting_roundTrip() {
        // SVT-AV1 codes in mini-GOPs: temporal units with hidden frames (show_frame 0) and show_existing_frame
        byte[] stream = encode(tmp, "libsvtav1");
        List<List<Av1TestPacketizer.Obu>> tus = Av1TestPacketizer.temporalUnits(stream);
        assertThat(tus).hasSize(60);
        // the stream really has them: frame (header) OBUs whose first bit is show_existing_frame, and hidden frames
        long showExisting = tus.stream().flatMap(List::stream)
                .filter(o -> o.type() == Av1Depacketizer.OBU_FRAME_HEADER || o.type() == Av1Depacketizer.OBU_FRAME)
                .filter(o -> (o.data()[o.payloadStart()] & 0x80) != 0).count();
        assertThat(showExisting).isPositive();
        Run run = roundTrip(tus, new Av1TestPacketizer(300));
        assertThat(run.frames()).hasSize(tus.size());
        for (int i = 0; i < tus.size(); i++) {
            assertThat(run.frames().get(i)).as("temporal unit %d", i).isEqualTo(expected(tus.get(i)));
        }
        assertThat(run.keys().get(0)).isTrue();
        long keys = run.keys().stream().filter(k -> k).count();
        assertThat(keys).isBetween(1L, 3L);
        assertThat(run.depacketizer().format().codecPrivate()[0]).isEqualTo((byte) 0x81);
    }

    /** The CodecPrivate (EBML id 63 A2) of a single-track Matroska file. */
    static byte[] codecPrivate(byte[] mkv) {
        for (int i = 0; i + 3 < mkv.length; i++) {
            if ((mkv[i] & 0xFF) == 0x63 && (mkv[i + 1] & 0xFF) == 0xA2 && (mkv[i + 2] & 0x80) != 0) {
                int n = mkv[i + 2] & 0x7F; // a 1-octet VINT size (an av1C of a small sequence header)
                return java.util.Arrays.copyOfRange(mkv, i + 3, i + 3 + n);
            }
        }
        throw new AssertionError("no CodecPrivate");
    }

    /** IVF: 32-byte header (fourcc AV01), then a 12-byte header per frame. */
    static byte[] ivf(List<byte[]> frames, int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(32 + frames.stream().mapToInt(f -> 12 + f.length).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put("DKIF".getBytes(StandardCharsets.US_ASCII)).putShort((short) 0).putShort((short) 32)
                .put("AV01".getBytes(StandardCharsets.US_ASCII)).putShort((short) w).putShort((short) h)
                .putInt(30).putInt(1).putInt(frames.size()).putInt(0);
        long pts = 0;
        for (byte[] f : frames) {
            b.putInt(f.length).putLong(pts++).put(f);
        }
        return b.array();
    }
}
