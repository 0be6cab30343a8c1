package io.capstan.storage.s3;

import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.s3.testing.S3TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
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
 * {@link S3Sink} never overwrites an object of the bucket: objects of an earlier run (whose spool copies are gone)
 * stay byte-identical, new segments take the collision suffix FileSystemSink uses.
 */
@Timeout(120)
class S3KeyCollisionTest {

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
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)).listener(events::add);
    }

    List<UploadEvent.Uploaded> uploaded() {
        return events.stream().filter(e -> e instanceof UploadEvent.Uploaded).map(e -> (UploadEvent.Uploaded) e)
                .toList();
    }

    String sha(byte[] b) throws Exception {
        return S3TestServer.sha256(b);
    }

    @Test
    void seekable_existingObjectIsKept_newOneTakesSuffix() throws Exception {
        byte[] old = random(200_000, 10);
        server.putObject(BUCKET, "cam/rec.webm", old);
        byte[] data = random(MiB + 17, 11);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            SegmentOutput out = s3.open(new SegmentKey("rec.webm"), true);
            writeChunked(out, data, 4096);
            out.commit();
            assertThat(out.location()).isEqualTo("s3://recordings/cam/rec-1.webm");
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/rec.webm")).isEqualTo(sha(old));
        assertThat(server.sha256(BUCKET, "cam/rec-1.webm")).isEqualTo(sha(data));
        assertThat(uploaded()).singleElement().satisfies(u -> {
            assertThat(u.key()).isEqualTo("cam/rec-1.webm");
            assertThat(u.location()).isEqualTo("s3://recordings/cam/rec-1.webm");
            assertThat(u.sha256()).isEqualTo(sha(data));
        });
        assertThat(events.get(0)).isEqualTo(new UploadEvent.Started("cam/rec-1.webm", false));
    }

    @Test
    void appendOnly_multipartWhileRecording_skipsTakenKeys() throws Exception {
        byte[] old0 = random(1000, 20);
        byte[] old1 = random(2000, 21);
        server.putObject(BUCKET, "cam/live/live.ogg", old0);
        server.putObject(BUCKET, "cam/live/live-1.ogg", old1);
        byte[] data = random(11 * MiB + 5, 22);
        Path spool = tmp.resolve("spool");
        try (S3Sink s3 = sink(spool).build()) {
            SegmentOutput out = s3.open(new SegmentKey("live/live.ogg"), false);
            writeChunked(out, Arrays.copyOf(data, (int) (10 * MiB + 1)), 4096);
            // the multipart upload is under way while recording, under the settled key, which the record holds
            waitFor(() -> recordText(spool).contains("part.1="), Duration.ofSeconds(30));
            assertThat(recordText(spool)).contains("key=cam/live/live-2.ogg").contains("keyDecided=true");
            assertThat(out.location()).isEqualTo("s3://recordings/cam/live/live-2.ogg");
            out.write(ByteBuffer.wrap(data, (int) (10 * MiB + 1), data.length - (int) (10 * MiB + 1)));
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/live/live.ogg")).isEqualTo(sha(old0));
        assertThat(server.sha256(BUCKET, "cam/live/live-1.ogg")).isEqualTo(sha(old1));
        assertThat(server.sha256(BUCKET, "cam/live/live-2.ogg")).isEqualTo(sha(data));
        assertThat(events).filteredOn(e -> e instanceof UploadEvent.Started)
                .containsExactly(new UploadEvent.Started("cam/live/live-2.ogg", true));
        assertThat(uploaded()).singleElement().satisfies(u -> {
            assertThat(u.key()).isEqualTo("cam/live/live-2.ogg");
            assertThat(u.sha256()).isEqualTo(sha(data));
        });
        assertThat(records(spool)).isEmpty();
    }

    @Test
    void smallAppendOnlyOutput_committedAtOnce_skipsTakenKey() throws Exception {
        byte[] old = random(3000, 23);
        server.putObject(BUCKET, "cam/a.ts", old);
        byte[] data = random(188 * 100, 24);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            SegmentOutput out = s3.open(new SegmentKey("a.ts"), false);
            writeChunked(out, data, 188);
            out.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
            assertThat(out.location()).isEqualTo("s3://recordings/cam/a-1.ts");
        }
        assertThat(server.sha256(BUCKET, "cam/a.ts")).isEqualTo(sha(old));
        assertThat(server.sha256(BUCKET, "cam/a-1.ts")).isEqualTo(sha(data));
        assertThat(uploaded()).singleElement().satisfies(u -> assertThat(u.key()).isEqualTo("cam/a-1.ts"));
    }

    @Test
    void objectGroup_existingPrefixIsKept_newGroupTakesSuffix() throws Exception {
        byte[] oldMpd = "<MPD old/>".getBytes(StandardCharsets.UTF_8);
        byte[] oldSeg = random(50_000, 30);
        server.putObject(BUCKET, "cam/dash/show/show.mpd", oldMpd);
        server.putObject(BUCKET, "cam/dash/show/seg_0001.m4s", oldSeg);
        byte[] seg = random(300_000, 31);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            ObjectGroup g = s3.openGroup(new SegmentKey("dash/show.mpd"));
            assertThat(g.prefix()).isEqualTo("dash/show-1");
            SegmentOutput o = g.create("seg_0001.m4s");
            writeChunked(o, seg, 10_000);
            o.commit();
            assertThat(o.location()).isEqualTo("s3://recordings/cam/dash/show-1/seg_0001.m4s");
            g.replace("show.mpd", ByteBuffer.wrap("<MPD new/>".getBytes(StandardCharsets.UTF_8)));
            assertThat(g.location("show.mpd")).isEqualTo("s3://recordings/cam/dash/show-1/show.mpd");
            // a second group with the same key in this sink gets its own prefix too
            assertThat(s3.openGroup(new SegmentKey("dash/show.mpd")).prefix()).isEqualTo("dash/show-2");
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/dash/show/show.mpd")).isEqualTo(sha(oldMpd));
        assertThat(server.sha256(BUCKET, "cam/dash/show/seg_0001.m4s")).isEqualTo(sha(oldSeg));
        assertThat(server.sha256(BUCKET, "cam/dash/show-1/seg_0001.m4s")).isEqualTo(sha(seg));
        assertThat(new String(server.object(BUCKET, "cam/dash/show-1/show.mpd"), StandardCharsets.UTF_8))
                .isEqualTo("<MPD new/>");
        assertThat(uploaded()).extracting(UploadEvent.Uploaded::key)
                .containsExactlyInAnyOrder("cam/dash/show-1/seg_0001.m4s", "cam/dash/show-1/show.mpd");
    }

    @Test
    void twoSegmentsOpenedBackToBackWithOneKey_getDistinctKeys() throws Exception {
        byte[] a = random(100_000, 40);
        byte[] b = random(120_000, 41);
        byte[] c = random(6 * MiB, 42);
        byte[] d = random(6 * MiB + 9, 43);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            SegmentOutput sa = s3.open(new SegmentKey("same.webm"), true);
            SegmentOutput sb = s3.open(new SegmentKey("same.webm"), true);
            SegmentOutput tc = s3.open(new SegmentKey("same.ts"), false);
            SegmentOutput td = s3.open(new SegmentKey("same.ts"), false);
            writeChunked(sa, a, 1000);
            writeChunked(sb, b, 1000);
            writeChunked(tc, c, 65536);
            writeChunked(td, d, 65536);
            sb.commit();
            sa.commit();
            td.commit();
            tc.commit();
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
            assertThat(List.of(sa.location(), sb.location())).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrder("s3://recordings/cam/same.webm", "s3://recordings/cam/same-1.webm");
            assertThat(List.of(tc.location(), td.location())).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrder("s3://recordings/cam/same.ts", "s3://recordings/cam/same-1.ts");
            assertThat(server.sha256(BUCKET, sa.location().substring("s3://recordings/".length()))).isEqualTo(sha(a));
            assertThat(server.sha256(BUCKET, sb.location().substring("s3://recordings/".length()))).isEqualTo(sha(b));
            assertThat(server.sha256(BUCKET, tc.location().substring("s3://recordings/".length()))).isEqualTo(sha(c));
            assertThat(server.sha256(BUCKET, td.location().substring("s3://recordings/".length()))).isEqualTo(sha(d));
        }
        assertThat(uploaded()).hasSize(4).extracting(UploadEvent.Uploaded::key).doesNotHaveDuplicates();
    }

    @Test
    void pendingUploadsReserveTheirKeys_evenWhenTheSpoolNamesDiffer() throws Exception {
        byte[] old = random(1000, 50);
        server.putObject(BUCKET, "cam/x.webm", old);
        byte[] a = random(10_000, 51);
        byte[] b = random(20_000, 52);
        try (S3Sink s3 = sink(tmp.resolve("spool")).build()) {
            SegmentOutput sa = s3.open(new SegmentKey("x.webm"), true);
            SegmentOutput sb = s3.open(new SegmentKey("x-1.webm"), true);
            writeChunked(sa, a, 1000);
            writeChunked(sb, b, 1000);
            sa.commit(); // x.webm is taken in the bucket: x-1.webm, reserved by this pending upload
            sb.commit(); // x-1.webm: taken by the first (pending or uploaded): x-1-1.webm, as FileSystemSink would
            assertThat(sa.location()).isEqualTo("s3://recordings/cam/x-1.webm");
            assertThat(sb.location()).isEqualTo("s3://recordings/cam/x-1-1.webm");
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/x.webm")).isEqualTo(sha(old));
        assertThat(server.sha256(BUCKET, "cam/x-1.webm")).isEqualTo(sha(a));
        assertThat(server.sha256(BUCKET, "cam/x-1-1.webm")).isEqualTo(sha(b));
    }

    @Test
    void storeDownAtCommit_keyIsSettledByTheResumedUpload_andKeptOnceSettled() throws Exception {
        byte[] old = random(1000, 60);
        server.putObject(BUCKET, "cam/rec.webm", old);
        byte[] data = random(50_000, 61);
        Path spool = tmp.resolve("spool");
        server.stop();
        try (S3Sink s3 = sink(spool).build()) {
            SegmentOutput out = s3.open(new SegmentKey("rec.webm"), true);
            writeChunked(out, data, 1000);
            long t0 = System.nanoTime();
            out.commit();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            // not settled yet: the requested key, and a record that says so
            assertThat(out.location()).isEqualTo("s3://recordings/cam/rec.webm");
            assertThat(recordText(spool)).contains("keyDecided=false");
            assertThat(s3.awaitUploads(Duration.ofMillis(300))).isFalse();
        }
        events.clear();
        server.start();
        try (S3Sink s3 = sink(spool).build()) {
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/rec.webm")).isEqualTo(sha(old));
        assertThat(server.sha256(BUCKET, "cam/rec-1.webm")).isEqualTo(sha(data));
        assertThat(uploaded()).singleElement().satisfies(u -> assertThat(u.key()).isEqualTo("cam/rec-1.webm"));
    }

    @Test
    void aSettledKeyIsKeptOnResume_evenIfTheBucketHasItMeanwhile() throws Exception {
        // a record whose key was settled (cam/r-1.webm) before a restart: the resumed upload goes there, no new check
        Path spool = tmp.resolve("spool");
        byte[] data = random(40_000, 70);
        Files.createDirectories(spool.resolve(S3Sink.RECORD_DIR));
        Files.write(spool.resolve("r-1.webm"), data);
        SpoolRecord rec = new SpoolRecord("x", spool.resolve(S3Sink.RECORD_DIR).resolve("x" + SpoolRecord.SUFFIX));
        rec.bucket = BUCKET;
        rec.key = "cam/r-1.webm";
        rec.keyDecided = true;
        rec.localFile = "r-1.webm";
        rec.state = SpoolRecord.State.READY;
        rec.size = data.length;
        rec.save();
        server.putObject(BUCKET, "cam/r-1.webm", new byte[] {1, 2, 3}); // e.g. our own earlier, unconfirmed attempt
        try (S3Sink s3 = sink(spool).build()) {
            assertThat(s3.awaitUploads(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(server.sha256(BUCKET, "cam/r-1.webm")).isEqualTo(sha(data));
        assertThat(server.keys(BUCKET)).containsExactly("cam/r-1.webm");
    }
}
