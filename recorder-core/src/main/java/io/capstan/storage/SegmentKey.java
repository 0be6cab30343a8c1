package io.capstan.storage;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The relative name of a segment inside a sink's root, e.g. {@code demo/demo_20261121T101500Z.webm}. It is made
 * of '/'-separated components, each safe on every file system and object store: names that come from the network
 * (stream names, participant ids) never escape the recording root because a key cannot hold {@code ..}, an
 * absolute path, a backslash, a control character or an empty component. Use {@link #sanitizeComponent} on
 * untrusted values before building a key.
 */
public record SegmentKey(String path) {

    private static final Pattern BAD_COMPONENT_CHARS = Pattern.compile("[^A-Za-z0-9._+=@,-]");

    public SegmentKey {
        Objects.requireNonNull(path, "path");
        if (path.isEmpty() || path.length() > 1024 || path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("bad segment key: '" + path + "'");
        }
        for (String c : path.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..") || c.length() > 255
                    || BAD_COMPONENT_CHARS.matcher(c).find()) {
                throw new IllegalArgumentException("bad segment key component '" + c + "' in '" + path + "'");
            }
        }
    }

    /**
     * Makes an untrusted value safe as one key component: characters outside {@code [A-Za-z0-9._+=@,-]} become
     * '_', leading dots are replaced, length is capped at 128, and an empty result becomes {@code _}.
     */
    public static String sanitizeComponent(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "_";
        }
        String s = BAD_COMPONENT_CHARS.matcher(raw).replaceAll("_");
        if (s.startsWith(".")) {
            s = "_" + s.substring(1);
        }
        if (s.length() > 128) {
            s = s.substring(0, 128);
        }
        return s.equals(".") || s.equals("..") ? "_" : s;
    }

    /** The last component (the file name). */
    public String fileName() {
        int i = path.lastIndexOf('/');
        return i < 0 ? path : path.substring(i + 1);
    }
}
