package io.capstan.rtp;

/**
 * An RTCP sender report's sender info (RFC 3550 section 6.4.1): the NTP wallclock at which the sender's RTP clock
 * read {@code rtpTimestamp}. This pair puts every stream of a sender on one clock.
 *
 * @param ntpTimestamp 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32)
 */
public record SenderReport(long ssrc, long ntpTimestamp, long rtpTimestamp, long packetCount, long octetCount) {

    /** The NTP time in microseconds since 1900. */
    public long ntpMicros() {
        long seconds = ntpTimestamp >>> 32;
        long fraction = ntpTimestamp & 0xFFFFFFFFL;
        return seconds * 1_000_000L + ((fraction * 1_000_000L) >>> 32);
    }
}
