package io.capstan.webrtc.dtls;

/**
 * Counters of an {@link SrtpSession} since it was created: packets unprotected, packets protected, and packets
 * dropped by reason (SRTP and SRTCP together).
 */
public record SrtpStats(long rtpUnprotected, long rtcpUnprotected, long rtpProtected, long rtcpProtected,
                        long tooShort, long malformed, long authFailed, long replayed, long tooManyStreams) {

    /** The count for one drop reason. */
    public long dropped(SrtpDrop reason) {
        return switch (reason) {
            case TOO_SHORT -> tooShort;
            case MALFORMED -> malformed;
            case AUTH_FAILED -> authFailed;
            case REPLAY -> replayed;
            case TOO_MANY_STREAMS -> tooManyStreams;
        };
    }

    /** All dropped packets. */
    public long dropped() {
        return tooShort + malformed + authFailed + replayed + tooManyStreams;
    }
}
