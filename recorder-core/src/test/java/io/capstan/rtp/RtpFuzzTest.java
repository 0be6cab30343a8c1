package io.capstan.rtp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.testing.FuzzInputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz targets for the RTP view and the RTCP parser (issue 7). In a normal test run each method
 * replays its committed inputs ({@code src/test/resources/io/capstan/rtp/RtpFuzzTestInputs/<method>/}); with
 * {@code JAZZER_FUZZ=1} it fuzzes (README, "Fuzzing").
 *
 * <p>Contract: a datagram is either rejected with a reason or yields a view whose every accessor stays inside
 * the datagram; nothing throws. Seeds: RTP and RTCP datagrams of the fixture captures and RTP with CSRCs,
 * padding and one- and two-byte header extensions ({@link #writeSeeds()}). Inputs end with one byte that is the
 * datagram's offset in its buffer (Jazzer's {@code FuzzedDataProvider} takes integers from the end).
 */
class RtpFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void rtpPacket(FuzzedDataProvider data) {
        int off = data.consumeInt(0, 8);
        byte[] datagram = data.consumeRemainingAsBytes();
        byte[] buf = new byte[off + datagram.length + data.remainingBytes()];
        System.arraycopy(datagram, 0, buf, off, datagram.length);
        RtpPacket p = new RtpPacket();
        RtpRejectReason reason = p.wrap(buf, off, datagram.length);
        if (reason != null) {
            return;
        }
        int end = off + datagram.length;
        assertThat(p.version()).isEqualTo(2);
        assertThat(p.payloadOffset()).isBetween(off + 12, end);
        assertThat(p.payloadOffset() + p.payloadLength()).isLessThanOrEqualTo(end);
        for (int i = 0; i < p.payloadLength(); i++) {
            p.payloadByte(i);
        }
        for (int i = 0; i < p.csrcCount(); i++) {
            p.csrc(i);
        }
        p.marker();
        p.payloadType();
        p.sequenceNumber();
        p.timestamp();
        p.ssrc();
        p.hasPadding();
        p.extensionProfile();
        for (int id = 0; id < 256; id++) {
            long found = p.findExtension(id);
            if (found >= 0) {
                int at = RtpPacket.elementOffset(found);
                int len = RtpPacket.elementLength(found);
                assertThat(at).as("extension %d offset", id).isBetween(off + 12, end);
                assertThat(at + len).as("extension %d end", id).isLessThanOrEqualTo(p.payloadOffset());
            }
        }
        p.toString();
    }

    @FuzzTest(maxDuration = "60s")
    void rtcpCompound(FuzzedDataProvider data) {
        int off = data.consumeInt(0, 8);
        byte[] packet = data.consumeRemainingAsBytes();
        byte[] buf = new byte[off + packet.length];
        System.arraycopy(packet, 0, buf, off, packet.length);
        RtcpParser.looksLikeRtcp(buf, off, packet.length);
        RtcpParser.parse(buf, off, packet.length, new RtcpParser.Visitor() {
            @Override
            public void senderReport(SenderReport sr) {
                sr.toString();
            }

            @Override
            public void sdesCname(long ssrc, String cname) {
                assertThat(cname.length()).isLessThanOrEqualTo(255);
            }
        });
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzInputs.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        String me = RtpFuzzTest.class.getName();
        Path fixtures = Path.of(RtpFuzzTest.class.getResource("/fixtures/README.md").toURI()).getParent();
        int rtp = 0;
        int rtcp = 0;
        try (CaptureReader r = CaptureReader.open(fixtures.resolve("vp8_opus.pcap"))) {
            for (UdpDatagram d; (d = r.next()) != null && (rtp < 3 || rtcp < 3); ) {
                byte[] b = Arrays.copyOf(d.payload(), d.length() + 1); // + offset byte 0
                if (RtcpParser.looksLikeRtcp(b, 0, d.length())) {
                    if (rtcp < 3) {
                        FuzzInputs.writeSeed(me, "rtcpCompound", "vp8_opus-" + rtcp++, b);
                    }
                } else if (rtp < 3 && d.length() < 200) {
                    FuzzInputs.writeSeed(me, "rtpPacket", "vp8_opus-" + rtp++, b);
                }
            }
        }
        // V=2 P X CC=2, M PT=96, seq, ts, ssrc, 2 CSRCs, one-byte extension (ids 1 and 3), payload, 2 padding bytes
        FuzzInputs.writeSeed(me, "rtpPacket", "csrc-onebyte-padding", Rtp.hex(
                "b2e0 0102 00000003 11223344 aaaaaaaa bbbbbbbb bede0002 10ff 3100 01 000000 0102030405 0002 02"));
        // two-byte extension profile 0x1000: id 1 len 2, id 2 len 0
        FuzzInputs.writeSeed(me, "rtpPacket", "twobyte", Rtp.hex(
                "9060 0001 00000001 11223344 1000 0002 0102 aabb 0200 0000 ff 00"));
        FuzzInputs.writeSeed(me, "rtcpCompound", "sr-sdes-bye", Rtp.hex(
                "81c8000c 11223344 e0000000 00000000 00000bb8 00000001 00000064"
                        + " 55667788 00000000 00000000 00000000 00000000 00000000"
                        + " 81ca0003 11223344 0103 6162 63000000 81cb0001 11223344 00"));
    }
}
