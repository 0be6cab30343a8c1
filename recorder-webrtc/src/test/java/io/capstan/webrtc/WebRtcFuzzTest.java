package io.capstan.webrtc;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.media.Codec;
import io.capstan.testing.FuzzInputs;
import io.capstan.webrtc.dtls.DtlsCertificate;
import io.capstan.webrtc.dtls.DtlsHandshakeException;
import io.capstan.webrtc.dtls.DtlsSrtpServer;
import io.capstan.webrtc.dtls.PacketQueueTransport;
import io.capstan.webrtc.dtls.SrtpKeys;
import io.capstan.webrtc.dtls.SrtpProfile;
import io.capstan.webrtc.dtls.SrtpSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz targets (issue 7) for what a WHIP publisher controls:
 * <ul>
 * <li>{@code offer}: the SDP offer through {@link OfferAnswer#answer}: an {@link OfferException} (400/406) for
 * anything unusable, nothing else thrown; an answer it does give is itself a parseable SDP;</li>
 * <li>{@code srtp}: arbitrary datagrams through SRTP and SRTCP unprotect (both profiles): a drop code or a plain
 * length no longer than the input, never an exception;</li>
 * <li>{@code dtls}: arbitrary datagrams as DTLS records into the server handshake (Bouncy Castle's record layer
 * and Capstan's callbacks): a {@link DtlsHandshakeException}, never another exception.</li>
 * </ul>
 */
class WebRtcFuzzTest {

    private static final AnswerOptions OPTIONS = AnswerOptions.of(Offers.LOCAL_FINGERPRINT, Offers.CANDIDATES,
            codecs -> !codecs.contains(Codec.AV1) || codecs.size() == 1);
    private static final DtlsCertificate CERT = DtlsCertificate.generate();
    private static final SrtpKeys[] KEYS = {keys(SrtpProfile.AEAD_AES_128_GCM), keys(SrtpProfile.AES128_CM_HMAC_SHA1_80)};

    private static SrtpKeys keys(SrtpProfile p) {
        byte[] material = new byte[SrtpKeys.materialLength(p)];
        new Random(7).nextBytes(material);
        return SrtpKeys.fromKeyingMaterial(p, material);
    }

    @FuzzTest(maxDuration = "60s")
    void offer(byte[] data) {
        Negotiation n;
        try {
            n = OfferAnswer.answer(new String(data, StandardCharsets.UTF_8), OPTIONS, new Random(1));
        } catch (OfferException expected) {
            return;
        }
        try {
            io.capstan.sdp.SdpParser.parse(n.answerSdp());
        } catch (io.capstan.sdp.SdpException e) {
            throw new AssertionError("the answer to an accepted offer is not an SDP: " + e.getMessage(), e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void srtp(byte[] data) {
        if (data.length == 0) {
            return;
        }
        SrtpSession s = SrtpSession.create(KEYS[data[0] & 1], SrtpSession.Role.SERVER);
        for (byte[] d : FuzzInputs.records(data, 1)) {
            byte[] copy = d.clone();
            int n = (d.length > 1 && (d[1] & 0xFF) >= 192 && (d[1] & 0xFF) <= 223)
                    ? s.unprotectRtcp(copy, 0, copy.length) : s.unprotectRtp(copy, 0, copy.length);
            if (n > copy.length) {
                throw new AssertionError("unprotect grew a packet: " + n + " > " + copy.length);
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void dtls(byte[] data) throws Exception {
        PacketQueueTransport t = new PacketQueueTransport((b, off, len) -> { }, 1200, 256);
        for (byte[] d : FuzzInputs.records(data, 0)) {
            t.offer(d, 0, d.length);
        }
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            t.close();
        });
        closer.start();
        try {
            new DtlsSrtpServer(CERT, CERT.fingerprint(), Duration.ofSeconds(2)).accept(t, r -> { }).close();
            throw new AssertionError("a handshake completed from fuzzed records");
        } catch (DtlsHandshakeException expected) {
            // the documented failure
        } finally {
            closer.join();
        }
    }

    /** The seeds: the captured browser offers, real SRTP packets of both profiles, a ClientHello-shaped record. */
    @Test
    @EnabledIfSystemProperty(named = FuzzInputs.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        for (String name : List.of("chrome", "firefox", "audio-only")) {
            FuzzInputs.writeSeed(WebRtcFuzzTest.class.getName(), "offer", name,
                    Offers.load(name + ".sdp").getBytes(StandardCharsets.UTF_8));
        }
        for (int k = 0; k < 2; k++) {
            SrtpSession client = SrtpSession.create(KEYS[k], SrtpSession.Role.CLIENT);
            byte[] rtp = new byte[200];
            rtp[0] = (byte) 0x80;
            rtp[1] = 96;
            rtp[3] = 1;
            rtp[11] = 42;
            int n = client.protectRtp(rtp, 0, 180);
            byte[] rtcp = new byte[64];
            rtcp[0] = (byte) 0x80;
            rtcp[1] = (byte) 200;
            rtcp[3] = 6;
            int m = client.protectRtcp(rtcp, 0, 28);
            FuzzInputs.writeSeed(WebRtcFuzzTest.class.getName(), "srtp", "profile" + k,
                    FuzzInputs.encode(new byte[] {(byte) k},
                            List.of(java.util.Arrays.copyOf(rtp, n), java.util.Arrays.copyOf(rtcp, m))));
        }
        byte[] hello = new byte[60];
        hello[0] = 22; // handshake
        hello[1] = (byte) 0xFE;
        hello[2] = (byte) 0xFD; // DTLS 1.2
        hello[12] = 47;
        hello[13] = 1; // ClientHello
        FuzzInputs.writeSeed(WebRtcFuzzTest.class.getName(), "dtls", "client-hello-shape",
                FuzzInputs.encode(new byte[0], List.of(hello)));
        assertThat(OPTIONS.candidates()).isNotEmpty();
    }
}
