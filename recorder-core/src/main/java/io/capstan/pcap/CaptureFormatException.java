package io.capstan.pcap;

import java.io.IOException;

/**
 * The bytes are not a capture file this reader understands, or its structure is broken (bad magic, absurd record
 * length, block length mismatch, truncated header). The message names the byte offset where the problem is.
 *
 * <p>It is an {@link IOException} so that callers reading a capture handle one exception type for "the file could
 * not be read" and "the file is not a capture".
 */
public class CaptureFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CaptureFormatException(String message) {
        super(message);
    }
}
