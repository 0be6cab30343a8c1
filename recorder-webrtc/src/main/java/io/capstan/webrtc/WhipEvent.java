package io.capstan.webrtc;

import io.capstan.session.SegmentInfo;

import java.util.List;

/** What a {@link WhipHandler} reports about its resources. */
public sealed interface WhipEvent {

    String resourceId();

    /** A POST was answered (201) and the resource is recording. */
    record ResourceCreated(String resourceId, List<String> tracks) implements WhipEvent {
    }

    /**
     * The resource ended: DELETE by the client, the transport closed or failed, or the handler closed; the
     * recording was stopped and {@code segments} were written.
     */
    record ResourceEnded(String resourceId, String reason, List<SegmentInfo> segments) implements WhipEvent {
    }
}
