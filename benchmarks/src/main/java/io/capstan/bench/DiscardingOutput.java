package io.capstan.bench;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * A {@link SeekableOutput} that throws the bytes away: it counts them, keeps a position and a size (so muxers can
 * seek back and patch headers), and never allocates. Lets the muxer benchmarks measure muxing, not I/O.
 */
final class DiscardingOutput implements SeekableOutput {

    private long position;
    private long size;
    private long bytesWritten;
    private long writes;
    private boolean open = true;

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        int n = src.remaining();
        src.position(src.limit());
        position += n;
        if (position > size) {
            size = position;
        }
        bytesWritten += n;
        writes++;
        return n;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableOutput position(long newPosition) throws IOException {
        if (newPosition < 0 || newPosition > size) {
            throw new IOException("seek to " + newPosition + " outside [0, " + size + "]");
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    /** Nothing is kept: reads see zeros up to the size (muxers that read back need a real output). */
    @Override
    public int read(ByteBuffer dst, long pos) {
        if (pos >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - pos);
        for (int i = 0; i < n; i++) {
            dst.put((byte) 0);
        }
        return n;
    }

    @Override
    public void truncate(long newSize) {
        if (newSize < size) {
            size = newSize;
            position = Math.min(position, size);
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }

    /** Every byte handed to {@link #write}, patches included. */
    long bytesWritten() {
        return bytesWritten;
    }

    long writes() {
        return writes;
    }
}
