package io.capstan.webrtc.dtls;

/**
 * Why an SRTP or SRTCP packet was dropped. The unprotect methods of {@link SrtpSession} return the reason as a
 * negative {@link #code()} (no object per packet); {@link #of(int)} turns it back.
 */
public enum SrtpDrop {

    /**
     * Shorter than its header (with CSRCs and header extension) and tag, or, for SRTCP, than the 8-byte header,
     * index and tag: a truncated packet.
     */
    TOO_SHORT,
    /** Not version 2 (RFC 3550 section 5.1). */
    MALFORMED,
    /** The authentication tag does not match: corrupted, forged, or protected with other keys. */
    AUTH_FAILED,
    /** The index was received before, or is older than the replay window (RFC 3711 section 3.3.2). */
    REPLAY,
    /** A new SSRC when the session already tracks its maximum number of streams. */
    TOO_MANY_STREAMS;

    private static final SrtpDrop[] VALUES = values();

    /** The negative value an unprotect method returns for this reason. */
    public int code() {
        return -1 - ordinal();
    }

    /** The reason for a negative return value of an unprotect method. */
    public static SrtpDrop of(int code) {
        int i = -1 - code;
        if (i < 0 || i >= VALUES.length) {
            throw new IllegalArgumentException("not an SrtpDrop code: " + code);
        }
        return VALUES[i];
    }
}
