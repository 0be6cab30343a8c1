package io.capstan.webrtc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.sdp.Direction;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import io.capstan.session.TrackSpec;

import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class OfferAnswerTest {

    private static final Predicate<List<Codec>> ANY = codecs -> true;

    private static Negotiation answer(String offer, Predicate<List<Codec>> canRecord) throws Exception {
        return OfferAnswer.answer(offer, AnswerOptions.of(Offers.LOCAL_FINGERPRINT, Offers.CANDIDATES, canRecord),
                new Random(7));
    }

    private static SessionDescription parsed(Negotiation n) throws Exception {
        return SdpParser.parse(n.answerSdp());
    }

    @Test
    void chromeOffer_choosesVp8AndOpus_recvonlyBundledAnswer() throws Exception {
        Negotiation n = answer(Offers.load("chrome.sdp"), ANY);
        SessionDescription a = parsed(n);

        assertThat(a.media()).hasSize(2);
        MediaDescription audio = a.media().get(0);
        MediaDescription video = a.media().get(1);
        assertThat(audio.media()).isEqualTo("audio");
        assertThat(audio.payloadTypes()).containsExactly(111);
        assertThat(audio.format(111).orElseThrow().encodingName()).isEqualTo("opus");
        assertThat(audio.format(111).orElseThrow().channels()).isEqualTo(2);
        assertThat(audio.format(111).orElseThrow().fmtp()).isEqualTo("minptime=10;useinbandfec=1");
        assertThat(video.payloadTypes()).containsExactly(96);
        assertThat(video.format(96).orElseThrow().encodingName()).isEqualTo("VP8");
        for (MediaDescription m : a.media()) {
            assertThat(m.direction()).isEqualTo(Direction.RECVONLY);
            assertThat(m.rtcpMux()).isTrue();
            assertThat(m.port()).isEqualTo(50000);
            assertThat(m.protocol()).isEqualTo("UDP/TLS/RTP/SAVPF");
            assertThat(m.attribute("setup").orElseThrow().value()).isEqualTo("passive");
            assertThat(m.attribute("fingerprint").orElseThrow().value())
                    .isEqualTo(Offers.LOCAL_FINGERPRINT.attributeValue());
            assertThat(m.attribute("ice-ufrag").orElseThrow().value()).isEqualTo(n.localIce().ufrag());
            assertThat(m.attribute("ice-pwd").orElseThrow().value()).isEqualTo(n.localIce().pwd());
            assertThat(m.attributes()).filteredOn(x -> x.name().equals("candidate")).extracting(x -> x.value())
                    .containsExactly("1 1 udp 2130706431 192.0.2.10 50000 typ host",
                            "2 1 udp 2130706175 2001:db8:0:0:0:0:0:10 50002 typ host");
            assertThat(m.attribute("end-of-candidates")).isPresent();
        }
        assertThat(audio.mid()).contains("0");
        assertThat(video.mid()).contains("1");
        assertThat(a.attributes()).extracting(Object::toString).contains("a=ice-lite", "a=group:BUNDLE 0 1");
        assertThat(n.answerSdp()).contains("\r\n").doesNotContain("a=sendrecv").doesNotContain("a=sendonly");

        // feedback: only nack, nack pli, ccm fir as offered for the chosen payload type; no transport-cc, no remb
        assertThat(video.attributes()).filteredOn(x -> x.name().equals("rtcp-fb")).extracting(x -> x.value())
                .containsExactly("96 ccm fir", "96 nack", "96 nack pli");
        assertThat(audio.attributes()).filteredOn(x -> x.name().equals("rtcp-fb")).isEmpty();
        // header extensions: mid (both) and abs-capture-time (video), ids as offered
        assertThat(audio.attributes()).filteredOn(x -> x.name().equals("extmap")).extracting(x -> x.value())
                .containsExactly("4 urn:ietf:params:rtp-hdrext:sdes:mid");
        assertThat(video.attributes()).filteredOn(x -> x.name().equals("extmap")).extracting(x -> x.value())
                .containsExactly("4 urn:ietf:params:rtp-hdrext:sdes:mid",
                        "12 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time");

        // the browser's side
        assertThat(n.remoteIce()).isEqualTo(new IceCredentials("EsAw", "bP+XJMM09aR8AiX1jdukzR6Y"));
        assertThat(n.remoteFingerprint().value()).startsWith("DA:39:A3");
        assertThat(n.remoteSetup()).isEqualTo("actpass");
        assertThat(n.rejected()).isEmpty();
        assertThat(n.localIce().problem()).isNull();
        assertThat(n.localIce().ufrag()).hasSize(IceCredentials.UFRAG_LENGTH);
        assertThat(n.localIce().pwd()).hasSize(IceCredentials.PWD_LENGTH);
    }

    @Test
    void chromeOffer_tracksForTheSession() throws Exception {
        Negotiation n = answer(Offers.load("chrome.sdp"), ANY);
        assertThat(n.trackSpecs()).containsExactly(
                new TrackSpec("audio", Codec.OPUS, 111, 48000, 2,
                        java.util.Map.of("minptime", "10", "useinbandfec", "1"), 3735928559L),
                new TrackSpec("video", Codec.VP8, 96, 90000, 0, java.util.Map.of(), 2882400001L));
        assertThat(n.tracks().get(1).offeredSsrcs()).containsExactly(2882400001L, 2882400002L);
        assertThat(n.tracks().get(1).mid()).isEqualTo("1");
        assertThat(n.tracks().get(1).extmap()).containsEntry(OfferAnswer.MID_EXTENSION, 4);
    }

    @Test
    void chromeOffer_withoutVp8AndVp9_prefersConstrainedBaseline42e01fInPacketizationMode1() throws Exception {
        Negotiation n = answer(Offers.load("chrome.sdp"),
                codecs -> !codecs.contains(Codec.VP8) && !codecs.contains(Codec.VP9));
        TrackSpec video = n.trackSpecs().get(1);
        assertThat(video.codec()).isEqualTo(Codec.H264);
        assertThat(video.payloadType()).isEqualTo(106);
        assertThat(video.fmtp()).containsEntry("packetization-mode", "1").containsEntry("profile-level-id", "42e01f");
        assertThat(n.answerSdp()).contains("a=rtpmap:106 H264/90000\r\n")
                .contains("a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n");
    }

    @Test
    void chromeOffer_onlyAv1Recordable_choosesAv1() throws Exception {
        Negotiation n = answer(Offers.load("chrome.sdp"),
                codecs -> codecs.stream().allMatch(c -> c == Codec.AV1 || c == Codec.OPUS));
        assertThat(n.trackSpecs().get(1).codec()).isEqualTo(Codec.AV1);
        assertThat(n.trackSpecs().get(1).payloadType()).isEqualTo(39);
    }

    @Test
    void chromeOffer_tsContainer_skipsWhatTheRealMuxerSelectorRefuses() throws Exception {
        // MPEG-TS carries no VP8: the selector refuses it, so the next preferred codec it takes is chosen
        Predicate<List<Codec>> ts = AnswerOptions.canRecord(StandardMuxers.selector(Container.TS, false));
        assertThat(ts.test(List.of(Codec.OPUS, Codec.VP8))).isFalse();
        Negotiation n = answer(Offers.load("chrome.sdp"), ts);
        assertThat(n.trackSpecs()).extracting(TrackSpec::codec).doesNotContain(Codec.VP8);
        assertThat(ts.test(n.trackSpecs().stream().map(TrackSpec::codec).toList())).isTrue();
    }

    @Test
    void chromeOffer_webmContainer_choosesVp8AndOpus() throws Exception {
        Negotiation n = answer(Offers.load("chrome.sdp"),
                AnswerOptions.canRecord(StandardMuxers.selector(Container.WEBM, false)));
        assertThat(n.trackSpecs()).extracting(TrackSpec::codec).containsExactly(Codec.OPUS, Codec.VP8);
    }

    @Test
    void chromeOffer_videoNotRecordable_rejectsVideoWithPortZeroAndKeepsAudio() throws Exception {
        Negotiation n = answer(Offers.load("chrome.sdp"), codecs -> codecs.stream().noneMatch(Codec::isVideo));
        SessionDescription a = parsed(n);
        assertThat(a.media().get(0).port()).isEqualTo(50000);
        assertThat(a.media().get(1).port()).isZero();
        assertThat(a.media().get(1).mid()).contains("1");
        assertThat(a.attributes()).extracting(Object::toString).contains("a=group:BUNDLE 0");
        assertThat(n.trackSpecs()).extracting(TrackSpec::id).containsExactly("audio");
        assertThat(n.rejected()).singleElement().asString().contains("m=video (mid 1)").contains("VP8");
    }

    @Test
    void firefoxOffer_sessionLevelFingerprint_videoFirst() throws Exception {
        Negotiation n = answer(Offers.load("firefox.sdp"), ANY);
        SessionDescription a = parsed(n);
        assertThat(a.media()).extracting(MediaDescription::media).containsExactly("video", "audio");
        assertThat(a.media().get(0).payloadTypes()).containsExactly(120);
        assertThat(a.media().get(1).payloadTypes()).containsExactly(109);
        assertThat(a.media().get(1).format(109).orElseThrow().fmtp())
                .isEqualTo("maxplaybackrate=48000;stereo=1;useinbandfec=1");
        assertThat(a.media()).allSatisfy(m -> assertThat(m.direction()).isEqualTo(Direction.RECVONLY));
        assertThat(a.attributes()).extracting(Object::toString).contains("a=group:BUNDLE 0 1");
        assertThat(n.remoteFingerprint().value()).startsWith("5B:D3:8E");
        assertThat(n.remoteIce().ufrag()).isEqualTo("3f9b2c1d");
        assertThat(n.trackSpecs()).extracting(TrackSpec::id).containsExactly("video", "audio");
        assertThat(n.trackSpecs().get(0).ssrc()).isEqualTo(1203455342L);
        // Firefox's extmap ids: mid is 3 in both sections, no abs-capture-time offered
        assertThat(a.media().get(0).attributes()).filteredOn(x -> x.name().equals("extmap"))
                .extracting(x -> x.value()).containsExactly("3 urn:ietf:params:rtp-hdrext:sdes:mid");
    }

    @Test
    void firefoxOffer_h264Only_skipsPacketizationMode0() throws Exception {
        Negotiation n = answer(Offers.load("firefox.sdp"),
                codecs -> !codecs.contains(Codec.VP8) && !codecs.contains(Codec.VP9));
        assertThat(n.trackSpecs().get(0).payloadType()).isEqualTo(126);
    }

    @Test
    void audioOnlyOffer() throws Exception {
        Negotiation n = answer(Offers.load("audio-only.sdp"), ANY);
        SessionDescription a = parsed(n);
        assertThat(a.media()).singleElement().satisfies(m -> {
            assertThat(m.payloadTypes()).containsExactly(111);
            assertThat(m.direction()).isEqualTo(Direction.RECVONLY);
        });
        assertThat(a.attributes()).extracting(Object::toString).contains("a=group:BUNDLE 0");
        assertThat(n.trackSpecs()).singleElement().extracting(TrackSpec::id).isEqualTo("audio");
    }

    @Test
    void twoVideoLines_trackIdsByMid() throws Exception {
        String offer = Offers.load("chrome.sdp").replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2")
                + Offers.load("chrome.sdp").substring(Offers.load("chrome.sdp").indexOf("m=video"))
                .replace("a=mid:1", "a=mid:2");
        Negotiation n = answer(offer, ANY);
        assertThat(n.trackSpecs()).extracting(TrackSpec::id).containsExactly("audio", "video-1", "video-2");
    }

    @Test
    void freshIceCredentialsPerAnswer() throws Exception {
        AnswerOptions o = AnswerOptions.of(Offers.LOCAL_FINGERPRINT, Offers.CANDIDATES, ANY);
        Negotiation a = OfferAnswer.answer(Offers.load("chrome.sdp"), o);
        Negotiation b = OfferAnswer.answer(Offers.load("chrome.sdp"), o);
        assertThat(a.localIce()).isNotEqualTo(b.localIce());
    }

    @Test
    void malformedOffer() {
        assertThatThrownBy(() -> answer("hello, this is not SDP", ANY))
                .isInstanceOf(OfferException.class)
                .hasMessageContaining("not a usable SDP")
                .extracting(e -> ((OfferException) e).reason()).isEqualTo(OfferException.Reason.MALFORMED);
        assertThatThrownBy(() -> answer(Offers.load("chrome.sdp").replace("a=rtpmap:96 VP8/90000",
                "a=rtpmap:96 VP8"), ANY))
                .isInstanceOf(OfferException.class).hasMessageContaining("rtpmap");
    }

    @Test
    void noCommonCodec() {
        assertThatThrownBy(() -> answer(Offers.load("chrome.sdp"), codecs -> false))
                .isInstanceOf(OfferException.class)
                .hasMessageContaining("no media Capstan can record")
                .hasMessageContaining("m=audio (mid 0)")
                .extracting(e -> ((OfferException) e).reason()).isEqualTo(OfferException.Reason.NO_COMMON_CODEC);
        assertThat(OfferException.Reason.NO_COMMON_CODEC.httpStatus()).isEqualTo(406);
    }

    @Test
    void missingIcePwd() {
        String offer = Offers.load("chrome.sdp").replaceAll("a=ice-pwd:[^\r\n]*\r\n", "");
        assertThatThrownBy(() -> answer(offer, ANY))
                .isInstanceOf(OfferException.class).hasMessageContaining("a=ice-pwd")
                .extracting(e -> ((OfferException) e).reason())
                .isEqualTo(OfferException.Reason.MISSING_ICE_CREDENTIALS);
    }

    @Test
    void missingFingerprint() {
        String offer = Offers.load("firefox.sdp").replaceAll("a=fingerprint:[^\r\n]*\r\n", "");
        assertThatThrownBy(() -> answer(offer, ANY))
                .isInstanceOf(OfferException.class).hasMessageContaining("a=fingerprint")
                .extracting(e -> ((OfferException) e).reason()).isEqualTo(OfferException.Reason.MISSING_FINGERPRINT);
    }

    @Test
    void passiveOfferer_isRejected() {
        String offer = Offers.load("chrome.sdp").replace("a=setup:actpass", "a=setup:passive");
        assertThatThrownBy(() -> answer(offer, ANY))
                .isInstanceOf(OfferException.class).hasMessageContaining("a=setup:passive");
    }

    @Test
    void twoMediaLinesWithoutBundle_isRejected() {
        String offer = Offers.load("chrome.sdp").replace("a=group:BUNDLE 0 1\r\n", "");
        assertThatThrownBy(() -> answer(offer, ANY))
                .isInstanceOf(OfferException.class).hasMessageContaining("BUNDLE");
    }

    @Test
    void recvonlyLine_isRejectedWithPortZero() throws Exception {
        String offer = Offers.load("chrome.sdp").replaceFirst("a=sendonly", "a=recvonly");
        Negotiation n = answer(offer, ANY);
        assertThat(parsed(n).media().get(0).port()).isZero();
        assertThat(n.rejected()).singleElement().asString().contains("recvonly");
        assertThat(n.trackSpecs()).extracting(TrackSpec::id).containsExactly("video");
    }
}
