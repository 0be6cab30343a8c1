package io.capstan.storage.fs;

import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.StorageSink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Stores segments as files under a root directory. A segment is written as {@code NAME.part} next to its final
 * name and moved atomically to {@code NAME} on commit, so a reader never sees a half-written file under a final
 * name (a crash leaves a {@code .part} that still plays up to its last cluster / page). An existing file is never
 * overwritten: a commit onto a taken name gets a {@code -1}, {@code -2}... suffix. Keys are relative and
 * validated ({@link SegmentKey}); the resolved path is checked once more to stay under the root.
 */
public final class FileSystemSink implements StorageSink {

    private final Path root;
    private final boolean fsync;

    /** A sink under {@code root} that fsyncs each segment on commit. */
    public FileSystemSink(Path root) {
        this(root, true);
    }

    public FileSystemSink(Path root, boolean fsyncOnCommit) {
        this.root = root.toAbsolutePath().normalize();
        this.fsync = fsyncOnCommit;
    }

    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return root.toString();
    }

    /** The final path a key maps to (no I/O). */
    public Path resolve(SegmentKey key) {
        Path p = root.resolve(key.path()).normalize();
        if (!p.startsWith(root) || p.equals(root)) {
            throw new IllegalArgumentException("segment key escapes the recording root: " + key.path());
        }
        return p;
    }

    @Override
    public SegmentOutput open(SegmentKey key, boolean seekable) throws IOException {
        Path target = resolve(key);
        Files.createDirectories(target.getParent());
        return openAt(target);
    }

    private SegmentOutput openAt(Path target) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING);
        return new FileOutput(ch, part, target);
    }

    /**
     * Reserves the directory {@code KEY-without-extension/} (or {@code ...-1/}, {@code -2/}... when it exists);
     * objects are written inside it as {@code NAME.part} and moved to {@code NAME} on commit; replaced objects
     * (manifests) are written to a temporary file and moved over the old version atomically.
     */
    @Override
    public ObjectGroup openGroup(SegmentKey key) throws IOException {
        Path target = resolve(key);
        Files.createDirectories(target.getParent());
        String name = target.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot <= 0 ? name : name.substring(0, dot);
        for (int i = 0; i <= 1000; i++) {
            Path dir = target.resolveSibling(i == 0 ? stem : stem + "-" + i);
            try {
                Files.createDirectory(dir);
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            String prefix = root.relativize(dir).toString().replace('\\', '/');
            return new DirectoryGroup(dir, prefix);
        }
        throw new IOException("no free directory name for " + key.path());
    }

    private final class DirectoryGroup implements ObjectGroup {
        private final Path dir;
        private final String prefix;

        DirectoryGroup(Path dir, String prefix) {
            this.dir = dir;
            this.prefix = prefix;
        }

        @Override
        public String prefix() {
            return prefix;
        }

        private Path child(String name) {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad object name: '" + name + "'");
            }
            return dir.resolve(name);
        }

        @Override
        public SegmentOutput create(String name) throws IOException {
            return openAt(child(name));
        }

        @Override
        public void replace(String name, ByteBuffer content) throws IOException {
            Path target = child(name);
            Path tmp = target.resolveSibling(name + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (content.hasRemaining()) {
                    ch.write(content);
                }
                if (fsync) {
                    ch.force(true);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }

        @Override
        public String location(String name) {
            return child(name).toString();
        }
    }

    private final class FileOutput implements SegmentOutput, SeekableOutput {
        private final FileChannel ch;
        private final Path part;
        private final Path target;
        private Path committed;
        private long written;
        private boolean open = true;

        FileOutput(FileChannel ch, Path part, Path target) {
            this.ch = ch;
            this.part = part;
            this.target = target;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            int n = 0;
            while (src.hasRemaining()) {
                n += ch.write(src);
            }
            written = Math.max(written, ch.position());
            return n;
        }

        @Override
        public long position() throws IOException {
            return ch.position();
        }

        @Override
        public SeekableOutput position(long newPosition) throws IOException {
            if (newPosition < 0 || newPosition > ch.size()) {
                throw new IOException("seek to " + newPosition + " outside 0.." + ch.size());
            }
            ch.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public int read(ByteBuffer dst, long pos) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            return ch.read(dst, pos);
        }

        @Override
        public void truncate(long newSize) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            ch.truncate(newSize);
            written = Math.min(written, ch.size());
        }

        @Override
        public Optional<SeekableOutput> seekable() {
            return Optional.of(this);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() throws IOException {
            // closing without commit keeps the .part file (nothing recorded is deleted implicitly)
            if (open) {
                open = false;
                ch.close();
            }
        }

        @Override
        public void commit() throws IOException {
            if (committed != null) {
                return;
            }
            if (!open) {
                throw new IOException("output already closed: " + part);
            }
            try {
                if (fsync) {
                    ch.force(true);
                }
            } finally {
                open = false;
                ch.close();
            }
            Path dest = target;
            for (int i = 1; ; i++) {
                try {
                    if (Files.exists(dest)) {
                        throw new FileAlreadyExistsException(dest.toString());
                    }
                    try {
                        Files.move(part, dest, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(part, dest);
                    }
                    committed = dest;
                    return;
                } catch (FileAlreadyExistsException e) {
                    if (i > 1000) {
                        throw e;
                    }
                    dest = withSuffix(target, i);
                }
            }
        }

        @Override
        public void abort() {
            if (committed != null) {
                return;
            }
            try {
                close();
            } catch (IOException ignored) {
                // nothing more to do
            }
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // best effort
            }
        }

        @Override
        public String location() {
            return (committed != null ? committed : target).toString();
        }

        @Override
        public long bytesWritten() {
            return written;
        }
    }

    private static Path withSuffix(Path p, int i) {
        String name = p.getFileName().toString();
        int dot = name.indexOf('.');
        String base = dot < 0 ? name : name.substring(0, dot);
        String ext = dot < 0 ? "" : name.substring(dot);
        return p.resolveSibling(base + "-" + i + ext);
    }
}
