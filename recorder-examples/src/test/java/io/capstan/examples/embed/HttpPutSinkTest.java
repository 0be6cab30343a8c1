package io.capstan.examples.embed;

import com.sun.net.httpserver.HttpServer;
import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's custom sink ({@link HttpPutSink}) against a real local HTTP server (com.sun.net.httpserver). */
@Timeout(60)
class HttpPutSinkTest {

    @TempDir
    Path spool;
    HttpServer server;
    final Map<String, byte[]> stored = new ConcurrentHashMap<>();
    final AtomicInteger failNext = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/dav/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                byte[] body = in.readAllBytes();
                if (!ex.getRequestMethod().equals("PUT") || failNext.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
                    ex.sendResponseHeaders(500, -1);
                } else {
                    stored.put(ex.getRequestURI().getPath(), body);
                    ex.sendResponseHeaders(201, -1);
                }
            }
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/dav/");
    }

    @Test
    void segmentsArriveByteIdentical_localFilesDeletedAfterTheServerAccepted() throws Exception {
        HttpPutSink sink = new HttpPutSink(base(), spool);
        byte[] a = new byte[300_000];
        new Random(1).nextBytes(a);
        SegmentOutput out = sink.open(new SegmentKey("cam/a.webm"), true);
        out.write(ByteBuffer.wrap(a));
        SeekableOutput so = out.seekable().orElseThrow(); // header patch on close, as WebM/MP4 do
        so.position(10);
        so.write(ByteBuffer.wrap(new byte[] {9, 9, 9}));
        a[10] = 9;
        a[11] = 9;
        a[12] = 9;
        out.commit();
        byte[] b = "OggS...".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        SegmentOutput out2 = sink.open(new SegmentKey("cam/b.ogg"), false);
        out2.write(ByteBuffer.wrap(b));
        out2.commit();
        assertThat(sink.awaitUploads()).isTrue();
        assertThat(stored.get("/dav/cam/a.webm")).isEqualTo(a);
        assertThat(stored.get("/dav/cam/b.ogg")).isEqualTo(b);
        assertThat(out.location()).isEqualTo(base() + "cam/a.webm");
        assertThat(spool.resolve("cam/a.webm")).doesNotExist();
        assertThat(spool.resolve("cam/b.ogg")).doesNotExist();
    }

    @Test
    void aRefusedPut_keepsTheLocalFile_andIsReported() throws Exception {
        HttpPutSink sink = new HttpPutSink(base(), spool);
        failNext.set(1);
        SegmentOutput out = sink.open(new SegmentKey("cam/c.ts"), false);
        out.write(ByteBuffer.wrap(new byte[188 * 10]));
        out.commit();
        assertThat(sink.awaitUploads()).isFalse();
        assertThat(sink.failures).singleElement().asString().contains("HTTP 500");
        assertThat(spool.resolve("cam/c.ts")).exists().hasSize(1880);
        assertThat(stored).isEmpty();
    }
}
