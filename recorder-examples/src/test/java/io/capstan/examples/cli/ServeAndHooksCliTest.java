package io.capstan.examples.cli;

import com.sun.net.httpserver.HttpServer;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code capstan convert} with {@code --hook}, {@code --metadata-url}, {@code --node-alias} and their environment
 * variables (flags win), and {@code capstan serve} over HTTP (RECORD_DIR, token, busy port).
 */
@Timeout(120)
class ServeAndHooksCliTest {

    @TempDir
    Path tmp;
    HttpServer index;
    final List<String> bodies = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    volatile int status = 200;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Run(int exit, String stdout, String stderr) {
    }

    @BeforeEach
    void startIndex() throws Exception {
        index = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        index.setExecutor(Executors.newFixedThreadPool(2));
        index.createContext("/segments", ex -> {
            requests.incrementAndGet();
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        index.start();
    }

    @AfterEach
    void stopIndex() {
        index.stop(0);
        ((java.util.concurrent.ExecutorService) index.getExecutor()).shutdownNow();
    }

    String indexUrl() {
        return "http://127.0.0.1:" + index.getAddress().getPort() + "/segments";
    }

    static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), env).run(args);
        return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static String[] convert(Path out, String fixture, String... more) {
        Path f = ConvertConformanceTest.FIXTURES;
        List<String> a = new ArrayList<>(List.of("convert", "--sdp", f.resolve(fixture + ".sdp").toString(),
                "--pcap", f.resolve(fixture + ".pcap").toString(), "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** A hook script that appends its two arguments to {@code log}. */
    Path script(Path log) throws Exception {
        Path s = tmp.resolve("hook.sh");
        Files.writeString(s, "#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> " + log + "\necho hook-ran\n");
        return s;
    }

    static Path only(Path dir, String ext) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(ext)).findFirst().orElseThrow();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void convert_runsHookAndReportsMetadata_flagsWinOverEnvironment() throws Exception {
        Path out = tmp.resolve("out");
        Path log = tmp.resolve("hook.log");
        Map<String, String> env = Map.of("RECORD_HOOK", "false", "RECORD_METADATA_URL", "http://127.0.0.1:1/nothing",
                "RECORD_NODE_ALIAS", "node-env");
        Run r = run(env, convert(out, "vp8_opus", "--hook", "sh " + script(log), "--metadata-url", indexUrl(),
                "--node-alias", "node-a"));
        assertThat(r.exit()).as(r.stderr()).isZero();
        Path webm = only(out, ".webm");
        assertThat(Files.readString(log)).isEqualTo("vp8_opus|" + webm.toAbsolutePath() + "\n");
        assertThat(r.stderr()).contains("hook-ran").doesNotContain("warning");
        assertThat(requests.get()).isEqualTo(1);
        Map<String, Object> j = (Map<String, Object>) MiniJson.parse(bodies.get(0));
        assertThat(j.get("stream")).isEqualTo("vp8_opus");
        assertThat(j.get("node")).isEqualTo("node-a");
        assertThat(j.get("path")).isEqualTo(webm.toString());
        assertThat((List<Object>) j.get("keyframesMicros")).hasSize(3);
        long start = ((Number) j.get("startMicros")).longValue();
        long end = ((Number) j.get("endMicros")).longValue();
        assertThat(end - start).isEqualTo(((Number) j.get("durationMicros")).longValue()).isBetween(2_800_000L, 3_200_000L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void convert_takesHookAndMetadataFromTheEnvironment() throws Exception {
        Path out = tmp.resolve("out");
        Path log = tmp.resolve("hook.log");
        Map<String, String> env = Map.of("RECORD_HOOK", "sh " + script(log), "RECORD_METADATA_URL", indexUrl(),
                "RECORD_NODE_ALIAS", "node-env");
        Run r = run(env, convert(out, "h264_aac", "--stream", "door"));
        assertThat(r.exit()).as(r.stderr()).isZero();
        Path mp4 = only(out, ".mp4");
        assertThat(Files.readString(log)).isEqualTo("door|" + mp4.toAbsolutePath() + "\n");
        Map<String, Object> j = (Map<String, Object>) MiniJson.parse(bodies.get(0));
        assertThat(j.get("node")).isEqualTo("node-env");
        assertThat(j.get("stream")).isEqualTo("door");
        assertThat((List<Object>) j.get("keyframesMicros")).hasSize(2);
    }

    @Test
    void convert_failingHookAndFailingIndex_areWarningsNotFailures() throws Exception {
        status = 500;
        Path out = tmp.resolve("out");
        long t0 = System.nanoTime();
        Run r = run(Map.of(), convert(out, "vp8_opus", "--hook", "false", "--metadata-url", indexUrl()));
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("wrote ");
        assertThat(r.stderr()).contains("warning: hook for").contains("failed")
                .contains("warning: metadata report for").contains("after 3 attempt(s): HTTP 500");
        assertThat(requests.get()).isEqualTo(3);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(30_000);
    }

    @Test
    void convert_badMetadataUrl_isAUsageError() {
        Run r = run(Map.of(), convert(tmp.resolve("out"), "vp8_opus", "--metadata-url", "ftp://x/y"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("bad --metadata-url");
    }

    /** Runs {@code capstan serve} in the background until {@code stopServing}. */
    record Served(CapstanCli cli, CompletableFuture<Integer> rc, ByteArrayOutputStream err) {
        String base() {
            return "http://127.0.0.1:" + cli.serving().getPort();
        }

        int stop() throws Exception {
            cli.stopServing();
            return rc.get(10, TimeUnit.SECONDS);
        }
    }

    static Served serve(Map<String, String> env, String... args) throws Exception {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        CapstanCli cli = new CapstanCli(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), env);
        List<String> a = new ArrayList<>(List.of("serve"));
        a.addAll(List.of(args));
        CompletableFuture<Integer> rc = CompletableFuture.supplyAsync(() -> cli.run(a.toArray(new String[0])));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (cli.serving() == null && !rc.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return new Served(cli, rc, e);
    }

    @Test
    @SuppressWarnings("unchecked")
    void serve_listsAndCutsWhatConvertWrote_dirFromTheEnvironment() throws Exception {
        MediaTools.require("ffprobe", "ffmpeg");
        Path records = tmp.resolve("records");
        assertThat(run(Map.of(), convert(records, "vp8_opus")).exit()).isZero();
        assertThat(run(Map.of(), convert(records, "h264_aac")).exit()).isZero();
        Served s = serve(Map.of("RECORD_DIR", records.toString()), "--port", "0", "--bind", "127.0.0.1");
        try {
            assertThat(s.cli().serving()).as(s.err().toString()).isNotNull();
            assertThat(s.err().toString(StandardCharsets.UTF_8)).contains("serving");
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(s.base() + "/api/records"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            List<Object> entries = (List<Object>) MiniJson.parse(list.body());
            assertThat(entries).hasSize(2);
            Map<String, Object> webm = (Map<String, Object>) entries.stream()
                    .filter(x -> ((Map<String, Object>) x).get("name").toString().endsWith(".webm")).findFirst()
                    .orElseThrow();
            assertThat(webm.get("stream")).isEqualTo("vp8_opus");
            assertThat(((Number) webm.get("durationMs")).longValue()).isBetween(2800L, 3200L);
            assertThat(((Number) webm.get("startMs")).longValue()).isPositive();
            for (Object o : entries) {
                Map<String, Object> e = (Map<String, Object>) o;
                boolean isWebm = e.get("name").toString().endsWith(".webm");
                String query = isWebm ? "?start=1.5&end=2.5" : "?start=1.2&end=1.9";
                HttpResponse<byte[]> cut = http.send(HttpRequest.newBuilder(URI.create(s.base() + e.get("url") + query))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(cut.statusCode()).as(new String(cut.body(), StandardCharsets.UTF_8)).isEqualTo(200);
                Path f = tmp.resolve("cut-" + (isWebm ? "a.webm" : "b.mp4"));
                Files.write(f, cut.body());
                assertThat(MediaTools.decodeErrors(f)).isEmpty();
                // from the keyframe at 1 s
                assertThat(MediaTools.probeDuration(f)).isCloseTo(isWebm ? 1.5 : 0.9, within(0.1));
            }
            try (Stream<Path> cuts = Files.list(records.resolve(".cuts"))) {
                assertThat(cuts.map(p -> p.getFileName().toString()))
                        .anyMatch(n -> n.endsWith("-s1.5-e2.5.webm")).anyMatch(n -> n.endsWith("-s1.2-e1.9.mp4"));
            }
        } finally {
            assertThat(s.stop()).isZero();
        }
    }

    @Test
    void serve_flagWinsOverRecordDir_tokenRequired() throws Exception {
        Path records = Files.createDirectories(tmp.resolve("records"));
        Served s = serve(Map.of("RECORD_DIR", tmp.resolve("nowhere").toString(), "RECORD_TOKEN", "env-token"),
                "--dir", records.toString(), "--port", "0", "--bind", "127.0.0.1", "--token", "t0k");
        try {
            assertThat(s.cli().serving()).as(s.err().toString()).isNotNull();
            URI u = URI.create(s.base() + "/api/records");
            assertThat(http.send(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode()).isEqualTo(401);
            assertThat(http.send(HttpRequest.newBuilder(u).header("Authorization", "Bearer env-token").build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(u).header("Authorization", "Bearer t0k")
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("[]");
        } finally {
            assertThat(s.stop()).isZero();
        }
    }

    @Test
    void serve_busyPort_isAClearError() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run r = run(Map.of(), "serve", "--dir", tmp.toString(), "--port", Integer.toString(busy.getLocalPort()),
                    "--bind", "127.0.0.1");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.stderr()).contains("cannot listen on 127.0.0.1 port " + busy.getLocalPort())
                    .contains("another server");
        }
    }

    @Test
    void serve_usageErrors() {
        Map<String, String> noEnv = new HashMap<>();
        assertThat(run(noEnv, "serve", "--port", "0").stderr()).contains("serve needs --dir DIR (or RECORD_DIR)");
        assertThat(run(noEnv, "serve", "--dir", tmp.resolve("missing").toString()).stderr())
                .contains("not a directory");
        assertThat(run(noEnv, "serve", "--dir", tmp.toString(), "--port", "99999").exit()).isEqualTo(2);
        assertThat(run(noEnv, "serve", "--dir", tmp.toString(), "--disposition", "maybe").stderr())
                .contains("inline or attachment");
    }
}
