package io.capstan.mux.testing;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A seekable output over a file, for conformance tests that hand the result to ffprobe and friends. */
public final class FileOutput implements SeekableOutput {

    private final FileChannel ch;

    public FileOutput(Path file) throws IOException {
        ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
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
        if (p > ch.size()) {
            throw new IOException("cannot move past the end");
        }
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
