package io.capstan.bench;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A {@link SeekableOutput} over a real file (read back by the MP4 finalizer), for {@link Mp4FinalizeBenchmark}. */
final class Mp4FileOutput implements SeekableOutput {

    private final FileChannel ch;

    Mp4FileOutput(Path file, boolean truncate) throws IOException {
        ch = truncate
                ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return ch.write(src);
    }

    @Override
    public long position() throws IOException {
        return ch.position();
    }

    @Override
    public SeekableOutput position(long p) throws IOException {
        ch.position(p);
        return this;
    }

    @Override
    public long size() throws IOException {
        return ch.size();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return ch.read(dst, position);
    }

    @Override
    public void truncate(long size) throws IOException {
        ch.truncate(size);
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
