package io.capstan.examples.embed;

import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.StorageSink;
import io.capstan.storage.fs.FileSystemSink;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A storage backend written by a host (the README's custom-sink example): each segment is written to a local
 * spool file (a {@link FileSystemSink}, so MP4/WebM can seek) and, once committed, sent with one HTTP PUT to
 * {@code base + key} (a WebDAV server, an upload endpoint of the host's own) off the muxing thread. The local file
 * is deleted only after a 2xx answer; otherwise it stays in the spool and the failure is listed.
 */
public final class HttpPutSink implements StorageSink {

    private final URI base;
    private final FileSystemSink spool;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<CompletableFuture<Void>> uploads = new CopyOnWriteArrayList<>();
    /** Segments whose PUT failed (their spool files are kept). */
    public final List<String> failures = new CopyOnWriteArrayList<>();

    public HttpPutSink(URI base, Path spoolDir) {
        this.base = base;
        this.spool = new FileSystemSink(spoolDir);
    }

    @Override
    public SegmentOutput open(SegmentKey key, boolean seekable) throws IOException {
        SegmentOutput local = spool.open(key, true);
        URI target = base.resolve(key.path());
        return new SegmentOutput() {
            public int write(ByteBuffer src) throws IOException { return local.write(src); }
            public Optional<SeekableOutput> seekable() { return local.seekable(); }
            public boolean isOpen() { return local.isOpen(); }
            public void close() throws IOException { local.close(); }
            public void abort() { local.abort(); }
            public long bytesWritten() { return local.bytesWritten(); }
            public String location() { return target.toString(); }

            public void commit() throws IOException {
                local.commit(); // the complete file, under its final local name
                Path file = Path.of(local.location());
                HttpRequest put = HttpRequest.newBuilder(target).PUT(HttpRequest.BodyPublishers.ofFile(file)).build();
                uploads.add(http.sendAsync(put, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
                    if (e == null && r.statusCode() / 100 == 2) {
                        file.toFile().delete();
                    } else {
                        failures.add(target + ": " + (e != null ? e.toString() : "HTTP " + r.statusCode()));
                    }
                    return null;
                }));
            }
        };
    }

    /** Waits for every PUT so far; true when all succeeded. */
    public boolean awaitUploads() {
        uploads.forEach(CompletableFuture::join);
        return failures.isEmpty();
    }

    @Override
    public String describe() {
        return "HTTP PUT to " + base + " (spool " + spool.root() + ")";
    }
}
