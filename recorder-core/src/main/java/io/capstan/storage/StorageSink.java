package io.capstan.storage;

import java.io.IOException;

/** SPI: where segments are stored (local file system, object storage, or a host's own). Thread-safe. */
public interface StorageSink {

    /**
     * Opens an output for a new segment. With {@code seekable} the returned output's
     * {@link SegmentOutput#seekable()} is present (the sink may spool to a local file to provide it).
     */
    SegmentOutput open(SegmentKey key, boolean seekable) throws IOException;

    /**
     * Reserves a fresh prefix for a group of objects (DASH/HLS): the key without its extension, or with a
     * {@code -1}, {@code -2}... suffix when that prefix is taken. Sinks that cannot hold groups say so.
     *
     * @throws IOException when the prefix cannot be reserved or the sink does not support groups
     */
    default ObjectGroup openGroup(SegmentKey key) throws IOException {
        throw new IOException(describe() + " cannot store multi-object recordings (DASH/HLS segments)");
    }

    /** A short description for logs and reports, e.g. the root directory. */
    String describe();
}
