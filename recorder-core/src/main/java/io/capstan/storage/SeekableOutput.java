package io.capstan.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A channel with a movable position, for muxers that patch headers on close, and that can read back what was
 * written (MP4 builds its final index from the fragments already in the file; recovery repairs a cut file).
 */
public interface SeekableOutput extends WritableByteChannel {

    long position() throws IOException;

    /** Moves the write position; a later write overwrites bytes there. Moving past the end is not allowed. */
    SeekableOutput position(long newPosition) throws IOException;

    /** Current size of what has been written. */
    long size() throws IOException;

    /**
     * Reads bytes written earlier, starting at {@code position}, into {@code dst} without moving the write
     * position.
     *
     * @return the number of bytes read, or -1 when {@code position} is at or past the end
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Cuts the output to {@code size} bytes (recovery drops a half-written tail); the position is clamped. */
    void truncate(long size) throws IOException;
}
