package io.capstan.session;

/** Where a recording (or one of its tracks) stands; every change is a {@link RecordingEvent.StatusChanged}. */
public enum RecordingStatus {
    /** Media is being written. */
    ACTIVE,
    /** Not recording: not started yet, stopped, or (a track) without its participant's consent. */
    INACTIVE,
    /** Paused by the host: media is dropped and the span will be cut out of the file. */
    PAUSED,
    /** Writing failed; the event's code and message say why. The session may recover with its next file. */
    ERROR
}
