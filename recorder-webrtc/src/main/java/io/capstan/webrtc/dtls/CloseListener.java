package io.capstan.webrtc.dtls;

/** Told once when the browser ends an established DTLS association; never for a local {@code close()}. */
@FunctionalInterface
public interface CloseListener {

    /**
     * Called from the association's reader thread.
     *
     * @param reason e.g. "the browser closed the DTLS association (close_notify)"
     */
    void closed(String reason);
}
