package io.capstan.webrtc;

/**
 * The offer cannot be answered; the message is a sentence a user can act on and {@link #reason()} says which kind
 * of problem it is (the WHIP handler maps it to an HTTP status).
 */
public final class OfferException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the offer, with the HTTP status a WHIP endpoint answers. */
    public enum Reason {
        /** Not an SDP, or an SDP WHIP cannot use (no BUNDLE, no rtcp-mux, bad attribute). 400. */
        MALFORMED(400),
        /** No {@code a=ice-ufrag}/{@code a=ice-pwd} (RFC 8839 section 5.4). 400. */
        MISSING_ICE_CREDENTIALS(400),
        /** No {@code a=fingerprint} (RFC 8122 section 5), so DTLS-SRTP cannot be authenticated. 400. */
        MISSING_FINGERPRINT(400),
        /** No m= line offers a codec the recorder can write. 406. */
        NO_COMMON_CODEC(406);

        private final int httpStatus;

        Reason(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Reason reason;

    public OfferException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public OfferException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
