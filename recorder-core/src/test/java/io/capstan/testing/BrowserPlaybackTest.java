package io.capstan.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * The harness itself: its HTTP server answers ranges as Chromium asks for them, a Chromium that does not start is a
 * failure (never a pass), a missing Chromium is a visible skip (a failure under CI), and a page that never ends
 * comes back as a timeout with its state instead of hanging.
 */
class BrowserPlaybackTest {

    @TempDir
    Path dir;

    private static HttpResponse<byte[]> get(BrowserPlayback b, String path, String range) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(b.baseUrl() + path)).timeout(Duration.ofSeconds(10));
        if (range != null) {
            r.header("Range", range);
        }
        return HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void httpServer_contentTypesAndRanges() throws Exception {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        Files.write(dir.resolve("a.webm"), data);
        Files.write(dir.resolve("b.m4s"), data);
        Files.write(dir.resolve("c.m3u8"), data);
        Files.write(dir.resolve("d.opus"), data);
        try (BrowserPlayback b = new BrowserPlayback(dir, "unused")) {
            HttpResponse<byte[]> whole = get(b, "a.webm", null);
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.headers().firstValue("Content-Type")).hasValue("video/webm");
            assertThat(whole.headers().firstValue("Accept-Ranges")).hasValue("bytes");
            assertThat(whole.body()).isEqualTo(data);

            HttpResponse<byte[]> mid = get(b, "a.webm", "bytes=100-199");
            assertThat(mid.statusCode()).isEqualTo(206);
            assertThat(mid.headers().firstValue("Content-Range")).hasValue("bytes 100-199/1000");
            assertThat(mid.body()).hasSize(100).startsWith((byte) 100);

            HttpResponse<byte[]> open = get(b, "a.webm", "bytes=990-");
            assertThat(open.statusCode()).isEqualTo(206);
            assertThat(open.headers().firstValue("Content-Range")).hasValue("bytes 990-999/1000");
            assertThat(open.body()).hasSize(10);

            HttpResponse<byte[]> suffix = get(b, "a.webm", "bytes=-4");
            assertThat(suffix.headers().firstValue("Content-Range")).hasValue("bytes 996-999/1000");
            assertThat(suffix.body()).containsExactly((byte) 996, (byte) 997, (byte) 998, (byte) 999);

            HttpResponse<byte[]> past = get(b, "a.webm", "bytes=5000-");
            assertThat(past.statusCode()).isEqualTo(416);
            assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */1000");

            HttpResponse<byte[]> clipped = get(b, "a.webm", "bytes=900-5000");
            assertThat(clipped.headers().firstValue("Content-Range")).hasValue("bytes 900-999/1000");

            assertThat(get(b, "b.m4s", null).headers().firstValue("Content-Type")).hasValue("video/iso.segment");
            assertThat(get(b, "c.m3u8", null).headers().firstValue("Content-Type"))
                    .hasValue("application/vnd.apple.mpegurl");
            assertThat(get(b, "d.opus", null).headers().firstValue("Content-Type")).hasValue("audio/ogg");
            assertThat(get(b, "nope.webm", null).statusCode()).isEqualTo(404);
            assertThat(get(b, "..%2F..%2Fetc%2Fpasswd", null).statusCode()).isEqualTo(404);
            assertThat(b.requestLog()).anyMatch(l -> l.contains("[bytes=100-199] -> 206 100-199/1000"));
        }
    }

    @Test
    void chromiumThatDoesNotStart_isAFailureNotAPass() throws IOException {
        Files.write(dir.resolve("a.webm"), new byte[16]);
        try (BrowserPlayback b = new BrowserPlayback(dir, "/bin/false")) {
            assertThatThrownBy(() -> b.play(BrowserPlayback.Playback.video("a.webm", "video/webm")))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("chromium exited with 1 before the page");
        }
    }

    @Test
    void missingChromium_isAVisibleSkip_orAFailureUnderCi() {
        String oldBin = System.getProperty("capstan.chromium");
        String oldReq = System.getProperty("capstan.requireTools");
        try {
            System.setProperty("capstan.chromium", dir.resolve("no-such-chromium").toString());
            System.setProperty("capstan.requireTools", "false");
            assertThat(BrowserPlayback.chromium()).isEmpty();
            assertThatThrownBy(BrowserPlayback::require).isInstanceOf(TestAbortedException.class)
                    .hasMessageContaining("chromium is not installed");
            System.setProperty("capstan.requireTools", "true");
            assertThatThrownBy(BrowserPlayback::require).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("chromium is not installed");
        } finally {
            restore("capstan.chromium", oldBin);
            restore("capstan.requireTools", oldReq);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    /** A real Chromium: a broken file is a MediaError and not 'ended'; a page that cannot finish times out. */
    @Test
    void realChromium_reportsErrorsAndTimeouts() throws IOException {
        BrowserPlayback.require();
        MediaTools.require("ffmpeg");
        Files.write(dir.resolve("junk.webm"), "this is not a media file at all".repeat(100).getBytes());
        MediaTools.Run ff = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=160x120:rate=10", "-t", "6", "-c:v", "libvpx", "-b:v", "50k",
                dir.resolve("six.webm").toString()));
        assertThat(ff.exit()).as(ff.stderr()).isZero();
        try (BrowserPlayback b = BrowserPlayback.serve(dir)) {
            BrowserPlayback.Report junk = b.play(BrowserPlayback.Playback.video("junk.webm", "video/webm; codecs=\"vp8\""));
            assertThat(junk.outcome()).as(junk.toString()).isEqualTo("error");
            assertThat(junk.ended()).isFalse();
            assertThat(junk.errorCode()).as(junk.toString()).isIn(3, 4);
            assertThat(junk.canPlayType()).isEqualTo("probably");

            // 6 s of video at normal speed cannot end within a 2 s page timeout
            BrowserPlayback.Report slow = b.play(BrowserPlayback.Playback.video("six.webm", "video/webm; codecs=\"vp8\"")
                    .rate(1.0).timeout(Duration.ofSeconds(2)));
            assertThat(slow.outcome()).as(slow.toString()).isEqualTo("timeout");
            assertThat(slow.ended()).isFalse();
            assertThat(slow.durationAtMetadata()).as(slow.toString()).isCloseTo(6.0, offset(0.1));
            assertThat(slow.videoWidth()).isEqualTo(160);
            assertThat(slow.currentTime()).as(slow.toString()).isBetween(0.1, 3.0);
            assertThat(slow.wallMillis()).isLessThan(20_000);
        }
    }
}
