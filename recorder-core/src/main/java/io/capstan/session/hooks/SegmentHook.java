package io.capstan.session.hooks;

import io.capstan.session.SegmentInfo;

/**
 * Called once for every segment a session closed: where it is ({@link SegmentInfo#location()}), which stream,
 * tracks, start/end and duration, bytes, frames per track, keyframe positions. Called on the session's muxing
 * lane: an implementation must return at once (hand the work to its own thread, as {@link CommandHook} and
 * {@link MetadataReporter} do). An exception thrown here is logged and swallowed.
 */
@FunctionalInterface
public interface SegmentHook {

    void segmentClosed(String stream, SegmentInfo segment);
}
