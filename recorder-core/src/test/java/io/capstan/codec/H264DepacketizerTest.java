package io.capstan.codec;

import io.capstan.media.Codec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.capstan.codec.Rtp.concat;
import static io.capstan.codec.Rtp.filler;
import static io.capstan.codec.Rtp.hex;
import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;

class H264DepacketizerTest {

    /** Constrained baseline SPS of the GStreamer 854x480 capture: 54x30 macroblocks, frame_crop_right_offset 5. */
    static final String SPS_854x480 = "6742c01fda0360f79bc05a8303035280000003008000001e478c1950";
    static final String PPS_854x480 = "68ce3c80";
    /** x264 baseline 320x240 SPS (no cropping). */
    static final String SPS_320x240 = "6742c00dd90141fb011000000300100000030320f142a480";
    /** x264 High 4:2:2 (profile 122) 640x360, chroma_format_idc 2. */
    static final String SPS_422_640x360 = "677a001ebcd940a02ff89c0440000003004000000c83c58b6580";
    /** x264 High 1920x1080 interlaced (frame_mbs_only_flag 0, cropped from 1088). */
    static final String SPS_1080i = "67640028acd94078044fde0220000003002000000643e2c5b2c0";

    @Test
    void h264_singleNal_idrIsKeyframe() {
        H264Depacketizer d = new H264Depacketizer();
        var p = packet(1, 0, true, "65 88 84 00 11"); // NAL header F=0 NRI=11 type=5 (IDR slice), slice data
        assertThat(d.isFrameStart(p)).isTrue();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("00000005" + "6588840011");
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(d.formatVersion()).isZero();
    }

    @Test
    void h264_stapA_spsPps_updatesAvcC() {
        H264Depacketizer d = new H264Depacketizer();
        var stap = packet(1, 0, false,
                "78"                                   // STAP-A NAL HDR: F=0 NRI=11 type=24
                + "001c" + SPS_854x480                 // NALU size 28, SPS
                + "0004" + PPS_854x480);               // NALU size 4, PPS
        var idr = packet(2, 0, true, "65 88 84 00 11");
        List<TestAssembler.Frame> frames = TestAssembler.run(d, stap, idr);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).keyframe()).isTrue();
        // in-band parameter sets stay in the access unit, each with its 4-byte length
        assertThat(frames.get(0).hex()).isEqualTo("0000001c" + SPS_854x480 + "00000004" + PPS_854x480
                + "00000005" + "6588840011");
        assertThat(Rtp.hex(d.format().codecPrivate())).isEqualTo(
                "01"              // configurationVersion
                + "42c01f"        // AVCProfileIndication 66, profile_compatibility c0, AVCLevelIndication 31
                + "ff"            // reserved 111111 | lengthSizeMinusOne 3
                + "e1"            // reserved 111 | numOfSequenceParameterSets 1
                + "001c" + SPS_854x480
                + "01"            // numOfPictureParameterSets
                + "0004" + PPS_854x480);
        assertThat(d.format().width()).isEqualTo(854);
        assertThat(d.format().height()).isEqualTo(480);
        assertThat(d.formatVersion()).isEqualTo(1);

        // the same parameter sets again: no change
        TestAssembler.run(d, packet(3, 3000, false, "78 001c" + SPS_854x480 + "0004" + PPS_854x480),
                packet(4, 3000, true, "65 88 84 00 11"));
        assertThat(d.formatVersion()).isEqualTo(1);
    }

    @Test
    void h264_croppedSps_854x480() {
        H264Depacketizer.SpsInfo info = new H264Depacketizer.SpsInfo();
        byte[] sps = hex(SPS_854x480);
        assertThat(H264Depacketizer.parseSps(sps, 0, sps.length, info, new BitReader())).isTrue();
        assertThat(info.profileIdc).isEqualTo(66);
        assertThat(info.levelIdc).isEqualTo(31);
        // 54 macroblocks = 864 luma samples, frame_crop_right_offset 5 x CropUnitX 2 = 10
        assertThat(info.width).isEqualTo(854);
        assertThat(info.height).isEqualTo(480);

        // from SDP sprop-parameter-sets: known before the first packet, format version still 0
        Depacketizer fromSdp = Depacketizers.create(Codec.H264, 90000, 0, Map.of("packetization-mode", "1",
                "sprop-parameter-sets", "Z0LAH9oDYPebwFqDAwNSgAAAAwCAAAAeR4wZUA==,aM48gA=="));
        assertThat(fromSdp.format().width()).isEqualTo(854);
        assertThat(fromSdp.format().height()).isEqualTo(480);
        assertThat(fromSdp.format().codecPrivate()).hasSize(6 + 2 + 28 + 1 + 2 + 4);
        assertThat(fromSdp.formatVersion()).isZero();
    }

    @Test
    void h264_spsVariants_resolution() {
        record Case(String sps, int w, int h) {
        }
        for (Case c : List.of(new Case(SPS_320x240, 320, 240), new Case(SPS_422_640x360, 640, 360),
                new Case(SPS_1080i, 1920, 1080))) {
            H264Depacketizer.SpsInfo info = new H264Depacketizer.SpsInfo();
            byte[] sps = hex(c.sps());
            assertThat(H264Depacketizer.parseSps(sps, 0, sps.length, info, new BitReader())).as(c.sps()).isTrue();
            assertThat(info.width).as(c.sps()).isEqualTo(c.w());
            assertThat(info.height).as(c.sps()).isEqualTo(c.h());
        }
    }

    @Test
    void h264_highProfileScalingLists_avcCHasChromaFields() {
        byte[] sps = SpsWriter.highProfile1080pWithScalingLists();
        H264Depacketizer.SpsInfo info = new H264Depacketizer.SpsInfo();
        assertThat(H264Depacketizer.parseSps(sps, 0, sps.length, info, new BitReader())).isTrue();
        assertThat(info.width).isEqualTo(1920);
        assertThat(info.height).isEqualTo(1080);
        assertThat(info.chromaFormatIdc).isEqualTo(1);

        H264Depacketizer d = new H264Depacketizer();
        TestAssembler.run(d, packet(1, 0, true, concat(hex("78"), new byte[] {0, (byte) sps.length}, sps,
                hex("0004 68ebe3cb 0005 6588840011"))));
        byte[] avcc = d.format().codecPrivate();
        assertThat(avcc[1] & 0xFF).isEqualTo(100);
        // High profile tail: 111111 chroma_format=01 | 11111 bit_depth_luma_minus8=0 | 11111 000 | numOfSPSExt 0
        assertThat(Rtp.hex(java.util.Arrays.copyOfRange(avcc, avcc.length - 4, avcc.length))).isEqualTo("fdf8f800");
        assertThat(d.format().width()).isEqualTo(1920);

        // the x264 High 4:2:2 SPS: chroma_format 2 in the avcC tail
        H264Depacketizer d422 = new H264Depacketizer();
        TestAssembler.run(d422, packet(1, 0, true, "78 001a" + SPS_422_640x360 + "0006 68ebe3cb22c0 0005 6588840011"));
        byte[] avcc422 = d422.format().codecPrivate();
        assertThat(Rtp.hex(java.util.Arrays.copyOfRange(avcc422, avcc422.length - 4, avcc422.length)))
                .isEqualTo("fef8f800");
    }

    @Test
    void h264_inBandSpsChange_bumpsVersion() {
        H264Depacketizer d = new H264Depacketizer();
        TestAssembler.run(d, packet(1, 0, true, "78 001c" + SPS_854x480 + "0004" + PPS_854x480 + "0005 6588840011"));
        assertThat(d.formatVersion()).isEqualTo(1);
        TestAssembler.run(d, packet(2, 3000, true, "78 0018" + SPS_320x240 + "0004" + PPS_854x480 + "0005 6588840011"));
        assertThat(d.formatVersion()).isEqualTo(2);
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
    }

    @Test
    void h264_fuA_reassemblesNal() {
        H264Depacketizer d = new H264Depacketizer();
        // FU indicator NRI=11 type 28; FU header S=1 type 5; the slice header starts with first_mb_in_slice = 0
        var p1 = packet(1, 0, false, "7c" + "85" + "8102 0304");
        var p2 = packet(2, 0, false, "7c" + "05" + "0506 0708");   // middle fragment
        var p3 = packet(3, 0, true, "7c" + "45" + "090a");         // E=1
        assertThat(d.isFrameStart(p1)).isTrue();
        assertThat(d.isFrameStart(p2)).isFalse();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3);
        assertThat(frames).hasSize(1);
        // reconstructed NAL header: F|NRI of the indicator (0x60) | type 5 = 0x65
        assertThat(frames.get(0).hex()).isEqualTo("0000000b" + "65" + "8102030405060708090a");
        assertThat(frames.get(0).keyframe()).isTrue();
    }

    @Test
    void h264_multiSliceAccessUnit_singleNalThenFuA_delimiterDropped() {
        H264Depacketizer d = new H264Depacketizer();
        var p1 = packet(1, 0, false, "09 f0");                      // access unit delimiter
        var p2 = packet(2, 0, false, "41 9a 01 02");                // non-IDR slice 1 (NRI 10, type 1)
        var p3 = packet(3, 0, false, "5c 81 9a 03");                // FU-A of slice 2, start
        var p4 = packet(4, 0, true, "5c 41 04 05");                 // FU-A of slice 2, end, marker
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3, p4);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("00000004 419a0102 00000005 419a0304 05".replace(" ", ""));
        assertThat(frames.get(0).keyframe()).isFalse();
    }

    @Test
    void h264_parameterSetsRepeatedBetweenSlices_droppedSoTheAccessUnitStaysWhole() {
        // GStreamer rtph264pay config-interval=-1 with two IDR slices: STAP-A(SPS, PPS, AUD) + IDR slice 1, then
        // STAP-A(SPS, PPS) again before IDR slice 2 (as an FU-A); H.264 7.4.1.2.3 would start a new access unit there
        H264Depacketizer d = new H264Depacketizer();
        String sps = "67 42 c0 1e 95 a0 50 7c 40";                  // SPS, constrained baseline, 320x240
        String pps = "68 ce 3c 80";
        var p1 = packet(1, 0, false, "18 0009 " + sps + " 0004 " + pps + " 0002 09 10");
        var p2 = packet(2, 0, false, "65 88 01 02");                // IDR slice 1
        var p3 = packet(3, 0, false, "18 0009 " + sps + " 0004 " + pps);
        var p4 = packet(4, 0, false, "7c 85 88 03");                // FU-A start of IDR slice 2
        var p5 = packet(5, 0, true, "7c 45 04");                    // FU-A end, marker
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3, p4, p5);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo(("00000009 " + sps + " 00000004 " + pps
                + " 00000004 65880102 00000004 65880304").replace(" ", ""));
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(d.format().width()).isEqualTo(320);
    }

    @Test
    void h264_fragmentedParameterSetAfterSlice_droppedAcrossItsFragments() {
        H264Depacketizer d = new H264Depacketizer();
        var p1 = packet(1, 0, false, "41 9a 01");                   // slice
        var p2 = packet(2, 0, false, "7c 88 ce");                   // FU-A start of a PPS (type 8) after it
        var p3 = packet(3, 0, false, "7c 48 3c 80");                // FU-A end of that PPS
        var p4 = packet(4, 0, true, "41 9a 02");                    // next slice of the same picture
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3, p4);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("00000003 419a01 00000003 419a02".replace(" ", ""));
    }

    @Test
    void h264_fuA_truncated_rejected() {
        H264Depacketizer d = new H264Depacketizer();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, true, "7c 85"));                   // indicator + header, no fragment payload
        a.push(packet(2, 3000, false, "7c 85 01"));             // start ...
        a.push(packet(3, 3000, true, "7c 05 02"));              // ... and the access unit ends without E
        a.push(packet(4, 6000, true, "7c c5 01"));              // S and E both set
        a.push(packet(5, 9000, false, "7c 85 01"));             // start ...
        a.push(packet(6, 9000, true, "7c 81 02"));              // ... another start before E
        a.push(packet(7, 12000, false, "7c 85 01"));            // start ...
        a.push(packet(8, 12000, true, "65 01"));                // ... a single NAL before E
        a.push(packet(9, 15000, false, "7c 85 01"));            // start of type 5 ...
        a.push(packet(10, 15000, true, "7c 41 02"));            // ... end claims type 1
        a.push(packet(11, 18000, true, "7c a5 01"));            // R bit set
        a.push(packet(12, 21000, true, "7c 9c 01"));            // fragment of a type 28 (not a NAL type)
        assertThat(a.frames).isEmpty();
        assertThat(a.invalid).isEqualTo(7);
        assertThat(a.rejected).isEqualTo(1);
        // a continuation (no S) never starts a frame, and alone it is malformed
        var cont = packet(13, 24000, true, "7c 45 01");
        assertThat(d.isFrameStart(cont)).isFalse();
        assertThat(d.append(cont, new FrameBuilder())).isFalse();
    }

    @Test
    void h264_stapA_badSizes_rejected() {
        String[] bad = {
            "78",                          // no aggregation unit
            "78 0005 6501",                // size 5 but 2 bytes follow
            "78 0000 6501",                // size 0
            "78 0002 6501 00",             // dangling byte where the next size should be
            "78 0002 6501 0003 6501",      // second size past the end
            "78 0002 7801",                // a STAP-A inside a STAP-A
        };
        for (String h : bad) {
            H264Depacketizer d = new H264Depacketizer();
            assertThat(d.append(packet(1, 0, true, h), new FrameBuilder())).as(h).isFalse();
        }
    }

    @Test
    void h264_interleavedModeAndReservedTypes_rejected() {
        for (String h : new String[] {
            "79 0000 0002 6501",   // STAP-B (25)
            "7a 0000 02 0000 00 6501", // MTAP16 (26)
            "7b 0000 02 000000 00 6501", // MTAP24 (27)
            "7d 85 0000 01",       // FU-B (29)
            "60 01",               // type 0 (unspecified)
            "7e 01",               // type 30 (reserved)
            "7f 01",               // type 31 (reserved)
            "",                    // empty payload
        }) {
            H264Depacketizer d = new H264Depacketizer();
            var p = packet(1, 0, true, h);
            assertThat(d.isFrameStart(p)).as(h).isFalse();
            assertThat(d.append(p, new FrameBuilder())).as(h).isFalse();
        }
    }

    @Test
    void h264_lossInsideFuA_dropsFrame_thenRecoversAtNextStart() {
        H264Depacketizer d = new H264Depacketizer();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, false, "7c 85 01 02"));
        a.lose(); // middle fragment lost: the assembler drops the frame
        a.push(packet(3, 0, true, "7c 45 05"));   // orphan end fragment: no frame start
        a.push(packet(4, 3000, true, "41 9a 01"));
        assertThat(a.notStarted).isEqualTo(1);
        assertThat(a.frames).hasSize(1);
        assertThat(a.frames.get(0).hex()).isEqualTo("00000003419a01");
    }

    /** Writes SPS syntax with exp-Golomb codes and emulation prevention, for SPS layouts no encoder here emits. */
    static final class SpsWriter {
        private final StringBuilder bits = new StringBuilder();

        SpsWriter u(int n, long v) {
            for (int i = n - 1; i >= 0; i--) {
                bits.append((v >>> i) & 1);
            }
            return this;
        }

        SpsWriter ue(int v) {
            String s = Integer.toBinaryString(v + 1);
            bits.append("0".repeat(s.length() - 1)).append(s);
            return this;
        }

        SpsWriter se(int v) {
            return ue(v <= 0 ? -2 * v : 2 * v - 1);
        }

        byte[] nal() {
            bits.append('1'); // rbsp_stop_one_bit
            while (bits.length() % 8 != 0) {
                bits.append('0');
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int zeros = 0;
            for (int i = 0; i < bits.length(); i += 8) {
                int b = Integer.parseInt(bits.substring(i, i + 8), 2);
                if (zeros >= 2 && b <= 3) {
                    out.write(3); // emulation_prevention_three_byte
                    zeros = 0;
                }
                out.write(b);
                zeros = b == 0 ? zeros + 1 : 0;
            }
            return out.toByteArray();
        }

        /** High profile, 4:2:0, two scaling lists present (one 4x4 ending early with nextScale 0, one 8x8). */
        static byte[] highProfile1080pWithScalingLists() {
            SpsWriter w = new SpsWriter();
            w.u(8, 0x67);                  // NAL header: NRI 11, type 7
            w.u(8, 100).u(8, 0).u(8, 40);  // profile_idc 100, constraint flags, level_idc 40
            w.ue(0);                       // seq_parameter_set_id
            w.ue(1);                       // chroma_format_idc 4:2:0
            w.ue(0).ue(0);                 // bit depths 8
            w.u(1, 0);                     // qpprime_y_zero_transform_bypass_flag
            w.u(1, 1);                     // seq_scaling_matrix_present_flag
            for (int i = 0; i < 8; i++) {
                boolean present = i == 0 || i == 6;
                w.u(1, present ? 1 : 0);   // seq_scaling_list_present_flag[i]
                if (i == 0) {
                    w.se(8).se(-16);       // 16, then nextScale 0: the rest of the list repeats lastScale
                } else if (i == 6) {
                    for (int j = 0; j < 64; j++) {
                        w.se(j % 2 == 0 ? 1 : -1); // 64 delta_scale values, never reaching 0
                    }
                }
            }
            w.ue(0);                       // log2_max_frame_num_minus4
            w.ue(1);                       // pic_order_cnt_type 1
            w.u(1, 0).se(-1).se(2);        // delta_pic_order_always_zero, offsets
            w.ue(2).se(1).se(-1);          // num_ref_frames_in_pic_order_cnt_cycle 2 and its offsets
            w.ue(4);                       // max_num_ref_frames
            w.u(1, 0);                     // gaps_in_frame_num_value_allowed_flag
            w.ue(119);                     // pic_width_in_mbs_minus1: 120 MBs = 1920
            w.ue(67);                      // pic_height_in_map_units_minus1: 68 = 1088
            w.u(1, 1);                     // frame_mbs_only_flag
            w.u(1, 1);                     // direct_8x8_inference_flag
            w.u(1, 1);                     // frame_cropping_flag
            w.ue(0).ue(0).ue(0).ue(4);     // crop left/right/top/bottom: 4 x CropUnitY 2 = 8 -> 1080
            w.u(1, 0);                     // vui_parameters_present_flag
            return w.nal();
        }
    }
}
