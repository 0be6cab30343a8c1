package io.capstan.storage.s3;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The durable record of one pending upload, a small {@link Properties} file in the spool's record directory.
 * It is rewritten whole (temp file, fsync, atomic rename, fsync of the directory) whenever it changes, so after a
 * crash it is either the old or the new version. Parts are recorded only after the store acknowledged them.
 */
final class SpoolRecord {

    enum State {
        /** The muxer is still writing the local file. */
        WRITING,
        /** The local file is complete (committed); it is to be uploaded. */
        READY
    }

    /** One part the store acknowledged. */
    record Part(int number, long offset, long length, String etag, String sha256) {
    }

    final String id;
    final Path file;          // the record file
    String bucket;
    volatile String key;      // object key (the requested one until keyDecided)
    /**
     * Whether {@link #key} is final: checked against the bucket (no existing object, no other pending upload of
     * the sink) and saved before any request wrote to it. A record without this flag is decided (older records).
     */
    volatile boolean keyDecided = true;
    String localFile;         // path of the data file, relative to the spool root
    State state = State.WRITING;
    boolean streaming;        // parts may be uploaded while writing
    boolean replaceable;      // a group object written whole by replace(): latest content wins
    boolean deleteAfterUpload;
    long size = -1;
    String uploadId;
    final List<Part> parts = new ArrayList<>();

    SpoolRecord(String id, Path file) {
        this.id = id;
        this.file = file;
    }

    long partsEnd() {
        return parts.isEmpty() ? 0 : parts.get(parts.size() - 1).offset() + parts.get(parts.size() - 1).length();
    }

    void save() throws IOException {
        Properties p = new Properties();
        p.setProperty("version", "1");
        p.setProperty("bucket", bucket);
        p.setProperty("key", key);
        p.setProperty("localFile", localFile);
        p.setProperty("keyDecided", Boolean.toString(keyDecided));
        p.setProperty("state", state.name());
        p.setProperty("streaming", Boolean.toString(streaming));
        p.setProperty("replaceable", Boolean.toString(replaceable));
        p.setProperty("deleteAfterUpload", Boolean.toString(deleteAfterUpload));
        p.setProperty("size", Long.toString(size));
        if (uploadId != null) {
            p.setProperty("uploadId", uploadId);
        }
        p.setProperty("parts", Integer.toString(parts.size()));
        for (int i = 0; i < parts.size(); i++) {
            Part pt = parts.get(i);
            p.setProperty("part." + i, pt.number() + " " + pt.offset() + " " + pt.length() + " " + pt.etag() + " "
                    + (pt.sha256() == null ? "-" : pt.sha256()));
        }
        StringWriter w = new StringWriter();
        p.store(w, "capstan pending upload");
        writeAtomically(file, w.toString().getBytes(StandardCharsets.UTF_8));
    }

    static SpoolRecord load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        String name = file.getFileName().toString();
        SpoolRecord rec = new SpoolRecord(name.substring(0, name.length() - SUFFIX.length()), file);
        try {
            rec.bucket = required(p, "bucket");
            rec.key = required(p, "key");
            rec.keyDecided = Boolean.parseBoolean(p.getProperty("keyDecided", "true"));
            rec.localFile = required(p, "localFile");
            rec.state = State.valueOf(required(p, "state"));
            rec.streaming = Boolean.parseBoolean(p.getProperty("streaming"));
            rec.replaceable = Boolean.parseBoolean(p.getProperty("replaceable"));
            rec.deleteAfterUpload = Boolean.parseBoolean(p.getProperty("deleteAfterUpload"));
            rec.size = Long.parseLong(p.getProperty("size", "-1"));
            rec.uploadId = p.getProperty("uploadId");
            int n = Integer.parseInt(p.getProperty("parts", "0"));
            for (int i = 0; i < n; i++) {
                String[] f = required(p, "part." + i).split(" ");
                rec.parts.add(new Part(Integer.parseInt(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), f[3],
                        f[4].equals("-") ? null : f[4]));
            }
        } catch (RuntimeException e) {
            throw new IOException("unreadable upload record " + file + ": " + e.getMessage());
        }
        return rec;
    }

    static final String SUFFIX = ".upload";

    private static String required(Properties p, String k) {
        String v = p.getProperty(k);
        if (v == null) {
            throw new IllegalArgumentException("missing " + k);
        }
        return v;
    }

    void delete() throws IOException {
        Files.deleteIfExists(file);
        fsyncDirectory(file.getParent());
    }

    /** Writes {@code bytes} to {@code target} so that a crash leaves the old or the new content, never a mix. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(target.getParent());
    }

    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can open a directory (Windows); the rename itself is still atomic
        }
    }
}
