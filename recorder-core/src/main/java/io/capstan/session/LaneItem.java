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

    /** Pause: frames are dropped from the next one on, and the span is cut out of the files. */
    record Pause() implements LaneItem {
    }

    /** Resume: writing goes on at the next video keyframe (the next frame without video), timestamps continuous. */
    record Resume() implements LaneItem {
    }

    /** Consent of a participant given or withdrawn: its tracks start (at a keyframe) or stop. */
    record Consent(String participant, int[] tracks, boolean granted) implements LaneItem {
    }

    /** Ends the current files (at the next keyframe) and goes on under new settings, numbering from 1. */
    record Restart(RotationPolicy rotation, NamingTemplate combined, NamingTemplate perTrack) implements LaneItem {
    }

    /** Stop: flush everything, close every segment, then complete. */
    record Stop(CompletableFuture<Void> done) implements LaneItem {
    }
}
