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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AacDepacketizerTest {

    /** The fmtp ffmpeg writes for AAC-LC 48 kHz stereo (h264_aac capture). */
    static final Map<String, String> HBR = Map.of("profile-level-id", "1", "mode", "AAC-hbr", "sizelength", "13",
            "indexlength", "3", "indexdeltalength", "3", "config", "119056E500");

    static AacDepacketizer hbr() {
        return (AacDepacketizer) Depacketizers.create(Codec.AAC, 48000, 2, HBR);
    }

    @Test
    void aac_configParsed_intoFormat() {
        AacDepacketizer d = hbr();
        // 11 90 = 00010 (AAC LC) 0011 (48000) 0010 (2 channels) 0 (frameLengthFlag: 1024) ...
        assertThat(d.format().sampleRate()).isEqualTo(48000);
        assertThat(d.format().channels()).isEqualTo(2);
        assertThat(d.format().clockRate()).isEqualTo(48000);
        assertThat(Rtp.hex(d.format().codecPrivate())).isEqualTo("119056e500");
        assertThat(d.formatVersion()).isZero();
    }

    @Test
    void aac_fourAuPerPacket_unitsWithTimestamps() {
        AacDepacketizer d = hbr();
        var p = packet(1, 90000, true, concat(hex(
                "0040"          // AU-headers-length: 64 bits = 4 AU-headers of 13 + 3 bits
                + "0050"        // AU-size 10, AU-Index 0
                + "0058"        // AU-size 11, AU-Index-delta 0
                + "0060"        // AU-size 12, AU-Index-delta 0
                + "0068"),      // AU-size 13, AU-Index-delta 0
                filler(10, 0x00), filler(11, 0x10), filler(12, 0x20), filler(13, 0x30)));
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(4);
        assertThat(frames).extracting(TestAssembler.Frame::timestamp).containsExactly(90000L, 91024L, 92048L, 93072L);
        assertThat(frames).extracting(f -> f.data().length).containsExactly(10, 11, 12, 13);
        assertThat(frames.get(3).data()).isEqualTo(filler(13, 0x30));
        assertThat(frames).allMatch(TestAssembler.Frame::keyframe);
    }

    @Test
    void aac_auSizesPastEnd_rejected() {
        AacDepacketizer d = hbr();
        var p = packet(1, 0, true, concat(hex(
                "0020"          // two AU-headers
                + "0050"        // AU-size 10
                + "0058"),      // AU-size 11 -> 21 bytes expected
                filler(20, 0)));    // only 20 present
        assertThat(d.isFrameStart(p)).isFalse();
        assertThat(d.append(p, new FrameBuilder())).isFalse();
    }

    @Test
    void aac_malformedHeaderSections_rejectedWithoutException() {
        String[] bad = {
            "",                    // empty
            "00",                  // half an AU-headers-length
            "0000 0102",           // AU-headers-length 0
            "0010 00",             // 16 bits of headers announced, 8 present
            "0018 0050 00 " + "00".repeat(10), // 24 bits: a header cut in the middle
            "0010 0000 0102",      // AU-size 0
            "0020 0050 0059 " + "00".repeat(21), // AU-Index-delta 1: interleaving
            "0010 0050 " + "00".repeat(11), // one complete AU of 10 but 11 bytes: trailing garbage
            "0010 0050",           // header but no data
        };
        for (String h : bad) {
            AacDepacketizer d = hbr();
            var p = packet(1, 0, true, h);
            assertThat(d.append(p, new FrameBuilder())).as(h).isFalse();
        }
    }

    @Test
    void aac_fragmentedAu_reassembled() {
        AacDepacketizer d = hbr();
        byte[] au = filler(30, 0x50);
        String header = "0010 00f0"; // one AU-header: AU-size 30 (the whole AU), AU-Index 0
        var p1 = packet(1, 4096, false, concat(hex(header), java.util.Arrays.copyOfRange(au, 0, 12)));
        var p2 = packet(2, 4096, false, concat(hex(header), java.util.Arrays.copyOfRange(au, 12, 24)));
        var p3 = packet(3, 4096, true, concat(hex(header), java.util.Arrays.copyOfRange(au, 24, 30)));
        assertThat(d.isFrameEnd(p1)).isFalse();
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p1, p2, p3);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).data()).isEqualTo(au);
        assertThat(frames.get(0).timestamp()).isEqualTo(4096);

        // the marker before all 30 bytes arrived: dropped
        TestAssembler a = new TestAssembler(d);
        a.push(p1);
        a.push(packet(3, 4096, true, concat(hex(header), java.util.Arrays.copyOfRange(au, 24, 30))));
        assertThat(a.frames).isEmpty();
        assertThat(a.rejected).isEqualTo(1);
        // a continuation announcing another size: malformed
        TestAssembler b = new TestAssembler(d);
        b.push(p1);
        b.push(packet(2, 4096, true, concat(hex("0010 00f8"), filler(18, 0))));
        assertThat(b.frames).isEmpty();
        assertThat(b.invalid).isEqualTo(1);
    }

    @Test
    void aac_lbrMode_andConstantDuration() {
        Depacketizer d = Depacketizers.create(Codec.AAC, 44100, 2, Map.of("mode", "AAC-lbr", "config", "1210",
                "sizelength", "6", "indexlength", "2", "indexdeltalength", "2", "constantduration", "960"));
        // 12 10 = 00010 (AAC LC) 0100 (44100) 0010 (2 channels)
        assertThat(d.format().sampleRate()).isEqualTo(44100);
        var p = packet(1, 1000, true, concat(hex(
                "0010"      // 16 bits: two 8-bit AU-headers
                + "0c"      // AU-size 3 (6 bits), AU-Index 0 (2 bits)
                + "10"),    // AU-size 4, AU-Index-delta 0
                filler(3, 1), filler(4, 9)));
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).extracting(TestAssembler.Frame::timestamp).containsExactly(1000L, 1960L);
        assertThat(frames.get(1).data()).isEqualTo(filler(4, 9));
    }

    @Test
    void aac_ctsDtsRapFieldsAndAuxiliarySection_skipped() {
        Depacketizer d = Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr", "config", "1190",
                "sizelength", "13", "indexlength", "3", "indexdeltalength", "3", "ctsdeltalength", "4",
                "randomaccessindication", "1", "auxiliarydatasizelength", "8"));
        // AU-header: AU-size 2 (13) | AU-Index 0 (3) | CTS-flag 1 | CTS-delta 0101 | RAP-flag 1 = 22 bits
        // 0000000000010 000 1 0101 1 -> 0000 0000 0001 0000 1010 11(00) = 00 10 ac
        var p = packet(1, 0, true, hex(
                "0016"      // AU-headers-length 22 bits
                + "0010ac"  // the AU-header, padded to 3 octets
                + "10 ab aa" // auxiliary-data-size 16 bits (8-bit field), then 2 octets of auxiliary data
                + "0102")); // the AU
        List<TestAssembler.Frame> frames = TestAssembler.run(d, p);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).hex()).isEqualTo("0102");
    }

    @Test
    void aac_configVariants() {
        // explicit 24-bit sampling frequency 22222 Hz, frameLengthFlag 1 (960 samples)
        var explicit = AacDepacketizer.AudioSpecificConfig.parse(hex("17802b6714"));
        assertThat(explicit.sampleRate).isEqualTo(22222);
        assertThat(explicit.channels).isEqualTo(2);
        assertThat(explicit.frameLength).isEqualTo(960);
        // explicit HE-AAC: AOT 5, core 24000 Hz, extension 48000 Hz, core object type 2
        var he = AacDepacketizer.AudioSpecificConfig.parse(hex("2b1188"));
        assertThat(he.audioObjectType).isEqualTo(2);
        assertThat(he.coreSampleRate).isEqualTo(24000);
        assertThat(he.sampleRate).isEqualTo(48000);
        // with a 48 kHz RTP clock each AU (1024 core samples) lasts 2048 ticks
        Depacketizer d = Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr", "config", "2b1188",
                "sizelength", "13", "indexlength", "3", "indexdeltalength", "3"));
        var p = packet(1, 0, true, hex("0020 0008 0008 aa bb"));
        assertThat(TestAssembler.run(d, p)).extracting(TestAssembler.Frame::timestamp).containsExactly(0L, 2048L);
    }

    @Test
    void aac_unusableFmtp_throws() {
        assertThatThrownBy(() -> Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr",
                "sizelength", "13"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("config");
        assertThatThrownBy(() -> Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr",
                "sizelength", "13", "config", "zz"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not hex");
        assertThatThrownBy(() -> Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr",
                "sizelength", "13", "config", "1f"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AudioSpecificConfig");
        assertThatThrownBy(() -> Depacketizers.create(Codec.AAC, 48000, 2, Map.of("config", "1190")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sizeLength");
        assertThatThrownBy(() -> Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr",
                "sizelength", "thirteen", "config", "1190"))).isInstanceOf(IllegalArgumentException.class);
    }
}
