package io.capstan.mux.testing;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A seekable in-memory output that journals every write (position and bytes) in order, so a test can rebuild the
 * file as it was at any moment: {@link #stateAfter(long)} replays the writes until that many bytes had been
 * handed to the output (the last write possibly half done), which is what a process killed at that moment
 * leaves on disk (the page cache keeps whatever write calls completed).
 */
public final class JournalingOutput implements SeekableOutput {

    private record Op(long pos, byte[] bytes, long truncateTo) {
    }

    private final MemoryOutput mem = new MemoryOutput();
    private final List<Op> ops = new ArrayList<>();
    private long written;

    @Override
    public int write(ByteBuffer src) throws IOException {
        long pos = mem.position();
        ByteBuffer dup = src.duplicate();
        int n = mem.write(src);
        byte[] b = new byte[n];
        dup.get(b);
        ops.add(new Op(pos, b, -1));
        written += n;
        return n;
    }

    /** Total bytes handed to the output so far (all writes, patches included). */
    public long bytesWritten() {
        return written;
    }

    /** Cumulative byte counts at the end of each write so far, in order. */
    public List<Long> writeEnds() {
        List<Long> ends = new ArrayList<>();
        long n = 0;
        for (Op op : ops) {
            if (op.bytes != null) {
                n += op.bytes.length;
                ends.add(n);
            }
        }
        return ends;
    }

    /** The file as it was after {@code bytes} bytes had been written (a write cut in the middle). */
    public byte[] stateAfter(long bytes) {
        byte[] f = new byte[0];
        int size = 0;
        long left = bytes;
        for (Op op : ops) {
            if (op.truncateTo >= 0) {
                size = (int) Math.min(size, op.truncateTo);
                continue;
            }
            if (left <= 0) {
                break;
            }
            int n = (int) Math.min(left, op.bytes.length);
            int end = (int) op.pos + n;
            if (end > f.length) {
                f = Arrays.copyOf(f, Math.max(end, f.length * 2));
            }
            System.arraycopy(op.bytes, 0, f, (int) op.pos, n);
            size = Math.max(size, end);
            left -= n;
        }
        return Arrays.copyOf(f, size);
    }

    public byte[] bytes() {
        return mem.bytes();
    }

    @Override
    public long position() {
        return mem.position();
    }

    @Override
    public SeekableOutput position(long p) throws IOException {
        mem.position(p);
        return this;
    }

    @Override
    public long size() {
        return mem.size();
    }

    @Override
    public int read(ByteBuffer dst, long position) {
        return mem.read(dst, position);
    }

    @Override
    public void truncate(long size) {
        mem.truncate(size);
        ops.add(new Op(0, null, size));
    }

    @Override
    public boolean isOpen() {
        return mem.isOpen();
    }

    @Override
    public void close() {
        mem.close();
    }
}
