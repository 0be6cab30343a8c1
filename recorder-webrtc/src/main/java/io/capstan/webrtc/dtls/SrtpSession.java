package io.capstan.webrtc.dtls;

/**
 * SRTP (RFC 3711) and SRTCP for one DTLS-SRTP association, in place on the caller's array, allocation-free per
 * packet. Capstan is the DTLS server, so its session ({@link Role#SERVER}) unprotects what the browser sends with
 * the client's keys and protects its own RTCP (PLI, receiver reports, NACK) with the server's; {@link Role#CLIENT}
 * is the mirror image (tests use it to play the browser).
 *
 * <p>Per SSRC, a stream context (rollover counter, replay window) is created on the first packet that
 * authenticates, up to a bound. A dropped packet is counted in {@link #stats()} by reason and the method returns
 * that reason's negative {@link SrtpDrop#code()}; it never throws for bad input.
 *
 * <p>Threads: the four transforms (unprotect RTP, unprotect RTCP, protect RTP, protect RTCP) each have their own
 * keys and state and their own lock, so a receive thread can unprotect while another thread protects a PLI.
 */
public interface SrtpSession {

    /** Bytes of room {@link #protectRtcp} needs after the packet: the SRTCP index and the longest tag. */
    int MAX_RTCP_OVERHEAD = 4 + AesGcmCipher.TAG;

    /** Bytes of room {@link #protectRtp} needs after the packet: the longest tag. */
    int MAX_RTP_OVERHEAD = AesGcmCipher.TAG;

    /** Which side of the DTLS handshake this end was: it decides whose keys protect and whose unprotect. */
    enum Role { SERVER, CLIENT }

    /** A session with at most 64 SSRCs per direction and kind. */
    static SrtpSession create(SrtpKeys keys, Role role) {
        return new SrtpTransformer(keys, role, 64);
    }

    /** A session tracking at most {@code maxStreams} SSRCs per direction and kind (RTP, RTCP). */
    static SrtpSession create(SrtpKeys keys, Role role, int maxStreams) {
        return new SrtpTransformer(keys, role, maxStreams);
    }

    /**
     * Authenticates and decrypts the SRTP packet {@code buf[off, off + len)} in place.
     *
     * @return the length of the plain RTP packet at {@code off} (the tag removed), or a negative
     *         {@link SrtpDrop#code()}
     */
    int unprotectRtp(byte[] buf, int off, int len);

    /**
     * Authenticates and decrypts the SRTCP packet {@code buf[off, off + len)} in place.
     *
     * @return the length of the plain RTCP compound packet at {@code off}, or a negative {@link SrtpDrop#code()}
     */
    int unprotectRtcp(byte[] buf, int off, int len);

    /**
     * Encrypts the RTP packet {@code buf[off, off + len)} in place and appends the tag; {@code buf} must have
     * {@link #MAX_RTP_OVERHEAD} bytes of room after it.
     *
     * @return the length of the SRTP packet
     * @throws IllegalArgumentException if the packet is not RTP version 2 or there is no room for the tag
     */
    int protectRtp(byte[] buf, int off, int len);

    /**
     * Encrypts the RTCP compound packet {@code buf[off, off + len)} in place (E flag set) and appends the SRTCP
     * index and tag; {@code buf} must have {@link #MAX_RTCP_OVERHEAD} bytes of room after it.
     *
     * @return the length of the SRTCP packet
     * @throws IllegalArgumentException if the packet is shorter than an RTCP header or there is no room
     */
    int protectRtcp(byte[] buf, int off, int len);

    /** A snapshot of the counters. */
    SrtpStats stats();

    /** The negotiated profile, e.g. {@code SRTP_AEAD_AES_128_GCM}. */
    String profileName();
}
