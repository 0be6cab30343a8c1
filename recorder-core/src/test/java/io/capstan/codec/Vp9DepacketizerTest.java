package io.capstan.codec;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.capstan.codec.Rtp.concat;
import static io.capstan.codec.Rtp.filler;
import static io.capstan.codec.Rtp.hex;
import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;

class Vp9DepacketizerTest {

    /**
     * Keyframe uncompressed header (VP9 bitstream spec 6.2), profile 0, 320x240:
     * 82 = frame_marker 10 | profile_low 0 | profile_high 0 | show_existing_frame 0 | frame_type 0 (KEY) |
     * show_frame 1 | error_resilient_mode 0; 49 83 42 = frame_sync_code; then color_space 010, color_range 0,
     * frame_width_minus_1 = 319 (16 bits), frame_height_minus_1 = 239 (16 bits), zero padding.
     */
    static final String KEY_320x240 = "82 498342 40 13f0 0ef0";
    static final String KEY_320x180 = "82 498342 40 13f0 0b30";
    /** Inter frame: frame_marker 10, profile 0, show_existing_frame 0, frame_type 1, show_frame 1, error_res 0. */
    static final String INTER = "86";

    @Test
    void vp9_pictureIdAndLayerIndices_keyframeHeaderResolution() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        var p = packet(1, 0, true,
                "ac"        // I=1 P=0 L=1 F=0 B=1 E=1 V=0 Z=0
                + "80 10"   // M=1, picture ID 0x0010 (15 bits)
                + "50"      // TID=010 U=1 SID=000 D=0
                + "07"      // TL0PICIDX 7 (non-flexible mode)
                + KEY_320x240);
        Vp9Depacketizer.Descriptor desc = new Vp9Depacketizer.Descriptor();
        byte[] b = hex("ac 8010 50 07 82");
        assertThat(desc.parse(b, 0, b.length)).isTrue();
        assertThat(desc.pictureId).isEqualTo(0x10);
        assertThat(desc.pictureId15).isTrue();
        assertThat(desc.tid).isEqualTo(2);
        assertThat(desc.u).isTrue();
        assertThat(desc.sid).isZero();
        assertThat(desc.tl0PicIdx).isEqualTo(7);
        assertThat(desc.length).isEqualTo(5);

        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo(Rtp.hex(hex(KEY_320x240)));
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
        assertThat(d.formatVersion()).isEqualTo(1);
    }

    @Test
    void vp9_flexibleMode_refs() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        String payload =
                "fc"        // I=1 P=1 L=1 F=1 B=1 E=1 V=0 Z=0
                + "05"      // M=0, picture ID 5
                + "20"      // TID=001 U=0 SID=000 D=0 (no TL0PICIDX in flexible mode)
                + "03"      // P_DIFF=1 N=1
                + "05"      // P_DIFF=2 N=1
                + "08"      // P_DIFF=4 N=0
                + INTER + "0102";
        Vp9Depacketizer.Descriptor desc = new Vp9Depacketizer.Descriptor();
        byte[] b = hex(payload);
        assertThat(desc.parse(b, 0, b.length)).isTrue();
        assertThat(desc.f).isTrue();
        assertThat(desc.refCount).isEqualTo(3);
        assertThat(desc.pDiff).containsExactly(1, 2, 4);
        assertThat(desc.tl0PicIdx).isEqualTo(-1);
        assertThat(desc.length).isEqualTo(6);

        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 3000, true, payload));
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("860102");
        assertThat(frames.get(0).keyframe()).isFalse();

        // a fourth reference (N=1 on the third) is not allowed
        byte[] four = hex("fc 05 20 03 05 09 07 86");
        assertThat(desc.parse(four, 0, four.length)).isFalse();
        // flexible mode without a picture ID is not allowed
        byte[] noPid = hex("5c 20 02 86");
        assertThat(desc.parse(noPid, 0, noPid.length)).isFalse();
    }

    @Test
    void vp9_scalabilityStructure_resolution() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        var p = packet(1, 0, true,
                "8e"                  // I=1 P=0 L=0 F=0 B=1 E=1 V=1 Z=0
                + "01"                // picture ID 1
                + "38"                // SS: N_S=001 (2 spatial layers) Y=1 G=1
                + "0140 00b4"         // layer 0: 320x180
                + "0280 0168"         // layer 1: 640x360
                + "01"                // N_G = 1
                + "04" + "01"         // TID=0 U=0 R=01, P_DIFF 1
                + KEY_320x180);
        Vp9Depacketizer.Descriptor desc = new Vp9Depacketizer.Descriptor();
        byte[] b = hex("8e 01 38 0140 00b4 0280 0168 01 04 01 82");
        assertThat(desc.parse(b, 0, b.length)).isTrue();
        assertThat(desc.ssLayers).isEqualTo(2);
        assertThat(desc.ssWidth[0]).isEqualTo(320);
        assertThat(desc.ssHeight[1]).isEqualTo(360);
        assertThat(desc.ssGroupSize).isEqualTo(1);
        assertThat(desc.length).isEqualTo(14);

        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(frames.get(0).hex()).isEqualTo(Rtp.hex(hex(KEY_320x180))); // single frame: no superframe
        // the SS wins over the (base layer) keyframe header: the highest spatial layer is what is shown
        assertThat(d.format().width()).isEqualTo(640);
        assertThat(d.format().height()).isEqualTo(360);
    }

    @Test
    void vp9_twoSpatialLayers_buildsSuperframe() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        byte[] layer0 = concat(hex(KEY_320x180), filler(3, 0x10));          // 12 bytes
        byte[] layer1 = concat(hex(INTER), filler(299, 0x40));              // 300 bytes
        var p1 = packet(1, 0, false, concat(hex(
                "ae"                // I=1 P=0 L=1 F=0 B=1 E=1 V=1 Z=0
                + "8001"            // picture ID 1 (15 bits)
                + "00"              // TID=0 U=0 SID=0 D=0
                + "00"              // TL0PICIDX 0
                + "30"              // SS: N_S=1 Y=1 G=0
                + "0140 00b4 0280 0168"), layer0));
        var p2 = packet(2, 0, false, concat(hex(
                "a9"                // I=1 P=0 L=1 F=0 B=1 E=0 V=0 Z=1
                + "8001 03 00"),    // SID=1 D=1 (predicts from layer 0)
                java.util.Arrays.copyOfRange(layer1, 0, 150)));
        var p3 = packet(3, 0, true, concat(hex(
                "a5"                // I=1 P=0 L=1 F=0 B=0 E=1 V=0 Z=1
                + "8001 03 00"),
                java.util.Arrays.copyOfRange(layer1, 150, 300)));
        // an upper layer that depends on a lower one cannot start a picture
        assertThat(d.isFrameStart(p2)).isFalse();

        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3);
        assertThat(frames).hasSize(1);
        byte[] expected = concat(layer0, layer1, hex(
                "c9"        // superframe marker: 110 | bytes_per_framesize_minus_1 01 | frames_in_superframe_minus_1 001
                + "0c00"    // frame 0: 12 bytes, little-endian
                + "2c01"    // frame 1: 300 bytes
                + "c9"));   // marker again
        assertThat(frames.get(0).hex()).isEqualTo(Rtp.hex(expected));
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(d.format().width()).isEqualTo(640);
        assertThat(Vp9Depacketizer.superframeIndexSize(expected, 0, expected.length)).isEqualTo(6);
    }

    @Test
    void vp9_layerFrameThatIsASuperframe_isFlattenedIntoThePictureSuperframe() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        var p1 = packet(1, 0, false,
                "ac 8001 00 00"          // I=1 L=1 B=1 E=1, SID 0
                + "aabbcc ddee"          // two frames (3 and 2 bytes) ...
                + "c1 03 02 c1");        // ... with their own index: 1-byte sizes, 2 frames
        var p2 = packet(2, 0, true,
                "ad 8001 03 00"          // I=1 L=1 B=1 E=1 Z=1, SID 1 D=1
                + "86010203");           // one 4-byte frame
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("aabbccddee86010203" + "c2030204c2"); // 3 frames, one index
    }

    @Test
    void vp9_layerFrameWithoutEndBit_rejected() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, false, "a8 8001 00 00" + KEY_320x240));   // B=1 E=0, SID 0
        a.push(packet(2, 0, true, "ad 8001 02 00" + INTER));         // B=1 again before E: SID 1
        a.push(packet(3, 3000, true, "88 06 86"));                   // B=1 but the picture ends without E
        assertThat(a.frames).isEmpty();
        assertThat(a.invalid).isEqualTo(1);
        assertThat(a.rejected).isEqualTo(1);
    }

    @Test
    void vp9_continuationAlone_isNotFrameStart() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        assertThat(d.isFrameStart(packet(1, 0, true, "84 01 86"))).isFalse(); // B=0 E=1
        assertThat(d.isFrameStart(packet(1, 0, true, "8c 01 86"))).isTrue();
    }

    @Test
    void vp9_pBitFallback_whenHeaderUnreadable() {
        Vp9Depacketizer d = new Vp9Depacketizer();
        // no valid frame_marker: the descriptor's P bit decides (P=0 -> keyframe, P=1 -> not)
        assertThat(TestAssembler.run(d, packet(1, 0, true, "0c ff")).get(0).keyframe()).isTrue();
        assertThat(TestAssembler.run(d, packet(2, 3000, true, "4c ff")).get(0).keyframe()).isFalse();
        // show_existing_frame = 1 is never a keyframe: 10 00 1 ... = 0x88
        assertThat(TestAssembler.run(d, packet(3, 6000, true, "0c 88")).get(0).keyframe()).isFalse();
    }

    @Test
    void vp9_malformedDescriptors_rejectedWithoutException() {
        String[] bad = {
            "",                     // empty
            "88",                   // descriptor only, no payload
            "8c",                   // I=1 but no picture ID
            "8c 80",                // M=1 but one picture ID octet
            "ac 01",                // L=1 but no layer octet
            "ac 01 00",             // non-flexible L=1: TL0PICIDX missing
            "dc 01",                // flexible P=1: P_DIFF missing
            "dc 01 03",             // P_DIFF with N=1 but nothing follows
            "8e 01",                // V=1 but no SS
            "8e 01 30 0140 00b4 02",// SS Y=1 with N_S=1: second layer's size cut short
            "8e 01 08",             // SS G=1 but no N_G
            "8e 01 08 02 04 01",    // N_G=2 but only one entry
            "8e 01 08 01 0c 01",    // R=3 but only one P_DIFF
            "8e 01 38 0140 00b4 0280 0168 01 04 01", // complete SS but no VP9 payload
        };
        for (String h : bad) {
            Vp9Depacketizer d = new Vp9Depacketizer();
            var p = packet(1, 0, true, h);
            assertThat(d.isFrameStart(p)).as(h).isFalse();
            assertThat(d.append(p, new FrameBuilder())).as(h).isFalse();
        }
    }
}
