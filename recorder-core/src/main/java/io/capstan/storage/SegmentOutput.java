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

    /**
     * Like {@link #commit()}, but under {@code finalKey} instead of the key the output was opened with: a name that
     * needs values known only at the end (a {@code {duration}} in the template) is written under a temporary key
     * and renamed here. Sinks never overwrite: a taken name gets a collision suffix, and {@link #location()} says
     * where the segment went. When this throws, nothing was committed and {@link #commit()} may still be called.
     *
     * @throws IOException when the sink cannot rename (the default), or the commit failed
     */
    default void commit(SegmentKey finalKey) throws IOException {
        throw new IOException(getClass().getSimpleName() + " cannot commit under another name than it was opened with"
                + " (" + finalKey.path() + ")");
    }

    /** Discards the segment. Never throws; idempotent; a no-op after commit. */
    void abort();

    /** Where the committed segment lives (a path or URI), for events and reports. */
    String location();

    /** Bytes written so far. */
    long bytesWritten();
}
