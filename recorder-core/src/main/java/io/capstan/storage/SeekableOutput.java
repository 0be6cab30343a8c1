package io.capstan.storage;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/** A write-only channel with a movable position, for muxers that patch headers on close. */
public interface SeekableOutput extends WritableByteChannel {

    long position() throws IOException;

    /** Moves the write position; a later write overwrites bytes there. Moving past the end is not allowed. */
    SeekableOutput position(long newPosition) throws IOException;

    /** Current size of what has been written. */
    long size() throws IOException;
}
