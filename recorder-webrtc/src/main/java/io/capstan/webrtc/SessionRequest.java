package io.capstan.webrtc;

import io.capstan.session.RecordingListener;
import io.capstan.session.RecordingSession;
import io.capstan.session.TrackSpec;

import java.util.List;
import java.util.Objects;

/**
 * What the host's session factory gets for a new WHIP resource. The factory returns a recording session, not yet
 * started, holding {@link #tracks()} and delivering events to {@link #listener()} (which forwards keyframe
 * requests to the transport); {@link #applyTo} does both.
 *
 * @param resourceId  the resource's id (the last segment of its Location), unguessable
 * @param negotiation the offer/answer outcome
 * @param listener    the resource's listener: the session must deliver its events here
 */
public record SessionRequest(String resourceId, Negotiation negotiation, RecordingListener listener) {

    public SessionRequest {
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(negotiation, "negotiation");
        Objects.requireNonNull(listener, "listener");
    }

    /** The tracks to record, one per accepted m= line ({@code audio}/{@code video}, or by mid). */
    public List<TrackSpec> tracks() {
        return negotiation.trackSpecs();
    }

    /**
     * Adds the tracks and a listener that gives every event to the resource, then to {@code hostListener}.
     */
    public RecordingSession.Builder applyTo(RecordingSession.Builder builder, RecordingListener hostListener) {
        Objects.requireNonNull(hostListener, "hostListener");
        for (TrackSpec t : tracks()) {
            builder.track(t);
        }
        return builder.listener(e -> {
            listener.onEvent(e);
            hostListener.onEvent(e);
        });
    }
}
