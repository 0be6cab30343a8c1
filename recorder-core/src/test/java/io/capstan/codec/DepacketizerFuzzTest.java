package io.capstan.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.media.Codec;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.rtp.RtpPacket;
import io.capstan.rtp.SeqMath;
import io.capstan.testing.FuzzInputs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz targets for every depacketizer (issue 7). Each input is a variant byte (which fmtp the
 * depacketizer is made from) and a sequence of RTP datagrams ({@link FuzzInputs#records}); the datagrams go through
 * {@link RtpPacket#wrap} and the real {@link FrameAssembler} as {@code TrackInput} drives it (loss from sequence
 * gaps, unwrapped timestamps), and every emitted frame's {@code format()} is read.
 *
 * <p>Contract: malformed payloads are rejected or dropped; nothing throws, frames stay inside their buffer.
 * Seeds: {@code src/test/resources/io/capstan/codec/DepacketizerFuzzTestInputs/<method>/}: the first packets of
 * the real captures in {@code fixtures/} and the hand-made payloads of {@link MalformedPayloadFuzzTest}, written
 * by {@link #writeSeeds()} ({@code -Dcapstan.fuzz.writeSeeds=true}).
 */
class DepacketizerFuzzTest {

    static final String H264_SPROP = "Z0LADdkBQfsBEAAAAwAQAAADA8jxQqSA,aMuMsg==";
    static final Map<String, String> H265_SPROPS = Map.of(
            "sprop-vps", "QAEMAf//AWAAAAMAkAAAAwAAAwA8ugJA",
            "sprop-sps", "QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZbpKTC//AAEAAWoMDAwIAAAAMAgAAADwQ=",
            "sprop-pps", "RAHAcYMS");
    static final Map<String, String> AAC_HBR = Map.of("profile-level-id", "1", "mode", "AAC-hbr",
            "sizelength", "13", "indexlength", "3", "indexdeltalength", "3", "config", "119056E500");
    static final Map<String, String> AAC_LBR = Map.of("mode", "AAC-lbr", "sizelength", "6", "indexlength", "2",
            "indexdeltalength", "2", "config", "1210");

    @FuzzTest(maxDuration = "60s")
    void vp8(byte[] data) {
        drive(Codec.VP8, 90000, 0, List.of(Map.of()), data);
    }

    @FuzzTest(maxDuration = "60s")
    void vp9(byte[] data) {
        drive(Codec.VP9, 90000, 0, List.of(Map.of()), data);
    }

    @FuzzTest(maxDuration = "60s")
    void h264(byte[] data) {
        drive(Codec.H264, 90000, 0, List.of(Map.of("packetization-mode", "1"),
                Map.of("packetization-mode", "1", "sprop-parameter-sets", H264_SPROP), Map.of()), data);
    }

    @FuzzTest(maxDuration = "60s")
    void h265(byte[] data) {
        drive(Codec.H265, 90000, 0, List.of(H265_SPROPS, Map.of(), Map.of("sprop-max-don-diff", "2")), data);
    }

    @FuzzTest(maxDuration = "60s")
    void av1(byte[] data) {
        drive(Codec.AV1, 90000, 0, List.of(Map.of()), data);
    }

    @FuzzTest(maxDuration = "60s")
    void opus(byte[] data) {
        drive(Codec.OPUS, 48000, 2, List.of(Map.of("sprop-stereo", "1"), Map.of("sprop-stereo", "0")), data);
    }

    @FuzzTest(maxDuration = "60s")
    void aac(byte[] data) {
        drive(Codec.AAC, 48000, 2, List.of(AAC_HBR, AAC_LBR), data);
    }

    @FuzzTest(maxDuration = "60s")
    void g711(byte[] data) {
        boolean alaw = data.length > 0 && (data[0] & 1) == 1;
        drive(alaw ? Codec.PCMA : Codec.PCMU, 8000, data.length > 0 && (data[0] & 2) != 0 ? 2 : 1,
                List.of(Map.of()), data);
    }

    /** Byte 0 picks the fmtp variant; the rest is a packet sequence. */
    static void drive(Codec codec, int clockRate, int channels, List<Map<String, String>> variants, byte[] data) {
        if (data.length == 0) {
            return;
        }
        Map<String, String> fmtp = variants.get((data[0] & 0xFF) % variants.size());
        Depacketizer d = Depacketizers.create(codec, clockRate, channels, fmtp);
        d.format();
        FrameBuilder builder = new FrameBuilder(16, 1 << 20);
        FrameAssembler a = new FrameAssembler(d, builder, new FrameAssembler.Output() {
            @Override
            public void frame(byte[] frame, int off, int len, long rtpTimestamp, boolean keyframe, long arrivalNanos,
                              int droppedBefore) {
                assertThat(off).isNotNegative();
                assertThat(len).isNotNegative();
                assertThat(off + len).isLessThanOrEqualTo(frame.length);
                d.formatVersion();
                d.format();
            }

            @Override
            public void keyframeNeeded(String reason) {
            }
        });
        RtpPacket p = new RtpPacket();
        boolean first = true;
        int lastSeq = 0;
        long extTs = 0;
        long arrival = 0;
        for (byte[] datagram : FuzzInputs.records(data, 1)) {
            if (p.wrap(datagram, 0, datagram.length) != null) {
                continue;
            }
            int seq = p.sequenceNumber();
            boolean loss = !first && SeqMath.seqDelta(lastSeq, seq) != 1;
            if (!first && SeqMath.seqDelta(lastSeq, seq) <= 0) {
                continue; // the receive buffer drops duplicates and late packets before the assembler
            }
            extTs = first ? p.timestamp() : SeqMath.unwrapTs(extTs, p.timestamp());
            first = false;
            lastSeq = seq;
            arrival += 10_000_000L;
            a.packet(p, extTs, loss, arrival);
        }
        a.flush();
    }

    /** The first packets of payload type {@code pt} in a fixture capture, up to about {@code maxBytes}. */
    static List<byte[]> fixturePackets(String capture, int pt, int maxBytes) throws Exception {
        List<byte[]> out = new ArrayList<>();
        int total = 0;
        try (CaptureReader r = CaptureReader.open(fixtures().resolve(capture))) {
            for (UdpDatagram d; (d = r.next()) != null && total < maxBytes; ) {
                byte[] b = d.payload();
                if (b.length >= 12 && (b[1] & 0x7F) == pt && (b[0] & 0xC0) == 0x80) {
                    out.add(b);
                    total += b.length;
                }
            }
        }
        return out;
    }

    static Path fixtures() throws URISyntaxException {
        return Path.of(DepacketizerFuzzTest.class.getResource("/fixtures/README.md").toURI()).getParent();
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzInputs.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        String me = DepacketizerFuzzTest.class.getName();
        record Fixture(String method, String capture, int pt, int variant) {
        }
        for (Fixture f : List.of(new Fixture("vp8", "vp8_opus.pcap", 96, 0), new Fixture("vp9", "vp9_gst.pcap", 98, 0),
                new Fixture("h264", "h264_aac.pcap", 96, 0), new Fixture("h264", "h264_stapa.pcap", 96, 1),
                new Fixture("h265", "h265_gst.pcap", 96, 0), new Fixture("opus", "vp8_opus.pcap", 111, 0),
                new Fixture("opus", "opus_dtx_gst.pcap", 111, 1), new Fixture("aac", "h264_aac.pcap", 97, 0),
                new Fixture("g711", "pcmu.pcap", 0, 0))) {
            FuzzInputs.writeSeed(me, f.method(), f.capture().replace(".pcap", ""),
                    FuzzInputs.encode(new byte[] {(byte) f.variant()}, fixturePackets(f.capture(), f.pt(), 6000)));
        }
        Map<String, String> methods = Map.of("vp8", "vp8", "vp9", "vp9", "h264", "h264", "h265", "h265",
                "h265-donl", "h265", "av1", "av1", "aac", "aac", "opus", "opus", "pcmu", "g711");
        for (MalformedPayloadFuzzTest.Sample s : MalformedPayloadFuzzTest.samples()) {
            List<byte[]> packets = new ArrayList<>();
            int seq = 100;
            for (byte[] payload : s.payloads()) {
                RtpPacket p = Rtp.packet(seq++, 3000L * (seq / 3), true, payload);
                packets.add(java.util.Arrays.copyOfRange(p.buffer(), p.offset(), p.offset() + p.length()));
            }
            int variant = s.name().equals("h265-donl") ? 2 : 0;
            FuzzInputs.writeSeed(me, methods.get(s.name()), "samples-" + s.name(),
                    FuzzInputs.encode(new byte[] {(byte) variant}, packets));
        }
    }
}
