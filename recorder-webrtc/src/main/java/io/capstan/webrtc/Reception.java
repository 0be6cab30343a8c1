package io.capstan.webrtc;

/**
 * What the receiver reports of one media SSRC (RFC 3550 section 6.4.1 and appendix A): the extended highest
 * sequence number, the cumulative and interval loss, the interarrival jitter in RTP units, and the middle 32 bits
 * of the last sender report's NTP time with its arrival, for the sender's round-trip estimate.
 *
 * <p>Updated by the transport's receive thread, read by the report timer: the methods are synchronized (a few per
 * packet, uncontended).
 */
final class Reception {

    /** A jump this large is a new sequence space (the sender restarted), not loss (RFC 3550 A.1 MAX_DROPOUT). */
    private static final int MAX_DROPOUT = 3000;

    final long ssrc;
    private final int clockRate;
    private boolean started;
    private int maxSeq;
    private long cycles;
    private int baseSeq;
    private long received;
    private long expectedPrior;
    private long receivedPrior;
    private double jitter;
    private long lastTransit;
    private boolean haveTransit;
    private long lastSrNtpMiddle;
    private long lastSrArrivalNanos;

    Reception(long ssrc, int clockRate) {
        this.ssrc = ssrc;
        this.clockRate = clockRate;
    }

    /**
     * Counts an RTP packet.
     *
     * @return the number of sequence numbers skipped before this one (0 in order, or for a duplicate, a late
     *         packet, or a restart), which the caller may NACK
     */
    synchronized int packet(int seq, long rtpTimestamp, long arrivalNanos) {
        int gap = 0;
        if (!started) {
            started = true;
            baseSeq = seq;
            maxSeq = seq;
        } else {
            int delta = (seq - maxSeq) & 0xFFFF;
            if (delta > 0 && delta < MAX_DROPOUT) {
                if (seq < maxSeq) {
                    cycles += 65536;
                }
                gap = delta - 1;
                maxSeq = seq;
            } else if (delta >= MAX_DROPOUT && delta <= 65536 - 100) {
                // a restart of the sequence space: start over (RFC 3550 A.1 treats two in a row that way)
                baseSeq = seq;
                maxSeq = seq;
                cycles = 0;
                received = 0;
                expectedPrior = 0;
                receivedPrior = 0;
            }
        }
        received++;
        if (clockRate > 0) {
            long arrival = arrivalNanos / 1000 * clockRate / 1_000_000;
            long transit = arrival - rtpTimestamp;
            if (haveTransit) {
                long d = Math.abs((int) (transit - lastTransit)); // RTP timestamps wrap at 2^32
                jitter += (d - jitter) / 16.0;
            }
            lastTransit = transit;
            haveTransit = true;
        }
        return gap;
    }

    /** Notes a sender report: its NTP timestamp (64 bits) and when it arrived. */
    synchronized void senderReport(long ntpTimestamp, long arrivalNanos) {
        lastSrNtpMiddle = (ntpTimestamp >>> 16) & 0xFFFFFFFFL;
        lastSrArrivalNanos = arrivalNanos;
    }

    /** Whether a packet has been counted (a report block says nothing before that). */
    synchronized boolean started() {
        return started;
    }

    /** Writes this SSRC's 24-byte report block at {@code off} and starts a new interval. */
    synchronized void writeBlock(byte[] b, int off, long nowNanos) {
        long extMax = cycles + maxSeq;
        long expected = extMax - baseSeq + 1;
        long lost = expected - received;
        long expectedInterval = expected - expectedPrior;
        long receivedInterval = received - receivedPrior;
        expectedPrior = expected;
        receivedPrior = received;
        long lostInterval = expectedInterval - receivedInterval;
        int fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : (int) ((lostInterval << 8) / expectedInterval);
        long cumulative = Math.max(-0x800000, Math.min(0x7FFFFF, lost));
        long dlsr = lastSrArrivalNanos == 0 ? 0 : (nowNanos - lastSrArrivalNanos) * 65536 / 1_000_000_000L;
        Rtcp.putUint32(b, off, ssrc);
        b[off + 4] = (byte) Math.min(255, fraction);
        b[off + 5] = (byte) (cumulative >>> 16);
        b[off + 6] = (byte) (cumulative >>> 8);
        b[off + 7] = (byte) cumulative;
        Rtcp.putUint32(b, off + 8, extMax);
        Rtcp.putUint32(b, off + 12, (long) jitter);
        Rtcp.putUint32(b, off + 16, lastSrNtpMiddle);
        Rtcp.putUint32(b, off + 20, lastSrArrivalNanos == 0 ? 0 : dlsr);
    }

    /** Packets lost so far (expected minus received; negative with duplicates). */
    synchronized long lost() {
        return started ? cycles + maxSeq - baseSeq + 1 - received : 0;
    }
}
