package io.capstan.session.hooks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** The reporter against a real HTTP server (JDK httpserver on an ephemeral port) that fails, hangs or refuses. */
@Timeout(30)
class MetadataReporterTest {

    private HttpServer server;
    private ExecutorService serverPool;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    /** Status for the n-th request (1-based); 0 = never answer. */
    private volatile IntUnaryOperator status = n -> 200;
    private final HookTesting.Events events = new HookTesting.Events();
    private MetadataReporter reporter;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        serverPool = Executors.newFixedThreadPool(8);
        server.setExecutor(serverPool);
        server.createContext("/segments", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (reporter != null) {
            reporter.close(Duration.ofSeconds(1));
        }
        server.stop(0);
        serverPool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        int n = requests.incrementAndGet();
        bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        contentTypes.add(ex.getRequestHeaders().getFirst("Content-Type"));
        int code = status.applyAsInt(n);
        if (code == 0) {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
            return;
        }
        byte[] body = ("answer " + code).getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/segments");
    }

    private MetadataReporter.Builder builder() {
        return MetadataReporter.builder(url()).nodeAlias("rec-\"1\"").listener(events).backoff(Duration.ofMillis(50));
    }

    @Test
    void defaults_areThreeAttemptsAndTenSeconds() throws Exception {
        reporter = MetadataReporter.builder(url()).listener(events).build();
        reporter.segmentClosed("cam", HookTesting.segment("/records/a.webm"));
        HookEvent.ReportDelivered ok = (HookEvent.ReportDelivered) events.next(Duration.ofSeconds(10));
        assertThat(ok.attempts()).isEqualTo(1);
        // the documented defaults
        assertThat(reporter.attempts()).isEqualTo(3);
        assertThat(reporter.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void jsonPerSegment_withStreamNodeTimesKeyframes() throws Exception {
        reporter = builder().build();
        reporter.segmentClosed("cam\n1", HookTesting.segment("/records/cam/a \"b\".webm"));
        assertThat(events.next(Duration.ofSeconds(10))).isInstanceOf(HookEvent.ReportDelivered.class);
        assertThat(contentTypes.get(0)).startsWith("application/json");
        @SuppressWarnings("unchecked")
        Map<String, Object> j = (Map<String, Object>) MiniJson.parse(bodies.get(0));
        assertThat(j.get("stream")).isEqualTo("cam\n1");
        assertThat(j.get("node")).isEqualTo("rec-\"1\"");
        assertThat(j.get("path")).isEqualTo("/records/cam/a \"b\".webm");
        assertThat(j.get("key")).isEqualTo("cam/cam_20261121T100000Z.webm");
        long start = HookTesting.T0.getEpochSecond() * 1_000_000;
        assertThat(((Number) j.get("startMicros")).longValue()).isEqualTo(start);
        assertThat(((Number) j.get("endMicros")).longValue()).isEqualTo(start + 2_000_000);
        assertThat(((Number) j.get("durationMicros")).longValue()).isEqualTo(2_000_000);
        assertThat(((Number) j.get("bytes")).longValue()).isEqualTo(123_456);
        assertThat((List<?>) j.get("keyframesMicros")).hasSize(2);
        assertThat(((Number) ((List<?>) j.get("keyframesMicros")).get(1)).longValue()).isEqualTo(1_000_000);
        assertThat((List<?>) j.get("tracks")).hasSize(2);
    }

    @Test
    void twoServerErrorsThenOk_exactlyThreeAttempts() throws Exception {
        status = n -> n <= 2 ? 500 : 200;
        reporter = builder().build();
        reporter.segmentClosed("cam", HookTesting.segment("/records/a.webm"));
        HookEvent.ReportDelivered ok = (HookEvent.ReportDelivered) events.next(Duration.ofSeconds(10));
        assertThat(ok.attempts()).isEqualTo(3);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(requests.get()).isEqualTo(3);
        assertThat(bodies).hasSize(3).allMatch(b -> b.equals(bodies.get(0)));
        Thread.sleep(200);
        assertThat(requests.get()).isEqualTo(3);
    }

    @Test
    void alwaysFailing_reportsFailureAfterThreeAttempts() throws Exception {
        status = n -> 503;
        reporter = builder().build();
        reporter.segmentClosed("cam", HookTesting.segment("/records/a.webm"));
        HookEvent.ReportFailed f = (HookEvent.ReportFailed) events.next(Duration.ofSeconds(10));
        assertThat(f.attempts()).isEqualTo(3);
        assertThat(f.status()).isEqualTo(503);
        assertThat(f.reason()).contains("HTTP 503").contains("answer 503");
        assertThat(requests.get()).isEqualTo(3);
    }

    @Test
    void clientError_isNotRetried() throws Exception {
        status = n -> 400;
        reporter = builder().build();
        reporter.segmentClosed("cam", HookTesting.segment("/records/a.webm"));
        HookEvent.ReportFailed f = (HookEvent.ReportFailed) events.next(Duration.ofSeconds(10));
        assertThat(f.attempts()).isEqualTo(1);
        assertThat(f.reason()).contains("not retried");
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void receiverThatNeverAnswers_timesOutPerRequest() throws Exception {
        status = n -> 0;
        reporter = builder().requestTimeout(Duration.ofMillis(300)).build();
        long t0 = System.nanoTime();
        reporter.segmentClosed("cam", HookTesting.segment("/records/a.webm"));
        HookEvent.ReportFailed f = (HookEvent.ReportFailed) events.next(Duration.ofSeconds(10));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(f.attempts()).isEqualTo(3);
        assertThat(f.status()).isEqualTo(-1);
        assertThat(f.reason()).isEqualTo("no answer within 300 ms");
        assertThat(requests.get()).isEqualTo(3);
        // 3 x 300 ms + 50 + 100 ms backoff; well under what one hanging request would take
        assertThat(ms).isBetween(900L, 5000L);
    }

    @Test
    void refusedConnection_isRetriedThenReported() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        reporter = MetadataReporter.builder(URI.create("http://127.0.0.1:" + port + "/x")).listener(events)
                .backoff(Duration.ofMillis(10)).build();
        reporter.segmentClosed("cam", HookTesting.segment("/records/a.webm"));
        HookEvent.ReportFailed f = (HookEvent.ReportFailed) events.next(Duration.ofSeconds(10));
        assertThat(f.attempts()).isEqualTo(3);
        assertThat(f.reason()).contains("ConnectException");
    }

    @Test
    void fullQueue_dropsWithACountNeverBlocks() throws Exception {
        status = n -> 0;
        reporter = builder().requestTimeout(Duration.ofSeconds(5)).queueCapacity(2).build();
        long t0 = System.nanoTime();
        for (int i = 0; i < 6; i++) {
            reporter.segmentClosed("cam", HookTesting.segment("/records/" + i + ".webm"));
        }
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(500);
        // the first is in flight (or queued), at most two wait: at least 3 dropped, each an event with the count
        HookEvent.Dropped d = (HookEvent.Dropped) events.next(Duration.ofSeconds(2));
        assertThat(d.hook()).isEqualTo("metadata");
        assertThat(d.droppedTotal()).isEqualTo(1);
        assertThat(reporter.dropped()).isBetween(3L, 4L);
        assertThat(reporter.close(Duration.ofMillis(200))).isFalse();
    }

    @Test
    void badUrl_isAConfigurationError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetadataReporter.builder(URI.create("ftp://x/y")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
