package io.capstan.records;

import com.sun.net.httpserver.HttpServer;
import io.capstan.mux.testing.Tools;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The records handler on a real JDK HTTP server (ephemeral port) with a real HTTP client. */
@Timeout(120)
class RecordsHttpHandlerTest {

    static final String SECRET = "top secret outside the root";
    static final String WEBM = "cam_20261121T100000Z.webm";
    static final String MP4 = "door/door_20261121T100000Z.mp4";

    @TempDir
    static Path dir;
    static Path root;
    static HttpServer server;
    static HttpServer tokenServer;
    static HttpServer attachmentServer;
    static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        root = dir.resolve("root");
        Files.createDirectories(root.resolve("door"));
        Recordings.webm(dir.resolve("work-webm"), root.resolve(WEBM), 6);
        Recordings.mp4(dir.resolve("work-mp4"), root.resolve(MP4), 6);
        Files.writeString(root.resolve("cam_20261121T110000Z.webm.part"), "being written");
        Files.writeString(root.resolve(".hidden.webm"), "hidden");
        Files.writeString(dir.resolve("secret.txt"), SECRET);
        Files.writeString(dir.resolve("secret.webm"), SECRET);
        Files.createSymbolicLink(root.resolve("link.webm"), dir.resolve("secret.webm"));
        Files.createSymbolicLink(root.resolve("linkdir"), dir);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = RecordsHttpHandler.builder(root).build().start(any, 4);
        tokenServer = RecordsHttpHandler.builder(root).token("s3cr3t").build().start(any, 2);
        attachmentServer = RecordsHttpHandler.builder(root).disposition(RecordsHttpHandler.Disposition.ATTACHMENT)
                .build().start(any, 2);
    }

    @AfterAll
    static void stop() {
        for (HttpServer s : new HttpServer[] {server, tokenServer, attachmentServer}) {
            if (s != null) {
                s.stop(0);
            }
        }
    }

    static String base(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    static HttpResponse<byte[]> get(HttpServer s, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(s) + path)).timeout(Duration.ofSeconds(60));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    @SuppressWarnings("unchecked")
    void listing_namesSizesTimesStreams_noPartsHiddenFilesOrCuts() throws Exception {
        assertThat(get(server, "/records/" + WEBM + "?start=1&end=2").statusCode()).isEqualTo(200); // makes a cut
        HttpResponse<byte[]> r = get(server, "/api/records");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        List<Object> list = (List<Object>) MiniJson.parse(new String(r.body(), StandardCharsets.UTF_8));
        assertThat(list).extracting(o -> ((Map<String, Object>) o).get("name")).containsExactly(WEBM, MP4);
        Map<String, Object> w = (Map<String, Object>) list.get(1 - 1);
        assertThat(((Number) w.get("size")).longValue()).isEqualTo(Files.size(root.resolve(WEBM)));
        assertThat(w.get("url")).isEqualTo("/records/" + WEBM);
        assertThat(w.get("stream")).isEqualTo("cam");
        assertThat(((Number) w.get("startMs")).longValue()).isEqualTo(Recordings.T0.toEpochMilli());
        assertThat(((Number) w.get("durationMs")).longValue()).isBetween(5900L, 6100L);
        assertThat(w.get("modTime").toString()).endsWith("Z");
        Map<String, Object> m = (Map<String, Object>) list.get(1);
        assertThat(m.get("stream")).isEqualTo("door");
        assertThat(m.get("url")).isEqualTo("/records/" + MP4);
        assertThat(((Number) m.get("durationMs")).longValue()).isBetween(5900L, 6100L);
    }

    @Test
    void fullGet_rangeGet_suffixRange_openRange_badRange_head() throws Exception {
        byte[] file = Files.readAllBytes(root.resolve(WEBM));
        HttpResponse<byte[]> full = get(server, "/records/" + WEBM);
        assertThat(full.statusCode()).isEqualTo(200);
        assertThat(full.body()).isEqualTo(file);
        assertThat(full.headers().firstValue("Content-Type")).contains("video/webm");
        assertThat(full.headers().firstValue("Accept-Ranges")).contains("bytes");
        assertThat(full.headers().firstValue("Content-Disposition")).contains("inline; filename=\"" + WEBM + "\"");

        HttpResponse<byte[]> part = get(server, "/records/" + WEBM, "Range", "bytes=100-1099");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("Content-Range")).contains("bytes 100-1099/" + file.length);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(file, 100, 1100));

        HttpResponse<byte[]> suffix = get(server, "/records/" + WEBM, "Range", "bytes=-500");
        assertThat(suffix.statusCode()).isEqualTo(206);
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(file, file.length - 500, file.length));

        HttpResponse<byte[]> open = get(server, "/records/" + WEBM, "Range", "bytes=" + (file.length - 10) + "-");
        assertThat(open.statusCode()).isEqualTo(206);
        assertThat(open.body()).isEqualTo(Arrays.copyOfRange(file, file.length - 10, file.length));

        HttpResponse<byte[]> beyond = get(server, "/records/" + WEBM, "Range", "bytes=" + file.length + "-");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("Content-Range")).contains("bytes */" + file.length);

        HttpResponse<byte[]> clamped = get(server, "/records/" + WEBM, "Range", "bytes=0-99999999999");
        assertThat(clamped.statusCode()).isEqualTo(206);
        assertThat(clamped.body()).isEqualTo(file);

        HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(URI.create(base(server) + "/records/" + WEBM))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("Content-Length")).contains(Long.toString(file.length));

        HttpResponse<byte[]> mp4 = get(server, "/records/" + MP4, "Range", "bytes=0-7");
        assertThat(mp4.statusCode()).isEqualTo(206);
        assertThat(mp4.headers().firstValue("Content-Type")).contains("video/mp4");
        assertThat(new String(mp4.body(), 4, 4, StandardCharsets.US_ASCII)).isEqualTo("ftyp");

        assertThat(get(server, "/records/nothing.webm").statusCode()).isEqualTo(404);
        assertThat(get(server, "/elsewhere").statusCode()).isEqualTo(404);
        assertThat(client.send(HttpRequest.newBuilder(URI.create(base(server) + "/records/" + WEBM))
                .DELETE().build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(405);
    }

    @Test
    void dispositionAttachment() throws Exception {
        HttpResponse<byte[]> r = get(attachmentServer, "/records/" + MP4, "Range", "bytes=0-0");
        assertThat(r.headers().firstValue("Content-Disposition"))
                .contains("attachment; filename=\"door_20261121T100000Z.mp4\"");
    }

    @Test
    void bearerToken() throws Exception {
        HttpResponse<byte[]> none = get(tokenServer, "/api/records");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer");
        assertThat(get(tokenServer, "/records/" + WEBM).statusCode()).isEqualTo(401);
        assertThat(get(tokenServer, "/api/records", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(get(tokenServer, "/api/records", "Authorization", "Basic czNjcjN0").statusCode()).isEqualTo(401);
        assertThat(get(tokenServer, "/api/records", "Authorization", "Bearer s3cr3t").statusCode()).isEqualTo(200);
        assertThat(get(tokenServer, "/records/" + WEBM, "Authorization", "Bearer s3cr3t", "Range", "bytes=0-3")
                .statusCode()).isEqualTo(206);
    }

    /** Sends a raw request line (no client-side normalization or validation) and returns status + body. */
    static String raw(String target) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            o.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
            return "HTTP/1.1 000 connection closed by server";
        }
    }

    @Test
    void traversalCorpus_neverServesAFileOutsideTheRoot() throws Exception {
        List<String> corpus = List.of(
                "/records/../secret.txt", "/records/../../etc/passwd", "/records/..%2fsecret.txt",
                "/records/%2e%2e%2fsecret.txt", "/records/%2e%2e/secret.txt", "/records/%2E%2E/secret.txt",
                "/records/..%5csecret.txt", "/records/..\\secret.txt", "/records/%2fetc%2fpasswd",
                "/records//etc/passwd", "/records/%2Fetc/passwd", "/records/door/../../secret.txt",
                "/records/door/%2e%2e/%2e%2e/secret.txt", "/records/%252e%252e/secret.txt",
                "/records/secret.txt%00.webm", "/records/%00", "/records/%c0%ae%c0%ae/secret.txt",
                "/records/link.webm", "/records/linkdir/secret.txt",
                "/records/.cuts", "/records/.hidden.webm", "/records/./" + WEBM, "/records/C:/secret.txt",
                "/records/" + dir.resolve("secret.txt"), "/records/file:" + dir.resolve("secret.txt"),
                "/records/%", "/records/%zz", "/records/", "/records/door", "/records/door/");
        for (String target : corpus) {
            String resp = raw(target);
            String status = resp.length() >= 12 ? resp.substring(9, 12) : resp;
            assertThat(status).as(target).isIn("400", "404", "000");
            assertThat(resp).as(target).doesNotContain(SECRET);
        }
        // a link that leads back into the root serves what is in the root, nothing else
        assertThat(raw("/records/linkdir/root/" + WEBM)).startsWith("HTTP/1.1 200");
        // and a legitimate nested name still works
        assertThat(raw("/records/door/door_20261121T100000Z.mp4")).startsWith("HTTP/1.1 200");
    }

    @Test
    void cut_webm_isCachedAndDecodes() throws Exception {
        HttpResponse<byte[]> r = get(server, "/records/" + WEBM + "?start=2.5&end=4.5");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("video/webm");
        assertThat(r.headers().firstValue("Content-Disposition").orElse(""))
                .contains("cam_20261121T100000Z-s2.5-e4.5.webm");
        Path cached = root.resolve(".cuts/cam_20261121T100000Z-s2.5-e4.5.webm");
        assertThat(cached).exists();
        assertThat(r.body()).isEqualTo(Files.readAllBytes(cached));
        Tools.assertDecodesCleanly(cached);
        assertThat(MediaTools.probeDuration(cached)).isCloseTo(2.5, within(0.1)); // from the keyframe at 2 s
        var modified = Files.getLastModifiedTime(cached);
        Thread.sleep(20);
        HttpResponse<byte[]> again = get(server, "/records/" + WEBM + "?start=2.5&end=4.5", "Range", "bytes=0-99");
        assertThat(again.statusCode()).isEqualTo(206);
        assertThat(Files.getLastModifiedTime(cached)).isEqualTo(modified); // served from the cache
    }

    @Test
    void cut_mp4_inASubdirectory() throws Exception {
        HttpResponse<byte[]> r = get(server, "/records/" + MP4 + "?start=11&end=60");
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(416); // 6 s recording
        HttpResponse<byte[]> ok = get(server, "/records/" + MP4 + "?start=1.3&end=3.7");
        assertThat(ok.statusCode()).isEqualTo(200);
        Path cached = root.resolve(".cuts/door/door_20261121T100000Z-s1.3-e3.7.mp4");
        assertThat(cached).exists();
        Tools.assertDecodesCleanly(cached);
        assertThat(MediaTools.probeDuration(cached)).isCloseTo(2.7, within(0.1)); // from the keyframe at 1 s
    }

    @Test
    void cut_badParameters() throws Exception {
        assertThat(get(server, "/records/" + WEBM + "?start=abc&end=2").statusCode()).isEqualTo(400);
        assertThat(get(server, "/records/" + WEBM + "?start=3&end=2").statusCode()).isEqualTo(400);
        assertThat(get(server, "/records/" + WEBM + "?start=-1&end=2").statusCode()).isEqualTo(400);
        assertThat(get(server, "/records/" + WEBM + "?start=1e3&end=2e3").statusCode()).isEqualTo(400);
    }
}
