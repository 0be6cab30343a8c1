package io.capstan.webrtc.dtls;

import io.capstan.mux.Container;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.storage.fs.FileSystemSink;
import io.capstan.testing.MediaTools;
import io.capstan.webrtc.AnswerOptions;
import io.capstan.webrtc.DtlsFingerprint;
import io.capstan.webrtc.IceCredentials;
import io.capstan.webrtc.IceDtlsTransport;
import io.capstan.webrtc.WhipEvent;
import io.capstan.webrtc.WhipHandler;
import io.capstan.webrtc.WhipServer;
import io.capstan.webrtc.ice.IcePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real transport against a Java "browser" over real sockets (ice4j controlling agent, Bouncy Castle DTLS
 * client, SRTP): the failure cases a browser cannot be made to produce. A certificate that does not match the
 * offer's fingerprint ends the resource with that reason and leaves no file; forged (bad tag) and replayed SRTP
 * packets are dropped and counted while the genuine ones make a whole recording; bad offers and a wrong token are
 * refused without a resource left behind.
 */
class IceDtlsTransportEndToEndTest {

    static final Path FIXTURES = Path.of("../recorder-core/src/test/resources/fixtures");

    @TempDir
    Path dir;

    IceDtlsTransport transport;
    WhipServer server;
    final List<WhipEvent> events = new CopyOnWriteArrayList<>();
    final List<io.capstan.session.RecordingEvent> sessionEvents = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        // ice4j's host harvester (the Java client's side) never uses loopback: both ends need a real interface
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (InetAddress a : IcePorts.localAddresses()) {
            if (!a.isLoopbackAddress()) {
                addresses.add(new InetSocketAddress(a, 0));
            }
        }
        assumeTrue(!addresses.isEmpty(), "no non-loopback IPv4 interface for the Java ICE client");
        transport = IceDtlsTransport.builder().addresses(addresses).handshakeTimeout(java.time.Duration.ofSeconds(5))
                .build();
        MuxerSelector muxers = StandardMuxers.selector(Container.AUTO, false);
        WhipHandler handler = WhipHandler.builder()
                .transport(transport)
                .answerOptions(transport.answerOptions(AnswerOptions.canRecord(muxers)))
                .sessionFactory(req -> req.applyTo(RecordingSession.builder()
                        .sink(new FileSystemSink(dir)).muxers(muxers).stream("java-" + req.resourceId().substring(0, 6)), sessionEvents::add).build())
                .bearerToken("tok")
                .listener(events::add)
                .build();
        server = WhipServer.start(new InetSocketAddress("127.0.0.1", 0), "/whip", handler, 4);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    static String offer(IceCredentials ice, DtlsFingerprint fp) {
        String common = "a=rtcp-mux\r\na=ice-ufrag:" + ice.ufrag() + "\r\na=ice-pwd:" + ice.pwd() + "\r\n"
                + "a=fingerprint:" + fp.attributeValue() + "\r\na=setup:actpass\r\na=sendonly\r\n";
        return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
                + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" + common
                + "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
                + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n" + common
                + "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
    }

    HttpResponse<String> post(String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.endpoint()).header("Content-Type", "application/sdp")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs the client's offer and connects ICE to the answer's first candidate. */
    HttpResponse<String> connect(JavaWebRtcClient c, DtlsFingerprint offered) throws Exception {
        HttpResponse<String> r = post(offer(c.ice, offered), "tok");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        String answer = r.body();
        IceCredentials remote = new IceCredentials(value(answer, "a=ice-ufrag:"), value(answer, "a=ice-pwd:"));
        String[] cand = value(answer, "a=candidate:").split(" ");
        assertThat(c.connect(remote, new InetSocketAddress(InetAddress.getByName(cand[4]), Integer.parseInt(cand[5])),
                10_000)).as("ICE connects").isTrue();
        return r;
    }

    static String value(String sdp, String prefix) {
        return sdp.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
    }

    WhipEvent.ResourceEnded awaitEnded() throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            for (WhipEvent e : events) {
                if (e instanceof WhipEvent.ResourceEnded re) {
                    return re;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no ResourceEnded; events " + events);
    }

    @Test
    void impostorCertificate_isRefused_resourceEndsWithTheReason_noFileLeft() throws Exception {
        DtlsCertificate offeredCert = DtlsCertificate.generate();
        try (JavaWebRtcClient impostor = new JavaWebRtcClient(DtlsCertificate.generate())) {
            connect(impostor, offeredCert.fingerprint());
            assertThatThrownBy(impostor::handshake).isInstanceOf(java.io.IOException.class);
        }
        WhipEvent.ResourceEnded ended = awaitEnded();
        assertThat(ended.reason()).startsWith("the transport closed: DTLS handshake failed: the browser's DTLS "
                + "certificate does not match a=fingerprint " + offeredCert.fingerprint().attributeValue());
        assertThat(ended.segments()).isEmpty();
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("nothing written, nothing half-written")
                    .isEmpty();
        }
        assertThat(transport.liveConnections()).isZero();
    }

    @Test
    void forgedAndReplayedSrtp_areDroppedAndCounted_theGenuinePacketsMakeAWholeRecording() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        DtlsCertificate cert = DtlsCertificate.generate();
        int forged;
        int replayed;
        try (JavaWebRtcClient client = new JavaWebRtcClient(cert)) {
            HttpResponse<String> created = connect(client, cert.fingerprint());
            SrtpSession srtp = client.handshake();
            int[] counts = send(client, srtp, true, Long.MAX_VALUE, 4);
            forged = counts[0];
            replayed = counts[1];
            Thread.sleep(300);
            String location = created.headers().firstValue("Location").orElseThrow();
            HttpResponse<String> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(server.endpoint().toString()).resolve(location))
                    .header("Authorization", "Bearer tok").DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(deleted.statusCode()).isEqualTo(200);
        }
        WhipEvent.ResourceEnded ended = awaitEnded();
        assertThat(ended.transportStats()).containsEntry("droppedAuthFailed", (long) forged)
                .containsEntry("droppedReplayed", (long) replayed)
                .containsEntry("srtpPackets", 164L + 151L);
        assertThat(ended.segments()).hasSize(1);
        SegmentInfo s = ended.segments().get(0);
        // the capture's truth: 90 VP8 frames in 164 packets, 151 Opus packets (one frame each)
        assertThat(s.frames()).as("every VP8 frame and Opus packet of the capture").containsExactly(90L, 151L);
        Path file = dir.resolve(s.key());
        assertThat(MediaTools.decodeErrors(file)).isEmpty();
    }

    /**
     * Sends the fixture's RTP as SRTP at {@code speed} times real time, up to {@code maxMediaNanos} of it; with
     * {@code tamper}, a forged copy (one ciphertext bit flipped) goes before every tenth packet and every tenth is
     * sent twice. Returns {forged, replayed}.
     */
    static int[] send(JavaWebRtcClient client, SrtpSession srtp, boolean tamper, long maxMediaNanos, int speed)
            throws Exception {
        int forged = 0;
        int replayed = 0;
        byte[] buf = new byte[2048];
        long firstNanos = -1;
        long startWall = System.nanoTime();
        int i = 0;
        try (CaptureReader reader = CaptureReader.open(FIXTURES.resolve("vp8_opus.pcap"))) {
            for (UdpDatagram d = reader.next(); d != null; d = reader.next()) {
                if (d.dstPort() != 25004 && d.dstPort() != 25006) {
                    continue; // the fixture's RTCP went to other ports; this test is about SRTP
                }
                if (firstNanos < 0) {
                    firstNanos = d.timestampNanos();
                }
                if (d.timestampNanos() - firstNanos > maxMediaNanos) {
                    break;
                }
                long due = startWall + (d.timestampNanos() - firstNanos) / speed;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                System.arraycopy(d.buffer(), d.offset(), buf, 0, d.length());
                int len = srtp.protectRtp(buf, 0, d.length());
                if (tamper && i % 10 == 3) {
                    byte[] forgery = java.util.Arrays.copyOf(buf, len);
                    forgery[len - 12] ^= 0x40; // a payload (ciphertext) bit: the tag no longer matches
                    client.send(forgery, 0, len);
                    forged++;
                }
                client.send(buf, 0, len);
                if (tamper && i % 10 == 7) {
                    client.send(buf, 0, len); // the same packet again: a replay
                    replayed++;
                }
                i++;
            }
        }
        return new int[] {forged, replayed};
    }

    @Test
    void publisherSendsCloseNotify_resourceEnds_recordingKept() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        DtlsCertificate cert = DtlsCertificate.generate();
        try (JavaWebRtcClient client = new JavaWebRtcClient(cert)) {
            connect(client, cert.fingerprint());
            send(client, client.handshake(), false, Long.MAX_VALUE, 2);
        } // close(): DTLS close_notify, then the sockets go; no DELETE
        WhipEvent.ResourceEnded ended = awaitEnded();
        assertThat(ended.reason()).contains("close_notify");
        assertThat(ended.segments()).hasSize(1);
        Path file = dir.resolve(ended.segments().get(0).key());
        assertThat(MediaTools.decodeErrors(file)).isEmpty();
        assertThat(ended.segments().get(0).frames()).containsExactly(90L, 151L); // the capture: 3 s of media
        assertThat(MediaTools.probeDuration(file)).isBetween(2.9, 3.2);
    }

    /** Replaces the transport and endpoint with ones built by {@code tune}. */
    void restart(java.util.function.UnaryOperator<IceDtlsTransport.Builder> tune) throws Exception {
        server.close();
        transport.close();
        events.clear();
        List<InetSocketAddress> addresses = transport.candidates().stream()
                .map(a -> new InetSocketAddress(a.getAddress(), 0)).toList();
        transport = tune.apply(IceDtlsTransport.builder().addresses(addresses)).build();
        MuxerSelector muxers = StandardMuxers.selector(Container.AUTO, false);
        server = WhipServer.start(new InetSocketAddress("127.0.0.1", 0), "/whip", WhipHandler.builder()
                .transport(transport)
                .answerOptions(transport.answerOptions(AnswerOptions.canRecord(muxers)))
                .sessionFactory(req -> req.applyTo(RecordingSession.builder()
                        .sink(new FileSystemSink(dir)).muxers(muxers).stream("gone"), sessionEvents::add).build())
                .bearerToken("tok").listener(events::add).build(), 4);
    }

    @Test
    void publisherNeverConnects_iceTimeoutEndsTheResource_noFile() throws Exception {
        restart(b -> b.connectTimeout(java.time.Duration.ofSeconds(2)));
        try (JavaWebRtcClient silent = new JavaWebRtcClient(DtlsCertificate.generate())) {
            HttpResponse<String> r = post(offer(silent.ice, silent.certificate.fingerprint()), "tok");
            assertThat(r.statusCode()).isEqualTo(201); // answered, but the client never runs ICE
            WhipEvent.ResourceEnded ended = awaitEnded();
            assertThat(ended.reason()).startsWith("the transport closed: ICE did not connect within 2 s");
            assertThat(ended.segments()).isEmpty();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
        assertThat(transport.liveConnections()).isZero();
    }

    @Test
    void publisherVanishes_idleTimeoutEndsTheResource_recordingKept() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        restart(b -> b.idleTimeout(java.time.Duration.ofSeconds(2)));
        DtlsCertificate cert = DtlsCertificate.generate();
        JavaWebRtcClient client = new JavaWebRtcClient(cert);
        connect(client, cert.fingerprint());
        send(client, client.handshake(), false, Long.MAX_VALUE, 2);
        long gone = System.nanoTime();
        client.vanish();
        WhipEvent.ResourceEnded ended = awaitEnded();
        double after = (System.nanoTime() - gone) / 1e9;
        assertThat(ended.reason()).startsWith("the transport closed: the publisher sent nothing for 2.");
        assertThat(sessionEvents).filteredOn(e -> e instanceof io.capstan.session.RecordingEvent.StatusChanged sc
                        && sc.status() == io.capstan.session.RecordingStatus.INACTIVE)
                .singleElement().satisfies(e -> {
                    var sc = (io.capstan.session.RecordingEvent.StatusChanged) e;
                    assertThat(sc.code()).isEqualTo("publisher-left");
                    assertThat(sc.message()).isEqualTo(ended.reason());
                });
        assertThat(after).as("seconds until the resource ended").isBetween(1.9, 5.0);
        assertThat(ended.segments()).hasSize(1);
        Path file = dir.resolve(ended.segments().get(0).key());
        assertThat(MediaTools.decodeErrors(file)).isEmpty();
        assertThat(ended.segments().get(0).frames()).containsExactly(90L, 151L); // the capture: 3 s of media
        assertThat(MediaTools.probeDuration(file)).isBetween(2.9, 3.2);
    }

    @Test
    void concurrentPublishers_eachGetAWholeRecording() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        int n = 4;
        List<java.util.concurrent.Future<String>> runs = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            for (int k = 0; k < n; k++) {
                runs.add(pool.submit(() -> {
                    DtlsCertificate cert = DtlsCertificate.generate();
                    try (JavaWebRtcClient client = new JavaWebRtcClient(cert)) {
                        HttpResponse<String> created = connect(client, cert.fingerprint());
                        send(client, client.handshake(), false, Long.MAX_VALUE, 4);
                        Thread.sleep(300);
                        String location = created.headers().firstValue("Location").orElseThrow();
                        HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.endpoint().resolve(location))
                                .header("Authorization", "Bearer tok").DELETE().build(),
                                HttpResponse.BodyHandlers.ofString());
                        return location;
                    }
                }));
            }
            for (var r : runs) {
                r.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long end = System.nanoTime() + 10_000_000_000L;
        while (events.stream().filter(e -> e instanceof WhipEvent.ResourceEnded).count() < n
                && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        List<WhipEvent.ResourceEnded> ended = events.stream().filter(e -> e instanceof WhipEvent.ResourceEnded)
                .map(e -> (WhipEvent.ResourceEnded) e).toList();
        assertThat(ended).hasSize(n);
        for (WhipEvent.ResourceEnded e : ended) {
            assertThat(e.reason()).isEqualTo("deleted by the client");
            assertThat(e.segments()).hasSize(1);
            assertThat(e.segments().get(0).frames()).as("resource %s", e.resourceId()).containsExactly(90L, 151L);
            assertThat(MediaTools.decodeErrors(dir.resolve(e.segments().get(0).key()))).isEmpty();
        }
    }

    @Test
    void badRequests_areRefused_withoutAResourceLeftBehind() throws Exception {
        IceCredentials ice = IceCredentials.random();
        DtlsFingerprint fp = DtlsCertificate.generate().fingerprint();
        assertThat(post(offer(ice, fp), "wrong").statusCode()).isEqualTo(401);
        assertThat(post("this is not SDP", "tok").statusCode()).isEqualTo(400);
        HttpResponse<String> noCodec = post(offer(ice, fp).replace("VP8/90000", "H263/90000")
                .replace("opus/48000/2", "G729/8000"), "tok");
        assertThat(noCodec.statusCode()).isEqualTo(406);
        assertThat(noCodec.body()).contains("no media Capstan can record");
        assertThat(events).isEmpty();
        assertThat(transport.liveConnections()).isZero();
    }
}
