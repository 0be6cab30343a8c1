package io.capstan.sdp;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.codec.Depacketizers;
import io.capstan.media.Codec;
import io.capstan.testing.FuzzInputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Coverage-guided fuzz target for {@link SdpParser#parse(String)} (issue 7), followed by what {@code capstan
 * convert/listen} do with a parsed description: every format's codec, fmtp parameters and depacketizer.
 *
 * <p>Contract: {@link SdpException} for what is not a usable SDP, {@link IllegalArgumentException} from
 * {@link Depacketizers#create} for unreadable fmtp (documented there); nothing else is thrown. Seeds: the
 * fixture SDPs ({@link #writeSeeds()}).
 */
class SdpFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void sdp(byte[] data) {
        SessionDescription sd;
        try {
            sd = SdpParser.parse(new String(data, StandardCharsets.UTF_8));
        } catch (SdpException expected) {
            return;
        }
        for (MediaDescription m : sd.media()) {
            m.kind();
            m.effectiveRtcpPort();
            m.ssrcIds();
            m.payloadTypes().forEach(m::format);
            for (RtpFormat f : m.formats()) {
                f.parameter("config");
                SdpParser.parseFmtpParameters(f.fmtp() == null ? "" : f.fmtp());
                Optional<Codec> codec = f.codec();
                if (codec.isPresent()) {
                    try {
                        Depacketizers.create(codec.get(), f.clockRate(), f.channels(), f.parameters()).format();
                    } catch (IllegalArgumentException documented) {
                        // fmtp that makes the stream unreadable
                    }
                }
            }
        }
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzInputs.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        Path fixtures = Path.of(SdpFuzzTest.class.getResource("/fixtures/README.md").toURI()).getParent();
        for (String name : new String[] {"vp8_opus", "h264_aac", "h264_stapa", "h265_gst", "opus_dtx_gst", "pcmu",
                "vp9_gst"}) {
            FuzzInputs.writeSeed(SdpFuzzTest.class.getName(), "sdp", name,
                    Files.readAllBytes(fixtures.resolve(name + ".sdp")));
        }
    }
}
