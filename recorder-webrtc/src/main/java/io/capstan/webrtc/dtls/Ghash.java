package io.capstan.webrtc.dtls;

import java.util.Arrays;
import org.bouncycastle.crypto.modes.gcm.Tables4kGCMMultiplier;

/**
 * GHASH (NIST SP 800-38D section 6.4) streamed over the AAD and the ciphertext, each zero-padded to a whole block,
 * then the length block. The multiplication by H is Bouncy Castle's 4 KiB-table multiplier (allocation-free);
 * the AAD may be given in pieces ({@link #update} buffers a partial block), which SRTCP needs (its AAD is the
 * header followed by the trailing index word, RFC 7714 section 9.1). Not thread-safe.
 */
final class Ghash {

    private final Tables4kGCMMultiplier multiplier = new Tables4kGCMMultiplier();
    private final byte[] x = new byte[16];
    private final byte[] partial = new byte[16];
    private int partialLength;

    Ghash(byte[] h) {
        multiplier.init(h);
    }

    void reset() {
        Arrays.fill(x, (byte) 0);
        partialLength = 0;
    }

    void update(byte[] buf, int off, int len) {
        int end = off + len;
        if (partialLength > 0) {
            while (partialLength < 16 && off < end) {
                partial[partialLength++] = buf[off++];
            }
            if (partialLength < 16) {
                return;
            }
            block(partial, 0);
            partialLength = 0;
        }
        for (; off + 16 <= end; off += 16) {
            block(buf, off);
        }
        while (off < end) {
            partial[partialLength++] = buf[off++];
        }
    }

    /** Ends a section (AAD or ciphertext): a partial block is zero-padded and hashed. */
    void pad() {
        if (partialLength > 0) {
            Arrays.fill(partial, partialLength, 16, (byte) 0);
            block(partial, 0);
            partialLength = 0;
        }
    }

    /** Pads, hashes the length block (bits of AAD, bits of ciphertext) and writes the 16-byte result. */
    void finish(long aadBytes, long ciphertextBytes, byte[] out) {
        pad();
        long a = aadBytes * 8;
        long c = ciphertextBytes * 8;
        for (int i = 0; i < 8; i++) {
            partial[i] = (byte) (a >>> (56 - 8 * i));
            partial[8 + i] = (byte) (c >>> (56 - 8 * i));
        }
        block(partial, 0);
        System.arraycopy(x, 0, out, 0, 16);
    }

    private void block(byte[] buf, int off) {
        for (int i = 0; i < 16; i++) {
            x[i] ^= buf[off + i];
        }
        multiplier.multiplyH(x);
    }
}
