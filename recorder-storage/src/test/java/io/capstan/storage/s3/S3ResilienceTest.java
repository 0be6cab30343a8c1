package io.capstan.storage.s3;

import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.s3.testing.FaultProxy;
import io.capstan.storage.s3.testing.S3TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.capstan.storage.s3.S3SinkTest.BUCKET;
import static io.capstan.storage.s3.S3SinkTest.MiB;
import static io.capstan.storage.s3.S3SinkTest.random;
import static io.capstan.storage.s3.S3SinkTest.recordText;
import static io.capstan.storage.s3.S3SinkTest.records;
import static io.capstan.storage.s3.S3SinkTest.waitFor;
import static io.capstan.storage.s3.S3SinkTest.writeChunked;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An S3 store that goes away and comes back: the server stopped mid-upload and restarted after an outage
 * ({@code -Dcapstan.s3.outageSeconds}, default 30), a process restart with uploads pending (a new sink over the
 * same spool), and injected 5xx answers, connection resets and corrupted bodies. Every segment arrives
 * byte-identical and no local file is deleted before its object is confirmed.
 */
@Timeout(180)
class S3ResilienceTest {

    static final long OUTAGE_SECONDS = Long.getLong("capstan.s3.outageSeconds", 30);

    @TempDir
    Path tmp;
    S3TestServer server;
    final List<UploadEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = new S3TestServer(Files.createDirectories(tmp.resolve("s3")));
        server.createBucket(BUCKET);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    S3Sink.Builder sink(Path spool, String endpoint) {
        return S3Sink.builder().bucket(BUCKET).endpoint(endpoint).pathStyle(true)
                .credentials(S3Credentials.of(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY))
                .spool(spool).partSize(5 * MiB).backoff(Duration.ofMillis(100), Duration.ofSeconds(2))
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(20))
                .listener(events::add);
    }

    <T extends UploadEvent> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void serverStoppedMidUpload_restartedAfterOutage_everySegmentArrives_nothingDeletedEarly() throws Exception {
        Path spool = tmp.resolve("spool");
        Map<String, byte[]> expected = new LinkedHashMap<>();
        try (S3Sink s3 = sink(spool, server.endpoint()).deleteAfterUpload(true).build()) {
            byte[] live = random(13 * MiB + 11, 10);
            SegmentOutput out = s3.open(new SegmentKey("cam/live.ts"), false);
            writeChunked(out, Arrays.copyOf(live, (int) (6 * MiB)), 188 * 7);
            waitFor(() -> recordText(spool).contains("part.0="), Duration.ofSeconds(30));

            server.stop(); // mid-upload: one part is in, the recording goes on
            long down = System.nanoTime();
            out.write(ByteBuffer.wrap(live, (int) (6 * MiB), live.length - (int) (6 * MiB)));
            out.commit();
            expected.put("cam/live.ts", live);
            for (int i = 1; i <= 3; i++) {
                byte[] b = random(200_000L * i, 20 + i);
                SegmentOutput o = s3.open(new SegmentKey("cam/seg_" + i + ".webm"), true);
                writeChunked(o, b, 8192);
                o.commit();
                expected.put("cam/seg_" + i + ".webm", b);
            }
            waitFor(() -> events(UploadEvent.Retrying.class).size() >= 3, Duration.ofSeconds(30));
            // the outage lasts OUTAGE_SECONDS; all the while the local files stay
            while (System.nanoTime() - down < OUTAGE_SECONDS * 1_000_000_000L) {
                for (String k : expected.keySet()) {
                    assertThat(spool.resolve(k)).exists();
                }
                assertThat(events(UploadEvent.Uploaded.class)).isEmpty();
                Thread.sleep(250);
            }
            server.start();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).as("pending: %s", s3.pending()).isTrue();
        }
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertThat(server.sha256(BUCKET, e.getKey())).as(e.getKey()).isEqualTo(S3TestServer.sha256(e.getValue()));
            assertThat(spool.resolve(e.getKey())).doesNotExist(); // deleted after the store confirmed it
        }
        assertThat(events(UploadEvent.Uploaded.class)).hasSize(expected.size())
                .allSatisfy(u -> assertThat(u.localFileDeleted()).isTrue());
        assertThat(events(UploadEvent.Retrying.class)).allSatisfy(r -> {
            assertThat(r.attempt()).isPositive();
            assertThat(r.delay()).isLessThanOrEqualTo(Duration.ofSeconds(2));
        });
        assertThat(events(UploadEvent.Failed.class)).isEmpty();
        assertThat(records(spool)).isEmpty();
    }

    @Test
    void processRestart_newSinkOverTheSameSpool_finishesPendingUploads() throws Exception {
        Path spool = tmp.resolve("spool");
        byte[] live = random(12 * MiB + 3, 30);
        byte[] small = random(70_000, 31);
        try (S3Sink s3 = sink(spool, server.endpoint()).build()) {
            SegmentOutput out = s3.open(new SegmentKey("cam/live.ogg"), false);
            writeChunked(out, live, 65536);
            waitFor(() -> recordText(spool).contains("part.1="), Duration.ofSeconds(30));
            server.stop();
            out.commit();
            SegmentOutput o = s3.open(new SegmentKey("cam/small.webm"), true);
            o.write(ByteBuffer.wrap(small));
            o.commit();
            assertThat(s3.awaitUploads(Duration.ofMillis(500))).isFalse();
        } // the "process" ends with two uploads pending: both reported, both recorded
        assertThat(events(UploadEvent.Failed.class)).hasSize(2)
                .allSatisfy(f -> assertThat(f.reason()).contains("kept in the spool"));
        assertThat(records(spool)).hasSize(2);
        assertThat(recordText(spool)).contains("uploadId=").contains("part.1=");

        server.start();
        events.clear();
        try (S3Sink s3 = sink(spool, server.endpoint()).build()) { // resumes on its own
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).as("pending: %s", s3.pending()).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/live.ogg")).isEqualTo(S3TestServer.sha256(live));
        assertThat(server.sha256(BUCKET, "cam/small.webm")).isEqualTo(S3TestServer.sha256(small));
        assertThat(events(UploadEvent.Uploaded.class)).extracting(UploadEvent::key)
                .containsExactlyInAnyOrder("cam/live.ogg", "cam/small.webm");
        assertThat(records(spool)).isEmpty();
        assertThat(server.keys(BUCKET)).containsExactlyInAnyOrder("cam/live.ogg", "cam/small.webm");
    }

    @Test
    void interruptedRecording_isReported_multipartAborted_localFileKept() throws Exception {
        Path spool = tmp.resolve("spool");
        S3Sink first = sink(spool, server.endpoint()).build();
        SegmentOutput out = first.open(new SegmentKey("cam/cut.ts"), false);
        writeChunked(out, random(6 * MiB, 40), 65536);
        waitFor(() -> recordText(spool).contains("part.0="), Duration.ofSeconds(30));
        first.close(); // a crash: the output was never committed
        try (S3Sink s3 = sink(spool, server.endpoint()).build()) {
            assertThat(s3.awaitUploads(Duration.ofSeconds(10))).isTrue();
            waitFor(() -> server.keys(BUCKET).isEmpty(), Duration.ofSeconds(10));
        }
        assertThat(events(UploadEvent.Failed.class)).last()
                .satisfies(f -> assertThat(f.reason()).contains("interrupted before it was committed"));
        assertThat(spool.resolve("cam/cut.ts.part")).exists();
        assertThat(records(spool)).isEmpty();
    }

    @Test
    void injected5xx_connectionResets_andCorruptedBodies_areRetried() throws Exception {
        Path spool = tmp.resolve("spool");
        byte[] big = random(11 * MiB + 99, 50);
        byte[] small = random(1_000_000, 51);
        try (FaultProxy proxy = new FaultProxy(server.port());
             S3Sink s3 = sink(spool, proxy.endpoint()).deleteAfterUpload(true).build()) {
            proxy.fail503(3);
            SegmentOutput o = s3.open(new SegmentKey("cam/small.webm"), true);
            o.write(ByteBuffer.wrap(small));
            o.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();

            proxy.reset(2);
            SegmentOutput out = s3.open(new SegmentKey("cam/big.ts"), false);
            writeChunked(out, Arrays.copyOf(big, (int) (6 * MiB)), 65536);
            waitFor(() -> recordText(spool).contains("part.0="), Duration.ofSeconds(60));
            proxy.corrupt(1);
            out.write(ByteBuffer.wrap(big, (int) (6 * MiB), big.length - (int) (6 * MiB)));
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).as("pending: %s", s3.pending()).isTrue();
            assertThat(proxy.injected503.get()).isEqualTo(3);
            // a connection armed for a reset that closes before sending a byte is not counted
            assertThat(proxy.injectedResets.get()).isBetween(1, 2);
            assertThat(proxy.injectedCorruptions.get()).isEqualTo(1);
            // every PutObject / UploadPart carried a Content-MD5
            assertThat(proxy.requestHeads).filteredOn(h -> h.startsWith("PUT ") && h.contains("Content-Length: ")
                    && !h.contains("Content-Length: 0\r\n")).isNotEmpty()
                    .allSatisfy(h -> assertThat(h.toLowerCase()).contains("content-md5:"));
        }
        assertThat(server.sha256(BUCKET, "cam/small.webm")).isEqualTo(S3TestServer.sha256(small));
        assertThat(server.sha256(BUCKET, "cam/big.ts")).isEqualTo(S3TestServer.sha256(big));
        List<UploadEvent.Retrying> retries = events(UploadEvent.Retrying.class);
        assertThat(retries).anySatisfy(r -> assertThat(r.reason()).contains("503"));
        assertThat(retries).anySatisfy(r -> assertThat(r.reason())
                // over plain http the SigV4 payload hash catches the flipped byte first; over https Content-MD5 does
                .containsAnyOf("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"));
        // (the JDK's HttpURLConnection itself repeats a PUT refused before its 100-continue, so three injected 503s
        // may surface as one failed attempt)
        assertThat(retries.size()).isGreaterThanOrEqualTo(4);
        assertThat(events(UploadEvent.Failed.class)).isEmpty();
    }
}
