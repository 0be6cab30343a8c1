package io.capstan.webrtc;

/**
 * Where a {@link WebRtcTransport} delivers what it received: decrypted (SRTP/SRTCP unprotected) RTP and RTCP
 * packets, multiplexed on one port (RFC 5761, RFC 8843). Implemented by the WHIP resource, which pushes them into
 * its recording session.
 */
public interface RtpSink {

    /** One RTP or RTCP packet, already decrypted; the buffer may be reused once this returns. */
    void packet(byte[] buf, int off, int len, long arrivalNanos);

    /**
     * The transport ended on its own (ICE failed, consent expired (RFC 7675), DTLS close_notify or alert); the
     * resource then stops its recording. {@code reason} is a sentence for logs and events.
     */
    void closed(String reason);
}
