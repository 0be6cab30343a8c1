package io.capstan.rtp;

import org.junit.jupiter.api.Test;

import static io.capstan.rtp.Rtp.hex;
import static org.assertj.core.api.Assertions.assertThat;

class RtpPacketTest {

    private final RtpPacket p = new RtpPacket();

    @Test
    void plainHeader_fieldsReadInPlace() {
        byte[] b = hex("80 e0 1234 0000ff00 deadbeef" + "0102 03");
        //              V=2 M=1,PT=96 seq   ts        ssrc       payload
        assertThat(p.wrap(b, 0, b.length)).isNull();
        assertThat(p.version()).isEqualTo(2);
        assertThat(p.marker()).isTrue();
        assertThat(p.payloadType()).isEqualTo(96);
        assertThat(p.sequenceNumber()).isEqualTo(0x1234);
        assertThat(p.timestamp()).isEqualTo(0xff00);
        assertThat(p.ssrc()).isEqualTo(0xdeadbeefL);
        assertThat(p.payloadOffset()).isEqualTo(12);
        assertThat(p.payloadLength()).isEqualTo(3);
    }

    @Test
    void viewAtOffsetInsideALargerBuffer() {
        byte[] b = hex("ffff" + "80 60 0001 00000001 00000002" + "aa" + "ffff");
        assertThat(p.wrap(b, 2, 13)).isNull();
        assertThat(p.payloadOffset()).isEqualTo(14);
        assertThat(p.payloadByte(0)).isEqualTo(0xaa);
    }

    @Test
    void csrcsAndPadding() {
        byte[] b = hex("a2 60 0001 00000001 00000002" + "00000011 00000022" + "aabb" + "0000 03");
        // V=2 P=1 CC=2                                     two CSRCs           payload  3 padding octets (count included)
        b = java.util.Arrays.copyOf(b, b.length); // 12 + 8 + 2 + 4 = 26
        assertThat(p.wrap(b, 0, b.length)).isNull();
        assertThat(p.csrcCount()).isEqualTo(2);
        assertThat(p.csrc(1)).isEqualTo(0x22);
        assertThat(p.payloadLength()).isEqualTo(2);
        assertThat(p.payloadByte(1)).isEqualTo(0xbb);
    }

    @Test
    void oneByteExtension_rfc8285() {
        // X=1, profile 0xBEDE, length 1 word: id=1 len=2 (L=1) "abcd"? -> element 0x11 0xaa 0xbb, then padding 0x00
        byte[] b = hex("90 60 0001 00000001 00000002" + "bede 0001" + "11 aabb 00" + "55");
        assertThat(p.wrap(b, 0, b.length)).isNull();
        assertThat(p.extensionProfile()).isEqualTo(0xBEDE);
        long found = p.findExtension(1);
        assertThat(found).isNotNegative();
        assertThat(RtpPacket.elementLength(found)).isEqualTo(2);
        assertThat(b[RtpPacket.elementOffset(found)] & 0xff).isEqualTo(0xaa);
        assertThat(p.findExtension(2)).isEqualTo(-1);
        assertThat(p.payloadByte(0)).isEqualTo(0x55);
    }

    @Test
    void twoByteExtension_rfc8285() {
        // profile 0x1000, 2 words: id=7 len=3 "010203", 0x00 padding... id=9 len=0
        byte[] b = hex("90 60 0001 00000001 00000002" + "1000 0002" + "07 03 010203" + "09 00 00" + "66");
        assertThat(p.wrap(b, 0, b.length)).isNull();
        long f = p.findExtension(7);
        assertThat(RtpPacket.elementLength(f)).isEqualTo(3);
        assertThat(RtpPacket.elementLength(p.findExtension(9))).isZero();
        assertThat(p.payloadLength()).isEqualTo(1);
    }

    @Test
    void malformed_rejectedWithReasonNeverThrown() {
        assertThat(p.wrap(hex("80 60 0001 00000001 000000"), 0, 11)).isEqualTo(RtpRejectReason.TOO_SHORT);
        assertThat(p.wrap(hex("40 60 0001 00000001 00000002"), 0, 12)).isEqualTo(RtpRejectReason.BAD_VERSION);
        assertThat(p.wrap(hex("83 60 0001 00000001 00000002 00000003"), 0, 16)).isEqualTo(RtpRejectReason.CSRC_OVERRUN);
        assertThat(p.wrap(hex("90 60 0001 00000001 00000002 bede"), 0, 14)).isEqualTo(RtpRejectReason.EXTENSION_OVERRUN);
        assertThat(p.wrap(hex("90 60 0001 00000001 00000002 bede 0005 11aabb00"), 0, 20))
                .isEqualTo(RtpRejectReason.EXTENSION_OVERRUN);
        // one-byte element claims 16 bytes inside a 4-byte block
        assertThat(p.wrap(hex("90 60 0001 00000001 00000002 bede 0001 1f aabb00"), 0, 20))
                .isEqualTo(RtpRejectReason.BAD_EXTENSION_ELEMENT);
        // padding count 0, and padding longer than the packet
        assertThat(p.wrap(hex("a0 60 0001 00000001 00000002 aa00"), 0, 14)).isEqualTo(RtpRejectReason.BAD_PADDING);
        assertThat(p.wrap(hex("a0 60 0001 00000001 00000002 aa09"), 0, 14)).isEqualTo(RtpRejectReason.BAD_PADDING);
        assertThat(p.wrap(hex("80 c8 0001 00000001 00000002"), 0, 12)).isEqualTo(RtpRejectReason.RTCP_PAYLOAD_TYPE);
        assertThat(p.wrap(null, 0, 0)).isEqualTo(RtpRejectReason.TOO_SHORT);
        assertThat(p.wrap(new byte[20], 15, 12)).isEqualTo(RtpRejectReason.TOO_SHORT);
    }

    @Test
    void fuzz_randomBytesNeverThrow() {
        java.util.Random r = new java.util.Random(42);
        byte[] b = new byte[64];
        for (int i = 0; i < 200_000; i++) {
            r.nextBytes(b);
            b[0] = (byte) ((b[0] & 0x3f) | 0x80);
            int len = r.nextInt(65);
            if (p.wrap(b, 0, len) == null) {
                assertThat(p.payloadOffset() + p.payloadLength()).isLessThanOrEqualTo(len);
                p.findExtension(r.nextInt(16));
            }
        }
    }

    @Test
    void sequenceMath_wrapsAround() {
        assertThat(SeqMath.seqDelta(65535, 0)).isEqualTo(1);
        assertThat(SeqMath.seqDelta(0, 65535)).isEqualTo(-1);
        assertThat(SeqMath.unwrapSeq(65535 + 65536, 2)).isEqualTo(65536 * 2 + 2);
        assertThat(SeqMath.unwrapTs(0xFFFFFF00L, 0x10)).isEqualTo(0x100000010L);
        assertThat(SeqMath.unwrapTs(0x100000010L, 0xFFFFFF00L)).isEqualTo(0xFFFFFF00L);
    }
}
