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
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Stores segments as files under a root directory. A segment is written as {@code NAME.part} next to its final
 * name (or, with a {@linkplain Builder#tmpDir temporary directory}, at the same relative path under that directory)
 * and moved to {@code NAME} on commit, so a reader never sees a half-written file under a final name (a crash leaves
 * a {@code .part} that still plays up to its last cluster / page). An existing file is never overwritten: a commit
 * onto a taken name gets a {@code -1}, {@code -2}... suffix before the extension (the move is a hard link + unlink
 * where the file system allows it, which cannot replace a file that appeared meanwhile). A segment can be committed
 * under another key than it was opened with ({@link SegmentOutput#commit(SegmentKey)}: names rendered on close).
 * Keys are relative and validated ({@link SegmentKey}); the resolved path is checked once more to stay under the
 * root.
 *
 * <pre>
 *   root/                       tmpDir/ (optional, e.g. a local disk when root is slow or watched)
 *     demo/                       demo/
 *       demo_20261121T101500Z.webm  demo_open.webm.part   (moved into root/demo/ on commit)
 * </pre>
 */
public final class FileSystemSink implements StorageSink {

    private final Path root;
    private final boolean fsync;
    private final Path tmpDir;

    /** A sink under {@code root} that fsyncs each segment on commit. */
    public FileSystemSink(Path root) {
        this(root, true);
    }

    public FileSystemSink(Path root, boolean fsyncOnCommit) {
        this(root, fsyncOnCommit, null);
    }

    private FileSystemSink(Path root, boolean fsyncOnCommit, Path tmpDir) {
        this.root = root.toAbsolutePath().normalize();
        this.fsync = fsyncOnCommit;
        this.tmpDir = tmpDir == null ? null : tmpDir.toAbsolutePath().normalize();
    }

    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** Options of a {@link FileSystemSink}. */
    public static final class Builder {
        private final Path root;
        private boolean fsync = true;
        private Path tmpDir;

        private Builder(Path root) {
            this.root = java.util.Objects.requireNonNull(root);
        }

        /** Whether each segment is fsynced on commit (default true). */
        public Builder fsync(boolean v) {
            this.fsync = v;
            return this;
        }

        /**
         * Writes segments being recorded under {@code dir} (mirroring their key paths) and moves them into the root
         * on commit: a rename when both are on one file system, otherwise a copy to a {@code .part} in the root,
         * fsync, and a rename. DASH/HLS groups are written in the root. Null: next to the final name (default).
         */
        public Builder tmpDir(Path dir) {
            this.tmpDir = dir;
            return this;
        }

        public FileSystemSink build() {
            return new FileSystemSink(root, fsync, tmpDir);
        }
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

    /** The temporary directory, if one is set. */
    public java.util.Optional<Path> tmpDir() {
        return java.util.Optional.ofNullable(tmpDir);
    }

    @Override
    public SegmentOutput open(SegmentKey key, boolean seekable) throws IOException {
        Path target = resolve(key);
        Files.createDirectories(target.getParent());
        if (tmpDir == null) {
            return openAt(target);
        }
        Path part = tmpDir.resolve(key.path() + ".part").normalize();
        if (!part.startsWith(tmpDir)) {
            throw new IllegalArgumentException("segment key escapes the temporary directory: " + key.path());
        }
        Files.createDirectories(part.getParent());
        return open(part, target);
    }

    private SegmentOutput openAt(Path target) throws IOException {
        return open(target.resolveSibling(target.getFileName() + ".part"), target);
    }

    private SegmentOutput open(Path part, Path target) throws IOException {
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
        private boolean synced;     // closed by a commit that failed to move the file: a commit may be retried
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
            commitTo(target);
        }

        @Override
        public void commit(SegmentKey finalKey) throws IOException {
            commitTo(resolve(finalKey));
        }

        private void commitTo(Path dest) throws IOException {
            if (committed != null) {
                return;
            }
            if (open) {
                try {
                    if (fsync) {
                        ch.force(true);
                    }
                } finally {
                    open = false;
                    ch.close();
                }
                synced = true;
            } else if (!synced) {
                throw new IOException("output already closed: " + part);
            }
            Files.createDirectories(dest.getParent());
            committed = place(part, dest);
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

    /**
     * Moves {@code src} to {@code target}, or to {@code target} with a {@code -1}, {@code -2}... suffix when that
     * name is taken; never replaces a file.
     *
     * @return where the file went
     */
    private Path place(Path src, Path target) throws IOException {
        Path dest = target;
        for (int i = 1; ; i++) {
            try {
                moveNoReplace(src, dest);
                return dest;
            } catch (FileAlreadyExistsException e) {
                if (i > 1000) {
                    throw e;
                }
                dest = withSuffix(target, i);
            }
        }
    }

    private void moveNoReplace(Path src, Path dest) throws IOException {
        if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(dest.toString());
        }
        try {
            Files.createLink(dest, src); // fails if dest exists: no window in which a new file could be replaced
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | IOException e) {
            // no hard links here, or another file system: rename (checked above), or copy across file systems
            try {
                Files.move(src, dest, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException x) {
                copyAcross(src, dest);
            }
            return;
        }
        Files.delete(src);
    }

    /** {@code src} is on another file system: copy next to {@code dest}, fsync, rename, then delete the source. */
    private void copyAcross(Path src, Path dest) throws IOException {
        Path copy = dest.resolveSibling(dest.getFileName() + ".part");
        for (int i = 1; Files.exists(copy, LinkOption.NOFOLLOW_LINKS); i++) {
            copy = dest.resolveSibling(dest.getFileName() + "." + i + ".part");
        }
        Files.copy(src, copy);
        try {
            if (fsync) {
                try (FileChannel c = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                    c.force(true);
                }
            }
            moveNoReplace(copy, dest);
        } catch (IOException e) {
            Files.deleteIfExists(copy);
            throw e;
        }
        Files.delete(src);
    }

    private static Path withSuffix(Path p, int i) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot <= 0 ? name : name.substring(0, dot);
        String ext = dot <= 0 ? "" : name.substring(dot);
        return p.resolveSibling(base + "-" + i + ext);
    }
}
