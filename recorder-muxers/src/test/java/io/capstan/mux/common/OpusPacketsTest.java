package io.capstan.mux.common;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class OpusPacketsTest {

    /** RFC 6716 section 3.1 table 2 and section 3.2: config (TOC bits 7..3) x code (bits 1..0). */
    @ParameterizedTest(name = "toc {0} -> {1} samples")
    @CsvSource({
            "0x00, 480",        // config 0 SILK NB 10 ms, code 0
            "0x08, 960",        // config 1 SILK NB 20 ms
            "0x18, 2880",       // config 3 SILK NB 60 ms
            "0x48, 960",        // config 9 SILK WB 20 ms
            "0x60, 480",        // config 12 hybrid SWB 10 ms
            "0x78, 960",        // config 15 hybrid FB 20 ms
            "0x80, 120",        // config 16 CELT NB 2.5 ms
            "0xE0, 120",        // config 28 CELT FB 2.5 ms
            "0xF8, 960",        // config 31 CELT FB 20 ms
            "0xFC, 960",        // config 31, stereo flag set
            "0xF9, 1920",       // config 31, code 1: two equal frames
            "0xFA, 1920",       // config 31, code 2: two frames of different sizes
    })
    void packetSamples_fromTocAndCode(String toc, int samples) {
        byte[] p = {(byte) Integer.decode(toc).intValue(), 0, 0};
        assertThat(OpusPackets.packetSamples(p, 0, p.length)).isEqualTo(samples);
    }

    @Test
    void code3_countsFramesFromTheSecondByte() {
        // config 31 (20 ms) code 3, M = 6 -> 120 ms, the maximum
        assertThat(OpusPackets.packetSamples(new byte[] {(byte) 0xFB, 6}, 0, 2)).isEqualTo(5760);
        // M = 7 would be 140 ms: malformed ([R5])
        assertThat(OpusPackets.packetSamples(new byte[] {(byte) 0xFB, 7}, 0, 2)).isEqualTo(-1);
        // M = 0: malformed
        assertThat(OpusPackets.packetSamples(new byte[] {(byte) 0xFB, 0}, 0, 2)).isEqualTo(-1);
        // code 3 without the frame count byte
        assertThat(OpusPackets.packetSamples(new byte[] {(byte) 0xFB}, 0, 1)).isEqualTo(-1);
        // empty packet
        assertThat(OpusPackets.packetSamples(new byte[0], 0, 0)).isEqualTo(-1);
    }

    @Test
    void head_builtWhenCodecPrivateIsNotAnOpusHead() {
        byte[] head = OpusPackets.headFor(TrackFormat.audio(Codec.OPUS, 48000, 48000, 1, new byte[] {1, 2, 3}));
        // 'OpusHead' | version 1 | 1 channel | pre-skip 312 LE | 48000 LE | gain 0 | family 0
        assertThat(HexFormat.of().formatHex(head)).isEqualTo("4f7075734865616401013801" + "80bb0000" + "0000" + "00");
        assertThat(OpusPackets.isValidHead(head)).isTrue();
    }

    @Test
    void head_takenFromCodecPrivateWhenValid() {
        byte[] own = OpusPackets.buildHead(2, 3840, 44100);
        assertThat(OpusPackets.headFor(TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, own))).isEqualTo(own);
        assertThat(OpusPackets.preSkip(own)).isEqualTo(3840);
    }

    @Test
    void head_withMappingFamily1OrWrongLength_isRebuilt() {
        byte[] fam1 = OpusPackets.buildHead(2, 312, 48000);
        fam1[18] = 1;
        assertThat(OpusPackets.isValidHead(fam1)).isFalse();
        assertThat(OpusPackets.headFor(TrackFormat.audio(Codec.OPUS, 48000, 48000, 0, fam1))[18]).isZero();
        assertThat(OpusPackets.channels(OpusPackets.headFor(TrackFormat.audio(Codec.OPUS, 48000, 48000, 0, null))))
                .isEqualTo(2);
    }
}
