package io.capstan.storage.s3;

import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.s3.testing.S3TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A canary secret key and session token never show up in what a host sees: log output (slf4j-simple on stderr,
 * with the sink's and the SDK's request loggers at debug, see the pom), events, exception messages, toString.
 */
@Timeout(120)
class S3SecretsTest {

    static final String CANARY_ACCESS = "AKIACANARY0000ACCESS";
    static final String CANARY_SECRET = "canary-SECRET-9f8e7d6c5b4a";
    static final String CANARY_TOKEN = "canary-SESSION-TOKEN-1a2b3c4d";

    @TempDir
    Path tmp;

    @Test
    void canarySecretNeverAppearsInLogsEventsOrExceptions() throws Exception {
        List<UploadEvent> events = new CopyOnWriteArrayList<>();
        List<String> texts = new ArrayList<>();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        System.setOut(tee);
        try (S3TestServer server = new S3TestServer(Files.createDirectories(tmp.resolve("s3")), CANARY_ACCESS,
                CANARY_SECRET)) {
            server.createBucket("canary-bucket");
            S3Credentials good = S3Credentials.of(CANARY_ACCESS, CANARY_SECRET);
            texts.add(good.toString());
            texts.add(S3Credentials.of(CANARY_ACCESS, CANARY_SECRET, CANARY_TOKEN).toString());
            // 1. a successful upload
            try (S3Sink s3 = base(server.endpoint(), tmp.resolve("ok"), events).credentials(good).build()) {
                texts.add(s3.toString());
                texts.add(s3.describe());
                upload(s3, "ok.webm");
                assertThat(s3.awaitUploads(Duration.ofSeconds(30))).isTrue();
            }
            // 2. a wrong secret: the store refuses the signature
            try (S3Sink s3 = base(server.endpoint(), tmp.resolve("bad"), events)
                    .credentials(S3Credentials.of(CANARY_ACCESS, CANARY_SECRET + "-wrong")).build()) {
                upload(s3, "bad.webm");
                assertThat(s3.awaitUploads(Duration.ofSeconds(30))).isFalse();
                s3.pending().forEach(p -> texts.add(p.toString()));
            }
            // 3. a session token against a store that is down: retries, then the sink closes with it pending
            int closedPort = S3TestServer.freePort();
            S3Sink s3 = base("http://127.0.0.1:" + closedPort, tmp.resolve("down"), events)
                    .credentials(S3Credentials.of(CANARY_ACCESS, CANARY_SECRET, CANARY_TOKEN)).build();
            upload(s3, "down.webm");
            assertThat(s3.awaitUploads(Duration.ofSeconds(2))).isFalse();
            s3.close();
            try {
                s3.open(new SegmentKey("x.webm"), true);
            } catch (IOException e) {
                texts.add(e.toString());
            }
            // 4. a credentials file that lacks the secret names the file, not its content
            Path creds = tmp.resolve("creds.properties");
            Files.writeString(creds, "access_key=" + CANARY_ACCESS + "\nsecret=" + CANARY_SECRET + "\n");
            try {
                S3Credentials.fromFile(creds);
            } catch (IOException e) {
                texts.add(e.toString());
            }
            try {
                S3Credentials.fromEnvironment(Map.of("S3_SECRET_KEY", CANARY_SECRET));
            } catch (IllegalArgumentException e) {
                texts.add(e.toString());
            }
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
            oldErr.print(captured.toString(StandardCharsets.UTF_8)); // the captured output stays visible
        }
        events.forEach(e -> texts.add(e.toString()));
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(UploadEvent.Uploaded.class));
        assertThat(events).anySatisfy(e -> assertThat(e.toString()).contains("SignatureDoesNotMatch"));
        assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(UploadEvent.Retrying.class));
        assertThat(log).contains("S3Sink"); // the sink did log (at debug too)
        assertThat(texts).isNotEmpty().allSatisfy(t -> assertThat(t).doesNotContain(CANARY_SECRET)
                .doesNotContain(CANARY_TOKEN).doesNotContain(CANARY_ACCESS));
        assertThat(log).doesNotContain(CANARY_SECRET).doesNotContain(CANARY_TOKEN);
    }

    private static S3Sink.Builder base(String endpoint, Path spool, List<UploadEvent> events) {
        return S3Sink.builder().bucket("canary-bucket").endpoint(endpoint).pathStyle(true).spool(spool)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200)).timeouts(Duration.ofSeconds(1),
                        Duration.ofSeconds(5)).listener(events::add);
    }

    private static void upload(S3Sink s3, String name) throws IOException {
        SegmentOutput out = s3.open(new SegmentKey(name), true);
        out.write(ByteBuffer.wrap(new byte[50_000]));
        out.commit();
    }
}
