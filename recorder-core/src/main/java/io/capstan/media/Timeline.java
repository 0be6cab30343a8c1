package io.capstan.media;

import java.util.Arrays;

/**
 * Puts every track of a session on one clock, in microseconds.
 *
 * <p>Each track's frames carry a continuous RTP timestamp in the track's own clock. To line tracks up, the
 * timeline needs each track's offset: the absolute time at which the track's clock read its anchor timestamp.
 * <ul>
 *   <li><b>Sender reports</b> (RFC 3550 6.4.1): an SR says which NTP wallclock instant an RTP timestamp was sampled
 *       at; streams from one sender share that clock, so audio and video line up as they were captured. The first
 *       SR of a track fixes its offset (later SRs would only add jitter and sender clock drift).</li>
 *   <li><b>Arrival time</b> (fallback): the offset is the smallest {@code arrival - mediaTime} seen, i.e. the
 *       least-delayed packet, which removes most of the network jitter.</li>
 * </ul>
 * The session holds its first frames for a short window so SRs can arrive, then calls {@link #decide()}: when
 * every track that has media also has an SR, SR timing is used for all of them; otherwise arrival timing is used
 * for all (mixing the two domains would misalign tracks). After the decision a track without an SR (one added
 * later) is placed through the average NTP-minus-arrival difference of the tracks that have both. The mode never
 * changes after that, so each track's timestamps stay a linear function of its RTP clock: no jumps.
 *
 * <p>Not thread-safe: used on the session's muxing lane only.
 */
public final class Timeline {

    /** How the tracks were aligned. */
    public enum Mode {
        UNDECIDED,
        SENDER_REPORTS,
        ARRIVAL
    }

    private int[] clock = new int[4];
    private long[] anchorTs = new long[4];
    private boolean[] anchored = new boolean[4];
    private long[] srOffset = new long[4];
    private boolean[] hasSr = new boolean[4];
    private long[] arrivalOffset = new long[4];
    private boolean[] hasArrival = new boolean[4];
    private int tracks;
    private Mode mode = Mode.UNDECIDED;
    private long ntpMinusArrival;

    /** Registers track {@code index} with its RTP clock rate. */
    public void addTrack(int index, int clockRate) {
        if (index >= clock.length) {
            int n = Math.max(index + 1, clock.length * 2);
            clock = Arrays.copyOf(clock, n);
            anchorTs = Arrays.copyOf(anchorTs, n);
            anchored = Arrays.copyOf(anchored, n);
            srOffset = Arrays.copyOf(srOffset, n);
            hasSr = Arrays.copyOf(hasSr, n);
            arrivalOffset = Arrays.copyOf(arrivalOffset, n);
            hasArrival = Arrays.copyOf(hasArrival, n);
        }
        clock[index] = clockRate;
        tracks = Math.max(tracks, index + 1);
    }

    /** Fixes the timestamp that media time is counted from on this track (its first packet). */
    public void anchor(int track, long trackTs) {
        if (!anchored[track]) {
            anchored[track] = true;
            anchorTs[track] = trackTs;
        }
    }

    public boolean anchored(int track) {
        return anchored[track];
    }

    /** Media time of {@code trackTs} since the track's anchor, in microseconds (exact integer arithmetic). */
    public long mediaMicros(int track, long trackTs) {
        long ticks = trackTs - anchorTs[track];
        long c = clock[track];
        return Math.floorDiv(ticks, c) * 1_000_000L + Math.floorMod(ticks, c) * 1_000_000L / c;
    }

    /** An SR for this track: NTP wallclock (microseconds) at RTP timestamp {@code trackTs} (same clock as frames). */
    public void senderReport(int track, long ntpMicros, long trackTs) {
        if (!anchored[track] || hasSr[track]) {
            return;
        }
        hasSr[track] = true;
        srOffset[track] = ntpMicros - mediaMicros(track, trackTs);
    }

    public boolean hasSenderReport(int track) {
        return hasSr[track];
    }

    /** A frame arrived at {@code arrivalNanos} (host monotonic clock): refines the arrival offset. */
    public void observeArrival(int track, long trackTs, long arrivalNanos) {
        long off = arrivalNanos / 1000 - mediaMicros(track, trackTs);
        if (!hasArrival[track] || off < arrivalOffset[track]) {
            if (mode != Mode.UNDECIDED && hasArrival[track]) {
                return; // frozen after the decision: no jumps
            }
            arrivalOffset[track] = off;
            hasArrival[track] = true;
        }
    }

    /**
     * Chooses the mode from what is known now: SR timing when every track with media has an SR.
     *
     * @return the mode chosen (unchanged if already decided)
     */
    public Mode decide() {
        if (mode != Mode.UNDECIDED) {
            return mode;
        }
        boolean all = true;
        int withMedia = 0;
        long sum = 0;
        int both = 0;
        for (int t = 0; t < tracks; t++) {
            if (!hasArrival[t]) {
                continue;
            }
            withMedia++;
            if (!hasSr[t]) {
                all = false;
            } else {
                sum += srOffset[t] - arrivalOffset[t];
                both++;
            }
        }
        if (withMedia > 0 && all) {
            mode = Mode.SENDER_REPORTS;
            ntpMinusArrival = sum / both;
        } else {
            mode = Mode.ARRIVAL;
        }
        return mode;
    }

    public Mode mode() {
        return mode;
    }

    /** Absolute time of a frame in microseconds in the chosen domain. Only after {@link #decide()}. */
    public long absoluteMicros(int track, long trackTs) {
        long media = mediaMicros(track, trackTs);
        if (mode == Mode.SENDER_REPORTS) {
            if (hasSr[track]) {
                return srOffset[track] + media;
            }
            return arrivalOffset[track] + ntpMinusArrival + media;
        }
        return arrivalOffset[track] + media;
    }

    /** Whether the track has media with a known offset (it can be placed on the timeline). */
    public boolean placeable(int track) {
        return hasArrival[track];
    }
}
