package io.capstan.mux.testing;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;

/**
 * A seekable output over a growable byte array, with fault injection: {@code maxPerWrite} makes every write
 * accept at most that many bytes (short writes), {@code failAfter} throws an IOException once that many bytes
 * have been accepted (full disk).
 */
public final class MemoryOutput implements SeekableOutput {

    private byte[] buf = new byte[4096];
    private int size;
    private int pos;
    private boolean open = true;
    private int maxPerWrite = Integer.MAX_VALUE;
    private long failAfter = Long.MAX_VALUE;
    private long accepted;
    private int writeCalls;

    public MemoryOutput maxPerWrite(int n) {
        this.maxPerWrite = n;
        return this;
    }

    public MemoryOutput failAfter(long bytes) {
        this.failAfter = bytes;
        return this;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        writeCalls++;
        int n = Math.min(src.remaining(), maxPerWrite);
        if (accepted + n > failAfter) {
            throw new IOException("injected failure: disk full after " + accepted + " bytes");
        }
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(pos + n, buf.length * 2));
        }
        src.get(buf, pos, n);
        pos += n;
        size = Math.max(size, pos);
        accepted += n;
        return n;
    }

    @Override
    public long position() {
        return pos;
    }

    @Override
    public SeekableOutput position(long p) throws IOException {
        if (p < 0 || p > size) {
            throw new IOException("position " + p + " outside [0, " + size + "]");
        }
        pos = (int) p;
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public int read(ByteBuffer dst, long position) {
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - position);
        dst.put(buf, (int) position, n);
        return n;
    }

    @Override
    public void truncate(long newSize) {
        if (newSize < size) {
            size = (int) newSize;
            pos = Math.min(pos, size);
        }
    }

    public byte[] bytes() {
        return Arrays.copyOf(buf, size);
    }

    public int writeCalls() {
        return writeCalls;
    }
}
