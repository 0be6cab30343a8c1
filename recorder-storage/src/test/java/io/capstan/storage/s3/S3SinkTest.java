package io.capstan.storage.s3;

import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.s3.testing.S3TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link S3Sink} against a real S3 server (S3Proxy): single and multipart uploads arrive byte-identical. */
@Timeout(120)
class S3SinkTest {

    static final String BUCKET = "recordings";
    static final long MiB = 1024 * 1024;

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

    S3Sink.Builder sink(Path spool) {
        return S3Sink.builder().bucket(BUCKET).endpoint(server.endpoint()).pathStyle(true).region("us-east-1")
                .credentials(S3Credentials.of(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY))
                .spool(spool).prefix("cam").partSize(5 * MiB).backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .listener(events::add);
    }

    static byte[] random(long n, long seed) {
        byte[] b = new byte[(int) n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void writeChunked(SegmentOutput out, byte[] data, int chunk) throws IOException {
        for (int off = 0; off < data.length; off += chunk) {
            out.write(ByteBuffer.wrap(data, off, Math.min(chunk, data.length - off)));
        }
    }

    List<UploadEvent.Uploaded> uploaded() {
        return events.stream().filter(e -> e instanceof UploadEvent.Uploaded).map(e -> (UploadEvent.Uploaded) e)
                .toList();
    }

    @Test
    void singlePut_seekableSegment_arrivesByteIdentical_localFileKept() throws Exception {
        byte[] data = random(MiB + 123, 1);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            SegmentOutput out = s3.open(new SegmentKey("demo/demo_1.webm"), true);
            writeChunked(out, data, 4096);
            // a muxer patching its header on close
            SeekableOutput so = out.seekable().orElseThrow();
            so.position(4);
            so.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
            System.arraycopy(new byte[] {1, 2, 3, 4}, 0, data, 4, 4);
            assertThat(out.location()).isEqualTo("s3://recordings/cam/demo/demo_1.webm");
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/demo/demo_1.webm")).isEqualTo(S3TestServer.sha256(data));
        assertThat(uploaded()).singleElement().satisfies(u -> {
            assertThat(u.sha256()).isEqualTo(S3TestServer.sha256(data));
            assertThat(u.bytes()).isEqualTo(data.length);
            assertThat(u.localFileDeleted()).isFalse();
        });
        assertThat(events.get(0)).isEqualTo(new UploadEvent.Started("cam/demo/demo_1.webm", false));
        assertThat(Files.readAllBytes(tmp.resolve("spool/demo/demo_1.webm"))).isEqualTo(data);
        assertThat(records(tmp.resolve("spool"))).isEmpty();
    }

    @Test
    void commitUnderAnotherKey_seekableIsUploadedThere_streamingRefusesAndKeepsItsKey() throws Exception {
        byte[] data = random(1000, 3);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            SegmentOutput out = s3.open(new SegmentKey("demo/demo_open.webm"), true);
            writeChunked(out, data, 100);
            out.commit(new SegmentKey("demo/2026/demo_1000.webm"));
            assertThat(out.location()).isEqualTo("s3://recordings/cam/demo/2026/demo_1000.webm");
            SegmentOutput streaming = s3.open(new SegmentKey("demo/live_open.ogg"), false);
            writeChunked(streaming, data, 100);
            assertThatThrownBy(() -> streaming.commit(new SegmentKey("demo/live_1000.ogg")))
                    .isInstanceOf(IOException.class).hasMessageContaining("cannot rename a streaming upload");
            streaming.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/demo/2026/demo_1000.webm")).isEqualTo(S3TestServer.sha256(data));
        assertThat(server.sha256(BUCKET, "cam/demo/live_open.ogg")).isEqualTo(S3TestServer.sha256(data));
        assertThat(Files.readAllBytes(tmp.resolve("spool/demo/2026/demo_1000.webm"))).isEqualTo(data);
    }

    @Test
    void multipartAfterCommit_seekableSegment_deleteAfterUpload() throws Exception {
        byte[] data = random(12 * MiB + 77, 2);
        Path spool = tmp.resolve("spool");
        try (S3Sink s3 = sink(spool).deleteAfterUpload(true).build()) {
            SegmentOutput out = s3.open(new SegmentKey("demo/big.mp4"), true);
            writeChunked(out, data, 100_000);
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/demo/big.mp4")).isEqualTo(S3TestServer.sha256(data));
        assertThat(events).filteredOn(e -> e instanceof UploadEvent.Started)
                .containsExactly(new UploadEvent.Started("cam/demo/big.mp4", true));
        assertThat(uploaded()).singleElement().satisfies(u -> {
            assertThat(u.sha256()).isEqualTo(S3TestServer.sha256(data));
            assertThat(u.localFileDeleted()).isTrue();
        });
        assertThat(spool.resolve("demo/big.mp4")).doesNotExist();
    }

    @Test
    void streamingMultipart_partsUploadWhileRecording() throws Exception {
        byte[] data = random(11 * MiB + 5, 3);
        Path spool = tmp.resolve("spool");
        try (S3Sink s3 = sink(spool).build()) {
            SegmentOutput out = s3.open(new SegmentKey("live/live.ts"), false);
            assertThat(out.seekable()).isEmpty();
            writeChunked(out, Arrays.copyOf(data, (int) (10 * MiB + 1)), 188 * 7);
            // two parts are confirmed before the recording is committed
            waitFor(() -> recordText(spool).contains("part.1="), Duration.ofSeconds(30));
            assertThat(server.object(BUCKET, "cam/live/live.ts")).isNull();
            out.write(ByteBuffer.wrap(data, (int) (10 * MiB + 1), data.length - (int) (10 * MiB + 1)));
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/live/live.ts")).isEqualTo(S3TestServer.sha256(data));
        assertThat(uploaded()).singleElement().satisfies(u -> assertThat(u.sha256()).isEqualTo(S3TestServer.sha256(data)));
    }

    @Test
    void objectGroup_segmentsAndReplacedManifest() throws Exception {
        Path spool = tmp.resolve("spool");
        try (S3Sink s3 = sink(spool).build()) {
            ObjectGroup g = s3.openGroup(new SegmentKey("dash/show.mpd"));
            assertThat(g.prefix()).isEqualTo("dash/show");
            SegmentOutput init = g.create("init.m4s");
            init.write(ByteBuffer.wrap("init".getBytes(StandardCharsets.UTF_8)));
            init.commit();
            g.replace("show.mpd", ByteBuffer.wrap("<MPD v=1/>".getBytes(StandardCharsets.UTF_8)));
            SegmentOutput seg = g.create("seg_0001.m4s");
            byte[] segData = random(300_000, 4);
            writeChunked(seg, segData, 10_000);
            seg.commit();
            g.replace("show.mpd", ByteBuffer.wrap("<MPD v=2/>".getBytes(StandardCharsets.UTF_8)));
            assertThat(g.location("show.mpd")).isEqualTo("s3://recordings/cam/dash/show/show.mpd");
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
            assertThat(server.sha256(BUCKET, "cam/dash/show/seg_0001.m4s")).isEqualTo(S3TestServer.sha256(segData));
        }
        assertThat(new String(server.object(BUCKET, "cam/dash/show/show.mpd"), StandardCharsets.UTF_8))
                .isEqualTo("<MPD v=2/>");
        assertThat(new String(server.object(BUCKET, "cam/dash/show/init.m4s"), StandardCharsets.UTF_8)).isEqualTo("init");
        assertThat(records(spool)).isEmpty();
    }

    @Test
    void abort_discardsLocalFileRecordAndMultipartUpload() throws Exception {
        Path spool = tmp.resolve("spool");
        try (S3Sink s3 = sink(spool).build()) {
            SegmentOutput out = s3.open(new SegmentKey("live/aborted.ogg"), false);
            writeChunked(out, random(6 * MiB, 5), 65536);
            waitFor(() -> recordText(spool).contains("part.0="), Duration.ofSeconds(30));
            out.abort();
            assertThat(s3.awaitUploads(Duration.ofSeconds(10))).isTrue();
            waitFor(() -> server.keys(BUCKET).isEmpty(), Duration.ofSeconds(10));
        }
        assertThat(records(spool)).isEmpty();
        assertThat(spool.resolve("live/aborted.ogg.part")).doesNotExist();
        assertThat(server.object(BUCKET, "cam/live/aborted.ogg")).isNull();
    }

    @Test
    void missingBucket_isAPermanentFailure_fileAndRecordKept() throws Exception {
        Path spool = tmp.resolve("spool");
        try (S3Sink s3 = sink(spool).bucket("no-such-bucket").deleteAfterUpload(true).build()) {
            SegmentOutput out = s3.open(new SegmentKey("a/b.webm"), true);
            out.write(ByteBuffer.wrap(new byte[1000]));
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(30))).isFalse();
            assertThat(s3.pending()).singleElement().satisfies(p -> assertThat(p.state()).isEqualTo("failed"));
        }
        assertThat(events).filteredOn(e -> e instanceof UploadEvent.Failed).hasSize(1)
                .first().satisfies(e -> assertThat(((UploadEvent.Failed) e).reason()).contains("NoSuchBucket"));
        assertThat(spool.resolve("a/b.webm")).exists();
        assertThat(records(spool)).hasSize(1);
    }

    @Test
    void fullSpool_isAnErrorEvent_andTheOpenFails() throws Exception {
        Path spool = tmp.resolve("spool");
        server.stop(); // nothing drains the spool
        try (S3Sink s3 = sink(spool).maxSpoolBytes(2 * MiB).build()) {
            SegmentOutput out = s3.open(new SegmentKey("a/one.webm"), true);
            writeChunked(out, random(3 * MiB, 6), 65536);
            out.commit();
            assertThatThrownBy(() -> s3.open(new SegmentKey("a/two.webm"), true)).isInstanceOf(IOException.class)
                    .hasMessageContaining("spool full");
            assertThat(events).filteredOn(e -> e instanceof UploadEvent.SpoolFull).singleElement()
                    .satisfies(e -> assertThat(((UploadEvent.SpoolFull) e).spoolBytes()).isEqualTo(3 * MiB));
        }
        assertThat(spool.resolve("a/one.webm")).exists();
        assertThat(records(spool)).hasSize(1);
    }

    static List<Path> records(Path spool) throws IOException {
        Path dir = spool.resolve(S3Sink.RECORD_DIR);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".upload")).toList();
        }
    }

    static String recordText(Path spool) {
        try {
            StringBuilder sb = new StringBuilder();
            for (Path p : records(spool)) {
                sb.append(Files.readString(p));
            }
            return sb.toString();
        } catch (IOException e) {
            return "";
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check c, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!c.ok()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(20);
        }
    }
}
