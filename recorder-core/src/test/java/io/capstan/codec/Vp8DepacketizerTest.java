package io.capstan.codec;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.capstan.codec.Rtp.hex;
import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;

class Vp8DepacketizerTest {

    /** VP8 keyframe start, RFC 6386 9.1: frame tag, start code, 320x240 with horizontal scale bits 01. */
    static final String KEY_320x240 =
            "10 02 00"   // frame tag: key_frame 0 (P bit), version 0, show_frame 1, first_part_size 0x10
            + "9d 01 2a" // start code
            + "40 41"    // width: 0x4140 little-endian -> scale 01, width 0x140 = 320
            + "f0 00"    // height: 0x00f0 -> scale 00, height 240
            + "aa bb cc";

    @Test
    void vp8_pictureId15bit_keyframeResolution() {
        Vp8Depacketizer d = new Vp8Depacketizer();
        var p = packet(1, 9000, true,
                "90"           // X=1 R=0 N=0 S=1 R=0 PID=0
                + "80"         // I=1 L=0 T=0 K=0
                + "81 23"      // M=1, PictureID 0x0123 (15 bits)
                + KEY_320x240);
        assertThat(d.isFrameStart(p)).isTrue();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(frames.get(0).hex()).isEqualTo(hex(hex(KEY_320x240)));
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
        assertThat(d.formatVersion()).isEqualTo(1);

        Vp8Depacketizer.Descriptor desc = new Vp8Depacketizer.Descriptor();
        byte[] b = hex("90 80 8123 00");
        assertThat(desc.parse(b, 0, b.length)).isTrue();
        assertThat(desc.pictureId).isEqualTo(0x0123);
        assertThat(desc.pictureId15).isTrue();
        assertThat(desc.length).isEqualTo(4);
    }

    @Test
    void vp8_sameResolutionKeyframe_doesNotBumpVersion() {
        Vp8Depacketizer d = new Vp8Depacketizer();
        TestAssembler.run(d, packet(1, 0, true, "10" + KEY_320x240), packet(2, 3000, true, "10" + KEY_320x240));
        assertThat(d.formatVersion()).isEqualTo(1);
    }

    @Test
    void vp8_allExtensions_multiPacketInterframe() {
        Vp8Depacketizer d = new Vp8Depacketizer();
        var p1 = packet(10, 3000, false,
                "b0"       // X=1 N=1 S=1 PID=0
                + "f0"     // I=1 L=1 T=1 K=1
                + "7f"     // M=0, PictureID 127 (7 bits)
                + "05"     // TL0PICIDX 5
                + "65"     // TID=01 Y=1 KEYIDX=00101
                + "31 00 00 01 02"); // frame tag with P=1 (interframe), then data
        var p2 = packet(11, 3000, true,
                "a0"       // X=1 N=1 S=0 PID=0: continuation
                + "f0 7f 05 65"
                + "03 04 05");
        Vp8Depacketizer.Descriptor desc = new Vp8Depacketizer.Descriptor();
        byte[] b = hex("b0 f0 7f 05 65 31");
        assertThat(desc.parse(b, 0, b.length)).isTrue();
        assertThat(desc.nonReference).isTrue();
        assertThat(desc.pictureId).isEqualTo(127);
        assertThat(desc.pictureId15).isFalse();
        assertThat(desc.tl0PicIdx).isEqualTo(5);
        assertThat(desc.tid).isEqualTo(1);
        assertThat(desc.layerSync).isTrue();
        assertThat(desc.keyIdx).isEqualTo(5);
        assertThat(desc.length).isEqualTo(5);

        assertThat(d.isFrameStart(p2)).isFalse();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("31000001020304" + "05");
        assertThat(frames.get(0).keyframe()).isFalse();
        assertThat(frames.get(0).timestamp()).isEqualTo(3000);
        assertThat(d.formatVersion()).isZero();
    }

    @Test
    void vp8_nonStartPacketAlone_isNotFrameStart() {
        Vp8Depacketizer d = new Vp8Depacketizer();
        assertThat(d.isFrameStart(packet(1, 0, true, "00 31 00 00"))).isFalse(); // S=0
        assertThat(d.isFrameStart(packet(1, 0, true, "11 31 00 00"))).isFalse(); // S=1 but PID=1
        assertThat(d.isFrameStart(packet(1, 0, true, "10 31 00 00"))).isTrue();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, true, "00 31 00 00"));
        assertThat(a.frames).isEmpty();
        assertThat(a.notStarted).isEqualTo(1);
    }

    @Test
    void vp8_lostPacket_dropsFrame_nextKeyframeDelivered() {
        Vp8Depacketizer d = new Vp8Depacketizer();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, false, "10 31 00 00 01"));
        a.lose(); // packet 2 lost
        a.push(packet(3, 0, true, "00 02 03"));      // orphan continuation: not a start
        a.push(packet(4, 3000, true, "10" + KEY_320x240));
        assertThat(a.frames).hasSize(1);
        assertThat(a.frames.get(0).keyframe()).isTrue();
        assertThat(a.notStarted).isEqualTo(1);
    }

    @Test
    void vp8_malformedDescriptors_rejectedWithoutException() {
        String[] bad = {
            "",            // empty payload
            "90",          // X=1 but no extension octet
            "90 80",       // I=1 but no picture ID
            "90 80 81",    // M=1 but only one picture ID octet
            "90 40",       // L=1 but no TL0PICIDX
            "90 20",       // T=1 but no TID octet
            "90 10",       // K=1 but no KEYIDX octet
            "90 f0 81 23 05 65", // everything present but no VP8 payload after the descriptor
            "10",          // descriptor only
        };
        for (String h : bad) {
            Vp8Depacketizer d = new Vp8Depacketizer();
            var p = packet(1, 0, true, h);
            assertThat(d.isFrameStart(p)).as(h).isFalse();
            assertThat(d.append(p, new FrameBuilder())).as(h).isFalse();
        }
    }

    @Test
    void vp8_keyframeWithoutStartCode_rejected() {
        Vp8Depacketizer d = new Vp8Depacketizer();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, true, "10" + "10 02 00 9d 01 2b 40 01 f0 00")); // start code 9d 01 2b: corrupt
        a.push(packet(2, 0, true, "10" + "10 02"));                          // shorter than the frame tag
        assertThat(a.frames).isEmpty();
        assertThat(a.rejected).isEqualTo(2);
        assertThat(d.formatVersion()).isZero();
    }
}
