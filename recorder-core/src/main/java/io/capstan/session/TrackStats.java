package io.capstan.session;

/**
 * Counters of one track, as a snapshot.
 *
 * @param packets          RTP packets accepted for this track
 * @param lost             packets never received (gaps the receive buffer gave up on)
 * @param duplicates       packets received twice (dropped)
 * @param reordered        packets that arrived after a later one (put back in order)
 * @param invalid          datagrams rejected as malformed RTP or malformed payload, or of a foreign payload type
 * @param late             packets that arrived after their gap was given up
 * @param framesOut        frames handed to the muxing lane
 * @param framesDropped    frames dropped: incomplete, waiting for a keyframe, or lane overflow
 * @param overflowDropped  of which dropped because the muxing lane was full
 * @param keyframeRequests keyframe requests raised to the host (after rate limiting)
 * @param ssrcChanges      times the track switched to a new SSRC
 */
public record TrackStats(String track, long ssrc, long packets, long lost, long duplicates, long reordered,
                         long invalid, long late, long framesOut, long framesDropped, long overflowDropped,
                         long keyframeRequests, long ssrcChanges) {
}
