package io.capstan.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A set of objects that form one recording together, under one key prefix (a directory on a file system): DASH and
 * HLS write an init segment, numbered media segments and a manifest that refers to them by name. The prefix is
 * reserved when the group is opened ({@link StorageSink#openGroup}), so names inside it are exactly the ones given
 * and never de-duplicated: a manifest can refer to them before they exist.
 */
public interface ObjectGroup {

    /** Object names: one plain component, {@code [A-Za-z0-9._-]}, not starting with a dot. */
    java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    /** The reserved prefix, e.g. {@code demo/demo_20261121T101500Z} (a key path, without trailing '/'). */
    String prefix();

    /**
     * Opens a new write-once object called {@code name} inside the group; it becomes visible under that name on
     * {@link SegmentOutput#commit()}.
     *
     * @throws IllegalArgumentException when the name is not a plain {@link #NAME}
     */
    SegmentOutput create(String name) throws IOException;

    /**
     * Writes a small object whole, atomically replacing an earlier version (a manifest or playlist updated while
     * recording): a reader sees the old or the new version, never a mix.
     */
    void replace(String name, ByteBuffer content) throws IOException;

    /** Where the object called {@code name} lives (a path or URI), for events and reports. */
    String location(String name);
}
