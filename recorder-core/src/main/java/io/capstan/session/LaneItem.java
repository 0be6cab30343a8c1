package io.capstan.session;

import io.capstan.media.TrackFormat;
import io.capstan.rtp.SenderReport;

import java.util.concurrent.CompletableFuture;

/** Control messages travelling on a session's lane with its frames, so they stay ordered with the media. */
sealed interface LaneItem {

    /** A track's format (posted before the first frame that needs it). */
    record Format(int track, TrackFormat format) implements LaneItem {
    }

    /** An SSRC now feeds {@code track}; {@code raw32} on that SSRC's clock equals {@code trackTs} on the track's. */
    record SsrcBound(int track, long ssrc, long previousSsrc, long raw32, long trackTs) implements LaneItem {
    }

    /** An RTCP sender report. */
    record Sr(SenderReport report) implements LaneItem {
    }

    /** Stop: flush everything, close every segment, then complete. */
    record Stop(CompletableFuture<Void> done) implements LaneItem {
    }
}
