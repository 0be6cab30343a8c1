package io.capstan.session;

/**
 * Receives a session's events. Most events come from the session's muxing lane (an executor thread); the two
 * that must be prompt ({@link RecordingEvent.KeyframeNeeded}, {@link RecordingEvent.Overflow}) come on the thread
 * that pushed the packet. Keep it quick and do not call back into the session from it; an exception thrown here
 * is logged and swallowed.
 */
@FunctionalInterface
public interface RecordingListener {
    void onEvent(RecordingEvent event);

    RecordingListener NONE = e -> {
    };
}
