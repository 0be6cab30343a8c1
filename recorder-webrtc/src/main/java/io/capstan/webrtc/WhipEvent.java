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
     * recording was stopped and {@code segments} were written. {@code transportStats} are the transport's counters
     * at the end (see {@link WebRtcTransport.Handle#stats()}): packets decrypted, dropped by reason, feedback sent.
     */
    record ResourceEnded(String resourceId, String reason, List<SegmentInfo> segments,
                         java.util.Map<String, Long> transportStats) implements WhipEvent {
        public ResourceEnded {
            segments = List.copyOf(segments);
            transportStats = java.util.Map.copyOf(transportStats);
        }
    }
}
