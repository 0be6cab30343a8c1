package io.capstan.codec;

import io.capstan.media.Codec;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DepacketizersTest {

    @Test
    void createsOnePerSupportedCodec() {
        assertThat(Depacketizers.create(Codec.VP8, 90000, 0, null)).isInstanceOf(Vp8Depacketizer.class);
        assertThat(Depacketizers.create(Codec.VP9, 90000, 0, Map.of())).isInstanceOf(Vp9Depacketizer.class);
        assertThat(Depacketizers.create(Codec.H264, 90000, 0, Map.of())).isInstanceOf(H264Depacketizer.class);
        assertThat(Depacketizers.create(Codec.H265, 90000, 0, Map.of())).isInstanceOf(H265Depacketizer.class);
        assertThat(Depacketizers.create(Codec.AV1, 90000, 0, Map.of())).isInstanceOf(Av1Depacketizer.class);
        assertThat(Depacketizers.create(Codec.OPUS, 48000, 2, Map.of())).isInstanceOf(OpusDepacketizer.class);
        assertThat(Depacketizers.create(Codec.PCMA, 0, 0, Map.of()).format().clockRate()).isEqualTo(8000);
        assertThat(Depacketizers.create(Codec.AAC, 48000, 2, AacDepacketizerTest.HBR))
                .isInstanceOf(AacDepacketizer.class);
        for (Codec c : new Codec[] {Codec.VP8, Codec.VP9, Codec.AV1, Codec.H264, Codec.H265}) {
            Depacketizer d = Depacketizers.create(c, 90000, 0, Map.of());
            assertThat(d.codec()).isEqualTo(c);
            assertThat(d.independentFrames()).isFalse();
            assertThat(d.format().clockRate()).isEqualTo(90000);
            assertThat(d.formatVersion()).isZero();
        }
    }

    @Test
    void everyCodecHasADepacketizer() {
        for (Codec c : Codec.values()) {
            Map<String, String> fmtp = c == Codec.AAC ? AacDepacketizerTest.HBR : Map.of();
            assertThat(Depacketizers.create(c, 0, 0, fmtp).codec()).as(c.name()).isEqualTo(c);
        }
    }

    @Test
    void nullCodec_throws() {
        assertThatThrownBy(() -> Depacketizers.create(null, 90000, 0, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unusableFmtp_throwsWithReason() {
        assertThatThrownBy(() -> Depacketizers.create(Codec.H264, 90000, 0, Map.of("packetization-mode", "2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packetization-mode=2");
        assertThatThrownBy(() -> Depacketizers.create(Codec.H264, 90000, 0,
                Map.of("sprop-parameter-sets", "!!notbase64")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base64");
        assertThatThrownBy(() -> Depacketizers.create(Codec.H264, 90000, 0, Map.of("sprop-parameter-sets", "Zw==")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SPS");
        assertThatThrownBy(() -> Depacketizers.create(Codec.AAC, 48000, 2, Map.of("streamtype", "4",
                "config", "1190", "sizelength", "13"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streamtype");
    }

    @Test
    void fmtpKeysAndValues_normalised() {
        Map<String, String> fmtp = new HashMap<>();
        fmtp.put("Mode", "AAC-hbr");
        fmtp.put("SizeLength", " 13");
        fmtp.put("IndexLength", "3");
        fmtp.put("IndexDeltaLength", "3");
        fmtp.put(" config", "1190 ");
        Depacketizer d = Depacketizers.create(Codec.AAC, 48000, 2, fmtp);
        assertThat(d.format().sampleRate()).isEqualTo(48000);
    }
}
