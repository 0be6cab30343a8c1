package io.capstan.webrtc.dtls;

import java.io.IOException;

/**
 * The DTLS handshake with the browser did not complete; the message says why in words a host can show (wrong
 * certificate, no common SRTP profile, timeout, the browser's alert, transport closed).
 */
public final class DtlsHandshakeException extends IOException {

    private static final long serialVersionUID = 1L;

    DtlsHandshakeException(String message) {
        super(message);
    }
}
