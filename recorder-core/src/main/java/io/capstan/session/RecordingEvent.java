package io.capstan.session;

import io.capstan.media.TrackFormat;

import java.util.List;

/** Everything a session reports. Delivered to the {@link RecordingListener} (see there for threads). */
public sealed interface RecordingEvent {

    String sessionId();

    /** The session started accepting media. */
    record Started(String sessionId) implements RecordingEvent {
    }

    /** A segment file/object was opened. */
    record SegmentOpened(String sessionId, String key, List<String> tracks) implements RecordingEvent {
    }

    /** A segment was finalized and committed (or, with {@code complete=false}, salvaged after an error). */
    record SegmentClosed(String sessionId, SegmentInfo segment) implements RecordingEvent {
    }

    /**
     * A video track needs a keyframe (after loss, a bad packet, or at start): the host should send RTCP PLI/FIR to
     * the sender of {@code ssrc}. Rate-limited per track. Delivered on the thread that pushed the packet.
     */
    record KeyframeNeeded(String sessionId, String track, long ssrc, String reason) implements RecordingEvent {
    }

    /** A track's format became known or changed (resolution, parameter sets). */
    record FormatChanged(String sessionId, String track, TrackFormat format) implements RecordingEvent {
    }

    /** A track's sender switched to a new SSRC; the track continues. */
    record SsrcChanged(String sessionId, String track, long oldSsrc, long newSsrc) implements RecordingEvent {
    }

    /**
     * The muxing lane was full and frames were dropped (never silently). Delivered on the pushing thread,
     * at most once per second per track, with the counts so far.
     */
    record Overflow(String sessionId, String track, long droppedFrames) implements RecordingEvent {
    }

    /** Something went wrong; {@code reason} is a sentence a user can act on. The session may go on. */
    record Error(String sessionId, String reason) implements RecordingEvent {
    }

    /**
     * The status of a target changed: the recording as a whole ({@code target} = the session id) or one of its
     * tracks ({@code target} = the track id, e.g. when its participant's consent changes). {@code code} and
     * {@code message} say why (e.g. {@code paused}, {@code consent-withdrawn}, {@code write-failed}); never null.
     */
    record StatusChanged(String sessionId, String target, RecordingStatus status, String code, String message)
            implements RecordingEvent {
    }

    /** A participant's consent was given or withdrawn; {@code tracks} are theirs. */
    record ConsentChanged(String sessionId, String participant, boolean granted, List<String> tracks)
            implements RecordingEvent {
    }

    /** The session stopped; all segments are closed. */
    record Stopped(String sessionId, List<SegmentInfo> segments, List<TrackStats> tracks) implements RecordingEvent {
    }
}
