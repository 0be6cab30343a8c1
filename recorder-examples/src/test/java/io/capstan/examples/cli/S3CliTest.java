package io.capstan.examples.cli;

import io.capstan.storage.s3.testing.S3TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code capstan convert} / {@code capstan upload} with S3 against a real S3 server (S3Proxy): the files the CLI
 * records arrive byte-identical under prefix + name; with the store down the recording is kept in the spool,
 * reported, and {@code capstan upload --spool DIR} finishes it; secrets come only from the environment.
 */
@Timeout(180)
class S3CliTest {

    static final Path FIXTURES = ConvertConformanceTest.FIXTURES;
    static final String BUCKET = "cli-recordings";
    static final String CANARY_SECRET = "cli-canary-SECRET-5e6f7a8b";

    @TempDir
    Path tmp;
    S3TestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new S3TestServer(Files.createDirectories(tmp.resolve("s3")), "cli-access", CANARY_SECRET);
        server.createBucket(BUCKET);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    record Run(int rc, String out, String err) {
    }

    Run capstan(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env).run(args);
        Run r = new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertThat(r.out() + r.err()).doesNotContain(CANARY_SECRET);
        return r;
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("S3_ACCESS_KEY", "cli-access");
        env.put("S3_SECRET_KEY", CANARY_SECRET);
        env.put("S3_REGION", "eu-central-1");
        env.put("S3_USE_SSL", "false");
        return env;
    }

    /** Local recordings under {@code dir} (relative path → bytes), the spool's records left out. */
    static Map<String, byte[]> localFiles(Path dir) throws Exception {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (!rel.startsWith(".capstan-uploads") && !rel.endsWith(".json")) {
                    m.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return m;
    }

    @Test
    void convert_uploadsEveryFile_byteIdentical_flagsWinOverEnvironment() throws Exception {
        Path out = tmp.resolve("out");
        Map<String, String> env = env();
        env.put("S3_BUCKET", "not-this-bucket"); // the flag wins
        env.put("S3_PREFIX", "env-prefix");
        Run r = capstan(env, "convert", "--sdp", FIXTURES.resolve("vp8_opus.sdp").toString(), "--pcap",
                FIXTURES.resolve("vp8_opus.pcap").toString(), "--out", out.toString(), "--s3-endpoint",
                "127.0.0.1:" + server.port(), "--s3-bucket", BUCKET, "--s3-prefix", "rec/", "--s3-path-style",
                "--report", out.resolve("report.json").toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("uploaded s3://" + BUCKET + "/rec/");
        Map<String, byte[]> local = localFiles(out);
        assertThat(local).isNotEmpty();
        for (Map.Entry<String, byte[]> e : local.entrySet()) {
            assertThat(server.sha256(BUCKET, "rec/" + e.getKey())).as(e.getKey())
                    .isEqualTo(S3TestServer.sha256(e.getValue()));
        }
        assertThat(Files.readString(out.resolve("report.json"))).contains("s3://" + BUCKET + "/rec/");

        // DASH through a real session: the object group (init, segments, the manifest replaced while recording)
        // arrives whole, each object identical to its local copy
        Path dash = tmp.resolve("dash");
        Map<String, String> env2 = env();
        env2.put("UPLOAD_RECORDINGS", "true");
        env2.put("S3_BUCKET", BUCKET);
        env2.put("S3_ENDPOINT", "http://127.0.0.1:" + server.port());
        env2.put("S3_PATH_STYLE", "true");
        env2.put("S3_PREFIX", "dash");
        Run r2 = capstan(env2, "convert", "--sdp", FIXTURES.resolve("h264_aac.sdp").toString(), "--pcap",
                FIXTURES.resolve("h264_aac.pcap").toString(), "--out", dash.toString(), "--container", "dash");
        assertThat(r2.rc()).as(r2.err()).isZero();
        Map<String, byte[]> expected = localFiles(dash);
        assertThat(expected.keySet()).anyMatch(k -> k.endsWith(".mpd")).anyMatch(k -> k.endsWith(".m4s"));
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertThat(server.sha256(BUCKET, "dash/" + e.getKey())).as(e.getKey())
                    .isEqualTo(S3TestServer.sha256(e.getValue()));
        }
    }

    @Test
    void storeDown_recordingKeptAndReported_thenCapstanUploadFinishesIt() throws Exception {
        Path out = tmp.resolve("out");
        server.stop();
        Map<String, String> env = env();
        env.put("S3_BUCKET", BUCKET);
        env.put("S3_ENDPOINT", "http://127.0.0.1:" + server.port());
        env.put("S3_PATH_STYLE", "1");
        Run r = capstan(env, "convert", "--sdp", FIXTURES.resolve("h264_aac.sdp").toString(), "--pcap",
                FIXTURES.resolve("h264_aac.pcap").toString(), "--out", out.toString(), "--container", "ts",
                "--s3-bucket", BUCKET, "--delete-after-upload", "--upload-timeout", "2s");
        assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(CapstanCli.EXIT_UPLOAD_PENDING);
        assertThat(r.err()).contains("retrying").contains("not finished (waited up to 2 s)")
                .contains("capstan upload --spool " + out.toAbsolutePath());
        Map<String, byte[]> local = localFiles(out);
        assertThat(local).hasSize(1); // kept: never confirmed by the store
        String name = local.keySet().iterator().next();
        assertThat(name).endsWith(".ts");

        server.start();
        // no bucket configured: the spooled record names it
        Map<String, String> env2 = env();
        env2.put("S3_ENDPOINT", "http://127.0.0.1:" + server.port());
        env2.put("S3_PATH_STYLE", "true");
        Run up = capstan(env2, "upload", "--spool", out.toString(), "--upload-timeout", "60s");
        assertThat(up.rc()).as(up.err()).isZero();
        assertThat(up.out()).contains("resuming 1 upload(s)").contains("uploaded s3://" + BUCKET + "/" + name)
                .contains("local file deleted");
        assertThat(server.sha256(BUCKET, name)).isEqualTo(S3TestServer.sha256(local.get(name)));
        assertThat(localFiles(out)).isEmpty();
        Run again = capstan(env2, "upload", "--spool", out.toString());
        assertThat(again.rc()).isZero();
        assertThat(again.out()).contains("nothing to upload");
    }

    @Test
    void secretsAreNeverAcceptedAsFlags_andNeverEchoed() {
        List<Run> runs = new ArrayList<>();
        runs.add(capstan(env(), "convert", "--s3-secret-key=" + CANARY_SECRET));
        runs.add(capstan(env(), "convert", "--s3-secret-key", CANARY_SECRET));
        runs.add(capstan(env(), "upload", "--spool", tmp.toString(), "--s3-access-key", "x"));
        runs.add(capstan(env(), "convert", "--bogus=" + CANARY_SECRET));
        for (Run r : runs) {
            assertThat(r.rc()).isEqualTo(2);
        }
        assertThat(runs.get(0).err()).contains("S3_SECRET_KEY").contains("never from the command line");
        Map<String, String> half = env();
        half.remove("S3_ACCESS_KEY");
        half.put("UPLOAD_RECORDINGS", "true");
        half.put("S3_BUCKET", BUCKET);
        Run r = capstan(half, "convert", "--sdp", FIXTURES.resolve("vp8_opus.sdp").toString(), "--pcap",
                FIXTURES.resolve("vp8_opus.pcap").toString(), "--out", tmp.resolve("x").toString());
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("S3_ACCESS_KEY and S3_SECRET_KEY must be set together");
    }
}
