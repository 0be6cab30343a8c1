package io.capstan.codec;

import io.capstan.media.Codec;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.capstan.codec.Rtp.hex;
import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class H265DepacketizerTest {

    // Parameter sets of libx265 3.5 (ffmpeg 5.1, Main profile, level 2 / 4) encoding testsrc2.
    /** VPS, NAL header 4001 (type 32, TID 1). */
    static final String VPS = "40010c01ffff01600000030090000003000003003c959809";
    /** SPS 320x240 4:2:0 8 bit, Main (general_profile_idc 1), level_idc 60, no conformance window. */
    static final String SPS_320x240 = "42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003c10";
    /** SPS 1920x1080: coded 1920x1088, conf_win_bottom_offset 4 x SubHeightC 2 = 8 rows cropped; level_idc 120. */
    static final String SPS_1920x1080 = "420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000f04";
    /** SPS 352x288 (CIF, coded 352x288 plus a conformance window of 0). */
    static final String SPS_352x288 = "42010101600000030090000003000003003ca00b08048596566924caf0168080000003008000000f04";
    /** SPS 640x360 4:2:2 10 bit (Main 4:2:2 10, RExt general_profile_idc 4): chroma_format_idc 2, bit depths 10. */
    static final String SPS_422_10 = "4201010408000003009d0800000300003fb005020169365959a4932bc05a020000030002000003003c10";
    /** PPS, NAL header 4401 (type 34). */
    static final String PPS = "4401c172b46240";

    /** An IDR_W_RADL slice (type 19): NAL header 2601 (F=0, type 19, LayerId 0, TID 1) + slice data. */
    static final String IDR = "2601 af0b1c";
    /** A TRAIL_R slice (type 1): NAL header 0201. */
    static final String TRAIL = "0201 d00922";

    static String sized(String nal) {
        String h = nal.replace(" ", "");
        return String.format("%04x", h.length() / 2) + h;
    }

    static String prefixed(String nal) {
        String h = nal.replace(" ", "");
        return String.format("%08x", h.length() / 2) + h;
    }

    @Test
    void h265_singleNal_idrIsKeyframe() {
        H265Depacketizer d = new H265Depacketizer();
        var p = packet(1, 0, true, IDR);
        assertThat(d.isFrameStart(p)).isTrue();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("00000005" + "2601af0b1c");
        assertThat(frames.get(0).keyframe()).isTrue();
        assertThat(d.formatVersion()).isZero();

        // TRAIL_R is not IRAP; CRA (21, header 2a01) and BLA_W_LP (16, header 2001) are
        assertThat(TestAssembler.run(d, packet(2, 3000, true, TRAIL)).get(0).keyframe()).isFalse();
        assertThat(TestAssembler.run(d, packet(3, 6000, true, "2a01 aa")).get(0).keyframe()).isTrue();
        assertThat(TestAssembler.run(d, packet(4, 9000, true, "2001 aa")).get(0).keyframe()).isTrue();
        // RSV_IRAP_VCL23 (header 2e01) is IRAP too; RSV_VCL24 (3001) is not
        assertThat(TestAssembler.run(d, packet(5, 12000, true, "2e01 aa")).get(0).keyframe()).isTrue();
        assertThat(TestAssembler.run(d, packet(6, 15000, true, "3001 aa")).get(0).keyframe()).isFalse();
    }

    @Test
    void h265_ap_vpsSpsPps_buildsHvcC() {
        H265Depacketizer d = new H265Depacketizer();
        var ap = packet(1, 0, false,
                "6001"                       // PayloadHdr: F=0 Type=48 (AP) LayerId=0 TID=1
                + sized(VPS)                 // NALU size, VPS
                + sized(SPS_320x240)         // NALU size, SPS
                + sized(PPS));               // NALU size, PPS
        var idr = packet(2, 0, true, IDR);
        List<TestAssembler.Frame> frames = TestAssembler.run(d, ap, idr);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).keyframe()).isTrue();
        // in-band parameter sets stay in the access unit, each with its 4-byte length
        assertThat(frames.get(0).hex()).isEqualTo(prefixed(VPS) + prefixed(SPS_320x240) + prefixed(PPS)
                + prefixed(IDR));
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
        assertThat(d.formatVersion()).isEqualTo(1);
        assertThat(Rtp.hex(d.format().codecPrivate())).isEqualTo(
                "01"                   // configurationVersion
                + "01"                 // general_profile_space 0 | general_tier_flag 0 | general_profile_idc 1 (Main)
                + "60000000"           // general_profile_compatibility_flags (Main, Main 10)
                + "900000000000"       // progressive_source, frame_only_constraint; other constraint flags 0
                + "3c"                 // general_level_idc 60 (level 2)
                + "f000"               // reserved 1111 | min_spatial_segmentation_idc 0
                + "fc"                 // reserved 111111 | parallelismType 0
                + "fd"                 // reserved 111111 | chroma_format_idc 1
                + "f8"                 // reserved 11111 | bit_depth_luma_minus8 0
                + "f8"                 // reserved 11111 | bit_depth_chroma_minus8 0
                + "0000"               // avgFrameRate 0
                + "0f"                 // constantFrameRate 0 | numTemporalLayers 1 | temporalIdNested 1 | lengthSizeMinusOne 3
                + "03"                 // numOfArrays
                + "20" + "0001" + sized(VPS)         // array_completeness 0, type 32, one VPS
                + "21" + "0001" + sized(SPS_320x240) // type 33, one SPS
                + "22" + "0001" + sized(PPS));       // type 34, one PPS

        // the same parameter sets again: no change, no new format
        TestAssembler.run(d, packet(3, 3000, false, "6001" + sized(VPS) + sized(SPS_320x240) + sized(PPS)),
                packet(4, 3000, true, IDR));
        assertThat(d.formatVersion()).isEqualTo(1);
    }

    @Test
    void h265_spsVariants_resolutionChromaBitDepth() {
        record Case(String sps, int w, int h, int chroma, int bitDepthMinus8, int profileIdc) {
        }
        for (Case c : List.of(new Case(SPS_320x240, 320, 240, 1, 0, 1), new Case(SPS_1920x1080, 1920, 1080, 1, 0, 1),
                new Case(SPS_352x288, 352, 288, 1, 0, 1), new Case(SPS_422_10, 640, 360, 2, 2, 4))) {
            H265Depacketizer.SpsInfo info = new H265Depacketizer.SpsInfo();
            byte[] sps = hex(c.sps());
            assertThat(H265Depacketizer.parseSps(sps, 0, sps.length, info, new BitReader())).as(c.sps()).isTrue();
            assertThat(info.width).as(c.sps()).isEqualTo(c.w());
            assertThat(info.height).as(c.sps()).isEqualTo(c.h());
            assertThat(info.chromaFormatIdc).as(c.sps()).isEqualTo(c.chroma());
            assertThat(info.bitDepthLumaMinus8).isEqualTo(c.bitDepthMinus8());
            assertThat(info.bitDepthChromaMinus8).isEqualTo(c.bitDepthMinus8());
            assertThat(info.generalPtl[0] & 0x1F).isEqualTo(c.profileIdc());
            assertThat(info.spsId).isZero();
        }
        // not an SPS, or cut short
        byte[] pps = hex(PPS);
        assertThat(H265Depacketizer.parseSps(pps, 0, pps.length, new H265Depacketizer.SpsInfo(), new BitReader()))
                .isFalse();
        byte[] sps = hex(SPS_320x240);
        assertThat(H265Depacketizer.parseSps(sps, 0, 18, new H265Depacketizer.SpsInfo(), new BitReader())).isFalse();
    }

    @Test
    void h265_422_10bit_hvcCCarriesChromaAndBitDepth() {
        H265Depacketizer d = new H265Depacketizer();
        TestAssembler.run(d, packet(1, 0, true, "6001" + sized(VPS) + sized(SPS_422_10) + sized(PPS) + sized(IDR)));
        byte[] hvcc = d.format().codecPrivate();
        assertThat(hvcc[1] & 0x1F).isEqualTo(4);            // general_profile_idc 4 (format range extensions)
        assertThat(hvcc[16] & 0xFF).isEqualTo(0xFC | 2);    // chroma_format_idc 2 (4:2:2)
        assertThat(hvcc[17] & 0xFF).isEqualTo(0xF8 | 2);    // bit_depth_luma_minus8 2
        assertThat(hvcc[18] & 0xFF).isEqualTo(0xF8 | 2);    // bit_depth_chroma_minus8 2
        assertThat(d.format().width()).isEqualTo(640);
        assertThat(d.format().height()).isEqualTo(360);
    }

    @Test
    void h265_fu_startMiddleEnd_reassemblesNal() {
        H265Depacketizer d = new H265Depacketizer();
        var p1 = packet(1, 0, false, "6201" + "93" + "0102 0304"); // PayloadHdr type 49 TID 1; FU header S=1 FuType 19
        var p2 = packet(2, 0, false, "6201" + "13" + "0506 0708"); // middle fragment: S=0 E=0
        var p3 = packet(3, 0, true, "6201" + "53" + "090a");       // E=1
        assertThat(d.isFrameStart(p1)).isTrue();
        assertThat(d.isFrameStart(p2)).isFalse();
        assertThat(d.isFrameStart(p3)).isFalse();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3);
        assertThat(frames).hasSize(1);
        // the NAL unit header is rebuilt: F and LayerId from the PayloadHdr, type 19 from FuType, TID 1 -> 2601
        assertThat(frames.get(0).hex()).isEqualTo("0000000c" + "2601" + "0102030405060708090a");
        assertThat(frames.get(0).keyframe()).isTrue();
    }

    @Test
    void h265_fu_layerIdAndTidCarriedIntoRebuiltHeader() {
        H265Depacketizer d = new H265Depacketizer();
        // PayloadHdr 0x63 0x0b: F=0, Type 49, LayerId = (1 << 5) | (0x0b >> 3) = 33, TID 3
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 0, false, "630b 81 aa"),
                packet(2, 0, true, "630b 41 bb"));
        // type 1 (TRAIL_R) with the same LayerId and TID: (1 << 1) | 1 = 0x03, 0x0b
        assertThat(frames.get(0).hex()).isEqualTo("00000004" + "030b" + "aabb");
    }

    @Test
    void h265_fuMissingFragment_dropsFrameAndRequestsKeyframe() {
        FrameAssemblerTest.Sink out = new FrameAssemblerTest.Sink();
        FrameAssembler a = new FrameAssembler(new H265Depacketizer(), new FrameBuilder(16, 1 << 20), out);
        a.packet(packet(10, 0, false, "6201 93 0102"), 0, false, 0);   // IDR FU start
        a.packet(packet(11, 0, false, "6201 13 0304"), 0, false, 0);   // middle
        a.packet(packet(12, 0, true, "6201 53 0506"), 0, false, 0);    // end
        assertThat(out.frames).hasSize(1);
        assertThat(out.frames.get(0).key()).isTrue();

        a.packet(packet(13, 3000, false, "6201 93 0102"), 3000, false, 0); // next IDR: start ...
        // ... seq 14 (the middle fragment) is lost
        a.packet(packet(15, 3000, true, "6201 53 0506"), 3000, true, 0);
        a.packet(packet(16, 6000, true, TRAIL), 6000, false, 0);          // a non-IRAP frame: still waiting
        assertThat(out.frames).hasSize(1);
        assertThat(out.keyframeRequests).isNotEmpty();
        assertThat(a.framesDropped()).isEqualTo(2);
        a.packet(packet(17, 9000, true, IDR), 9000, false, 0);            // the next keyframe resumes
        assertThat(out.frames).hasSize(2);
        assertThat(out.frames.get(1).key()).isTrue();
        assertThat(out.frames.get(1).droppedBefore()).isEqualTo(2);
    }

    @Test
    void h265_fu_malformed_rejected() {
        H265Depacketizer d = new H265Depacketizer();
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, true, "6201 93"));                   // PayloadHdr + FU header, no fragment payload
        a.push(packet(2, 3000, false, "6201 93 01"));            // start ...
        a.push(packet(3, 3000, true, "6201 13 02"));             // ... and the access unit ends without E
        a.push(packet(4, 6000, true, "6201 d3 01"));             // S and E both set
        a.push(packet(5, 9000, false, "6201 93 01"));            // start ...
        a.push(packet(6, 9000, true, "6201 93 02"));             // ... another start before E
        a.push(packet(7, 12000, false, "6201 93 01"));           // start ...
        a.push(packet(8, 12000, true, "2601 01"));               // ... a single NAL before E
        a.push(packet(9, 15000, false, "6201 93 01"));           // start of type 19 ...
        a.push(packet(10, 15000, true, "6201 41 02"));           // ... end claims type 1
        a.push(packet(11, 18000, true, "6201 b1 01"));           // FuType 49: an FU of an FU
        a.push(packet(12, 21000, false, "6201 93 01"));          // start with TID 1 ...
        a.push(packet(13, 21000, true, "6202 53 02"));           // ... end with TID 2
        assertThat(a.frames).isEmpty();
        assertThat(a.invalid).isEqualTo(7);
        assertThat(a.rejected).isEqualTo(1);
        var cont = packet(14, 24000, true, "6201 53 01");        // a continuation alone is malformed
        assertThat(d.isFrameStart(cont)).isFalse();
        assertThat(d.append(cont, new FrameBuilder())).isFalse();
    }

    @Test
    void h265_ap_malformedLengths_rejected() {
        String[] bad = {
            "6001",                          // no aggregation unit
            "6001 0005 2601aa",              // size 5 but 3 bytes follow
            "6001 0003 2601aa 00",           // a dangling byte where the next size should be
            "6001 0000",                     // empty NAL unit
            "6001 0001 26",                  // shorter than a NAL unit header
            "6001 0003 6001aa",              // an AP inside an AP
            "6001 0003 6201aa",              // an FU inside an AP
            "6001 0003 2600aa",              // aggregated NAL unit with TID 0
            "6001 0003 a601aa",              // aggregated NAL unit with F=1
        };
        for (String payload : bad) {
            H265Depacketizer d = new H265Depacketizer();
            TestAssembler a = new TestAssembler(d);
            a.push(packet(1, 0, true, payload));
            assertThat(a.frames).as(payload).isEmpty();
            assertThat(a.invalid).as(payload).isEqualTo(1);
        }
    }

    @Test
    void h265_paciAndUndefinedTypes_rejectedAsUnsupported() {
        for (String payload : new String[] {
            "6401 0000 2601aa",              // PACI (type 50, RFC 7798 4.4.4): not supported
            "6601 aabb",                     // type 51: not defined by RFC 7798
            "7e01 aabb",                     // type 63
            "2600 aabb",                     // PayloadHdr TID 0 (nuh_temporal_id_plus1 must not be 0)
            "a601 aabb",                     // F=1 (a syntax violation, RFC 7798 1.1.4)
            "26",                            // a single byte: no complete payload header
        }) {
            H265Depacketizer d = new H265Depacketizer();
            TestAssembler a = new TestAssembler(d);
            a.push(packet(1, 0, true, payload));
            assertThat(a.frames).as(payload).isEmpty();
            assertThat(a.invalid).as(payload).isEqualTo(1);
        }
    }

    @Test
    void h265_donl_singleApFu_readAndRestoredToDecodingOrder() {
        // sprop-max-don-diff > 0: DONL in single NAL unit packets, FU starts and the first AP unit; DOND after that
        Depacketizer d = Depacketizers.create(Codec.H265, 90000, 0, Map.of("sprop-max-don-diff", "2"));
        var single = packet(1, 0, false, "2601" + "0010" + "aabb");     // PayloadHdr, DONL 16, payload
        var ap = packet(2, 0, false, "6001"
                + "0011" + "0003" + "0201c1"                              // DONL 17, size 3, NAL
                + "00" + "0003" + "0201c2");                               // DOND 0 -> DON 18, size 3, NAL
        var fu1 = packet(3, 0, false, "6201" + "81" + "0013" + "d1");   // FU start, DONL 19, fragment
        var fu2 = packet(4, 0, true, "6201" + "41" + "d2");              // FU end (no DONL)
        List<TestAssembler.Frame> frames = TestAssembler.run(d, single, ap, fu1, fu2);
        assertThat(frames).hasSize(1);
        // DON fields are removed from the NAL units
        assertThat(frames.get(0).hex()).isEqualTo("00000004 2601aabb 00000003 0201c1 00000003 0201c2 00000004 0201d1d2"
                .replace(" ", ""));
        assertThat(frames.get(0).keyframe()).isTrue();

        // out of decoding order within the access unit (and across the 16-bit wrap): put back in DON order
        var late = packet(5, 3000, false, "0201" + "0000" + "03");      // DON 0 (after 65535)
        var apWrap = packet(6, 3000, true, "6001"
                + "fffe" + "0003" + "0201" + "01"                          // DONL 65534
                + "00" + "0003" + "0201" + "02");                          // DON 65535
        frames = TestAssembler.run(d, late, apWrap);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("00000003 020101 00000003 020102 00000003 020103".replace(" ", ""));
    }

    @Test
    void h265_donl_truncatedFields_rejected() {
        for (String payload : new String[] {
            "2601 00",                       // single NAL unit: DONL cut short
            "6001 0011",                     // AP: DONL but no size
            "6001 0011 0003 0201c1 00",      // AP: DOND without a size
            "6201 81 0013",                  // FU start: DONL but no fragment
        }) {
            Depacketizer d = Depacketizers.create(Codec.H265, 90000, 0, Map.of("sprop-max-don-diff", "1"));
            TestAssembler a = new TestAssembler(d);
            a.push(packet(1, 0, true, payload));
            assertThat(a.frames).as(payload).isEmpty();
            assertThat(a.invalid).as(payload).isEqualTo(1);
        }
    }

    @Test
    void h265_sdpSprop_formatKnownAtVersionZero() {
        Base64.Encoder b64 = Base64.getEncoder();
        Depacketizer d = Depacketizers.create(Codec.H265, 90000, 0, Map.of(
                "sprop-vps", b64.encodeToString(hex(VPS)),
                "sprop-sps", b64.encodeToString(hex(SPS_1920x1080)),
                "sprop-pps", b64.encodeToString(hex(PPS))));
        assertThat(d).isInstanceOf(H265Depacketizer.class);
        assertThat(d.format().width()).isEqualTo(1920);
        assertThat(d.format().height()).isEqualTo(1080);
        byte[] hvcc = d.format().codecPrivate();
        assertThat(hvcc[12] & 0xFF).isEqualTo(120);   // general_level_idc 120 (level 4)
        assertThat(hvcc[22] & 0xFF).isEqualTo(3);     // numOfArrays
        assertThat(d.formatVersion()).isZero();

        // the same sets in-band change nothing; a new SPS (another size) does
        TestAssembler.run(d, packet(1, 0, true, "6001" + sized(VPS) + sized(SPS_1920x1080) + sized(PPS) + sized(IDR)));
        assertThat(d.formatVersion()).isZero();
        TestAssembler.run(d, packet(2, 3000, true, "6001" + sized(SPS_320x240) + sized(IDR)));
        assertThat(d.formatVersion()).isEqualTo(1);
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
    }

    @Test
    void h265_sdpSprop_unusable_throwsWithReason() {
        assertThatThrownBy(() -> Depacketizers.create(Codec.H265, 90000, 0, Map.of("sprop-sps", "!!")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base64");
        assertThatThrownBy(() -> Depacketizers.create(Codec.H265, 90000, 0, Map.of("sprop-sps",
                Base64.getEncoder().encodeToString(hex(PPS)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sprop-sps");
        assertThatThrownBy(() -> Depacketizers.create(Codec.H265, 90000, 0, Map.of("sprop-max-don-diff", "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sprop-max-don-diff");
        assertThatThrownBy(() -> Depacketizers.create(Codec.H265, 90000, 0, Map.of("sprop-max-don-diff", "40000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sprop-max-don-diff");
    }
}
