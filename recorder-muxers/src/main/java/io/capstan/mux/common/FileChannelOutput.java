package io.capstan.mux.common;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link SeekableOutput} over a file channel opened for reading and writing: recovery repairs a file in place
 * through it, and benchmarks write real files with it. Writes loop until the buffer is drained.
 */
public final class FileChannelOutput implements SeekableOutput {

    private final FileChannel ch;

    public FileChannelOutput(FileChannel ch) {
        this.ch = ch;
    }

    /** Opens an existing file for reading and writing. */
    public static FileChannelOutput open(Path file) throws IOException {
        return new FileChannelOutput(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    /** Creates (or empties) a file for reading and writing. */
    public static FileChannelOutput create(Path file) throws IOException {
        return new FileChannelOutput(FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public long position() throws IOException {
        return ch.position();
    }

    @Override
    public SeekableOutput position(long p) throws IOException {
        if (p < 0 || p > ch.size()) {
            throw new IOException("seek to " + p + " outside 0.." + ch.size());
        }
        ch.position(p);
        return this;
    }

    @Override
    public long size() throws IOException {
        return ch.size();
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        return ch.read(dst, pos);
    }

    /** Cuts the file; a position past the new end moves to it (FileChannel.truncate does that). */
    @Override
    public void truncate(long size) throws IOException {
        ch.truncate(size);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = 0;
        while (src.hasRemaining()) {
            n += ch.write(src);
        }
        return n;
    }

    /** Makes what was written durable (fsync of data and metadata). */
    public void force() throws IOException {
        ch.force(true);
    }

    @Override
    public boolean isOpen() {
        return ch.isOpen();
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
