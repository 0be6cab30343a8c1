package io.capstan.codec;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.capstan.codec.Rtp.hex;
import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;

class Av1DepacketizerTest {

    /**
     * libaom's sequence header for 320x180 4:2:0 8 bit as an RTP element (obu_has_size_field = 0): OBU header 08
     * (type 1 OBU_SEQUENCE_HEADER, no extension, no size), then seq_profile 0, seq_level_idx[0] 0,
     * frame_width_bits 9 / frame_height_bits 8, max_frame_width_minus_1 319, max_frame_height_minus_1 179, ...
     */
    static final String SEQ = "08" + "000000043cfeccdaf90040";
    /** The same OBU as a temporal unit holds it: header 0a (obu_has_size_field = 1), obu_size 11. */
    static final String SEQ_SIZED = "0a0b" + "000000043cfeccdaf90040";
    /** av1C of that sequence header, as ffmpeg's Matroska muxer writes it for the same libaom stream. */
    static final String AV1C = "81" + "00" + "0c" + "00" + SEQ_SIZED;
    /**
     * OBU_FRAME (type 6, header 30, no size) of a key frame: uncompressed_header show_existing_frame 0,
     * frame_type 0 (KEY_FRAME), show_frame 1 -> first payload byte 0b0001_xxxx; then arbitrary bytes.
     */
    static final String KEY_FRAME = "30" + "10aabbcc";
    static final String KEY_FRAME_SIZED = "32" + "04" + "10aabbcc";
    /** OBU_FRAME of an inter frame: frame_type 1 (INTER_FRAME), show_frame 1 -> 0b0011_xxxx. */
    static final String INTER_FRAME = "30" + "30ddee";
    static final String INTER_FRAME_SIZED = "32" + "03" + "30ddee";

    @Test
    void av1_w2_sequenceHeaderAndKeyFrame_sizeFieldsAdded_av1C() {
        Av1Depacketizer d = new Av1Depacketizer();
        var p = packet(1, 0, true,
                "28"                  // Z=0 Y=0 W=2 N=1 (a new coded video sequence)
                + "0c" + SEQ          // element 1: leb128 length 12, sequence header OBU
                + KEY_FRAME);         // element 2 (the last of W): no length field
        assertThat(d.isFrameStart(p)).isTrue();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + KEY_FRAME_SIZED);
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(Rtp.hex(d.format().codecPrivate())).isEqualTo(AV1C);
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(180);
        assertThat(d.formatVersion()).isEqualTo(1);

        // the same sequence header again: no new format
        TestAssembler.run(d, packet(2, 3000, true, "28 0c" + SEQ + KEY_FRAME));
        assertThat(d.formatVersion()).isEqualTo(1);
    }

    @Test
    void av1_w0_everyElementWithLength() {
        Av1Depacketizer d = new Av1Depacketizer();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 0, true,
                "08"                  // W=0, N=1
                + "0c" + SEQ          // length 12
                + "05" + KEY_FRAME    // length 5
                + "04" + INTER_FRAME)); // length 4 (a second frame in the temporal unit)
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + KEY_FRAME_SIZED + INTER_FRAME_SIZED);
        assertThat(frames.get(0).keyframe()).isTrue();
    }

    @Test
    void av1_w1_w3_andOnePacketPerObu() {
        Av1Depacketizer d = new Av1Depacketizer();
        // W=1: one element without a length; three packets make the temporal unit
        List<TestAssembler.Frame> frames = TestAssembler.run(d,
                packet(1, 0, false, "18" + SEQ),             // W=1, N=1
                packet(2, 0, false, "10" + "10"),            // a temporal delimiter: dropped
                packet(3, 0, true, "10" + KEY_FRAME),
                // W=3: two elements with lengths, the third without
                packet(4, 3000, true, "30" + "01" + "10" + "04" + INTER_FRAME + INTER_FRAME));
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + KEY_FRAME_SIZED);
        assertThat(frames.get(1).hex()).isEqualTo(INTER_FRAME_SIZED + INTER_FRAME_SIZED);
        assertThat(frames.get(1).keyframe()).isFalse();
    }

    @Test
    void av1_temporalDelimiterAndTileList_dropped() {
        Av1Depacketizer d = new Av1Depacketizer();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 0, true,
                "00"                  // W=0
                + "01" + "10"         // OBU_TEMPORAL_DELIMITER (type 2, header 10), empty payload
                + "0c" + SEQ
                + "03" + "40" + "0102" // OBU_TILE_LIST (type 8, header 40): MUST be ignored
                + "05" + KEY_FRAME));
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + KEY_FRAME_SIZED);
        // a temporal unit of nothing but a temporal delimiter holds nothing to decode
        TestAssembler a = new TestAssembler(d);
        a.push(packet(2, 3000, true, "10 10"));
        assertThat(a.frames).isEmpty();
        assertThat(a.rejected).isEqualTo(1);
    }

    @Test
    void av1_obuWithSizeFieldAndExtension_rewrittenMinimal() {
        Av1Depacketizer d = new Av1Depacketizer();
        // the sender kept obu_size, as a non-minimal 2-byte leb128 (84 00 = 4): rewritten to the minimal 04;
        // an OBU extension header (obu_extension_flag, header 34 + temporal_id 1 / spatial_id 0 = 20) is kept
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 0, true,
                "20" + "0d" + SEQ_SIZED + "32" + "8400" + "10aabbcc"),
                packet(2, 3000, true, "10" + "34" + "20" + "30ddee"));
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + KEY_FRAME_SIZED);
        assertThat(frames.get(1).hex()).isEqualTo("36" + "20" + "03" + "30ddee");
    }

    @Test
    void av1_obuFragmentedAcrossThreePackets_joinedWithSize() {
        Av1Depacketizer d = new Av1Depacketizer();
        byte[] payload = Rtp.filler(300, 0x10); // first byte 0x10: key frame, shown
        String obu = "30" + Rtp.hex(payload);   // a 301-byte OBU_FRAME, no size field
        var p1 = packet(1, 0, false, "68" + "0c" + SEQ + obu.substring(0, 2 * 100));    // Z=0 Y=1 W=2 N=1
        var p2 = packet(2, 0, false, "d0" + obu.substring(2 * 100, 2 * 200));           // Z=1 Y=1 W=1
        var p3 = packet(3, 0, true, "90" + obu.substring(2 * 200));                     // Z=1 Y=0 W=1
        assertThat(d.isFrameStart(p1)).isTrue();
        assertThat(d.isFrameStart(p2)).isFalse();
        assertThat(d.isFrameStart(p3)).isFalse();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3);
        assertThat(frames).hasSize(1);
        // obu_size 300 = leb128 ac 02, inserted after the header
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + "32" + "ac02" + Rtp.hex(payload));
        assertThat(frames.get(0).keyframe()).isTrue();

        // the same with W=0 and the OBU sent with a size field: its leb128 split across the first two packets
        String sized = "32" + "ac02" + Rtp.hex(payload);
        frames = TestAssembler.run(new Av1Depacketizer(),
                packet(1, 0, false, "48" + "0c" + SEQ + "02" + sized.substring(0, 4)),  // header + first leb byte
                packet(2, 0, false, "c0" + "02" + sized.substring(4, 8)),              // second leb byte, 1 payload
                packet(3, 0, true, "80" + String.format("%02x%02x", 0x80 | (299 & 0x7f), 299 >> 7)
                        + sized.substring(8)));
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo(SEQ_SIZED + sized);
    }

    @Test
    void av1_fragmentedTemporalDelimiter_dropped() {
        Av1Depacketizer d = new Av1Depacketizer();
        // an odd sender fragments a padding-free TD with a size field (12 00) across two packets
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 0, false, "50" + "12"),
                packet(2, 0, true, "a0" + "01" + "00" + INTER_FRAME));
        assertThat(frames.get(0).hex()).isEqualTo(INTER_FRAME_SIZED);
    }

    @Test
    void av1_zYContinuityLoss_dropsFrameAndRequestsKeyframe() {
        FrameAssemblerTest.Sink out = new FrameAssemblerTest.Sink();
        FrameAssembler a = new FrameAssembler(new Av1Depacketizer(), new FrameBuilder(16, 1 << 20), out);
        String obu = "30" + "10" + "00".repeat(20);
        a.packet(packet(1, 0, true, "28 0c" + SEQ + KEY_FRAME), 0, false, 0);
        assertThat(out.frames).hasSize(1);
        // a fragmented inter frame whose middle packet (seq 3) is lost
        a.packet(packet(2, 3000, false, "50" + obu.substring(0, 10)), 3000, false, 0);
        a.packet(packet(4, 3000, true, "90" + obu.substring(20)), 3000, true, 0);
        assertThat(out.frames).hasSize(1);
        assertThat(out.keyframeRequests).isNotEmpty();
        // the next inter frame is not decodable either; the next key temporal unit is
        a.packet(packet(5, 6000, true, "10" + INTER_FRAME), 6000, false, 0);
        assertThat(out.frames).hasSize(1);
        a.packet(packet(6, 9000, true, "28 0c" + SEQ + KEY_FRAME), 9000, false, 0);
        assertThat(out.frames).hasSize(2);
        assertThat(out.frames.get(1).key()).isTrue();
        assertThat(out.frames.get(1).droppedBefore()).isEqualTo(2);

        // without the receive buffer noticing (same timestamp, contiguous sequence numbers), Z/Y still have to
        // agree: a packet with Z=1 after a packet that ended with Y=0 is malformed, and so is Z=0 after Y=1
        TestAssembler t = new TestAssembler(new Av1Depacketizer());
        t.push(packet(10, 0, false, "10" + INTER_FRAME));      // Y=0
        t.push(packet(11, 0, true, "90" + "aabb"));            // Z=1: nothing to continue
        t.push(packet(12, 3000, false, "50" + "30aa"));        // Y=1
        t.push(packet(13, 3000, true, "10" + INTER_FRAME));    // Z=0: the fragment never ended
        assertThat(t.frames).isEmpty();
        assertThat(t.invalid).isEqualTo(2);
    }

    @Test
    void av1_markerInsideFragment_rejected() {
        TestAssembler t = new TestAssembler(new Av1Depacketizer());
        t.push(packet(1, 0, true, "50" + "30aa"));             // Y=1 on the last packet of the temporal unit
        assertThat(t.frames).isEmpty();
        assertThat(t.rejected).isEqualTo(1);
    }

    @Test
    void av1_malformedElements_rejected() {
        String[] bad = {
            "00",                            // no element
            "00 05 30aa",                    // leb128 length past the end
            "00 00",                         // a zero-length element
            "00 ffffffffffffffff7f 30",      // leb128 longer than 8 bytes
            "30 02 30aa",                    // W=3 but a single element
            "20 02",                         // W=2: a length field but no element after it
            "10 b0aa",                       // obu_forbidden_bit set
            "10 34",                         // obu_extension_flag set but no extension byte
            "10 32 05 aa",                   // obu_size 5 disagrees with the 1 byte that follow
            "88 10",                         // N=1 with Z=1
        };
        for (String payload : bad) {
            Av1Depacketizer d = new Av1Depacketizer();
            FrameBuilder f = new FrameBuilder();
            f.reset(0);
            assertThat(d.append(packet(1, 0, true, payload), f)).as(payload).isFalse();
        }
        // N=1 on a packet that is not the first of its temporal unit
        Av1Depacketizer d = new Av1Depacketizer();
        TestAssembler t = new TestAssembler(d);
        t.push(packet(1, 0, false, "10" + INTER_FRAME));
        t.push(packet(2, 0, true, "18" + INTER_FRAME));
        assertThat(t.invalid).isEqualTo(1);
    }

    @Test
    void av1_keyframeNeedsSequenceHeaderAndShownKeyFrame() {
        Av1Depacketizer d = new Av1Depacketizer();
        // a key frame without a sequence header ever seen: not a keyframe (the decoder could not start there)
        assertThat(TestAssembler.run(d, packet(1, 0, true, "10" + KEY_FRAME)).get(0).keyframe()).isFalse();
        // a sequence header with an inter frame: not a keyframe
        assertThat(TestAssembler.run(d, packet(2, 3000, true, "20 0c" + SEQ + INTER_FRAME)).get(0).keyframe())
                .isFalse();
        // a hidden key frame (show_frame 0: 0b0000_xxxx) then show_existing_frame (1xxx_xxxx): not a keyframe
        assertThat(TestAssembler.run(d, packet(3, 6000, true, "30 0c" + SEQ + "03 30 00aa" + "18 80"))
                .get(0).keyframe()).isFalse();
        // sequence header + frame header OBU (type 3, header 18) of a shown key frame + tile group (type 4)
        assertThat(TestAssembler.run(d, packet(4, 9000, true, "30 0c" + SEQ + "02 18 10" + "20 aabb")).get(0)
                .keyframe()).isTrue();
    }

    @Test
    void av1_reducedStillPictureHeader_isKeyframe() {
        // seq_profile 0, still_picture 1, reduced_still_picture_header 1, seq_level_idx[0] 0, then
        // frame_width_bits_minus_1 8, frame_height_bits_minus_1 7, 319, 179, use_128x128 0, filter_intra 0,
        // intra_edge 0, superres 0, cdef 0, restoration 0, high_bitdepth 0, mono_chrome 0,
        // color_description_present 0, color_range 0, chroma_sample_position 0, separate_uv_delta_q 0,
        // film_grain_params_present 0: bits 000 1 1 00000 1000 0111 100111111 10110011 000 000 0 0 0 0 00 0 0
        byte[] bitsOut = new byte[8];
        String bitString = "000" + "1" + "1" + "00000" + "1000" + "0111" + "100111111" + "10110011" + "000" + "000"
                + "0" + "0" + "0" + "0" + "00" + "0" + "0";
        for (int i = 0; i < bitString.length(); i++) {
            if (bitString.charAt(i) == '1') {
                bitsOut[i / 8] |= (byte) (0x80 >> (i % 8));
            }
        }
        int len = (bitString.length() + 7) / 8;
        String seq = Rtp.hex(java.util.Arrays.copyOf(bitsOut, len));
        Av1Depacketizer.SequenceHeader s = new Av1Depacketizer.SequenceHeader();
        byte[] raw = hex(seq);
        assertThat(Av1Depacketizer.parseSequenceHeader(raw, 0, raw.length, s, new BitReader())).isTrue();
        assertThat(s.reducedStillPictureHeader).isTrue();
        assertThat(s.maxWidth).isEqualTo(320);
        assertThat(s.maxHeight).isEqualTo(180);

        Av1Depacketizer d = new Av1Depacketizer();
        // with reduced_still_picture_header every frame is a shown key frame (its header has no frame_type)
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 0, true, "20"
                + String.format("%02x", 1 + len) + "08" + seq + "30" + "00aabb"));
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(d.format().width()).isEqualTo(320);
    }

    @Test
    void av1_sequenceHeaderVariants_parsed() {
        Av1Depacketizer.SequenceHeader s = new Av1Depacketizer.SequenceHeader();
        byte[] raw = hex(SEQ.substring(2));
        assertThat(Av1Depacketizer.parseSequenceHeader(raw, 0, raw.length, s, new BitReader())).isTrue();
        assertThat(s.profile).isZero();
        assertThat(s.levelIdx0).isZero();
        assertThat(s.subsamplingX).isEqualTo(1);
        assertThat(s.subsamplingY).isEqualTo(1);
        assertThat(s.highBitdepth).isFalse();
        assertThat(s.monochrome).isFalse();
        // cut short: malformed
        assertThat(Av1Depacketizer.parseSequenceHeader(raw, 0, 5, s, new BitReader())).isFalse();
        // leb128 helpers
        assertThat(Av1Depacketizer.leb128Size(127)).isEqualTo(1);
        assertThat(Av1Depacketizer.leb128Size(128)).isEqualTo(2);
        assertThat(Av1Depacketizer.leb128Size(16384)).isEqualTo(3);
    }
}
