package io.capstan.storage;

import java.io.IOException;

/** SPI: where segments are stored (local file system, object storage, or a host's own). Thread-safe. */
public interface StorageSink {

    /**
     * Opens an output for a new segment. With {@code seekable} the returned output's
     * {@link SegmentOutput#seekable()} is present (the sink may spool to a local file to provide it).
     */
    SegmentOutput open(SegmentKey key, boolean seekable) throws IOException;

    /** A short description for logs and reports, e.g. the root directory. */
    String describe();
}
