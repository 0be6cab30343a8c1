package io.capstan.mux.common;

import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Positional reads from a {@link SeekableOutput} for recovery and finalization code. */
public final class Reads {

    private Reads() {
    }

    /**
     * Reads up to {@code len} bytes at {@code pos} into {@code dst[0..]}; fewer only at the end of the output.
     *
     * @return the number of bytes read (0 at or past the end)
     */
    public static int readFully(SeekableOutput in, long pos, byte[] dst, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(dst, 0, len);
        while (bb.hasRemaining()) {
            int n = in.read(bb, pos + bb.position());
            if (n < 0) {
                break;
            }
        }
        return bb.position();
    }
}
