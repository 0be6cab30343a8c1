package io.capstan.examples.cli;

import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import io.capstan.webrtc.browser.WhipPublisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code capstan whip} end to end: headless Chromium publishes its fake camera and microphone for 6 s while the
 * recorder rotates every 2 s. Rotation needs keyframes the browser would not send on its own (Chromium's VP8
 * keyframe interval is minutes), so the files prove that the PLIs Capstan sends before each cut reach the browser.
 */
class WhipCliTest {

    @TempDir
    Path tmp;

    record Running(CapstanCli cli, CompletableFuture<Integer> rc, ByteArrayOutputStream out,
                   ByteArrayOutputStream err) {
        String endpoint() {
            return "http://127.0.0.1:" + cli.serving().getPort() + "/whip";
        }
    }

    static Running whip(Map<String, String> env, String... args) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        CapstanCli cli = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), env);
        List<String> a = new ArrayList<>(List.of("whip"));
        a.addAll(List.of(args));
        CompletableFuture<Integer> rc = CompletableFuture.supplyAsync(() -> cli.run(a.toArray(new String[0])));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (cli.serving() == null && !rc.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(cli.serving()).as("capstan whip did not start: %s", e).isNotNull();
        return new Running(cli, rc, o, e);
    }

    @Test
    @SuppressWarnings("unchecked")
    void whip_recordsABrowser_rotatingAtKeyframesItAskedFor() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        Path out = tmp.resolve("out");
        Path report = tmp.resolve("report.json");
        Running w = whip(Map.of("WHIP_TOKEN", "t0ken"), "--port", "0", "--out", out.toString(),
                "--ice-address", "127.0.0.1", "--rotate", "2s", "--report", report.toString());
        Map<String, Object> page;
        try (WhipPublisher p = WhipPublisher.start()) {
            // without the token: refused before anything is allocated
            HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(w.endpoint()))
                    .header("Content-Type", "application/sdp").POST(HttpRequest.BodyPublishers.ofString("v=0\r\n"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            page = p.publish(new WhipPublisher.Publish(w.endpoint(), "t0ken", "VP8", "devices", 6.5),
                    Duration.ofSeconds(60));
        } finally {
            w.cli().stopServing();
        }
        int rc = w.rc().get(30, TimeUnit.SECONDS);
        String err = w.err().toString(StandardCharsets.UTF_8);
        assertThat(rc).as("exit code; stderr: %s", err).isZero();
        assertThat(page.get("connection")).as("page %s", page).isEqualTo("connected");
        assertThat(page.get("deleteStatus")).as("page %s", page).isEqualTo(200L);
        assertThat(err).contains("WHIP resource").contains("ended: deleted by the client").doesNotContain("Exception");

        Map<String, Object> rep = (Map<String, Object>) MiniJson.parse(Files.readString(report));
        List<Object> resources = (List<Object>) rep.get("resources");
        assertThat(resources).hasSize(1);
        Map<String, Object> transport = (Map<String, Object>) MiniJson.at(resources.get(0), "transport");
        assertThat(((Number) transport.get("plisSent")).longValue()).as("PLIs sent: %s", transport).isPositive();
        assertThat(((Number) transport.get("droppedAuthFailed")).longValue()).isZero();
        List<Object> files = (List<Object>) MiniJson.at(resources.get(0), "files");
        assertThat(files).as("a 6.5 s recording cut every 2 s; report %s", rep).hasSizeBetween(3, 4);
        double total = 0;
        for (Object f : files) {
            Path file = Path.of((String) MiniJson.at(f, "path"));
            assertThat(MediaTools.decodeErrors(file)).as("decode errors of %s", file).isEmpty();
            List<String[]> video = MediaTools.packets(file, 0);
            assertThat(video.get(0)[3]).as("%s starts with a keyframe (pts, dts, size, flags)", file).startsWith("K");
            total += MediaTools.probeDuration(file);
        }
        assertThat(total).as("the files together").isBetween(6.0, 7.0);
        List<Object> outbound = (List<Object>) page.get("outbound");
        long pli = 0;
        for (Object s : outbound) {
            Object n = MiniJson.at(s, "pliCount");
            pli += n == null ? 0 : ((Number) n).longValue();
        }
        assertThat(pli).as("PLIs the browser received; outbound %s", outbound).isPositive();
    }

    @Test
    void whip_badIceAddress_isAUsageError() throws Exception {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), Map.of())
                .run(new String[] {"whip", "--out", tmp.toString(), "--ice-address", "example.com"});
        assertThat(rc).isEqualTo(2);
        assertThat(e.toString(StandardCharsets.UTF_8)).contains("--ice-address needs IP addresses");
    }
}
