package io.capstan.webrtc.dtls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.webrtc.DtlsFingerprint;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The DTLS server against an in-process Bouncy Castle client playing the browser, over in-memory datagrams. */
class DtlsSrtpServerTest {

    private static DtlsCertificate capstan;
    private static DtlsCertificate browser;
    private final ExecutorService client = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-client"));

    @BeforeAll
    static void certificates() {
        capstan = DtlsCertificate.generate();
        browser = DtlsCertificate.generate();
    }

    @AfterEach
    void stopClient() throws InterruptedException {
        client.shutdownNow();
        assertThat(client.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @AfterAll
    static void noReaderThreadLeft() throws InterruptedException {
        assertThat(waitForNoReaders()).as("capstan-dtls reader threads still alive").isEmpty();
    }

    /** Two transports whose senders deliver to each other. */
    private static final class Link {
        final PacketQueueTransport server;
        final PacketQueueTransport client;

        Link() {
            AtomicReference<PacketQueueTransport> s = new AtomicReference<>();
            AtomicReference<PacketQueueTransport> c = new AtomicReference<>();
            server = new PacketQueueTransport((b, o, l) -> c.get().offer(b, o, l));
            client = new PacketQueueTransport((b, o, l) -> s.get().offer(b, o, l));
            s.set(server);
            c.set(client);
        }
    }

    private Future<DTLSTransport> connect(TestDtlsClient tls, PacketQueueTransport transport) {
        return client.submit(() -> new DTLSClientProtocol().connect(tls, transport));
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void handshake_matchingFingerprint_sameKeysAndSrtpBothWays(SrtpProfile only) throws Exception {
        Link link = new Link();
        TestDtlsClient tls = new TestDtlsClient(browser, only);
        Future<DTLSTransport> clientSide = connect(tls, link.client);
        DtlsSrtpServer server = new DtlsSrtpServer(capstan, browser.fingerprint());
        try (DtlsSrtpConnection c = server.accept(link.server, reason -> { })) {
            DTLSTransport clientDtls = clientSide.get(10, TimeUnit.SECONDS);
            assertThat(c.profile()).isEqualTo(only);
            assertThat(tls.profile).isEqualTo(only);
            assertThat(c.keys()).isEqualTo(tls.keys);
            assertThat(c.srtp().profileName()).isEqualTo(only.specName());
            assertThat(Fingerprints.matches(capstan.fingerprint(), tls.serverCertificate))
                    .as("the client sees the certificate the answer's fingerprint names").isTrue();

            SrtpSession browserSrtp = SrtpSession.create(tls.keys, SrtpSession.Role.CLIENT);
            byte[] plain = Rtp.packet(4711, 123456, 0xABCDEF01, 1000);
            byte[] p = Rtp.copy(plain);
            int len = browserSrtp.protectRtp(p, 0, Rtp.length(1000));
            assertThat(c.srtp().unprotectRtp(p, 0, len)).isEqualTo(Rtp.length(1000));
            assertThat(Arrays.copyOf(p, Rtp.length(1000))).isEqualTo(Arrays.copyOf(plain, Rtp.length(1000)));

            byte[] sr = Rtp.rtcp(0xABCDEF01, 0x1);
            len = browserSrtp.protectRtcp(sr, 0, Rtp.RTCP_LENGTH);
            assertThat(c.srtp().unprotectRtcp(sr, 0, len)).isEqualTo(Rtp.RTCP_LENGTH);
            assertThat(Arrays.copyOf(sr, Rtp.RTCP_LENGTH)).isEqualTo(Arrays.copyOf(Rtp.rtcp(0xABCDEF01, 0x1), Rtp.RTCP_LENGTH));

            byte[] pli = Rtp.rtcp(0x1, 0xABCDEF01);
            len = c.srtp().protectRtcp(pli, 0, Rtp.RTCP_LENGTH);
            assertThat(browserSrtp.unprotectRtcp(pli, 0, len)).isEqualTo(Rtp.RTCP_LENGTH);
            assertThat(Arrays.copyOf(pli, Rtp.RTCP_LENGTH)).isEqualTo(Arrays.copyOf(Rtp.rtcp(0x1, 0xABCDEF01), Rtp.RTCP_LENGTH));
            clientDtls.close();
        }
    }

    @Test
    void bothProfilesOffered_serverPrefersGcm() throws Exception {
        Link link = new Link();
        TestDtlsClient tls = new TestDtlsClient(browser, SrtpProfile.AES128_CM_HMAC_SHA1_80,
                SrtpProfile.AEAD_AES_128_GCM);
        Future<DTLSTransport> clientSide = connect(tls, link.client);
        try (DtlsSrtpConnection c = new DtlsSrtpServer(capstan, browser.fingerprint()).accept(link.server, r -> { })) {
            clientSide.get(10, TimeUnit.SECONDS).close();
            assertThat(c.profile()).isEqualTo(SrtpProfile.AEAD_AES_128_GCM);
        }
    }

    @Test
    void otherHashFunctions_ofTheOfferAreChecked() throws Exception {
        for (String algorithm : List.of("sha-1", "sha-384", "sha-512")) {
            DtlsFingerprint fp = fingerprint(algorithm, browser.encoded());
            Link link = new Link();
            Future<DTLSTransport> clientSide = connect(new TestDtlsClient(browser, SrtpProfile.AEAD_AES_128_GCM),
                    link.client);
            try (DtlsSrtpConnection c = new DtlsSrtpServer(capstan, fp).accept(link.server, r -> { })) {
                clientSide.get(10, TimeUnit.SECONDS).close();
                assertThat(c.profile()).isEqualTo(SrtpProfile.AEAD_AES_128_GCM);
            }
        }
        assertThatThrownBy(() -> new DtlsSrtpServer(capstan, new DtlsFingerprint("md5", "AB:CD")))
                .hasMessageContaining("unsupported a=fingerprint hash function 'md5'");
    }

    @Test
    void wrongFingerprint_failsWithClearReason_bothSidesEnd() throws Exception {
        Link link = new Link();
        DtlsCertificate impostor = DtlsCertificate.generate();
        Future<DTLSTransport> clientSide = connect(new TestDtlsClient(impostor, SrtpProfile.AEAD_AES_128_GCM),
                link.client);
        DtlsSrtpServer server = new DtlsSrtpServer(capstan, browser.fingerprint());
        assertThatThrownBy(() -> server.accept(link.server, r -> { }))
                .isInstanceOf(DtlsHandshakeException.class)
                .hasMessageStartingWith("the browser's DTLS certificate does not match a=fingerprint "
                        + browser.fingerprint().attributeValue())
                .hasMessageContaining(impostor.fingerprint().value());
        assertThatThrownBy(() -> clientSide.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(TlsFatalAlertReceived.class)
                .satisfies(e -> assertThat(((TlsFatalAlertReceived) e).getAlertDescription())
                        .isEqualTo(AlertDescription.bad_certificate));
        assertThat(link.server.isClosed()).isTrue();
        assertThat(waitForNoReaders()).isEmpty();
    }

    @Test
    void noClientCertificate_fails() throws Exception {
        Link link = new Link();
        Future<DTLSTransport> clientSide = connect(new TestDtlsClient(null, SrtpProfile.AEAD_AES_128_GCM),
                link.client);
        DtlsSrtpServer server = new DtlsSrtpServer(capstan, browser.fingerprint());
        assertThatThrownBy(() -> server.accept(link.server, r -> { }))
                .isInstanceOf(DtlsHandshakeException.class)
                .hasMessageStartingWith("the browser sent no DTLS certificate");
        assertThatThrownBy(() -> clientSide.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    }

    @Test
    void noCommonSrtpProfile_failsNamingWhatEachSideHas() throws Exception {
        Link link = new Link();
        // SRTP_AES128_CM_HMAC_SHA1_32 and SRTP_AEAD_AES_256_GCM only
        Future<DTLSTransport> clientSide = connect(new TestDtlsClient(browser, new int[] {0x0002, 0x0008}),
                link.client);
        DtlsSrtpServer server = new DtlsSrtpServer(capstan, browser.fingerprint());
        assertThatThrownBy(() -> server.accept(link.server, r -> { }))
                .isInstanceOf(DtlsHandshakeException.class)
                .hasMessage("no SRTP protection profile in common: the browser offers [0x0002, 0x0008], Capstan "
                        + "supports [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80]");
        assertThatThrownBy(() -> clientSide.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    }

    @Test
    void silentPeer_timesOut_noThreadLeft() {
        PacketQueueTransport transport = new PacketQueueTransport((b, o, l) -> { });
        DtlsSrtpServer server = new DtlsSrtpServer(capstan, browser.fingerprint(), Duration.ofMillis(400));
        long start = System.nanoTime();
        assertThatThrownBy(() -> server.accept(transport, r -> { }))
                .isInstanceOf(DtlsHandshakeException.class)
                .hasMessageStartingWith("DTLS handshake timed out after 400 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(transport.isClosed()).isTrue();
        assertThat(transport.offer(new byte[20], 0, 20)).as("offer after the failure is dropped").isFalse();
        assertThat(transport.dropped()).isEqualTo(1);
    }

    @Test
    void closingTheTransport_cancelsAPendingHandshake() throws Exception {
        PacketQueueTransport transport = new PacketQueueTransport((b, o, l) -> { });
        DtlsSrtpServer server = new DtlsSrtpServer(capstan, browser.fingerprint());
        Future<?> closer = client.submit(() -> {
            Thread.sleep(200);
            transport.close();
            return null;
        });
        assertThatThrownBy(() -> server.accept(transport, r -> { }))
                .isInstanceOf(DtlsHandshakeException.class)
                .hasMessage("DTLS handshake cancelled: the transport was closed");
        closer.get();
    }

    @Test
    void closeNotifyFromTheBrowser_isReportedToTheListener() throws Exception {
        Link link = new Link();
        Future<DTLSTransport> clientSide = connect(new TestDtlsClient(browser, SrtpProfile.AEAD_AES_128_GCM),
                link.client);
        CompletableFuture<String> closed = new CompletableFuture<>();
        DtlsSrtpConnection c = new DtlsSrtpServer(capstan, browser.fingerprint())
                .accept(link.server, closed::complete);
        DTLSTransport clientDtls = clientSide.get(10, TimeUnit.SECONDS);
        assertThat(closed).isNotDone();
        clientDtls.close();
        assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo("the browser closed the DTLS association (close_notify)");
        assertThat(c.isClosed()).isTrue();
        assertThat(link.server.isClosed()).isTrue();
        c.close(); // idempotent after the browser's close
        assertThat(waitForNoReaders()).isEmpty();
    }

    @Test
    void localClose_sendsCloseNotify_doesNotCallTheListener_endsTheReader() throws Exception {
        Link link = new Link();
        TestDtlsClient tls = new TestDtlsClient(browser, SrtpProfile.AES128_CM_HMAC_SHA1_80);
        Future<DTLSTransport> clientSide = connect(tls, link.client);
        CompletableFuture<String> closed = new CompletableFuture<>();
        DtlsSrtpConnection c = new DtlsSrtpServer(capstan, browser.fingerprint())
                .accept(link.server, closed::complete);
        DTLSTransport clientDtls = clientSide.get(10, TimeUnit.SECONDS);
        c.close();
        c.close();
        assertThat(waitForNoReaders()).isEmpty();
        // the client reads the close_notify (Bouncy Castle then closes its transport, so receive ends in an
        // IOException)
        byte[] buf = new byte[1500];
        assertThatThrownBy(() -> clientDtls.receive(buf, 0, buf.length, 2000)).isInstanceOf(IOException.class);
        assertThat(tls.alertReceived).isEqualTo(AlertDescription.close_notify);
        assertThat(link.client.isClosed()).isTrue();
        assertThat(closed).isNotDone();
    }

    @Test
    void applicationDataAfterTheHandshake_isIgnored() throws Exception {
        Link link = new Link();
        Future<DTLSTransport> clientSide = connect(new TestDtlsClient(browser, SrtpProfile.AEAD_AES_128_GCM),
                link.client);
        CompletableFuture<String> closed = new CompletableFuture<>();
        try (DtlsSrtpConnection c = new DtlsSrtpServer(capstan, browser.fingerprint())
                .accept(link.server, closed::complete)) {
            DTLSTransport clientDtls = clientSide.get(10, TimeUnit.SECONDS);
            clientDtls.send(new byte[] {1, 2, 3}, 0, 3);
            Thread.sleep(100);
            assertThat(closed).isNotDone();
            assertThat(c.isClosed()).isFalse();
            clientDtls.close();
            assertThat(closed.get(5, TimeUnit.SECONDS)).contains("close_notify");
        }
    }

    @Test
    void certificate_isSelfSignedP256_withSha256Fingerprint() throws Exception {
        java.security.cert.X509Certificate x509 = (java.security.cert.X509Certificate)
                java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(capstan.encoded()));
        x509.verify(x509.getPublicKey());
        x509.checkValidity();
        assertThat(x509.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(((java.security.interfaces.ECPublicKey) x509.getPublicKey()).getParams().getCurve().getField()
                .getFieldSize()).isEqualTo(256);
        assertThat(capstan.fingerprint()).isEqualTo(fingerprint("sha-256", capstan.encoded()));
        assertThat(capstan.notAfter()).isAfter(java.time.Instant.now().plus(Duration.ofDays(29)));
    }

    private static DtlsFingerprint fingerprint(String algorithm, byte[] der) throws IOException {
        try {
            byte[] d = java.security.MessageDigest.getInstance(Fingerprints.jdkAlgorithm(algorithm)).digest(der);
            StringBuilder b = new StringBuilder();
            for (byte x : d) {
                b.append(b.length() == 0 ? "" : ":").append(String.format("%02X", x & 0xFF));
            }
            return new DtlsFingerprint(algorithm, b.toString());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    /** Waits up to 3 s for every capstan-dtls reader thread to end; returns those still alive. */
    private static List<String> waitForNoReaders() throws InterruptedException {
        List<String> alive = List.of();
        for (int i = 0; i < 60; i++) {
            alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .map(Thread::getName).filter(n -> n.startsWith("capstan-dtls-")).toList();
            if (alive.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        }
        return alive;
    }
}
