package io.capstan.storage;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.Optional;

/**
 * Where one segment's bytes go. {@code write} always drains the whole buffer (it loops on short writes). Nothing
 * is visible under the final name until {@link #commit()}; {@link #abort()} throws the bytes away.
 */
public interface SegmentOutput extends WritableByteChannel {

    /** The seekable view of this output, when the sink supports seeking. */
    Optional<SeekableOutput> seekable();

    /** Makes the segment durable and visible under its final name. After commit the output is closed. */
    void commit() throws IOException;

    /** Discards the segment. Never throws; idempotent; a no-op after commit. */
    void abort();

    /** Where the committed segment lives (a path or URI), for events and reports. */
    String location();

    /** Bytes written so far. */
    long bytesWritten();
}
