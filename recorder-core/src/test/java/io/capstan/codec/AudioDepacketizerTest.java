package io.capstan.codec;

import io.capstan.media.Codec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;

/** Opus (RFC 7587) and G.711 (RFC 3551). */
class AudioDepacketizerTest {

    @Test
    void opus_format_opusHead() {
        Depacketizer stereo = Depacketizers.create(Codec.OPUS, 48000, 2, Map.of("sprop-stereo", "1"));
        assertThat(stereo.format().channels()).isEqualTo(2);
        assertThat(stereo.format().sampleRate()).isEqualTo(48000);
        assertThat(stereo.format().clockRate()).isEqualTo(48000);
        assertThat(Rtp.hex(stereo.format().codecPrivate())).isEqualTo(
                "4f70757348656164"  // "OpusHead"
                + "01"              // version 1
                + "02"              // channel count
                + "3801"            // pre-skip 312, little-endian
                + "80bb0000"        // input sample rate 48000, little-endian
                + "0000"            // output gain 0
                + "00");            // channel mapping family 0
        Depacketizer mono = Depacketizers.create(Codec.OPUS, 48000, 2, Map.of("sprop-stereo", "0"));
        assertThat(mono.format().channels()).isEqualTo(1);
        assertThat(mono.format().codecPrivate()[9]).isEqualTo((byte) 1);
        assertThat(Depacketizers.create(Codec.OPUS, 48000, 2, null).format().channels()).isEqualTo(2);
    }

    @Test
    void opus_onePacketOneKeyframe() {
        Depacketizer d = Depacketizers.create(Codec.OPUS, 48000, 2, Map.of());
        List<TestAssembler.Frame> frames = TestAssembler.run(d,
                packet(1, 0, false, "fc ff fe"),       // TOC config 31, stereo, code 0; frame data
                packet(2, 960, false, "78"),           // TOC only: a DTX/empty frame is valid (R1)
                packet(3, 1920, true, "fd 0102"));     // code 1: two frames of one byte each
        assertThat(frames).extracting(TestAssembler.Frame::timestamp).containsExactly(0L, 960L, 1920L);
        assertThat(frames).allMatch(TestAssembler.Frame::keyframe);
        assertThat(frames.get(0).hex()).isEqualTo("fcfffe");
        assertThat(d.independentFrames()).isTrue();
    }

    @Test
    void opus_emptyPayload_rejected() {
        Depacketizer d = Depacketizers.create(Codec.OPUS, 48000, 2, Map.of());
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, true, ""));
        a.push(packet(2, 960, true, "fd 010203"));  // code 1 with an odd number of frame bytes (R3)
        a.push(packet(3, 1920, true, "fe"));        // code 2 without the first frame's length (R4)
        a.push(packet(4, 2880, true, "fe 05 01"));  // code 2: first frame of 5 bytes, 1 present (R4)
        a.push(packet(5, 3840, true, "ff"));        // code 3 without the frame count byte (R6)
        a.push(packet(6, 4800, true, "ff 00"));     // code 3 with zero frames (R5)
        assertThat(a.frames).isEmpty();
        assertThat(a.invalid).isEqualTo(6);
    }

    @Test
    void g711_pcmu_onePacketPerFrame() {
        Depacketizer d = Depacketizers.create(Codec.PCMU, 8000, 0, Map.of());
        assertThat(d.codec()).isEqualTo(Codec.PCMU);
        assertThat(d.format().sampleRate()).isEqualTo(8000);
        assertThat(d.format().channels()).isEqualTo(1);
        List<TestAssembler.Frame> frames = TestAssembler.run(d, packet(1, 160, false, Rtp.filler(160, 0)),
                packet(2, 320, false, Rtp.filler(160, 7)));
        assertThat(frames).hasSize(2);
        assertThat(frames.get(1).data()).isEqualTo(Rtp.filler(160, 7));
        assertThat(frames).allMatch(TestAssembler.Frame::keyframe);
    }

    @Test
    void g711_pcmaStereo_partialSampleFrame_rejected() {
        Depacketizer d = Depacketizers.create(Codec.PCMA, 8000, 2, Map.of());
        assertThat(d.format().channels()).isEqualTo(2);
        TestAssembler a = new TestAssembler(d);
        a.push(packet(1, 0, true, "d5d5d5"));   // 3 octets: one and a half interleaved sample frames
        a.push(packet(2, 0, true, ""));         // empty
        a.push(packet(3, 0, true, "d5d5"));
        assertThat(a.invalid).isEqualTo(2);
        assertThat(a.frames).hasSize(1);
    }
}
