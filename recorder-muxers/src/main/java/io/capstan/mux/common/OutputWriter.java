package io.capstan.mux.common;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * A write buffer in front of a channel. Every drain loops until the buffer is empty (a channel may accept fewer
 * bytes than offered); an {@link IOException} from the channel propagates unchanged. The buffer is allocated
 * once, so writing frames does not allocate.
 *
 * <p>{@link #position()} is the logical file position (bytes already handed to the channel plus bytes still
 * buffered). With a {@link SeekableOutput}, {@link #patch} overwrites bytes written earlier: it drains the
 * buffer, seeks back, writes, and returns to the end.
 */
public final class OutputWriter {

    private final WritableByteChannel out;
    private final SeekableOutput seekable;
    private ByteBuffer buffer;
    private ByteBuffer patchView; // reused by patch() while it is given the same array (a muxer's scratch)
    private final long origin;
    private long flushed;

    /** Buffer size used by the muxers: big enough to coalesce a cluster's small audio blocks. */
    public static final int DEFAULT_BUFFER = 64 * 1024;

    public OutputWriter(WritableByteChannel out, int bufferSize) {
        this(out, ByteBuffer.allocate(bufferSize));
    }

    /**
     * A writer that buffers in {@code buffer} (cleared first), for writers made once per object (segments) that
     * reuse one buffer; take it back with {@link #buffer()}, as {@link #whole} may have replaced it with a larger one.
     */
    public OutputWriter(WritableByteChannel out, ByteBuffer buffer) {
        this.out = Objects.requireNonNull(out, "out");
        this.seekable = out instanceof SeekableOutput s ? s : null;
        this.buffer = buffer.clear();
        long start = 0;
        if (seekable != null) {
            try {
                start = seekable.position();
            } catch (IOException e) {
                start = 0;
            }
        }
        this.origin = start;
    }

    /** The buffer in use (drained: empty after {@link #drain()}). */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Position of the next byte, relative to where the output was when this writer was made. */
    public long position() {
        return flushed + buffer.position();
    }

    /**
     * Announces that the next {@code n} bytes form one element (a block, a page, a frame with its header): they
     * will reach the channel in a single write, so a process killed at any moment leaves a file that ends on an
     * element boundary. Drains first when they do not fit; grows the buffer (once, to the largest element seen)
     * when they are larger than it.
     */
    public void whole(int n) throws IOException {
        if (n <= buffer.remaining()) {
            return;
        }
        drain();
        if (n > buffer.capacity()) {
            buffer = ByteBuffer.allocate(Math.max(n, buffer.capacity() + (buffer.capacity() >> 1)));
        }
    }

    public void write(byte[] src, int off, int len) throws IOException {
        while (len > 0) {
            if (!buffer.hasRemaining()) {
                drain();
            }
            int n = Math.min(len, buffer.remaining());
            buffer.put(src, off, n);
            off += n;
            len -= n;
        }
    }

    /** Writes the builder's bytes as one element ({@link #whole}). */
    public void write(ByteBuilder b) throws IOException {
        whole(b.length());
        write(b.array(), 0, b.length());
    }

    public void write(int b) throws IOException {
        if (!buffer.hasRemaining()) {
            drain();
        }
        buffer.put((byte) b);
    }

    /** Hands every buffered byte to the channel. */
    public void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            int n = out.write(buffer);
            if (n < 0) {
                throw new IOException("output channel refused to write (returned " + n + ")");
            }
            flushed += n;
        }
        buffer.clear();
    }

    /** Overwrites {@code len} bytes at logical position {@code at} (which must have been written already). */
    public void patch(long at, byte[] src, int off, int len) throws IOException {
        if (seekable == null) {
            throw new IllegalStateException("patching needs a SeekableOutput");
        }
        if (at < 0 || at + len > position()) {
            throw new IllegalArgumentException("patch [" + at + ", " + (at + len) + ") outside written data "
                    + position());
        }
        drain();
        long end = seekable.position();
        seekable.position(origin + at);
        // one wrapper per patched array, not per patch: WebM patches every cluster's size from the same scratch
        // array, and the wrapper escapes into the channel's write (not scalar-replaced): 48 B per cluster
        ByteBuffer bb = patchView;
        if (bb == null || bb.array() != src) {
            bb = patchView = ByteBuffer.wrap(src);
        }
        bb.limit(off + len).position(off);
        while (bb.hasRemaining()) {
            if (seekable.write(bb) < 0) {
                throw new IOException("output channel refused to write");
            }
        }
        seekable.position(end);
    }
}
