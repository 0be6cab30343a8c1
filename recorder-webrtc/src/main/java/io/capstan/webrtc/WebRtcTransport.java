package io.capstan.webrtc;

import java.io.IOException;

/**
 * The network side of a WHIP resource: ICE (Capstan is ICE-lite, answering the browser's connectivity checks on
 * the negotiated host candidates), the DTLS handshake as the passive side (verifying the browser's certificate
 * against {@link Negotiation#remoteFingerprint()}), and SRTP decryption with the DTLS-SRTP keys (RFC 5764).
 *
 * <p>The ice4j + Bouncy Castle implementation comes in a later step; tests use a fake.
 */
@FunctionalInterface
public interface WebRtcTransport {

    /**
     * Starts receiving for one negotiated offer/answer; packets go to {@code sink} from the transport's threads.
     *
     * @throws IOException when the transport cannot start (sockets, certificate); the offer is then refused
     */
    Handle start(Negotiation negotiation, RtpSink sink) throws IOException;

    /** A running transport. */
    interface Handle extends AutoCloseable {

        /** Asks the sender of {@code mediaSsrc} for a keyframe (RTCP PLI, RFC 4585 section 6.3.1). */
        default void requestKeyframe(long mediaSsrc) {
        }

        /**
         * Candidates the browser trickled (RFC 8840 {@code a=candidate} values). An ICE-lite agent learns the
         * browser's addresses from its checks, so the default ignores them.
         */
        default void remoteCandidates(java.util.List<String> candidates) {
        }

        /** Stops the transport (DTLS close_notify, sockets released). Idempotent; does not call the sink back. */
        @Override
        void close();
    }
}
