package io.capstan.webrtc;

import java.io.IOException;
import java.util.List;

/**
 * The network side of a WHIP resource: ICE (answering and making the browser's connectivity checks on the host
 * candidates of the answer), the DTLS handshake as the passive side (verifying the browser's certificate against
 * {@link Negotiation#remoteFingerprint()}), SRTP decryption with the DTLS-SRTP keys (RFC 5764), and the RTCP
 * feedback Capstan sends (PLI, receiver reports).
 *
 * <p>A resource is made in two steps, because the answer carries the transport's ICE credentials:
 * {@link #prepare()} reserves the ICE agent, the WHIP handler answers the offer with
 * {@link Pending#localIce()}, then {@link Pending#start} begins connectivity establishment.
 * {@link IceDtlsTransport} is the real implementation (ice4j + Bouncy Castle); tests of the HTTP side use a fake.
 */
public interface WebRtcTransport {

    /**
     * Reserves what one resource needs before its answer can be written.
     *
     * @throws IOException when the transport cannot take another resource (sockets, shutting down)
     */
    Pending prepare() throws IOException;

    /** A reserved resource: not started yet. */
    interface Pending {

        /** The ICE credentials to put in the answer. */
        IceCredentials localIce();

        /** Whether the answer declares {@code a=ice-lite} (this agent answers checks but makes none). */
        default boolean iceLite() {
            return false;
        }

        /**
         * Starts ICE and DTLS for the negotiated offer/answer; packets go to {@code sink} from the transport's
         * threads once SRTP keys exist.
         *
         * @throws IOException when the transport cannot start; the offer is then refused
         */
        Handle start(Negotiation negotiation, RtpSink sink) throws IOException;

        /** Releases a reservation that will not be started (the offer was refused). Idempotent. */
        void cancel();
    }

    /** A running transport. */
    interface Handle extends AutoCloseable {

        /** Asks the sender of {@code mediaSsrc} for a keyframe (RTCP PLI, RFC 4585 section 6.3.1). */
        default void requestKeyframe(long mediaSsrc) {
        }

        /** Candidates the browser trickled (RFC 8840 {@code a=candidate} values, without the {@code a=candidate:}). */
        default void remoteCandidates(List<String> candidates) {
        }

        /** Counters for reports and events (packets decrypted, dropped by reason, feedback sent); may be empty. */
        default java.util.Map<String, Long> stats() {
            return java.util.Map.of();
        }

        /** Stops the transport (DTLS close_notify, sockets released). Idempotent; does not call the sink back. */
        @Override
        void close();
    }
}
