package io.capstan.examples.cli;

import com.sun.net.httpserver.HttpServer;
import io.capstan.records.RecordsHttpHandler;
import io.capstan.testing.BrowserPlayback;
import io.capstan.testing.BrowserPlayback.Playback;
import io.capstan.testing.BrowserPlayback.Report;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * A cut served by {@code GET /records/NAME?start=S&end=E} plays in headless Chromium to its end: the VP8 + Opus
 * capture converted by the CLI, cut from 1.5 s (keyframe at 1 s) to 2.5 s, fetched with a real HTTP client and
 * played in a {@code <video>} element ({@link BrowserPlayback}). This Chromium has no H.264, so the browser check
 * uses WebM; the MP4 cut is checked by ffmpeg in {@link ServeAndHooksCliTest}.
 */
@Timeout(180)
class ChromiumCutPlaybackTest {

    @TempDir
    Path tmp;

    @Test
    void webmCut_playsToItsEnd() throws Exception {
        BrowserPlayback.require();
        MediaTools.require("ffprobe", "ffmpeg");
        Path records = tmp.resolve("records");
        Path f = ConvertConformanceTest.FIXTURES;
        int rc = new CapstanCli(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of())
                .run(new String[] {"convert", "--sdp", f.resolve("vp8_opus.sdp").toString(), "--pcap",
                        f.resolve("vp8_opus.pcap").toString(), "--out", records.toString(), "--stream", "cam"});
        assertThat(rc).isZero();
        String name;
        try (Stream<Path> s = Files.list(records)) {
            name = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".webm")).findFirst().orElseThrow();
        }
        HttpServer server = RecordsHttpHandler.builder(records).build()
                .start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2);
        Path played = Files.createDirectories(tmp.resolve("played"));
        try {
            HttpResponse<Path> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + server.getAddress().getPort() + "/records/" + name
                                    + "?start=1.5&end=2.5")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofFile(played.resolve("cut.webm")));
            assertThat(r.statusCode()).isEqualTo(200);
        } finally {
            server.stop(0);
        }
        Path cut = played.resolve("cut.webm");
        assertThat(MediaTools.decodeErrors(cut)).isEmpty();
        double probed = MediaTools.probeDuration(cut);
        assertThat(probed).isCloseTo(1.5, offset(0.1));
        List<Map<String, String>> streams = MediaTools.probeStreams(cut);
        int frames = Integer.parseInt(streams.stream().filter(s -> "video".equals(s.get("codec_type"))).findFirst()
                .orElseThrow().get("nb_read_frames"));

        Report rep;
        try (BrowserPlayback b = BrowserPlayback.serve(played)) {
            rep = b.play(Playback.video("cut.webm", "video/webm; codecs=\"vp8, opus\""));
        }
        System.out.printf("chromium cut %s: %s duration=%.3f (ffprobe %.3f) frames=%d (ffprobe %d) %dx%d%n", name,
                rep.outcome(), rep.duration(), probed, rep.totalVideoFrames(), frames, rep.videoWidth(),
                rep.videoHeight());
        assertThat(rep.errorCode()).as("MediaError %s", rep).isZero();
        assertThat(rep.ended()).as("'ended' fired: %s", rep).isTrue();
        assertThat(rep.duration()).as("duration vs ffprobe: %s", rep).isCloseTo(probed, offset(0.3));
        assertThat(rep.currentTime()).as("played to the end: %s", rep).isCloseTo(rep.duration(), offset(0.05));
        assertThat(rep.videoWidth() + "x" + rep.videoHeight()).isEqualTo("320x240");
        assertThat(rep.totalVideoFrames()).as("frames decoded: %s", rep).isEqualTo(frames);
        assertThat(rep.audioDecodedBytes()).as("audio decoded: %s", rep).isPositive();
    }
}
