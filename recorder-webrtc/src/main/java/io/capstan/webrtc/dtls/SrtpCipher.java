package io.capstan.webrtc.dtls;

/**
 * The per-profile transform of SRTP or SRTCP packets with one set of session keys (one direction, one of RTP and
 * RTCP), in place on the caller's array. The packet framing around it — header parsing, index estimation, replay
 * windows — is {@link SrtpTransformer}'s; a cipher only authenticates and encrypts.
 */
interface SrtpCipher {

    static SrtpCipher create(SrtpProfile profile, byte[] masterKey, byte[] masterSalt, boolean rtcp) {
        return switch (profile) {
            case AES128_CM_HMAC_SHA1_80 -> new AesCmHmacSha1Cipher(masterKey, masterSalt, rtcp);
            case AEAD_AES_128_GCM -> new AesGcmCipher(masterKey, masterSalt, rtcp);
        };
    }

    /**
     * Checks the tag of an SRTP packet ({@code len} includes the tag) and, if it is authentic, decrypts the payload
     * after {@code headerLength} in place. {@code index} is the 48-bit packet index {@code ROC << 16 | SEQ}.
     */
    boolean unprotectRtp(byte[] buf, int off, int len, int headerLength, int ssrc, long index);

    /** Encrypts the payload of the RTP packet {@code buf[off, off + len)} in place and writes the tag after it. */
    void protectRtp(byte[] buf, int off, int len, int headerLength, int ssrc, long index);

    /** Where, from the start of an SRTCP packet of {@code len} bytes, its E flag + SRTCP index word is. */
    int rtcpIndexOffset(int len);

    /**
     * Checks the tag of an SRTCP packet ({@code len} includes the index word and the tag) and, if authentic and
     * the E flag of {@code indexWord} is set, decrypts it in place; the plain packet is the first
     * {@code len - 4 - tag} bytes.
     */
    boolean unprotectRtcp(byte[] buf, int off, int len, int ssrc, int indexWord);

    /** Encrypts the RTCP packet {@code buf[off, off + len)} with SRTCP index {@code index}; returns the new length. */
    int protectRtcp(byte[] buf, int off, int len, int ssrc, int index);

    /** Compares {@code len} bytes in time that does not depend on where they differ. */
    static boolean constantTimeEquals(byte[] a, int aOff, byte[] b, int bOff, int len) {
        int diff = 0;
        for (int i = 0; i < len; i++) {
            diff |= a[aOff + i] ^ b[bOff + i];
        }
        return diff == 0;
    }

    static void putInt(byte[] buf, int off, int value) {
        buf[off] = (byte) (value >>> 24);
        buf[off + 1] = (byte) (value >>> 16);
        buf[off + 2] = (byte) (value >>> 8);
        buf[off + 3] = (byte) value;
    }
}
