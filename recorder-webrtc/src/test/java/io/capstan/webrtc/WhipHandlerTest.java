package io.capstan.webrtc;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.sdp.SdpParser;
import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingSession;
import io.capstan.session.RecordingStatus;
import io.capstan.storage.fs.FileSystemSink;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WhipHandlerTest {

    private static final String TOKEN = "s3cret-token";
    private static final MuxerSelector MUXERS = StandardMuxers.selector(Container.AUTO, false);

    @TempDir
    Path dir;

    private final FakeTransport transport = new FakeTransport();
    private final Map<String, RecordingSession> sessions = new ConcurrentHashMap<>();
    private final List<RecordingEvent> sessionEvents = new CopyOnWriteArrayList<>();
    private final List<WhipEvent> whipEvents = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private WhipServer server;
    private URI endpoint;

    @BeforeEach
    void start() throws Exception {
        start(null);
    }

    private void start(String token) throws Exception {
        start(token, WhipHandler.DEFAULT_MAX_RESOURCES);
    }

    private void start(String token, int maxResources) throws Exception {
        if (server != null) {
            server.close();
        }
        WhipHandler handler = WhipHandler.builder()
                .transport(transport)
                .answerOptions(AnswerOptions.of(Offers.LOCAL_FINGERPRINT, Offers.CANDIDATES,
                        AnswerOptions.canRecord(MUXERS)))
                .sessionFactory(req -> {
                    RecordingSession s = req.applyTo(RecordingSession.builder()
                            .sink(new FileSystemSink(dir))
                            .muxers(MUXERS)
                            .stream("whip-" + req.resourceId()), sessionEvents::add).build();
                    sessions.put(req.resourceId(), s);
                    return s;
                })
                .bearerToken(token)
                .maxBodyBytes(16 * 1024)
                .maxResources(maxResources)
                .listener(whipEvents::add)
                .build();
        server = WhipServer.start(new InetSocketAddress("127.0.0.1", 0), "/whip", handler, 4);
        endpoint = server.endpoint();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpRequest.Builder post(String body, String contentType) {
        return HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> publish(String offerName) throws Exception {
        return send(post(Offers.load(offerName), "application/sdp"));
    }

    private URI location(HttpResponse<String> r) {
        return endpoint.resolve(r.headers().firstValue("Location").orElseThrow());
    }

    @Test
    void post_answers201WithLocationEtagAndAnswer() throws Exception {
        HttpResponse<String> r = publish("chrome.sdp");

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/sdp");
        String location = r.headers().firstValue("Location").orElseThrow();
        assertThat(location).matches("/whip/[A-Za-z0-9_-]{22}");
        assertThat(r.headers().firstValue("ETag").orElseThrow()).matches("\"[A-Za-z0-9_-]+\"");
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
        assertThat(SdpParser.parse(r.body()).media()).hasSize(2);
        assertThat(r.body()).contains("a=ice-lite").contains("a=setup:passive");

        String id = location.substring("/whip/".length());
        assertThat(server.handler().resourceIds()).containsExactly(id);
        assertThat(sessions).containsKey(id);
        assertThat(sessions.get(id).status()).isEqualTo(RecordingStatus.ACTIVE);
        assertThat(sessions.get(id).tracks()).extracting(t -> t.spec().id()).containsExactly("audio", "video");
        assertThat(transport.started).singleElement().satisfies(h -> {
            assertThat(h.negotiation.answerSdp()).isEqualTo(r.body());
            assertThat(h.negotiation.remoteIce().ufrag()).isEqualTo("EsAw");
        });
        assertThat(whipEvents).singleElement().isEqualTo(new WhipEvent.ResourceCreated(id, List.of("audio", "video")));
    }

    @Test
    void beyondTheResourceLimit_503WithRetryAfter_untilOneEnds() throws Exception {
        start(null, 2);
        HttpResponse<String> a = publish("chrome.sdp");
        assertThat(publish("chrome.sdp").statusCode()).isEqualTo(201);
        HttpResponse<String> third = publish("chrome.sdp");
        assertThat(third.statusCode()).isEqualTo(503);
        assertThat(third.headers().firstValue("Retry-After")).contains("10");
        assertThat(third.body()).contains("limit of 2 publishers");
        assertThat(transport.started).hasSize(2);
        assertThat(send(HttpRequest.newBuilder(location(a)).DELETE()).statusCode()).isEqualTo(200);
        assertThat(publish("chrome.sdp").statusCode()).isEqualTo(201);
    }

    @Test
    void packetsFromTheTransportReachTheSession() throws Exception {
        HttpResponse<String> r = publish("audio-only.sdp");
        String id = location(r).getPath().substring("/whip/".length());
        FakeTransport.FakeHandle h = transport.started.get(0);
        // the SSRC the offer announced (a=ssrc:1122334455), an Opus TOC byte and two bytes of frame
        byte[] rtp = rtp(111, 1, 1122334455L, false, 0xFC, 0xFF, 0xFE);
        h.sink.packet(rtp, 0, rtp.length, System.nanoTime());
        assertThat(sessions.get(id).track("audio").stats().packets()).isEqualTo(1);
    }

    @Test
    void delete_stopsTheSessionAndClosesTheTransport() throws Exception {
        HttpResponse<String> r = publish("chrome.sdp");
        URI resource = location(r);
        String id = resource.getPath().substring("/whip/".length());

        HttpResponse<String> d = send(HttpRequest.newBuilder(resource).DELETE());

        assertThat(d.statusCode()).isEqualTo(200);
        assertThat(sessions.get(id).status()).isEqualTo(RecordingStatus.INACTIVE);
        assertThat(sessionEvents).anyMatch(e -> e instanceof RecordingEvent.Stopped s && s.sessionId()
                .equals(sessions.get(id).id()));
        assertThat(transport.started.get(0).closed).isTrue();
        assertThat(server.handler().resourceIds()).isEmpty();
        assertThat(whipEvents).last().isInstanceOfSatisfying(WhipEvent.ResourceEnded.class,
                e -> assertThat(e.reason()).contains("deleted"));
        // gone now
        assertThat(send(HttpRequest.newBuilder(resource).DELETE()).statusCode()).isEqualTo(404);
    }

    @Test
    void transportClosing_stopsTheSession() throws Exception {
        HttpResponse<String> r = publish("chrome.sdp");
        String id = location(r).getPath().substring("/whip/".length());

        transport.started.get(0).sink.closed("ICE consent expired");

        assertThat(sessions.get(id).status()).isEqualTo(RecordingStatus.INACTIVE);
        assertThat(server.handler().resourceIds()).isEmpty();
        assertThat(whipEvents).last().isInstanceOfSatisfying(WhipEvent.ResourceEnded.class,
                e -> assertThat(e.reason()).contains("ICE consent expired"));
        assertThat(send(HttpRequest.newBuilder(location(r)).DELETE()).statusCode()).isEqualTo(404);
    }

    @Test
    void keyframeRequestsOfTheSessionGoToTheTransport() throws Exception {
        HttpResponse<String> r = publish("chrome.sdp");
        String id = location(r).getPath().substring("/whip/".length());
        // the resource's listener is what the session reports to
        RecordingSession s = sessions.get(id);
        assertThat(s).isNotNull();
        FakeTransport.FakeHandle h = transport.started.get(0);
        // VP8 (RFC 7741) from the offer's SSRC: a frame's last packet without its start, then an interframe
        // (S=1, P=1): the session has no keyframe to start from and asks for one
        long ssrc = 2882400001L;
        byte[] tail = rtp(96, 1, ssrc, true, 0x00, 0x11, 0x22);
        byte[] inter = rtp(96, 2, ssrc, true, 0x10, 0x01, 0x00, 0x00);
        h.sink.packet(tail, 0, tail.length, System.nanoTime());
        h.sink.packet(inter, 0, inter.length, System.nanoTime());
        s.poll(System.nanoTime() + 5_000_000_000L);
        assertThat(sessionEvents).anyMatch(e -> e instanceof RecordingEvent.KeyframeNeeded);
        assertThat(h.keyframeRequests).contains(ssrc);
    }

    @Test
    void bearerToken_missingOrWrong_is401() throws Exception {
        start(TOKEN);
        HttpResponse<String> none = publish("chrome.sdp");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        HttpResponse<String> wrong = send(post(Offers.load("chrome.sdp"), "application/sdp")
                .header("Authorization", "Bearer not-the-token"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(transport.started).isEmpty();

        HttpResponse<String> ok = send(post(Offers.load("chrome.sdp"), "application/sdp")
                .header("Authorization", "Bearer " + TOKEN));
        assertThat(ok.statusCode()).isEqualTo(201);
        HttpResponse<String> deleteWithout = send(HttpRequest.newBuilder(location(ok)).DELETE());
        assertThat(deleteWithout.statusCode()).isEqualTo(401);
        assertThat(send(HttpRequest.newBuilder(location(ok)).header("Authorization", "Bearer " + TOKEN).DELETE())
                .statusCode()).isEqualTo(200);
    }

    @Test
    void wrongContentType_is415() throws Exception {
        HttpResponse<String> r = send(post(Offers.load("chrome.sdp"), "text/plain"));
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.body()).contains("application/sdp");
        assertThat(send(post(Offers.load("chrome.sdp"), "application/SDP; charset=utf-8")).statusCode())
                .isEqualTo(201);
    }

    @Test
    void unknownResource_is404() throws Exception {
        assertThat(send(HttpRequest.newBuilder(endpoint.resolve("/whip/AAAAAAAAAAAAAAAAAAAAAA")).DELETE())
                .statusCode()).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(endpoint.resolve("/whip/AAAAAAAAAAAAAAAAAAAAAA"))
                .header("Content-Type", "application/trickle-ice-sdpfrag")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("a=end-of-candidates\r\n")))
                .statusCode()).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(endpoint.resolve("/whipx")).DELETE()).statusCode()).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(endpoint.resolve("/whip/a/b")).DELETE()).statusCode()).isEqualTo(404);
    }

    @Test
    void bodyOverTheLimit_is413() throws Exception {
        String big = Offers.load("chrome.sdp") + "a=x-padding:" + "x".repeat(16 * 1024) + "\r\n";
        HttpResponse<String> r = send(post(big, "application/sdp"));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(transport.started).isEmpty();
    }

    @Test
    void badOffers_are400And406WithASentence() throws Exception {
        HttpResponse<String> malformed = send(post("this is not an SDP", "application/sdp"));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("not a usable SDP");
        HttpResponse<String> noPwd = send(post(Offers.load("chrome.sdp").replaceAll("a=ice-pwd:[^\r\n]*\r\n", ""),
                "application/sdp"));
        assertThat(noPwd.statusCode()).isEqualTo(400);
        assertThat(noPwd.body()).contains("a=ice-pwd");
        HttpResponse<String> noCodec = send(post(Offers.load("audio-only.sdp").replace("opus/48000/2", "foo/48000/2"),
                "application/sdp"));
        assertThat(noCodec.statusCode()).isEqualTo(406);
        assertThat(transport.started).isEmpty();
        assertThat(sessions).isEmpty();
    }

    @Test
    void transportThatCannotStart_is503AndTheSessionIsStopped() throws Exception {
        transport.fail = true;
        HttpResponse<String> r = publish("chrome.sdp");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(sessions.values()).singleElement()
                .satisfies(s -> assertThat(s.status()).isEqualTo(RecordingStatus.INACTIVE));
        assertThat(server.handler().resourceIds()).isEmpty();
    }

    @Test
    void options_answersCorsPreflight() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(endpoint)
                .header("Origin", "https://example.org")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
        assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).contains("POST, DELETE, OPTIONS, PATCH");
        assertThat(r.headers().firstValue("Access-Control-Allow-Headers"))
                .contains("Authorization, Content-Type, If-Match");
        assertThat(r.headers().firstValue("Access-Control-Expose-Headers")).contains("Location, ETag, Link");
    }

    @Test
    void options_needsNoToken_andAllowOriginIsConfigurable() throws Exception {
        server.close();
        WhipHandler handler = WhipHandler.builder().transport(transport)
                .answerOptions(AnswerOptions.of(Offers.LOCAL_FINGERPRINT, Offers.CANDIDATES, c -> true))
                .sessionFactory(req -> {
                    throw new IllegalStateException("not in this test");
                })
                .bearerToken(TOKEN).allowOrigin("https://app.example.org").build();
        server = WhipServer.start(new InetSocketAddress("127.0.0.1", 0), "/whip", handler, 2);
        endpoint = server.endpoint();
        HttpResponse<String> r = send(HttpRequest.newBuilder(endpoint)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("https://app.example.org");
        // a factory that fails is a 500 with a sentence, not a hang
        HttpResponse<String> p = send(post(Offers.load("chrome.sdp"), "application/sdp")
                .header("Authorization", "Bearer " + TOKEN));
        assertThat(p.statusCode()).isEqualTo(500);
        assertThat(p.body()).contains("could not be created");
    }

    @Test
    void patch_trickleCandidatesAccepted_iceRestartRefused_ifMatchChecked() throws Exception {
        HttpResponse<String> r = publish("chrome.sdp");
        URI resource = location(r);
        String etag = r.headers().firstValue("ETag").orElseThrow();
        String frag = "a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
                + "a=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.77 61764 typ host generation 0\r\n"
                + "a=end-of-candidates\r\n";
        HttpResponse<String> ok = send(HttpRequest.newBuilder(resource)
                .header("Content-Type", "application/trickle-ice-sdpfrag").header("If-Match", etag)
                .method("PATCH", HttpRequest.BodyPublishers.ofString(frag)));
        assertThat(ok.statusCode()).isEqualTo(204);
        assertThat(transport.started.get(0).candidates)
                .containsExactly("1387637174 1 udp 2122260223 192.0.2.77 61764 typ host generation 0");

        HttpResponse<String> stale = send(HttpRequest.newBuilder(resource)
                .header("Content-Type", "application/trickle-ice-sdpfrag").header("If-Match", "\"other\"")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(frag)));
        assertThat(stale.statusCode()).isEqualTo(412);

        HttpResponse<String> restart = send(HttpRequest.newBuilder(resource)
                .header("Content-Type", "application/trickle-ice-sdpfrag").header("If-Match", "*")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(frag.replace("EsAw", "NeWu"))));
        assertThat(restart.statusCode()).isEqualTo(405);
        assertThat(restart.body()).contains("ICE restart");

        HttpResponse<String> wrongType = send(HttpRequest.newBuilder(resource)
                .header("Content-Type", "application/sdp")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(frag)));
        assertThat(wrongType.statusCode()).isEqualTo(415);
    }

    @Test
    void otherMethods_are405() throws Exception {
        assertThat(send(HttpRequest.newBuilder(endpoint).GET()).statusCode()).isEqualTo(405);
        URI resource = location(publish("chrome.sdp"));
        assertThat(send(HttpRequest.newBuilder(resource).GET()).statusCode()).isEqualTo(405);
    }

    @Test
    void concurrentPosts_makeDistinctResources() throws Exception {
        int n = 16;
        List<CompletableFuture<HttpResponse<String>>> futures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(http.sendAsync(post(Offers.load(i % 2 == 0 ? "chrome.sdp" : "firefox.sdp"),
                    "application/sdp").build(), HttpResponse.BodyHandlers.ofString()));
        }
        Set<String> locations = new HashSet<>();
        Set<String> ufrags = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).isEqualTo(201);
            locations.add(r.headers().firstValue("Location").orElseThrow());
            ufrags.add(SdpParser.parse(r.body()).media().get(0).attribute("ice-ufrag").orElseThrow().value());
        }
        assertThat(locations).hasSize(n);
        assertThat(ufrags).hasSize(n);
        assertThat(server.handler().resourceIds()).hasSize(n);
        assertThat(sessions).hasSize(n);

        server.close();
        assertThat(sessions.values()).allSatisfy(s -> assertThat(s.status()).isEqualTo(RecordingStatus.INACTIVE));
        assertThat(transport.started).allSatisfy(h -> assertThat(h.closed).isTrue());
        assertThat(whipEvents).filteredOn(e -> e instanceof WhipEvent.ResourceEnded).hasSize(n);
    }

    /** An RTP packet (RFC 3550 section 5.1): V=2, no padding/extension/CSRC, timestamp = 3000 x seq. */
    private static byte[] rtp(int pt, int seq, long ssrc, boolean marker, int... payload) {
        byte[] b = new byte[12 + payload.length];
        b[0] = (byte) 0x80;
        b[1] = (byte) ((marker ? 0x80 : 0) | pt);
        b[2] = (byte) (seq >> 8);
        b[3] = (byte) seq;
        long ts = 3000L * seq;
        for (int i = 0; i < 4; i++) {
            b[4 + i] = (byte) (ts >> (24 - 8 * i));
            b[8 + i] = (byte) (ssrc >> (24 - 8 * i));
        }
        for (int i = 0; i < payload.length; i++) {
            b[12 + i] = (byte) payload[i];
        }
        return b;
    }

    @Test
    void codecUnused() {
        // keeps the import of Codec meaningful for readers: the MUXERS predicate is the real selector
        assertThat(AnswerOptions.canRecord(MUXERS).test(List.of(Codec.OPUS, Codec.VP8))).isTrue();
    }
}
