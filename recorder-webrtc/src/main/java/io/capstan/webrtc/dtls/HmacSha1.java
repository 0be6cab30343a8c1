package io.capstan.webrtc.dtls;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * HMAC-SHA1 (RFC 2104) on the JDK's SHA-1 with the pads precomputed, writing into a caller's array: the JDK's
 * {@code Mac.doFinal(byte[], int)} allocates the result, this does not, and it can append the 4-byte ROC that
 * SRTP authenticates after the packet (RFC 3711 section 4.2) without copying the packet. Not thread-safe.
 */
final class HmacSha1 {

    static final int LENGTH = 20;
    private static final int BLOCK = 64;

    private final MessageDigest sha1;
    private final byte[] innerPad = new byte[BLOCK];
    private final byte[] outerPad = new byte[BLOCK];
    private final byte[] inner = new byte[LENGTH];

    HmacSha1(byte[] key) {
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
        if (key.length > BLOCK) {
            throw new IllegalArgumentException("HMAC keys longer than a block are not used by SRTP");
        }
        for (int i = 0; i < BLOCK; i++) {
            byte k = i < key.length ? key[i] : 0;
            innerPad[i] = (byte) (k ^ 0x36);
            outerPad[i] = (byte) (k ^ 0x5C);
        }
    }

    /** Writes {@code HMAC(buf[off, off + len) || suffix[0, suffixLen))} into {@code out[0, 20)}. */
    void mac(byte[] buf, int off, int len, byte[] suffix, int suffixLen, byte[] out) {
        try {
            sha1.update(innerPad);
            sha1.update(buf, off, len);
            sha1.update(suffix, 0, suffixLen);
            sha1.digest(inner, 0, LENGTH);
            sha1.update(outerPad);
            sha1.update(inner);
            sha1.digest(out, 0, LENGTH);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-1 output does not fit 20 bytes", e);
        }
    }
}
